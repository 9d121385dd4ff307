import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../normalize/event.js';
import { awsCloudTrail, cloudTrailBody, normalizeCloudTrail, normalizeUserAgent } from './cloudtrail.js';

const IAM_USER_RECORD = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLE',
    arn: 'arn:aws:iam::111122223333:user/alice',
    accountId: '111122223333',
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    userName: 'alice',
  },
  eventTime: '2024-03-01T10:15:30Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateAccessKey',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.7',
  userAgent: 'aws-cli/2.15.0',
  requestParameters: { userName: 'bob' },
  responseElements: null,
  eventID: '3f1e0c1a-1111-2222-3333-444455556666',
  readOnly: false,
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
};

function ok(record: unknown, sha = 'f'.repeat(64)): NormalizedEvent {
  const r = normalizeCloudTrail(record, sha);
  if (!r.ok) throw new Error(`expected an event, got: ${r.reason}`);
  return r.event;
}

describe('normalizeCloudTrail', () => {
  it('maps one IAM user API call to the full common schema', () => {
    // GIVEN / WHEN
    const r = normalizeCloudTrail(IAM_USER_RECORD, 'f'.repeat(64));
    // THEN every field, exactly
    expect(r).toEqual({
      ok: true,
      event: {
        id: '3f1e0c1a-1111-2222-3333-444455556666',
        dataType: 'aws:cloudtrail:entry',
        class: 'account_change',
        time: '2024-03-01T10:15:30.000Z',
        timeMs: Date.UTC(2024, 2, 1, 10, 15, 30),
        provider: 'aws',
        layer: 'control_plane',
        account: '111122223333',
        region: 'us-east-1',
        service: 'iam',
        action: 'CreateAccessKey',
        actor: {
          principal: 'arn:aws:iam::111122223333:user/alice',
          type: 'IAMUser',
          name: 'alice',
          principalId: 'AIDAEXAMPLE',
          accessKey: 'AKIAIOSFODNN7EXAMPLE',
          session: undefined,
          assumedFrom: undefined,
        },
        srcIp: '203.0.113.7',
        srcHost: undefined,
        userAgent: 'aws-cli/2.15.0',
        outcome: 'success',
        errorCode: undefined,
        readOnly: false,
        resources: ['arn:aws:iam::111122223333:user/bob'],
      },
    });
  });

  it('maps an assumed-role session: session ARN, session name, the role it came from', () => {
    const e = ok({
      eventTime: '2024-03-01T10:15:30Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventID: 'e-ar',
      awsRegion: 'eu-west-1',
      sourceIPAddress: '198.51.100.9',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:ci-session',
        arn: 'arn:aws:sts::111122223333:assumed-role/deploy/ci-session',
        accountId: '111122223333',
        accessKeyId: 'ASIAEXAMPLE',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/deploy', userName: 'deploy' } },
      },
      requestParameters: { bucketName: 'crown-jewels', key: 'db.sql' },
    });
    expect(e.actor).toEqual({
      principal: 'arn:aws:sts::111122223333:assumed-role/deploy/ci-session',
      type: 'AssumedRole',
      name: 'ci-session',
      principalId: 'AROAEXAMPLE:ci-session',
      accessKey: 'ASIAEXAMPLE',
      session: 'arn:aws:sts::111122223333:assumed-role/deploy/ci-session',
      assumedFrom: 'arn:aws:iam::111122223333:role/deploy',
    });
    expect(e.readOnly).toBe(true);
    expect(e.resources).toEqual(['arn:aws:s3:::crown-jewels']);
  });

  it('maps the root user', () => {
    const e = ok({
      eventTime: '2024-03-01T10:15:30Z',
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      eventID: 'e-root',
      userIdentity: { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' },
      responseElements: { ConsoleLogin: 'Success' },
      sourceIPAddress: '192.0.2.1',
    });
    expect(e.actor.principal).toBe('arn:aws:iam::111122223333:root');
    expect(e.actor.type).toBe('Root');
    expect(e.actor.name).toBe('root');
    expect(e.layer).toBe('identity');
    expect(e.class).toBe('authentication');
    expect(e.outcome).toBe('success');
  });

  it('maps an AWS service acting on its own: the service is the actor and the source is a host, not an IP', () => {
    const e = ok({
      eventTime: '2024-03-01T10:15:30Z',
      eventSource: 'kms.amazonaws.com',
      eventName: 'Decrypt',
      eventID: 'e-svc',
      userIdentity: { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
      sourceIPAddress: 'cloudtrail.amazonaws.com',
      recipientAccountId: '111122223333',
    });
    expect(e.actor.principal).toBe('cloudtrail.amazonaws.com');
    expect(e.actor.type).toBe('AWSService');
    expect(e.srcIp).toBeUndefined();
    expect(e.srcHost).toBe('cloudtrail.amazonaws.com');
    expect(e.account).toBe('111122223333');
  });

  it('unwraps an EventBridge envelope (detail) and keeps the CloudTrail event id', () => {
    const envelope = {
      version: '0',
      id: 'eb-envelope-id',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.iam',
      account: '111122223333',
      time: '2024-03-01T10:15:31Z',
      region: 'us-east-1',
      resources: [],
      detail: IAM_USER_RECORD,
    };
    expect(cloudTrailBody(envelope)).toBe(IAM_USER_RECORD);
    expect(awsCloudTrail.matches(envelope)).toBe(true);
    const e = ok(envelope);
    expect(e.id).toBe('3f1e0c1a-1111-2222-3333-444455556666');
    expect(e.time).toBe('2024-03-01T10:15:30.000Z'); // the event's time, not the envelope's
    expect(e.action).toBe('CreateAccessKey');
  });

  it('marks a failed console login as a failed authentication, naming the user', () => {
    const e = ok({
      eventVersion: '1.08',
      userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', accountId: '111122223333', accessKeyId: '', userName: 'alice' },
      eventTime: '2024-03-01T10:15:30Z',
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.66',
      errorMessage: 'Failed authentication',
      responseElements: { ConsoleLogin: 'Failure' },
      additionalEventData: { MFAUsed: 'No' },
      eventID: 'e-fail',
    });
    expect(e.outcome).toBe('failure');
    expect(e.class).toBe('authentication');
    expect(e.actor.name).toBe('alice');
    expect(e.actor.accessKey).toBeUndefined(); // empty string is not a key
    expect(e.actor.principal).toBe('AIDAEXAMPLE');
  });

  it('counts an errorCode as failure and keeps the code', () => {
    const e = ok({ ...IAM_USER_RECORD, errorCode: 'AccessDenied', errorMessage: 'not authorized' });
    expect(e.outcome).toBe('failure');
    expect(e.errorCode).toBe('AccessDenied');
  });

  it('converts a time with an offset to UTC, and reads a time without an offset as UTC', () => {
    expect(ok({ ...IAM_USER_RECORD, eventTime: '2021-11-18T09:41:02-08:00' }).time).toBe('2021-11-18T17:41:02.000Z');
    expect(ok({ ...IAM_USER_RECORD, eventTime: '2021-11-18T09:41:02+0530' }).time).toBe('2021-11-18T04:11:02.000Z');
    expect(ok({ ...IAM_USER_RECORD, eventTime: '2022-03-22 14:21:53.225' }).time).toBe('2022-03-22T14:21:53.225Z');
    expect(ok({ ...IAM_USER_RECORD, eventTime: '2022-03-22T14:21:53' }).time).toBe('2022-03-22T14:21:53.000Z');
  });

  it('rejects a record without eventTime, or with a time that is not one', () => {
    const { eventTime: _t, ...noTime } = IAM_USER_RECORD;
    expect(normalizeCloudTrail(noTime, 'x')).toEqual({ ok: false, reason: 'CloudTrail record has no eventTime' });
    expect(normalizeCloudTrail({ ...IAM_USER_RECORD, eventTime: 'yesterday' }, 'x')).toEqual({
      ok: false,
      reason: 'CloudTrail eventTime "yesterday" is not an ISO 8601 time',
    });
    expect(normalizeCloudTrail({ ...IAM_USER_RECORD, eventTime: '2024-02-31T00:00:00Z' }, 'x').ok).toBe(false);
  });

  it('uses the raw SHA-256 as identity when the record has no eventID', () => {
    const { eventID: _id, ...noId } = IAM_USER_RECORD;
    expect(ok(noId, 'a'.repeat(64)).id).toBe(`sha256:${'a'.repeat(64)}`);
  });

  it('rejects what is not CloudTrail', () => {
    expect(awsCloudTrail.matches({ foo: 'bar' })).toBe(false);
    expect(awsCloudTrail.matches([IAM_USER_RECORD])).toBe(false);
    expect(normalizeCloudTrail({ foo: 'bar' }, 'x').ok).toBe(false);
    expect(normalizeCloudTrail({ eventName: 'X', eventTime: '2024-01-01T00:00:00Z' }, 'x')).toEqual({ ok: false, reason: 'CloudTrail record has no eventSource' });
  });

  it('stores the user agent of S3 data events without the brackets CloudTrail adds; the raw record keeps them', () => {
    // GIVEN an S3 GetObject data event from a laptop's aws-cli, as CloudTrail records it
    const raw = {
      ...IAM_USER_RECORD,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventCategory: 'Data',
      userAgent: '[aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/s3.cp]',
    };
    const text = JSON.stringify(raw);
    // WHEN
    const e = ok(raw);
    // THEN the normalized column is the client's own string, and the record is untouched
    expect(e.userAgent).toBe('aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/s3.cp');
    expect(JSON.stringify(raw)).toBe(text);
    expect(ok({ ...IAM_USER_RECORD, userAgent: 'aws-cli/2.15.0' }).userAgent).toBe('aws-cli/2.15.0');
  });

  it('normalizes only a pair of brackets around the whole user agent', () => {
    expect(normalizeUserAgent('[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488]')).toBe('S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488');
    expect(normalizeUserAgent(' [Boto3/1.34.69 md/Botocore#1.34.69 os/macos#23.4.0] ')).toBe('Boto3/1.34.69 md/Botocore#1.34.69 os/macos#23.4.0');
    expect(normalizeUserAgent('[]')).toBeUndefined();
    expect(normalizeUserAgent('[a] [b]')).toBe('[a] [b]');
    expect(normalizeUserAgent('Mozilla/5.0 (Macintosh) [en]')).toBe('Mozilla/5.0 (Macintosh) [en]');
    expect(normalizeUserAgent(undefined)).toBeUndefined();
  });

  it('classifies Bedrock model invocations in the AI layer and STS AssumeRole as identity', () => {
    expect(ok({ ...IAM_USER_RECORD, eventSource: 'bedrock.amazonaws.com', eventName: 'InvokeModel' })).toMatchObject({ layer: 'ai', class: 'model_invocation' });
    expect(ok({ ...IAM_USER_RECORD, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole' })).toMatchObject({ layer: 'identity', class: 'authentication' });
  });
});
