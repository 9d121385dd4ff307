/**
 * issue 12 item 4: no claim about one principal may cite another principal's events (checks.ts, check 6), for both
 * engines. On the sample case: the deterministic engine's three verdicts stand with the check passed; a model (the
 * fake Messages API) that pins support-admin's StopLogging on svc-backup has that claim dropped.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvestigationResult } from '../../src/investigate/types.js';
import { lastToolResults, startFakeAnthropic, submitVerdict, toolUse, type FakeAnthropic } from '../fakes/anthropic-server.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
let fake: FakeAnthropic | undefined;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('irctl-attribution-'));
  copyFileSync(fixture('sample-case', 'context.yaml'), join(dir, 'context.yaml'));
  expect((await runIrctl(['--case', dir, 'import', fixture('sample-case', 'logs')])).code).toBe(0);
  expect((await runIrctl(['--case', dir, 'detect'])).code).toBe(0);
});
afterAll(() => cleanup());
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Row {
  evidence_id: string;
  actor: string;
  action: string;
}

describe('attribution check', () => {
  it('the deterministic engine keeps the sample case verdicts, every claim citing its own principal', async () => {
    const want: Record<string, string> = { 'T-3': 'malicious', 'T-1': 'security_test', 'T-2': 'planned_action' };
    for (const [threat, verdict] of Object.entries(want)) {
      const r = await runIrctl(['--case', dir, 'investigate', threat, '--offline', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const result = r.json<InvestigationResult>()[0] as InvestigationResult;
      expect(result.verdict).toBe(verdict);
      expect(result.checks.find((c) => c.check === 'attribution')).toMatchObject({ status: 'passed' });
    }
  });

  it("drops a model's claim about one principal that cites another principal's event", async () => {
    // GIVEN a model that looks up StopLogging and CreateUser and then blames CreateUser's principal for StopLogging
    let stop: Row | undefined;
    let create: Row | undefined;
    const rowsOf = (req: Parameters<typeof lastToolResults>[0]): Row[] => (lastToolResults(req)[0]?.json?.rows as Row[] | undefined) ?? [];
    fake = await startFakeAnthropic([
      { kind: 'message', body: toolUse([{ name: 'search_events', input: { action: 'StopLogging' } }], 'Who stopped logging?') },
      {
        kind: 'message',
        body: (req) => {
          stop = rowsOf(req)[0];
          return toolUse([{ name: 'search_events', input: { action: 'CreateUser' } }], 'Who created users?');
        },
      },
      {
        kind: 'message',
        body: (req) => {
          create = rowsOf(req)[0];
          if (!stop || !create) throw new Error('the tools returned no StopLogging or CreateUser event');
          return submitVerdict({
            verdict: 'malicious',
            confidence: 0.9,
            summary: 'Credentials used to create a user and stop logging.',
            rationale: [
              { claim: `${create.actor} stopped CloudTrail logging`, evidence_ids: [stop.evidence_id] },
              { claim: `${stop.actor} stopped CloudTrail logging`, evidence_ids: [stop.evidence_id] },
              { claim: `${create.actor} created an IAM user`, evidence_ids: [create.evidence_id] },
            ],
            missing_evidence: [],
          });
        },
      },
    ]);
    // WHEN
    const r = await runIrctl(['--case', dir, 'investigate', 'T-3', '--json'], {
      env: { ANTHROPIC_API_KEY: 'sk-ant-test-key-000', ANTHROPIC_BASE_URL: fake.url, IRCTL_MODEL: 'claude-test-model', IRCTL_LLM_MAX_RETRIES: '0', IRCTL_LLM_TIMEOUT_MS: '3000' },
    });
    // THEN the two principals are different, the misattributed claim is dropped and the others stand
    expect(r.code, r.stderr).toBe(0);
    const result = r.json<InvestigationResult>()[0] as InvestigationResult;
    expect(result.engine).toBe('claude:claude-test-model');
    const check = result.checks.find((c) => c.check === 'attribution');
    expect(check?.status).toBe('adjusted');
    expect(check?.detail).toMatch(/^1 claim\(s\) about one principal cite another principal's events, dropped: ".*svc-backup stopped CloudTrail logging" names .*svc-backup but cites \S+ by arn:aws:iam::\d+:user\/support-admin; confidence x0\.8$/);
    expect(result.verdict).toBe('malicious');
    expect(result.confidence).toBeLessThanOrEqual(0.72);
    const claims = result.rationale.map((c) => c.claim);
    expect(claims).toHaveLength(2);
    expect(claims.some((c) => /support-admin stopped CloudTrail logging$/.test(c))).toBe(true);
    expect(claims.some((c) => /svc-backup created an IAM user$/.test(c))).toBe(true);
    expect(claims.some((c) => /svc-backup stopped/.test(c))).toBe(false);
    // the model's own words are kept as proposed, for the record
    expect(result.model_verdict?.rationale).toHaveLength(3);
  });
});
