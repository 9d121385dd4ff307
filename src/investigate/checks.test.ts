import { describe, expect, it } from 'vitest';
import { checkVerdict, mentions, settle, type CheckInput } from './checks.js';
import type { EvidenceKind } from './types.js';

const ledger = new Map<string, EvidenceKind>([
  ['e1', 'event'],
  ['b1', 'baseline'],
  ['ctx:red_team.user_agent_markers[0]', 'context'],
  ['ctx:change_windows[0]', 'context'],
]);
const base = (over: Partial<CheckInput> & { verdict?: CheckInput['proposal']['verdict']; ids?: string[]; confidence?: number }): CheckInput => ({
  proposal: { verdict: over.verdict ?? 'malicious', confidence: over.confidence ?? 0.9, summary: 's', rationale: [{ claim: 'c', evidence_ids: over.ids ?? ['e1'] }], missing_evidence: [] },
  ledger,
  exists: (ids) => new Set(ids),
  coverageMissing: over.coverageMissing ?? false,
  injectionFlags: over.injectionFlags ?? [],
  baseline: over.baseline,
});
const flag = { evidence_id: 'e1', evidence_ids: ['e1'], field: 'user_agent', encoding: 'plain' as const, pattern: 'p', excerpt: 'x' };

describe('verdict checks', () => {
  it('passes a malicious verdict resting on returned evidence', () => {
    const r = checkVerdict(base({}));
    expect(r).toMatchObject({ verdict: 'malicious', confidence: 0.9 });
    expect(r.checks.every((c) => c.status === 'passed')).toBe(true);
  });
  it('drops claims citing ids no tool returned or the store lacks; no claim left -> inconclusive', () => {
    const r = checkVerdict({ ...base({ ids: ['nope'] }) });
    expect(r.verdict).toBe('inconclusive');
    expect(r.rationale).toEqual([]);
    const gone = checkVerdict({ ...base({ ids: ['e1'] }), exists: () => new Set() });
    expect(gone.checks[0]).toMatchObject({ check: 'citations', status: 'adjusted' });
  });
  it('requires the right basis for each benign verdict', () => {
    expect(checkVerdict(base({ verdict: 'security_test', ids: ['ctx:red_team.user_agent_markers[0]'] })).verdict).toBe('security_test');
    expect(checkVerdict(base({ verdict: 'security_test', ids: ['e1', 'ctx:change_windows[0]'] })).verdict).toBe('inconclusive');
    expect(checkVerdict(base({ verdict: 'planned_action', ids: ['ctx:change_windows[0]'] })).verdict).toBe('planned_action');
    expect(checkVerdict(base({ verdict: 'not_malicious', ids: ['b1'] })).verdict).toBe('not_malicious');
    expect(checkVerdict(base({ verdict: 'not_malicious', ids: ['e1'], baseline: { verdict: 'malicious', confidence: 0.8 } })).verdict).toBe('malicious');
  });
  it('an injection flag blocks a benign verdict even with a basis', () => {
    const r = checkVerdict(base({ verdict: 'planned_action', ids: ['ctx:change_windows[0]'], injectionFlags: [flag] }));
    expect(r.verdict).toBe('inconclusive');
    expect(r.confidence).toBeLessThanOrEqual(0.5);
  });
  it('caps confidence when coverage is missing and lowers it when the engines disagree', () => {
    expect(checkVerdict(base({ coverageMissing: true })).confidence).toBe(0.6);
    const d = checkVerdict(base({ baseline: { verdict: 'inconclusive', confidence: 0.5 } }));
    expect(d.confidence).toBe(0.63);
    expect(d.checks.at(-1)).toMatchObject({ check: 'engines-agree', status: 'adjusted' });
  });
  it('stores the code\'s words when the checks reject a proposal, the proposal\'s when its verdict stands', () => {
    // GIVEN a model proposal the injection check rejects, and the deterministic verdict it falls back to
    const input = base({ verdict: 'not_malicious', ids: ['b1'], injectionFlags: [flag], baseline: { verdict: 'malicious', confidence: 0.8 } });
    const checked = checkVerdict(input);
    const det = { verdict: 'malicious' as const, summary: 'Malicious: the code says why', rationale: [{ claim: 'new admin user', evidence_ids: ['e1'] }] };
    // WHEN the words to store are settled THEN they are the checks' and the deterministic engine's
    const s = settle(input.proposal, checked, det);
    expect(s).toEqual({ rejected: true, rationale: det.rationale, summary: expect.stringMatching(/^Checks in code rejected the proposed not_malicious \(injection: .*\); verdict malicious\. Malicious: the code says why$/) as unknown });
    expect(checked.rejected_by.map((c) => c.check)).toEqual(['injection']);
    // AND a verdict no baseline supports gets no claim from the rejected proposal
    expect(settle(input.proposal, { ...checked, verdict: 'inconclusive' }, det).rationale).toEqual([]);
    // AND a proposal whose verdict stands keeps its summary and surviving claims
    const kept = base({});
    expect(settle(kept.proposal, checkVerdict(kept), det)).toEqual({ rejected: false, summary: 's', rationale: [{ claim: 'c', evidence_ids: ['e1'] }] });
  });
});

describe('attribution check', () => {
  const names = new Map<string, string[]>([
    ['e1', ['arn:aws:iam::1:user/svc-backup', 'svc-backup', 'AKIAEXAMPLE000000001']],
    ['e2', ['arn:aws:iam::1:user/support-admin', 'support-admin']],
  ]);
  const led = new Map<string, EvidenceKind>([
    ['e1', 'event'],
    ['e2', 'event'],
  ]);
  const run = (claims: Array<{ claim: string; evidence_ids: string[] }>) =>
    checkVerdict({ proposal: { verdict: 'malicious', confidence: 0.9, summary: 's', rationale: claims, missing_evidence: [] }, ledger: led, exists: (ids) => new Set(ids), actorNames: () => names, coverageMissing: false, injectionFlags: [] });
  it('names a principal only as a whole name', () => {
    expect(mentions('support-admin stopped logging', 'admin')).toBe(false);
    expect(mentions("svc-backup's key (AKIAEXAMPLE000000001) was used", 'AKIAEXAMPLE000000001')).toBe(true);
    expect(mentions('SVC-BACKUP created a user.', 'svc-backup')).toBe(true);
  });
  it("drops a claim about one principal citing another's event, keeps the rest and claims naming no one", () => {
    const r = run([
      { claim: 'svc-backup stopped logging', evidence_ids: ['e2'] },
      { claim: 'support-admin stopped logging', evidence_ids: ['e2'] },
      { claim: 'key AKIAEXAMPLE000000001 created a user', evidence_ids: ['e1'] },
      { claim: 'logging was stopped during the threat', evidence_ids: ['e2', 'e1'] },
      { claim: 'svc-backup and support-admin acted together', evidence_ids: ['e1', 'e2'] },
    ]);
    expect(r.rationale.map((c) => c.claim)).toEqual(['support-admin stopped logging', 'key AKIAEXAMPLE000000001 created a user', 'logging was stopped during the threat', 'svc-backup and support-admin acted together']);
    expect(r.checks.find((c) => c.check === 'attribution')).toMatchObject({ status: 'adjusted' });
    expect(r.confidence).toBe(0.72);
  });
  it('no claim left after it -> inconclusive', () => {
    expect(run([{ claim: 'svc-backup stopped logging', evidence_ids: ['e2'] }]).verdict).toBe('inconclusive');
  });
});
