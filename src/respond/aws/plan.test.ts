import { describe, expect, it } from 'vitest';
import type { ThreatEvent } from '../types.js';
import { foreignPrincipals, planAws } from './plan.js';

const ACCT = '111122223333';
let n = 0;
function ev(record: Record<string, unknown>): ThreatEvent {
  n++;
  return {
    id: `ev-${n}`,
    time: '2026-11-01T00:00:00.000Z',
    provider: 'aws',
    data_type: 'aws:cloudtrail:entry',
    action: String(record.eventName),
    service: null,
    outcome: 'success',
    actor: null,
    actor_type: null,
    access_key: null,
    session: null,
    account: ACCT,
    region: 'eu-west-1',
    resources: [],
    raw: JSON.stringify({ awsRegion: 'eu-west-1', recipientAccountId: ACCT, ...record }),
  };
}
const role = {
  type: 'AssumedRole',
  accessKeyId: 'ASIAEXAMPLESESSION01',
  arn: `arn:aws:sts::${ACCT}:assumed-role/deploy/x`,
  sessionContext: { sessionIssuer: { type: 'Role', userName: 'deploy', arn: `arn:aws:iam::${ACCT}:role/deploy` } },
};

describe('planAws', () => {
  it('plans from assumed-role sessions, created keys, foreign bucket principals and logging changes', () => {
    // GIVEN a role session that created a key for another user, opened a bucket to another account and changed trails
    const events = [
      ev({ eventName: 'CreateAccessKey', userIdentity: role, requestParameters: { userName: 'backup' }, responseElements: { accessKey: { accessKeyId: 'AKIAEXAMPLECREATED01', userName: 'backup' } } }),
      ev({
        eventName: 'PutBucketPolicy',
        userIdentity: role,
        requestParameters: { bucketName: 'exports', bucketPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 's3:GetObject', Resource: '*' }] } },
      }),
      ev({ eventName: 'UpdateAssumeRolePolicy', userIdentity: role, requestParameters: { roleName: 'deploy' } }),
      ev({ eventName: 'DeleteTrail', userIdentity: role, requestParameters: { name: 'main' } }),
      ev({ eventName: 'StopLogging', userIdentity: role, requestParameters: { name: 'other' }, errorCode: 'AccessDenied' }),
      // a role of AWS's own cannot carry a deny policy
      ev({ eventName: 'GetObject', userIdentity: { ...role, sessionContext: { sessionIssuer: { type: 'Role', userName: 'AWSServiceRoleForX', arn: `arn:aws:iam::${ACCT}:role/aws-service-role/x/AWSServiceRoleForX` } } } }),
    ];
    // WHEN
    const p = planAws({ threat_id: 'T-9', case_id: 'c', entities: [], events });
    // THEN
    const by = (kind: string) => p.steps.filter((s) => s.kind === kind);
    expect(by('revoke-role-sessions').map((s) => s.target)).toEqual([`arn:aws:iam::${ACCT}:role/deploy`]);
    expect(by('revoke-role-sessions')[0]!.evidence_ids.length).toBe(5);
    expect(by('deactivate-access-key').map((s) => [s.target, s.params.userName])).toEqual([['AKIAEXAMPLECREATED01', 'backup']]);
    expect(by('s3-remove-policy-principals')[0]!.title).toContain('arn:aws:iam::999988887777:root');
    expect(by('s3-block-public-access')).toHaveLength(1);
    // a failed StopLogging restarts nothing; a deleted trail and a trust-policy change are notes (not built)
    expect(by('cloudtrail-start-logging')).toEqual([]);
    expect(p.notes.join('\n')).toMatch(/deleted trail main/);
    expect(p.notes.join('\n')).toMatch(/trust policy of role deploy/);
    expect(p.steps.every((s) => s.provider === 'aws' && s.calls.length > 0)).toBe(true);
  });

  it('keeps shapes that are not AWS identifiers out of the plan (log content is attacker-controlled)', () => {
    const p = planAws({
      threat_id: 'T-1',
      case_id: 'c',
      entities: [{ kind: 'instance', value: 'i-0abc; rm -rf /' }],
      events: [ev({ eventName: 'StartInstances', userIdentity: { type: 'IAMUser', userName: 'bob smith', accessKeyId: 'AKIA$(whoami)' }, requestParameters: { instanceId: 'i-../../etc' } })],
    });
    expect(p.steps).toEqual([]);
  });

  it('names public and foreign principals of a policy statement', () => {
    expect(foreignPrincipals({ Principal: '*' }, ACCT)).toEqual(['*']);
    expect(foreignPrincipals({ Principal: { AWS: [`arn:aws:iam::${ACCT}:root`, '999988887777', '*'] } }, ACCT)).toEqual(['999988887777', '*']);
    expect(foreignPrincipals({ Principal: { Service: 'cloudtrail.amazonaws.com' } }, ACCT)).toEqual([]);
  });
});
