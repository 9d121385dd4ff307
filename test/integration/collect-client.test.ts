import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAws } from '../../src/collect/aws/client.js';
import { AwsApiError } from '../../src/collect/aws/ports.js';
import { FakeCloudTrail, makeEvent } from '../fakes/fake-cloudtrail.js';

const T0 = Date.parse('2026-11-20T12:00:00Z');

describe('AWS adapter against the fake CloudTrail', () => {
  const fake = new FakeCloudTrail({ pageSize: 5, ratePerSec: 0 });
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const url = await fake.start();
    env = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: url };
    fake.add('us-east-1', Array.from({ length: 7 }, (_, i) => makeEvent({ time: T0 + i * 1000, region: 'us-east-1' })));
  });
  afterAll(() => fake.close());

  it('pages LookupEvents and hashes each page body exactly as sent', async () => {
    // GIVEN an adapter aimed at the fake through AWS_ENDPOINT_URL
    const aws = connectAws({ env, homeRegion: 'us-east-1' });
    // WHEN two pages are read
    const p1 = await aws.cloudtrail.lookupEvents('us-east-1', { startTime: new Date(T0), endTime: new Date(T0 + 60_000), maxResults: 50 });
    const p2 = await aws.cloudtrail.lookupEvents('us-east-1', { startTime: new Date(T0), endTime: new Date(T0 + 60_000), maxResults: 50, nextToken: p1.nextToken });
    // THEN the events and the raw body hashes match what the server sent
    expect(p1.events).toHaveLength(5);
    expect(p2.events).toHaveLength(2);
    expect(p2.nextToken).toBeUndefined();
    expect(p1.raw.hashOf).toBe('body');
    expect(p1.raw.sha256).toBe(createHash('sha256').update(fake.sentPages[0]!).digest('hex'));
    expect(p2.raw.sha256).toBe(createHash('sha256').update(fake.sentPages[1]!).digest('hex'));
    expect(p1.events[0]!.cloudTrailEvent).toBe(fake.events.get('us-east-1')![0]!.cloudTrailEvent);
    const who = await aws.sts.callerIdentity();
    expect(who.account).toBe('111122223333');
    aws.close();
  });

  it('normalizes throttling, 5xx, dropped connections and access denied', async () => {
    const aws = connectAws({ env, homeRegion: 'us-east-1' });
    const req = { startTime: new Date(T0), endTime: new Date(T0 + 60_000), maxResults: 50 };
    const kinds = ['throttle', '500', 'drop', 'accessDenied'] as const;
    const got: Array<[string, string]> = [];
    for (const kind of kinds) {
      fake.inject({ kind, op: 'LookupEvents' });
      const err = await aws.cloudtrail.lookupEvents('us-east-1', req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AwsApiError);
      got.push([(err as AwsApiError).code, (err as AwsApiError).retryClass]);
    }
    expect(got[0]).toEqual(['ThrottlingException', 'throttle']);
    expect(got[1]![1]).toBe('transient');
    expect(got[2]![1]).toBe('transient');
    expect(got[3]).toEqual(['AccessDeniedException', 'fatal']);
    aws.close();
  });
});
