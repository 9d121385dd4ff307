/**
 * The single-event Azure rules of issue 14 section 4 on their regression fixtures (`fixtures/azure-rules/<rule>.jsonl`:
 * ARM Activity Log events and Graph directory audits, labelled `hit-...` / `miss-...` in `correlationId`): each rule
 * fires on exactly its hit records, and the fixtures import through the CLI with nothing quarantined.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack, runRules } from '../../src/detect/engine.js';
import { eventRowOf, inputsFromRecords } from '../../src/detect/record-inputs.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

const pack = loadRulePack({ builtin: true });
const DIR = 'azure-rules';
const files = readdirSync(fixture(DIR)).filter((f) => f.endsWith('.jsonl'));

function records(name: string): Array<Record<string, unknown>> {
  return readFileSync(fixture(DIR, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('Azure control-plane and directory rules on their regression fixtures', () => {
  it('has a fixture per rule, and ATT&CK tactic and technique tags on each', () => {
    expect(files).toHaveLength(7);
    for (const f of files) {
      const rule = pack.rules.find((r) => r.id === `irctl-azure-${f.replace(/\.jsonl$/, '')}`);
      expect(rule, f).toBeDefined();
      expect(rule!.techniques.length, f).toBeGreaterThan(0);
      expect(rule!.tactics.length, f).toBeGreaterThan(0);
    }
  });

  it.each(files)('%s: fires on the hit- records only', (file) => {
    const recs = records(file);
    // Every record is a valid event: a miss is the rule's decision, not a mapping failure.
    const labels = new Map(recs.map((r, i) => [eventRowOf(r, i + 1)!.event.id, String(r.correlationId)]));
    expect(labels.size).toBe(recs.length);
    const rule = `irctl-azure-${file.replace(/\.jsonl$/, '')}`;
    const fired = new Set(runRules(inputsFromRecords(recs), pack).filter((h) => h.rule.id === rule).map((h) => labels.get(h.eventIds[0]!)));
    expect([...fired].sort()).toEqual(recs.map((r) => String(r.correlationId)).filter((l) => l.startsWith('hit-')).sort());
  });

  it('imports the fixtures through the CLI with nothing quarantined, and detect reports the rules', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const imp = await runIrctl(['--case', dir, 'import', ...files.map((f) => fixture(DIR, f)), '--json']);
      expect(imp.code, imp.stderr).toBe(0);
      expect(imp.json<{ quarantined: number }>()[0]!.quarantined).toBe(0);
      const d = await runIrctl(['--case', dir, 'detect', '--json']);
      expect(d.code).toBe(0);
      // one detection per hit record (19), and no other
      expect(d.json<{ detections: number }>()[0]!.detections).toBe(19);
      const ids = new Set((await runIrctl(['--case', dir, 'threats', '--json'])).json<{ rules: string[] }>().flatMap((t) => t.rules));
      for (const f of files) expect(ids, f).toContain(`irctl-azure-${f.replace(/\.jsonl$/, '')}`);
    } finally {
      cleanup();
    }
  });
});
