import { describe, expect, it } from 'vitest';
import { adminPrincipals, isAdminRoleName, isRootPrincipal, matchesJewel, raiseSeverity, scoreThreat } from './score.js';

describe('scoreThreat', () => {
  it('takes the highest detection severity and the documented priority formula', () => {
    const s = scoreThreat(['low', 'high', 'medium'], 3, 4, { privileged: [], crownJewels: [], exposure: [] });
    expect(s).toEqual({ severity: 'high', priority: 60 + 0 + 6 + 3, notes: [] });
  });

  it('raises severity one level per context factor, caps at critical and explains why', () => {
    const s = scoreThreat(['medium'], 1, 1, { privileged: ['root'], crownJewels: ['bucket'], exposure: [] });
    expect(s.severity).toBe('critical');
    expect(s.priority).toBe(80 + 10 + 2 + 0);
    expect(s.notes).toEqual(['privileged actor: root', 'crown jewel: bucket', 'severity raised from medium to critical by 2 context factor(s)']);
    expect(raiseSeverity('critical', 3)).toBe('critical');
    expect(scoreThreat(['critical'], 9, 9, { privileged: ['a'], crownJewels: ['b'], exposure: ['c'] }).priority).toBe(100);
  });
});

describe('privileged actors', () => {
  it('recognises root and admin-named roles and sessions, not users named like them', () => {
    expect(isRootPrincipal('arn:aws:iam::111122223333:root')).toBe(true);
    expect(isAdminRoleName('arn:aws:iam::1:role/OrganizationAccountAccessRole')).toBe(true);
    expect(isAdminRoleName('arn:aws:sts::1:assumed-role/AWSReservedSSO_AdministratorAccess_abc/alice')).toBe(true);
    expect(isAdminRoleName('arn:aws:iam::1:role/platform-admin')).toBe(true);
    expect(isAdminRoleName('arn:aws:iam::1:role/badminton-club')).toBe(false);
    expect(isAdminRoleName('arn:aws:iam::1:user/admin')).toBe(false);
  });

  it('finds principals granted admin: managed policy, inline * on *, admin group membership', () => {
    const body = (action: string, req: Record<string, unknown>): Record<string, unknown> => ({ eventName: action, recipientAccountId: '111122223333', requestParameters: req });
    const m = adminPrincipals([
      { action: 'AttachUserPolicy', resources: '[]', body: body('AttachUserPolicy', { userName: 'eve', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }) },
      { action: 'AttachUserPolicy', resources: '[]', body: body('AttachUserPolicy', { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }) },
      {
        action: 'PutRolePolicy',
        resources: '[]',
        body: body('PutRolePolicy', { roleName: 'r1', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' }),
      },
      { action: 'AttachGroupPolicy', resources: '[]', body: body('AttachGroupPolicy', { groupName: 'ops', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }) },
      { action: 'AddUserToGroup', resources: '[]', body: body('AddUserToGroup', { groupName: 'ops', userName: 'carol' }) },
    ]);
    expect([...m.keys()].sort()).toEqual([
      'arn:aws:iam::111122223333:role/r1',
      'arn:aws:iam::111122223333:user/carol',
      'arn:aws:iam::111122223333:user/eve',
    ]);
  });
});

describe('crown jewels', () => {
  it('match exactly, below a bucket, by secret name, and by trailing *', () => {
    expect(matchesJewel('arn:aws:s3:::customer-exports/2026/a.csv', 'arn:aws:s3:::customer-exports')).toBe(true);
    expect(matchesJewel('arn:aws:s3:::customer-exports-old', 'arn:aws:s3:::customer-exports')).toBe(false);
    expect(matchesJewel('prod/db/master', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db/master-AbCdEf')).toBe(true);
    expect(matchesJewel('arn:aws:s3:::prod-data', 'arn:aws:s3:::prod-*')).toBe(true);
  });
});
