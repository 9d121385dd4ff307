/**
 * `irctl detect` through the CLI with the real rule engine: Sigma rules from a folder (written here) and the
 * built-in pack, on the sample case and on Stratus Red Team CloudTrail events (fixtures/stratus).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleCase, writeRules } from '../helpers/detect-case.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;
let rulesDir: string;

beforeEach(async () => {
  tmp = tempDir();
  caseDir = await sampleCase(tmp.dir);
  rulesDir = writeRules(join(tmp.dir, 'rules'), true);
});
afterEach(() => tmp.cleanup());

describe('irctl detect', () => {
  it('runs a Sigma folder, reports the broken rule with file:line, groups into threats and records custody', async () => {
    // WHEN
    const r = await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', rulesDir, '--json']);
    // THEN exit 0 with the skipped rule counted and named on stderr
    expect(r.code).toBe(0);
    const s = r.json()[0]!;
    expect(s).toMatchObject({ rules: 2, rule_errors: 1 });
    expect(r.stderr).toMatch(/broken\.yml:\d+: .*nosuchmodifier/);
    // sample case: StopLogging by the attacker, CreateUser by the attacker
    expect(s.detections).toBe(2);
    expect(s.threats).toBe(1);
    const custody = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
    expect(custody.code).toBe(0);
    expect(custody.stdout).not.toBe('');
  });

  it('prints a readable summary with the threats and what to run next', async () => {
    const r = await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', rulesDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 detection\(s\) -> 1 threat\(s\), 1 new/);
    expect(r.stdout).toMatch(/T-1 +critical/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^custody {3}head [0-9a-f]{64} \(entry \d+\)$/);
    expect(r.stdout).toMatch(/next: irctl threats show T-1 +irctl timeline T-1/);
  });

  it('replaces the previous run (derived) and keeps threat ids after more evidence arrives', async () => {
    // GIVEN a first run
    expect((await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', rulesDir])).code).toBe(0);
    const first = (await runIrctl(['--case', caseDir, 'threats', '--json'])).json();
    // AND new evidence: Stratus Red Team stopping a trail (another actor, another day)
    expect((await runIrctl(['--case', caseDir, 'import', fixture('stratus', 'aws.defense-evasion.cloudtrail-stop.json')])).code).toBe(0);
    // WHEN detect runs again
    const r = await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', rulesDir, '--json']);
    // THEN the known threat keeps T-1 and the new one is T-2; counts are this run's, not cumulative
    const s = r.json()[0]!;
    expect(s.threats).toBe(2);
    expect(s.new_threats).toBe(1);
    const after = (await runIrctl(['--case', caseDir, 'threats', '--json'])).json();
    const t1 = after.find((t) => t.id === 'T-1');
    expect(t1?.detection_ids).toEqual(first[0]?.detection_ids);
    expect(after.map((t) => t.id).sort()).toEqual(['T-1', 'T-2']);
    const again = (await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', rulesDir, '--json'])).json()[0]!;
    expect(again).toMatchObject({ detections: s.detections, threats: 2, new_threats: 0 });
  });

  it('keeps the id when the rule set changes but the same events fire', async () => {
    // GIVEN T-1 from the test rules
    expect((await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', rulesDir])).code).toBe(0);
    // WHEN the built-in pack replaces them (other rule ids, so other detection fingerprints)
    expect((await runIrctl(['--case', caseDir, 'detect'])).code).toBe(0);
    // THEN the intrusion is still T-1, and the other threats get new numbers
    const threats = (await runIrctl(['--case', caseDir, 'threats', '--json'])).json<{ id: string; entities: Array<{ value: string }> }>();
    expect(threats.find((t) => t.entities.some((e) => e.value === '203.0.113.77'))?.id).toBe('T-1');
    expect(threats.length).toBeGreaterThan(1);
  });

  it('runs the built-in pack on the sample case and on Stratus Red Team events', async () => {
    // GIVEN the sample case plus Stratus detonations of logging tampering and admin-user persistence
    for (const f of ['aws.defense-evasion.cloudtrail-stop.json', 'aws.persistence.iam-create-admin-user.json']) {
      expect((await runIrctl(['--case', caseDir, 'import', fixture('stratus', f)])).code).toBe(0);
    }
    // WHEN
    const r = await runIrctl(['--case', caseDir, 'detect', '--json']);
    // THEN
    expect(r.code).toBe(0);
    const s = r.json()[0]!;
    expect(s.rules as number).toBeGreaterThan(10);
    expect(s.detections as number).toBeGreaterThan(5);
    const threats = (await runIrctl(['--case', caseDir, 'threats', '--json'])).json<Record<string, unknown> & { techniques: string[]; entities: Array<{ value: string }> }>();
    const attack = threats.find((t) => t.entities.some((e) => e.value === '203.0.113.77'));
    expect(attack?.severity).toBe('critical');
    expect(attack?.techniques.some((x) => x.startsWith('T1562'))).toBe(true);
    expect(threats.some((t) => t !== attack && t.techniques.some((x) => x.startsWith('T1562')))).toBe(true);
  });

  it('rejects a rules folder that does not exist and a bad --window', async () => {
    const r = await runIrctl(['--case', caseDir, 'detect', '--rules', join(tmp.dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rules folder .*nope does not exist/);
    const w = await runIrctl(['--case', caseDir, 'detect', '--window', 'soon']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--window "soon" is not a duration/);
  });
});
