import { describe, expect, it } from 'vitest';
import { buildPack, runRules } from './engine.js';
import { inputsFromRecords } from './record-inputs.js';
import { compileRuleText, techniquesFromTags } from './sigma.js';

const ct = (over: Record<string, unknown>): Record<string, unknown> => ({
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice', accountId: '111122223333', accessKeyId: 'AKIAEXAMPLE' },
  eventTime: '2026-01-01T00:00:00Z',
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.7',
  userAgent: 'aws-cli/2.15.0',
  requestParameters: { name: 'main-trail' },
  eventID: 'e-1',
  recipientAccountId: '111122223333',
  ...over,
});

const RULE = `title: Trail stopped
id: 7e0a4c5e-0000-4000-8000-000000000001
author: Jane Analyst
level: high
tags:
  - attack.defense-evasion
  - attack.t1562.008
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName:
      - StopLogging
      - DeleteTrail
  filter:
    userIdentity.userName|startswith: automation-
  condition: selection and not filter
`;

describe('Sigma rule compiler', () => {
  it('compiles a SigmaHQ-style rule with metadata, ATT&CK tags and an eventName index', () => {
    // GIVEN a rule text / WHEN compiled
    const r = compileRuleText(RULE, { file: 'r.yml', source: 'sigma:r.yml' });
    // THEN
    expect(r.errors).toEqual([]);
    const rule = r.rules[0];
    expect(rule?.meta).toMatchObject({ id: '7e0a4c5e-0000-4000-8000-000000000001', title: 'Trail stopped', author: 'Jane Analyst', severity: 'high' });
    expect(rule?.meta.techniques).toEqual(['T1562.008']);
    expect(rule?.meta.tactics).toEqual(['defense-evasion']);
    expect(rule?.dataType).toBe('aws:cloudtrail:entry');
    expect([...(rule?.actions ?? [])].sort()).toEqual(['deletetrail', 'stoplogging']);
  });

  it('fires on the matching CloudTrail record and not on the filtered or other ones', () => {
    const pack = buildPack([{ file: 'r.yml', text: RULE, builtin: false }]);
    const inputs = inputsFromRecords([
      ct({ eventID: 'hit' }),
      ct({ eventID: 'filtered', userIdentity: { type: 'IAMUser', userName: 'automation-ci', arn: 'arn:aws:iam::111122223333:user/automation-ci' } }),
      ct({ eventID: 'other', eventName: 'DescribeTrails' }),
      { detail: ct({ eventID: 'envelope', eventName: 'DeleteTrail' }), 'detail-type': 'AWS API Call via CloudTrail' },
    ]);
    const hits = runRules(inputs, pack);
    expect(hits.map((h) => h.eventIds[0]).sort()).toEqual(['envelope', 'hit']);
    expect(hits[0]?.rule.author).toBe('Jane Analyst');
    expect(hits[0]?.entities).toContainEqual({ kind: 'ip', value: '203.0.113.7' });
  });

  it('reports every problem of a file with its line, and skips the rule', () => {
    const bad = `title: Broken
id: broken-1
level: severe
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName|wat: StopLogging
    requestParameters|expand: '%x%'
  condition: selection and missing
`;
    const r = compileRuleText(bad, { file: 'bad.yml', source: 'sigma:bad.yml' });
    expect(r.rules).toEqual([]);
    const lines = r.errors.map((e) => `${e.line ?? '?'}:${e.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^3:level 'severe'/),
        expect.stringMatching(/^9:selection 'selection': 'eventName\|wat': unknown modifier 'wat'/),
        expect.stringMatching(/^10:selection 'selection': 'requestParameters\|expand': modifier 'expand' is not supported/),
        expect.stringMatching(/^11:condition names 'missing', which is not defined/),
      ]),
    );
    expect(lines).toHaveLength(4);
  });

  it('rejects aggregations, correlation rules, multi-document files and unknown log sources', () => {
    const agg = compileRuleText(RULE.replace('condition: selection and not filter', 'condition: selection | count() > 5'), { file: 'a.yml', source: 's' });
    expect(agg.errors[0]).toMatchObject({ line: 19, level: 'error' });
    expect(agg.errors[0]?.message).toMatch(/aggregation/);
    const corr = compileRuleText(`${RULE}correlation:\n  type: event_count\n`, { file: 'c.yml', source: 's' });
    expect(corr.errors.some((e) => /correlation rules/.test(e.message) && e.line === 20)).toBe(true);
    const multi = compileRuleText(`${RULE}---\ntitle: second\n`, { file: 'm.yml', source: 's' });
    expect(multi.errors[0]?.message).toMatch(/multi-document/);
    const win = compileRuleText(RULE.replace('product: aws\n  service: cloudtrail', 'product: windows\n  category: process_creation'), { file: 'w.yml', source: 's' });
    expect(win.errors[0]?.message).toMatch(/logsource \(product: windows, category: process_creation\) is not one irctl evaluates/);
    const yamlErr = compileRuleText('title: [unclosed\n', { file: 'y.yml', source: 's' });
    expect(yamlErr.errors[0]?.message).toMatch(/^YAML:/);
    expect(yamlErr.errors[0]?.line).toBeGreaterThan(0);
  });

  it('maps non-CloudTrail log sources to their data types (load now, run when such events exist)', () => {
    const az = compileRuleText(RULE.replace('product: aws\n  service: cloudtrail', 'product: azure\n  service: signinlogs'), { file: 'z.yml', source: 's' });
    expect(az.errors).toEqual([]);
    expect(az.rules[0]?.dataType).toBe('azure:signin:entry');
    // eventName is no column for Azure: the rule is not indexed by action.
    expect(az.rules[0]?.actions).toBeNull();
  });

  it('parses technique and tactic tags including ATLAS', () => {
    expect(techniquesFromTags(['attack.t1078.004', 'attack.initial-access', 'attack.g0016', 'atlas.aml.t0040', 'atlas.impact', 'cve.2021-1'])).toEqual({
      techniques: ['T1078.004', 'AML.T0040'],
      tactics: ['initial-access', 'impact'],
    });
  });

  it('irctl.attempts: a failed matching call fires one severity level lower, titled as an attempt', () => {
    // GIVEN a rule that counts attempts, a successful and a denied StopLogging
    const text = `${RULE.replace('  condition: selection and not filter', '  condition: selection')}irctl:\n  family: logging-tampering\n  attempts: true\n`;
    const pack = buildPack([{ file: 'a.yml', text, builtin: false }]);
    expect(pack.errors).toEqual([]);
    const recs = [ct({ eventID: 'ok' }), ct({ eventID: 'denied', eventTime: '2026-01-01T00:01:00Z', errorCode: 'AccessDenied', errorMessage: 'no' })];
    // WHEN
    const hits = runRules(inputsFromRecords(recs), pack);
    // THEN the same rule id, the attempt one step lower
    expect(hits.map((h) => [h.eventIds[0], h.rule.id, h.rule.severity, h.rule.title])).toEqual([
      ['ok', '7e0a4c5e-0000-4000-8000-000000000001', 'high', 'Trail stopped'],
      ['denied', '7e0a4c5e-0000-4000-8000-000000000001', 'medium', 'Trail stopped (attempt failed)'],
    ]);
    expect(hits[1]?.summary).toMatch(/\(attempt failed: AccessDenied\)$/);
    // and the flag is checked
    const bad = compileRuleText(`${RULE}irctl:\n  attempts: yes please\n`, { file: 'b.yml', source: 's' });
    expect(bad.errors[0]?.message).toMatch(/irctl.attempts must be true or false/);
  });

  it('answers irctl.* fields from the provider (computed from the record)', () => {
    // GIVEN a rule on the foreign accounts a bucket policy grants
    const text = RULE.replace(
      /detection:[\s\S]*$/,
      'detection:\n  selection:\n    eventName: PutBucketPolicy\n    irctl.policy_foreign_accounts|exists: true\n  condition: selection\nirctl:\n  summary: shared with {irctl.policy_foreign_accounts}\n',
    );
    const pack = buildPack([{ file: 'p.yml', text, builtin: false }]);
    expect(pack.errors).toEqual([]);
    const policy = (acct: string): Record<string, unknown> =>
      ct({
        eventSource: 's3.amazonaws.com',
        eventName: 'PutBucketPolicy',
        eventID: `p-${acct}`,
        requestParameters: { bucketName: 'b', bucketPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:root` }, Action: 's3:GetObject' }] } },
      });
    // WHEN
    const hits = runRules(inputsFromRecords([policy('111122223333'), policy('444455556666')]), pack);
    // THEN only the foreign grant fires, and the summary shows the account
    expect(hits.map((h) => [h.eventIds[0], h.summary])).toEqual([['p-444455556666', 'shared with 444455556666']]);
  });
});
