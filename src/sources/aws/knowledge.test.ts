import { describe, expect, it } from 'vitest';
import { adminGrants, awsExtraEntities, isAdminRoleName, isAwsServiceValue, isRootPrincipal, roleArnOfSession } from './knowledge.js';

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
    const m = new Map(adminGrants([
      { action: 'AttachUserPolicy', resources: '[]', body: body('AttachUserPolicy', { userName: 'eve', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }) },
      { action: 'AttachUserPolicy', resources: '[]', body: body('AttachUserPolicy', { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }) },
      {
        action: 'PutRolePolicy',
        resources: '[]',
        body: body('PutRolePolicy', { roleName: 'r1', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' }),
      },
      { action: 'AttachGroupPolicy', resources: '[]', body: body('AttachGroupPolicy', { groupName: 'ops', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }) },
      { action: 'AddUserToGroup', resources: '[]', body: body('AddUserToGroup', { groupName: 'ops', userName: 'carol' }) },
    ]).map((g) => [g.principal, g.why]));
    expect([...m.keys()].sort()).toEqual([
      'arn:aws:iam::111122223333:role/r1',
      'arn:aws:iam::111122223333:user/carol',
      'arn:aws:iam::111122223333:user/eve',
    ]);
  });
});

describe('AWS identities', () => {
  it('recognises service principals, instance sessions and the role of a session', () => {
    expect(isAwsServiceValue('ec2.amazonaws.com')).toBe(true);
    expect(isAwsServiceValue('anything', 'AWSService')).toBe(true);
    expect(isAwsServiceValue('arn:aws:iam::1:role/aws-service-role/x')).toBe(true);
    expect(isAwsServiceValue('arn:aws:iam::1:user/alice')).toBe(false);
    const session = 'arn:aws:sts::111122223333:assumed-role/web/i-0abc12345def67890';
    expect(awsExtraEntities({ session, actor: session, resources: '["arn:aws:ec2:us-east-1:111122223333:instance/i-0fedcba9876543210"]' })).toEqual([
      { kind: 'instance', value: 'i-0abc12345def67890' },
      { kind: 'instance', value: 'i-0fedcba9876543210' },
    ]);
    expect(roleArnOfSession(session)).toBe('arn:aws:iam::111122223333:role/web');
  });
});
