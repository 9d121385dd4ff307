import { describe, expect, it } from 'vitest';
import { accountOfPrincipal, bucketOf, lifecycleExpiryDays, policyForeignAccounts, policyGrantsPublic } from './rule-fields.js';

const OWN = '111122223333';
const put = (bucketPolicy: unknown): Record<string, unknown> => ({
  eventSource: 's3.amazonaws.com',
  eventName: 'PutBucketPolicy',
  recipientAccountId: OWN,
  userIdentity: { type: 'IAMUser', accountId: OWN },
  requestParameters: { bucketName: 'reports', bucketPolicy },
});
const stmt = (principal: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  Effect: 'Allow',
  Principal: principal,
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::reports/*',
  ...extra,
});

describe('policyForeignAccounts', () => {
  it('names accounts other than the record\'s own, in any principal form, once each', () => {
    // GIVEN a policy that keeps the account's own role and adds two foreign grants
    const body = put({
      Version: '2012-10-17',
      Statement: [
        stmt({ AWS: `arn:aws:iam::${OWN}:role/reader` }),
        stmt({ AWS: ['arn:aws:iam::444455556666:root', '777788889999'] }),
        stmt({ AWS: 'arn:aws:iam::444455556666:user/x' }),
        stmt({ Service: 'cloudtrail.amazonaws.com' }),
        { ...stmt({ AWS: 'arn:aws:iam::999900001111:root' }), Effect: 'Deny' },
      ],
    });
    // WHEN / THEN: the Deny statement and the service principal do not count
    expect(policyForeignAccounts(body)).toEqual(['444455556666', '777788889999']);
  });

  it('reads a policy given as JSON text, and finds nothing in a same-account or unparsable policy', () => {
    expect(policyForeignAccounts(put(JSON.stringify({ Statement: [stmt({ AWS: 'arn:aws:iam::444455556666:root' })] })))).toEqual(['444455556666']);
    expect(policyForeignAccounts(put({ Statement: stmt({ AWS: `arn:aws:iam::${OWN}:root` }) }))).toEqual([]);
    expect(policyForeignAccounts(put('invalid-json-policy'))).toEqual([]);
    expect(policyForeignAccounts({ requestParameters: null })).toEqual([]);
  });

  it('reads principal account ids', () => {
    expect(accountOfPrincipal('arn:aws:iam::193672423079:root')).toBe('193672423079');
    expect(accountOfPrincipal('arn:aws-us-gov:sts::123456789012:assumed-role/r/s')).toBe('123456789012');
    expect(accountOfPrincipal('123456789012')).toBe('123456789012');
    expect(accountOfPrincipal('*')).toBeUndefined();
    expect(accountOfPrincipal('AROAEXAMPLE')).toBeUndefined();
  });
});

describe('policyGrantsPublic', () => {
  it('is true for * without a binding condition, false when a condition binds the caller', () => {
    expect(policyGrantsPublic(put({ Statement: [stmt('*')] }))).toBe(true);
    expect(policyGrantsPublic(put({ Statement: [stmt({ AWS: '*' }, { Condition: { Bool: { 'aws:SecureTransport': 'true' } } })] }))).toBe(true);
    expect(policyGrantsPublic(put({ Statement: [stmt('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } } })] }))).toBe(false);
    expect(policyGrantsPublic(put({ Statement: [stmt('*', { Condition: { StringEquals: { 'AWS:SourceVpce': 'vpce-1' } } })] }))).toBe(false);
    expect(policyGrantsPublic(put({ Statement: [stmt({ AWS: 'arn:aws:iam::444455556666:root' })] }))).toBe(false);
  });
});

describe('lifecycleExpiryDays', () => {
  const lc = (rule: unknown, eventTime = '2024-05-01T00:00:00Z'): unknown => ({
    eventTime,
    requestParameters: { bucketName: 'trail-logs', LifecycleConfiguration: { Rule: rule } },
  });

  it('is the shortest expiration of the enabled rules', () => {
    expect(lifecycleExpiryDays(lc({ ID: 'x', Status: 'Enabled', Expiration: { Days: 1 }, Filter: { Prefix: '*' } }))).toBe(1);
    expect(
      lifecycleExpiryDays(
        lc([
          { Status: 'Enabled', Expiration: { Days: '400' } },
          { Status: 'Disabled', Expiration: { Days: 1 } },
          { Status: 'Enabled', Expiration: { Days: 90 } },
        ]),
      ),
    ).toBe(90);
  });

  it('counts a date as days from the event, and ignores rules that do not expire current objects', () => {
    expect(lifecycleExpiryDays(lc({ Status: 'Enabled', Expiration: { Date: '2024-05-03T00:00:00Z' } }))).toBe(2);
    expect(lifecycleExpiryDays(lc({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 1 } }))).toBeUndefined();
    expect(lifecycleExpiryDays(lc({ Status: 'Disabled', Expiration: { Days: 1 } }))).toBeUndefined();
    expect(lifecycleExpiryDays({ requestParameters: { bucketName: 'b' } })).toBeUndefined();
  });
});

describe('bucketOf', () => {
  it('is the request bucket, else the trail bucket', () => {
    expect(bucketOf({ requestParameters: { bucketName: 'a', s3BucketName: 'b' } })).toBe('a');
    expect(bucketOf({ requestParameters: { name: 'trail', s3BucketName: 'b' } })).toBe('b');
    expect(bucketOf({})).toBeUndefined();
  });
});
