/**
 * A tiny test-only rule pack for correlate/timeline tests: rules are plain functions over DetectInputs that produce
 * DetectionHits (the contract in src/detect/types.ts), so these tests do not depend on the rule engine.
 */
import type { DetectInput, DetectionHit, RuleMeta, Severity } from '../../src/detect/types.js';
import type { LoadedRules, RuleLoader } from '../../src/correlate/run-detect.js';

/** A single-event test rule. */
export interface FakeRule {
  meta: RuleMeta;
  match: (i: DetectInput) => boolean;
}

/** Rule firing on an action (optionally only when `when` holds on the parsed raw body). */
export function actionRule(
  id: string,
  action: string,
  severity: Severity,
  tactics: string[],
  when?: (raw: Record<string, unknown>) => boolean,
): FakeRule {
  return {
    meta: { id, title: `test: ${action}`, author: 'irctl tests', severity, techniques: ['T0000'], tactics, source: 'builtin' },
    match: (i) => i.event.action === action && (when === undefined || when((i.raw() ?? {}) as Record<string, unknown>)),
  };
}

/** A loader running the given rules; counts how many raw bodies were parsed. */
export function fakeLoader(rules: FakeRule[], stats: { rawParsed: number } = { rawParsed: 0 }): RuleLoader {
  return (): LoadedRules => ({
    ruleCount: rules.length,
    errors: [{ file: 'fake/bad.yml', line: 3, message: 'unsupported modifier |base64offset', level: 'error' }],
    hash: 'f'.repeat(64),
    prefetch: [],
    start: () => {
      const hits: DetectionHit[] = [];
      return {
        feed: (i) => {
          let parsedOnce = false;
          const input: DetectInput = {
            event: i.event,
            raw: () => {
              if (!parsedOnce) stats.rawParsed++;
              parsedOnce = true;
              return i.raw();
            },
          };
          for (const r of rules) {
            if (r.match(input)) {
              hits.push({
                rule: r.meta,
                eventIds: [i.event.id],
                firstMs: i.event.time_ms,
                lastMs: i.event.time_ms,
                summary: `${i.event.action} by ${i.event.actor ?? '?'}`,
                entities: [],
              });
            }
          }
        },
        finish: () => hits,
      };
    },
  });
}
