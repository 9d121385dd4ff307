/**
 * `irctl verdict`: the analyst's decision recorded next to the machine's, append-only, in the custody log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { custodyEntries } from '../../src/store/custody.js';
import { verdictHistory } from '../../src/store/investigate-repo.js';
import { CASES, importCase, seedThreat } from '../helpers/investigate-seed.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('irctl-verdict-'));
  await importCase(dir, [...CASES.stratus.files]);
  seedThreat(dir, 'T-1', 'IAM admin user created', [...CASES.stratus.threat]);
});
afterAll(() => cleanup());

describe('irctl verdict', () => {
  it('records the analyst decision with the machine verdict it overrides, in the custody log', async () => {
    // GIVEN a machine verdict
    const inv = await runIrctl(['--case', dir, 'investigate', 'T-1', '--offline', '--json']);
    const machine = JSON.parse(inv.stdout) as { investigation_id: string; verdict: string };
    expect(machine.verdict).toBe('malicious');
    // WHEN the analyst decides otherwise, with a reason
    const r = await runIrctl(['--case', dir, 'verdict', 'T-1', '--set', 'security_test', '--reason', 'red team confirmed the exercise (ticket SEC-77)', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ agrees_with_machine: boolean; machine_verdict: string; investigation_id: string }>()[0]!;
    expect(out).toMatchObject({ agrees_with_machine: false, machine_verdict: 'malicious', investigation_id: machine.investigation_id });
    // THEN the decision is evidence: stored, in custody, append-only, and it is the current verdict
    const kase = openCase(dir);
    try {
      const h = verdictHistory(kase.db, 'T-1');
      expect(h.current).toMatchObject({ verdict: 'security_test', by: 'analyst' });
      expect(h.overrides[0]).toMatchObject({ reason: 'red team confirmed the exercise (ticket SEC-77)', machine_verdict: 'malicious' });
      const c = custodyEntries(kase.db, ['verdict.set']).at(-1)!;
      expect(c.body.details).toMatchObject({ threat_id: 'T-1', verdict: 'security_test', machine_verdict: 'malicious' });
      expect(() => kase.db.prepare("UPDATE verdict_overrides SET verdict = 'malicious'").run()).toThrow(/append-only/);
    } finally {
      kase.close();
    }
    // AND the history shows both, in time order
    const hist = await runIrctl(['--case', dir, 'verdict', 't-1']);
    expect(hist.stdout).toMatch(/current +security_test \(analyst/);
    expect(hist.stdout).toMatch(/machine +malicious[\s\S]*analyst +security_test/);
  });

  it('refuses a decision without a reason, an unknown verdict or an unknown threat', async () => {
    const noReason = await runIrctl(['--case', dir, 'verdict', 'T-1', '--set', 'not_malicious']);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--set needs --reason/);
    const bad = await runIrctl(['--case', dir, 'verdict', 'T-1', '--set', 'fine', '--reason', 'x']);
    expect(bad.code).toBe(2);
    const unknown = await runIrctl(['--case', dir, 'verdict', 'T-42', '--set', 'malicious', '--reason', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no threat T-42/);
  });
});
