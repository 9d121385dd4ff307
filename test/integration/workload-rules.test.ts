/**
 * The workload-runtime rules, as `irctl detect` evaluates them (engine directly, no case): every built-in
 * `irctl-tetragon-*` rule, and every Falco twin written on the same generic workload fields, fires on exactly the
 * records of its regression fixture whose node is named `hit-...` (fixtures/tetragon-rules/<rule>.jsonl: Tetragon
 * export lines, `node_name`; fixtures/falco-rules/<rule>.jsonl: Falco json_output alerts, `hostname`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack, runRules } from '../../src/detect/engine.js';
import { eventRowOf, inputsFromRecords } from '../../src/detect/record-inputs.js';
import { fixture } from '../helpers/run-irctl.js';

const pack = loadRulePack({ builtin: true });

function records(dir: string, name: string): Array<Record<string, unknown>> {
  return readFileSync(fixture(dir, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

for (const [sensor, dir, label] of [
  ['tetragon', 'tetragon-rules', 'node_name'],
  ['falco', 'falco-rules', 'hostname'],
] as const) {
  describe(`${sensor} workload rules on their regression fixtures`, () => {
    const files = readdirSync(fixture(dir)).filter((f) => f.endsWith('.jsonl'));

    it('has ATT&CK technique and tactic tags on each rule with a fixture', () => {
      expect(files.length).toBeGreaterThanOrEqual(5);
      for (const f of files) {
        const rule = pack.rules.find((r) => r.id === `irctl-${sensor}-${f.replace(/\.jsonl$/, '')}`);
        expect(rule, f).toBeDefined();
        expect(rule!.techniques.length, f).toBeGreaterThan(0);
        expect(rule!.tactics.length, f).toBeGreaterThan(0);
      }
    });

    it.each(files)('%s: fires on the hit- records only', (file) => {
      const recs = records(dir, file);
      // Every record of the fixture is a valid event: a miss is a rule's decision, not a mapping failure.
      const labels = new Map(recs.map((r, i) => [eventRowOf(r, i + 1)!.event.id, String(r[label])]));
      expect(labels.size).toBe(recs.length);
      const rule = `irctl-${sensor}-${file.replace(/\.jsonl$/, '')}`;
      const hits = runRules(inputsFromRecords(recs), pack).filter((h) => h.rule.id === rule);
      const fired = new Set(hits.map((h) => labels.get(h.eventIds[0]!)));
      expect([...fired].sort()).toEqual(recs.map((r) => String(r[label])).filter((l) => l.startsWith('hit-')).sort());
    });
  });
}

describe('generic workload fields', () => {
  it('the Tetragon and Falco twins read the same facts: same command line, same verdict', () => {
    // GIVEN the same download-and-execute seen by both sensors (fixtures: the agent's `sh -c "curl ... | sh"`)
    const tetragon = records('tetragon-rules', 'download-execute.jsonl').filter((r) => r.node_name === 'hit-curl-sh');
    const falco = records('falco-rules', 'download-execute.jsonl').filter((r) => r.hostname === 'hit-run-shell');
    // WHEN all rules run
    const hits = runRules(inputsFromRecords([...tetragon, ...falco]), pack);
    // THEN each sensor's twin fires, and so does each sensor's shell-from-python rule
    expect(hits.map((h) => h.rule.id).sort()).toEqual([
      'irctl-falco-download-execute',
      'irctl-falco-shell-from-service',
      'irctl-tetragon-download-execute',
      'irctl-tetragon-shell-from-service',
    ]);
  });
});
