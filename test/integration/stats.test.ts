/**
 * `irctl stats`: agreement between the latest machine verdict and the latest analyst decision per threat.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CASES, importCase, seedThreat } from '../helpers/investigate-seed.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('irctl-stats-'));
  await importCase(dir, [...CASES.stratus.files, ...CASES.routine.files]);
  seedThreat(dir, 'T-1', 'IAM admin user created', [...CASES.stratus.threat]);
  seedThreat(dir, 'T-2', 'IAM access key created', [...CASES.routine.threat]);
});
afterAll(() => cleanup());

it('counts agreements and overrides per engine and verdict', async () => {
  // GIVEN no decisions yet
  const empty = await runIrctl(['--case', dir, 'stats']);
  expect(empty.code).toBe(0);
  expect(empty.stdout).toMatch(/agreement +n\/a/);
  // WHEN both threats are investigated; the analyst confirms one and overrides the other
  for (const t of ['T-1', 'T-2']) expect((await runIrctl(['--case', dir, 'investigate', t, '--offline', '--json'])).code).toBe(0);
  await runIrctl(['--case', dir, 'verdict', 'T-1', '--set', 'malicious', '--reason', 'confirmed']);
  await runIrctl(['--case', dir, 'verdict', 'T-2', '--set', 'malicious', '--reason', 'the rotation job was retired in October']);
  // THEN 1 of 2 agree
  const r = await runIrctl(['--case', dir, 'stats', '--json']);
  const s = r.json<{ agreed: number; disagreed: number; agreement_rate: number; by_engine: Array<{ engine: string; decided: number; agreed: number }>; confusion: Array<{ machine: string; analyst: string; threats: number }> }>()[0]!;
  expect(s).toMatchObject({ agreed: 1, disagreed: 1, agreement_rate: 0.5 });
  expect(s.by_engine).toEqual([{ engine: 'deterministic', decided: 2, agreed: 1, rate: 0.5 }]);
  expect(s.confusion).toEqual(expect.arrayContaining([{ machine: 'not_malicious', analyst: 'malicious', threats: 1 }, { machine: 'malicious', analyst: 'malicious', threats: 1 }]));
  const human = await runIrctl(['--case', dir, 'stats']);
  expect(human.stdout).toMatch(/agreement +50% \(1 agreed, 1 overridden\)/);
});
