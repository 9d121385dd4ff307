import { describe, expect, it } from 'vitest';
import { addCovered, gapsIn, mergeRanges, parseRanges } from './checkpoints.js';
import { openIngressOf, computeExposure } from './aws/exposure.js';
import { passesClientFilters, serverAttribute } from './aws/filters.js';
import { buildLakeQuery, parseEventDataStore } from './aws/lake.js';
import { backoffMs, TokenBucket, withRetries, type Timer } from './rate-limit.js';
import { daysOf, fileTime, parseS3Url } from './aws/s3.js';
import { resolveWindow } from './window.js';

function fakeTimer(): Timer & { t: number; sleeps: number[] } {
  const f = {
    t: 0,
    sleeps: [] as number[],
    now: () => f.t,
    sleep: (ms: number) => {
      f.sleeps.push(ms);
      f.t += ms;
      return Promise.resolve();
    },
  };
  return f;
}

describe('checkpoint ranges', () => {
  it('finds the gaps of a window around covered ranges', () => {
    expect(gapsIn([0, 100], [])).toEqual([[0, 100]]);
    expect(gapsIn([0, 100], [[0, 100]])).toEqual([]);
    expect(gapsIn([0, 100], [[20, 40], [60, 80]])).toEqual([[0, 20], [40, 60], [80, 100]]);
    expect(gapsIn([50, 100], [[0, 70]])).toEqual([[70, 100]]);
    expect(gapsIn([10, 10], [])).toEqual([[10, 10]]);
  });
  it('trusts a range only up to collectedAt - overlap', () => {
    expect(addCovered([], 0, 1000, 1000, 300)).toEqual([[0, 700]]);
    expect(addCovered([], 900, 1000, 1000, 300)).toEqual([]);
    expect(addCovered([[0, 500]], 400, 800, 10_000, 300)).toEqual([[0, 800]]);
  });
  it('merges and parses defensively', () => {
    expect(mergeRanges([[5, 9], [0, 4], [20, 30]])).toEqual([[0, 9], [20, 30]]);
    expect(parseRanges('not json')).toEqual([]);
    expect(parseRanges('[[1,2],["x",3]]')).toEqual([[1, 2]]);
  });
});

describe('rate limiting and retries', () => {
  it('paces takes at the configured rate', async () => {
    const t = fakeTimer();
    const b = new TokenBucket(2, 1, t);
    for (let i = 0; i < 5; i++) await b.take();
    expect(t.t).toBe(2000); // first immediate, then one every 500 ms
  });
  it('retries throttling and transient errors with jittered backoff, not fatal ones', async () => {
    const t = fakeTimer();
    let calls = 0;
    const v = await withRetries(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(new Error(calls === 1 ? 'throttle' : 'transient')) : Promise.resolve('ok');
      },
      { classify: (e) => ((e as Error).message === 'throttle' ? 'throttle' : 'transient'), timer: t, random: () => 0.5 },
    );
    expect(v).toBe('ok');
    expect(t.sleeps).toEqual([500, 500]);
    await expect(withRetries(() => Promise.reject(new Error('no')), { classify: () => 'fatal', timer: t })).rejects.toThrow('no');
    expect(backoffMs(10, () => 0.999, 500, 20_000)).toBeLessThan(20_000);
  });
});

describe('filters, window, Lake and S3 helpers', () => {
  it('sends the most selective filter to the API and checks the rest per event', () => {
    const f = { user: 'bob', eventName: 'CreateUser' };
    expect(serverAttribute(f)).toEqual({ key: 'Username', value: 'bob' });
    expect(passesClientFilters({ username: 'bob', eventName: 'CreateUser', resourceNames: [] }, f)).toBe(true);
    expect(passesClientFilters({ username: 'bob', eventName: 'ListUsers', resourceNames: [] }, f)).toBe(false);
  });
  it('validates the window', () => {
    const now = new Date('2026-11-20T12:00:00Z');
    expect(resolveWindow('6h', undefined, now, 'lookup')).toEqual([Date.parse('2026-11-20T06:00:00Z'), now.getTime()]);
    expect(() => resolveWindow('2h', '3h', now, 'lookup')).toThrow(/after --until/);
    expect(() => resolveWindow('91d', undefined, now, 'lookup')).toThrow(/90 days/);
    expect(resolveWindow('91d', undefined, now, 's3')[0]).toBe(now.getTime() - 91 * 86_400_000);
  });
  it('builds a Lake query with escaped values', () => {
    const q = buildLakeQuery('EDS-1', Date.parse('2026-11-20T06:00:00Z'), Date.parse('2026-11-20T12:00:00Z'), { user: "o'brien" });
    expect(q).toBe("SELECT eventJson FROM EDS-1 WHERE eventTime >= '2026-11-20 06:00:00' AND eventTime <= '2026-11-20 12:00:00' AND userIdentity.username = 'o''brien' ORDER BY eventTime DESC");
    expect(() => buildLakeQuery('x; DROP', 0, 1, {})).toThrow();
    expect(parseEventDataStore('arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/abc-1', 'us-east-1')).toEqual({ id: 'abc-1', region: 'eu-west-1' });
  });
  it('lists only the days of the window and reads file times', () => {
    expect(daysOf([Date.parse('2026-11-19T23:00:00Z'), Date.parse('2026-11-20T01:00:00Z')])).toEqual(['2026/11/19', '2026/11/20', '2026/11/21']);
    expect(fileTime('111122223333_CloudTrail_us-east-1_20261120T1205Z_x.json.gz')).toBe(Date.parse('2026-11-20T12:05:00Z'));
    expect(parseS3Url('s3://my-bucket/pre')).toEqual({ bucket: 'my-bucket', prefix: 'pre/' });
    expect(() => parseS3Url('https://x')).toThrow(/s3:\/\//);
  });
});

describe('exposure', () => {
  it('flags a public instance behind ingress open to the internet, not a private one', () => {
    const sgOpen = { GroupId: 'sg-1', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] };
    const sgClosed = { GroupId: 'sg-2', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] };
    expect(openIngressOf(sgOpen)).toHaveLength(2);
    const rows = computeExposure(
      {
        instances: [
          { item: { InstanceId: 'i-1', PublicIpAddress: '198.51.100.7', SecurityGroups: [{ GroupId: 'sg-1' }], State: { Name: 'running' } }, sha256: 'a' },
          { item: { InstanceId: 'i-2', SecurityGroups: [{ GroupId: 'sg-1' }], State: { Name: 'running' } }, sha256: 'b' },
          { item: { InstanceId: 'i-3', PublicIpAddress: '198.51.100.8', SecurityGroups: [{ GroupId: 'sg-2' }], State: { Name: 'running' } }, sha256: 'c' },
        ],
        securityGroups: [sgOpen, sgClosed],
        addresses: [],
      },
      { runId: 'r', observedAt: '2026-11-20T12:00:00.000Z', account: '1', region: 'us-east-1', arnOf: (i) => `arn:i/${String(i.InstanceId)}` },
    );
    expect(rows.map((r) => [r.instance_id, r.exposed])).toEqual([['i-1', true], ['i-2', false], ['i-3', false]]);
  });
});
