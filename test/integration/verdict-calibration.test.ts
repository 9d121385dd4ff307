/**
 * Calibrated verdicts and true coverage (issue 12, points 5 and 6), on trails written in CloudTrail's own format:
 * severity is a prior, not proof; ordinary root sign-ins are not malicious; a trail the attacker created and deleted
 * while the case's own trail kept delivering is tampering, not missing coverage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const FIX = resolve(import.meta.dirname, '../../fixtures/cloudtrail');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Result {
  threat_id: string;
  verdict: string;
  confidence: number;
  missing_evidence: string[];
  questions: Array<{ moves: Array<{ signal: string }> }>;
}

async function investigateAll(fixture: string): Promise<Result[]> {
  const dir = mkdtempSync(join(tmpdir(), 'irctl-calibration-'));
  dirs.push(dir);
  expect((await runIrctl(['--case', dir, 'import', join(FIX, fixture)])).code).toBe(0);
  expect((await runIrctl(['--case', dir, 'detect'])).code).toBe(0);
  const threats = (await runIrctl(['--case', dir, 'threats', '--json'])).json<{ id: string; first_seen: string }>();
  const out: Result[] = [];
  for (const t of threats.sort((a, b) => a.first_seen.localeCompare(b.first_seen))) {
    const r = await runIrctl(['--case', dir, 'investigate', t.id, '--offline', '--json']);
    expect(r.code, r.stderr).toBe(0);
    out.push(r.json<Result>()[0]!);
  }
  return out;
}

describe('calibrated verdicts', () => {
  it('root console logins with MFA from the usual address and browser, changing nothing, are never malicious', async () => {
    // GIVEN three critical "root console login" threats over nine days, same address, browser and MFA
    const results = await investigateAll('root-console-logins-usual.json');
    expect(results).toHaveLength(3);
    // THEN none is malicious: the first has no history at all (inconclusive, the missing sign of harm listed),
    // the later ones come from the principal's own network and client (not malicious)
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'not_malicious', 'not_malicious']);
    expect(results[0]!.missing_evidence.join('\n')).toMatch(/sign of compromise or harm beyond the rules firing/);
    expect(results[2]!.questions.flatMap((q) => q.moves.map((m) => m.signal))).toContain('familiar-access');
  });
});

describe('coverage that is true', () => {
  it('a trail created and deleted by the intruder while the case keeps receiving events is tampering, not a gap', async () => {
    const [r] = await investigateAll('throwaway-trail-deleted.json');
    // THEN the verdict rests on the tampering, and coverage is not reported missing (no 0.6 cap)
    expect(r!.verdict).toBe('malicious');
    expect(r!.missing_evidence.join('\n')).not.toMatch(/logging stopped|log coverage/);
    expect(r!.confidence).toBeGreaterThan(0.6);
    expect(r!.questions.flatMap((q) => q.moves.map((m) => m.signal))).toContain('tamper-by-threat');
  });
});
