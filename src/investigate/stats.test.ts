import { expect, it } from 'vitest';
import { verdictStats } from './stats.js';

it('computes agreement only where both a machine verdict and an analyst decision exist', () => {
  const s = verdictStats([
    { threat_id: 'T-1', machine_verdict: 'malicious', engine: 'deterministic', analyst_verdict: 'malicious', overrides: 1, runs: 2 },
    { threat_id: 'T-2', machine_verdict: 'inconclusive', engine: 'claude:m', analyst_verdict: 'security_test', overrides: 2, runs: 1 },
    { threat_id: 'T-3', machine_verdict: 'malicious', engine: 'deterministic', analyst_verdict: null, overrides: 0, runs: 1 },
    { threat_id: 'T-4', machine_verdict: null, engine: null, analyst_verdict: 'malicious', overrides: 1, runs: 0 },
  ]);
  expect(s).toMatchObject({ investigated: 3, runs: 4, decided: 3, overrides: 4, agreed: 1, disagreed: 1, agreement_rate: 0.5 });
  expect(s.by_engine).toEqual([
    { engine: 'claude:m', decided: 1, agreed: 0, rate: 0 },
    { engine: 'deterministic', decided: 1, agreed: 1, rate: 1 },
  ]);
  expect(verdictStats([]).agreement_rate).toBeNull();
});
