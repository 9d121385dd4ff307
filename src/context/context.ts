/**
 * The operator's context: `<case>/context.yaml` — facts only the operator can supply (change windows, authorised
 * red-team markers, automation principals, crown-jewel resources, when the organisation became aware of the
 * incident). Pure parsing (`parseContext`) plus one small reader (`loadContext`).
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, errnoCode, errorMessage } from '../errors.js';
import { normalizeTime } from '../normalize/event.js';

const isoTime = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const s = v instanceof Date ? v.toISOString() : v;
  const t = normalizeTime(s);
  if (!t) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not an ISO 8601 time` });
    return z.NEVER;
  }
  return t.iso;
});

const stringList = z.array(z.string().min(1)).default([]);

/** Schema of context.yaml. Unknown keys are reported as warnings, not errors. */
export const contextSchema = z.object({
  change_windows: z
    .array(
      z.object({
        id: z.string().min(1),
        start: isoTime,
        end: isoTime,
        principals: stringList,
        description: z.string().optional(),
      }),
    )
    .default([]),
  red_team: z
    .object({
      user_agent_markers: stringList,
      principals: stringList,
      source_ips: stringList,
    })
    .default({ user_agent_markers: [], principals: [], source_ips: [] }),
  automation_principals: stringList,
  crown_jewels: stringList,
  incident: z
    .object({
      name: z.string().optional(),
      /** When the organisation became aware of the incident: starts the regulatory clocks. */
      aware_at: isoTime.optional(),
    })
    .default({}),
  /**
   * `irctl contain --execute` policy: step kinds that may run without a prompt or --approve, only when the verdict
   * standing is malicious with at least this confidence (an analyst's decision counts as 1).
   */
  containment: z
    .object({
      allow_without_prompt: stringList,
      min_confidence: z.number().min(0).max(1).default(0.9),
    })
    .default({ allow_without_prompt: [], min_confidence: 0.9 }),
});

/** The parsed operator context. */
export type OperatorContext = z.output<typeof contextSchema>;

/** An empty context (no file). */
export function emptyContext(): OperatorContext {
  return contextSchema.parse({});
}

/** Parse result: never throws; errors carry dot-paths. */
export interface ContextParse {
  context: OperatorContext | undefined;
  warnings: string[];
  errors: string[];
}

const KNOWN = new Set(Object.keys(contextSchema.shape));

/** Parse context.yaml text (pure). */
export function parseContext(text: string, file: string): ContextParse {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return { context: undefined, warnings: [], errors: doc.errors.map((e) => `${file}: ${e.message}`) };
  }
  const data: unknown = doc.toJS() ?? {};
  const warnings: string[] = [];
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    for (const k of Object.keys(data)) if (!KNOWN.has(k)) warnings.push(`${file}: unknown key "${k}" is ignored`);
  }
  const res = contextSchema.safeParse(data);
  if (!res.success) {
    return {
      context: undefined,
      warnings,
      errors: res.error.issues.map((i) => `${file}: ${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`),
    };
  }
  for (const w of res.data.change_windows) {
    if (w.end <= w.start) warnings.push(`${file}: change window ${w.id} ends before it starts`);
  }
  return { context: res.data, warnings, errors: [] };
}

/**
 * Read and parse the case's context.yaml. A missing file is an empty context; an invalid one is a ConfigError that
 * lists every problem.
 */
export function loadContext(path: string): { context: OperatorContext; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { context: emptyContext(), warnings: [] };
    throw new ConfigError(`cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
  const r = parseContext(text, path);
  if (!r.context) {
    throw new ConfigError(`invalid operator context:\n  ${r.errors.join('\n  ')}`, {
      hint: 'Fix context.yaml (see README "Operator context") or move it aside.',
    });
  }
  return { context: r.context, warnings: r.warnings };
}
