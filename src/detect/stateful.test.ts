import { describe, expect, it } from 'vitest';
import { loadRulePack, runRules, type RulePack } from './engine.js';
import { inputsFromRecords } from './record-inputs.js';
import type { DetectionHit } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
let seq = 0;

/** A CloudTrail record at T0 + minutes. */
function rec(min: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice', accountId: '111122223333', accessKeyId: 'AKIAALICE' },
    eventTime: new Date(T0 + min * 60_000).toISOString(),
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.10',
    userAgent: 'aws-cli/2.15.0 Python/3.11',
    eventID: `ev-${String(seq).padStart(5, '0')}`,
    recipientAccountId: '111122223333',
    ...over,
  };
}

const pack: RulePack = loadRulePack({ builtin: true });
const only = (hits: DetectionHit[], id: string): DetectionHit[] => hits.filter((h) => h.rule.id === id);

describe('threshold rules', () => {
  const secret = (min: number, id: string): Record<string, unknown> =>
    rec(min, { eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', requestParameters: { secretId: id } });

  it('fires once when a principal reads 5 distinct secrets within 10 minutes, and extends the hit while the burst goes on', () => {
    // GIVEN 7 reads of 6 distinct secrets over 6 minutes
    const recs = [secret(0, 'a'), secret(1, 'b'), secret(1, 'b'), secret(2, 'c'), secret(3, 'd'), secret(4, 'e'), secret(6, 'f')];
    // WHEN
    const hits = only(runRules(inputsFromRecords(recs), pack), 'irctl-aws-secrets-bulk-read');
    // THEN
    expect(hits).toHaveLength(1);
    expect(hits[0]?.eventIds).toHaveLength(7);
    expect(hits[0]?.summary).toMatch(/alice read 5 distinct secrets within 10m/);
    expect(hits[0]?.lastMs).toBe(T0 + 6 * 60_000);
  });

  it('does not fire below the threshold or when reads are spread beyond the window', () => {
    const few = [secret(0, 'a'), secret(1, 'b'), secret(2, 'c'), secret(3, 'd'), secret(3, 'd')];
    expect(only(runRules(inputsFromRecords(few), pack), 'irctl-aws-secrets-bulk-read')).toEqual([]);
    const spread = ['a', 'b', 'c', 'd', 'e'].map((s, i) => secret(i * 11, s));
    expect(only(runRules(inputsFromRecords(spread), pack), 'irctl-aws-secrets-bulk-read')).toEqual([]);
  });
});

describe('sequence rules', () => {
  const login = (min: number, result: 'Success' | 'Failure', ip = '203.0.113.9'): Record<string, unknown> =>
    rec(min, { eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', sourceIPAddress: ip, responseElements: { ConsoleLogin: result }, additionalEventData: { MFAUsed: 'Yes' } });

  it('fires on 3 failed console logins followed by a success from the same IP', () => {
    const recs = [login(0, 'Failure'), login(1, 'Failure'), login(2, 'Failure'), login(3, 'Success')];
    const hits = only(runRules(inputsFromRecords(recs), pack), 'irctl-aws-console-login-failures-then-success');
    expect(hits).toHaveLength(1);
    expect(hits[0]?.eventIds).toHaveLength(4);
    expect(hits[0]?.summary).toMatch(/^3 failed console logins then a success/);
  });

  it('does not fire when the success comes first, from another IP, or after the window', () => {
    const cases = [
      [login(0, 'Success'), login(1, 'Failure'), login(2, 'Failure'), login(3, 'Failure')],
      [login(0, 'Failure'), login(1, 'Failure'), login(2, 'Failure'), login(3, 'Success', '192.0.2.1')],
      [login(0, 'Failure'), login(1, 'Failure'), login(2, 'Failure'), login(45, 'Success')],
      [login(0, 'Failure'), login(1, 'Failure'), login(3, 'Success')],
    ];
    for (const recs of cases) expect(only(runRules(inputsFromRecords(recs), pack), 'irctl-aws-console-login-failures-then-success')).toEqual([]);
  });
});

describe('new-for-this-entity rules (own baseline)', () => {
  it('fires when an established principal appears from a new /16 network, once per network', () => {
    // GIVEN alice: 30 calls over 2 hours from 198.51.0.0/16, then calls from 203.0.113.5
    const recs = Array.from({ length: 30 }, (_, i) => rec(i * 4, { sourceIPAddress: `198.51.100.${i + 1}` }));
    recs.push(rec(130, { sourceIPAddress: '203.0.113.5' }), rec(131, { sourceIPAddress: '203.0.113.6' }));
    // WHEN
    const hits = only(runRules(inputsFromRecords(recs), pack), 'irctl-aws-principal-new-network');
    // THEN one hit, for the first call from the new network
    expect(hits).toHaveLength(1);
    expect(hits[0]?.summary).toMatch(/alice used new network 203\.0\.0\.0\/16 \(203\.0\.113\.5\).*198\.51\.0\.0\/16/);
  });

  it('does not report first-ever activity: a principal without a baseline is never "new"', () => {
    // GIVEN a principal whose whole history is 25 calls from 25 networks within 20 minutes (no min_age baseline)
    const recs = Array.from({ length: 25 }, (_, i) => rec(i * 0.8, { sourceIPAddress: `${10 + i}.1.2.3` }));
    expect(only(runRules(inputsFromRecords(recs), pack), 'irctl-aws-principal-new-network')).toEqual([]);
    // AND a principal with 5 calls spread over 3 hours (too few events) then a new network
    const sparse = [0, 40, 80, 120, 160].map((m) => rec(m, { sourceIPAddress: '198.51.100.1' }));
    sparse.push(rec(200, { sourceIPAddress: '203.0.113.5' }));
    expect(only(runRules(inputsFromRecords(sparse), pack), 'irctl-aws-principal-new-network')).toEqual([]);
  });
});

describe('shared-value rules (instance credentials used off-instance)', () => {
  const instance = (min: number, ip: string): Record<string, unknown> =>
    rec(min, {
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/app-role/i-0123456789abcdef0',
        accountId: '111122223333',
        accessKeyId: 'ASIAINSTANCE',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app-role' } },
      },
      sourceIPAddress: ip,
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
    });

  it("fires when an instance session calls from an IP a user also used, naming the instance", () => {
    const recs = [rec(0, { sourceIPAddress: '203.0.113.50' }), instance(5, '203.0.113.50')];
    const hits = only(runRules(inputsFromRecords(recs), pack), 'irctl-aws-instance-credentials-shared-ip');
    expect(hits).toHaveLength(1);
    expect(hits[0]?.eventIds).toHaveLength(2);
    expect(hits[0]?.entities).toContainEqual({ kind: 'instance', value: 'i-0123456789abcdef0' });
    expect(hits[0]?.summary).toMatch(/also used by alice/);
  });

  it('also fires when the stolen credentials are used first, and not for private or unrelated addresses', () => {
    const first = [instance(0, '203.0.113.50'), rec(5, { sourceIPAddress: '203.0.113.50' })];
    expect(only(runRules(inputsFromRecords(first), pack), 'irctl-aws-instance-credentials-shared-ip')).toHaveLength(1);
    const priv = [rec(0, { sourceIPAddress: '10.0.0.5' }), instance(5, '10.0.0.5')];
    expect(only(runRules(inputsFromRecords(priv), pack), 'irctl-aws-instance-credentials-shared-ip')).toEqual([]);
    const unrelated = [rec(0, { sourceIPAddress: '203.0.113.50' }), instance(5, '198.51.100.7')];
    expect(only(runRules(inputsFromRecords(unrelated), pack), 'irctl-aws-instance-credentials-shared-ip')).toEqual([]);
  });

  it('flags an instance session seen from a second network', () => {
    const recs = [instance(0, '198.51.100.7'), instance(1, '198.51.100.8'), instance(2, '203.0.113.99')];
    const hits = only(runRules(inputsFromRecords(recs), pack), 'irctl-aws-instance-credentials-new-network');
    expect(hits).toHaveLength(1);
    expect(hits[0]?.eventIds).toHaveLength(1);
  });
});

describe('the built-in pack', () => {
  it('loads without problems and tags every rule with a family, a technique and a tactic', () => {
    expect(pack.errors).toEqual([]);
    expect(pack.rules.length).toBeGreaterThanOrEqual(60);
    for (const r of pack.rules) {
      expect(r.id).toMatch(/^irctl-[a-z0-9]+-/);
      expect(r.family).toBeTruthy();
      // Another product's findings (irctl.finding) take their techniques from each finding.
      if (r.family === 'vendor-finding') continue;
      expect(r.techniques.length).toBeGreaterThan(0);
      expect(r.tactics.length).toBeGreaterThan(0);
    }
    const families = new Set(pack.rules.map((r) => r.family));
    for (const f of ['logging-tampering', 'persistence', 'credential-access', 'discovery', 'privilege-escalation', 'exfiltration-impact', 'console-login', 'ai-abuse', 'baseline'])
      expect(families.has(f)).toBe(true);
    expect(pack.rules.some((r) => r.techniques.some((t) => t.startsWith('AML.')))).toBe(true);
  });
});
