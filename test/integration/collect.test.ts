/**
 * `irctl collect aws` (LookupEvents) end to end: the real AWS SDK against the fake CloudTrail endpoint
 * (test/fakes/fake-cloudtrail.ts), aimed at it through the standard AWS_ENDPOINT_URL variable.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCloudTrail, makeEvent } from '../fakes/fake-cloudtrail.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;

function envFor(url: string): NodeJS.ProcessEnv {
  return { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: url, AWS_REGION: 'us-east-1', IRCTL_RETRY_BASE_MS: '20' };
}

function spread(region: string, n: number, fromAgoMin: number, toAgoMin: number, extra: Partial<Parameters<typeof makeEvent>[0]> = {}) {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => makeEvent({ region, time: now - fromAgoMin * MIN + ((fromAgoMin - toAgoMin) * MIN * i) / Math.max(1, n - 1), ...extra }));
}

describe('irctl collect aws (LookupEvents)', () => {
  let fake: FakeCloudTrail;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let cleanup: () => void;
  beforeEach(async () => {
    fake = new FakeCloudTrail({ pageSize: 5, ratePerSec: 50, lakePendingPolls: 1 });
    env = envFor(await fake.start());
    ({ dir, cleanup } = tempDir());
  });
  afterEach(async () => {
    await fake.close();
    cleanup();
  });
  const db = () => new Database(join(dir, 'evidence.sqlite'), { readonly: true });
  const collect = (...args: string[]) => runIrctl(['--case', dir, '--json', 'collect', 'aws', '--no-context', '--rate', '50', ...args], { env });

  it('collects every region in parallel, page by page, keeping each CloudTrailEvent string exactly', async () => {
    // GIVEN 23 events in us-east-1 and 12 in eu-west-1 over the last 2 hours (and one older, outside the window)
    fake.add('us-east-1', spread('us-east-1', 23, 110, 5));
    fake.add('eu-west-1', spread('eu-west-1', 12, 100, 10));
    fake.add('us-east-1', [makeEvent({ region: 'us-east-1', time: Date.now() - 5 * 60 * MIN })]);
    // WHEN
    const r = await collect('--since', '2h', '--region', 'us-east-1,eu-west-1');
    // THEN
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const s = r.json()[0]!;
    expect(s).toMatchObject({ events: 35, duplicates: 0, pages: 5 + 3, regions: ['us-east-1', 'eu-west-1'], exit_code: 0 });
    const d = db();
    const raws = d.prepare("SELECT event_id, raw FROM raw_records WHERE data_type = 'aws:cloudtrail:entry'").all() as Array<{ event_id: string; raw: string }>;
    const sent = new Map([...fake.events.values()].flat().map((e) => [e.id, e.cloudTrailEvent]));
    expect(raws).toHaveLength(35);
    for (const x of raws) expect(x.raw).toBe(sent.get(x.event_id));
    const pages = d.prepare("SELECT locator, sha256, params FROM input_status WHERE kind = 'api_page' ORDER BY id").all() as Array<{ locator: string; sha256: string }>;
    expect(pages).toHaveLength(8);
    expect(new Set(pages.map((p) => p.locator))).toEqual(new Set(['cloudtrail:LookupEvents us-east-1', 'cloudtrail:LookupEvents eu-west-1']));
    const custody = d.prepare("SELECT action, body FROM custody WHERE action LIKE 'collect.%' ORDER BY seq").all() as Array<{ action: string; body: string }>;
    expect(custody.map((c) => c.action)).toEqual(['collect.start', 'collect.end']);
    const start = JSON.parse(custody[0]!.body) as { details: { caller: { arn: string }; regions: string[] } };
    expect(start.details.caller.arn).toBe('arn:aws:iam::111122223333:user/responder');
    const end = JSON.parse(custody[1]!.body) as { details: { results: Array<{ page_sha256: string[] }> } };
    expect(end.details.results.flatMap((x) => x.page_sha256).sort()).toEqual(pages.map((p) => p.sha256).sort());
    expect(s.custody_head).toMatchObject({ seq: 2 });
    d.close();
  });

  it('re-scans the late-delivery overlap on a re-run: late events are added, the overlap adds no duplicates', async () => {
    // GIVEN a first collection
    fake.add('us-east-1', spread('us-east-1', 10, 50, 1));
    const first = await collect('--since', '1h', '--region', 'us-east-1');
    expect(first.json()[0]).toMatchObject({ events: 10 });
    // WHEN an event 3 minutes old is delivered late, and the same command runs again
    fake.add('us-east-1', [makeEvent({ region: 'us-east-1', time: Date.now() - 3 * MIN })]);
    const before = fake.requests('LookupEvents').length;
    const second = await collect('--since', '1h', '--region', 'us-east-1');
    // THEN the late event is collected, the re-scanned overlap counts as duplicates, and the old part is not re-read
    const s = second.json()[0]!;
    expect(s.events).toBe(1);
    expect(s.duplicates).toBeGreaterThan(0);
    const d = db();
    expect(d.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(11);
    d.close();
    const queried = fake.requests('LookupEvents').slice(before).map((q) => q.params.StartTime as number);
    expect(Math.min(...queried) * 1000).toBeGreaterThan(Date.now() - 20 * MIN);
  });

  it('retries throttling, 500s and dropped connections without losing or duplicating events', async () => {
    // GIVEN faults on the first calls
    fake.add('us-east-1', spread('us-east-1', 17, 50, 1));
    fake.inject({ kind: 'throttle', op: 'LookupEvents', times: 2 });
    fake.inject({ kind: '500', op: 'LookupEvents' });
    fake.inject({ kind: 'drop', op: 'LookupEvents' });
    // WHEN
    const r = await collect('--since', '1h', '--region', 'us-east-1');
    // THEN
    expect(r.code).toBe(0);
    expect(r.json()[0]).toMatchObject({ events: 17, duplicates: 0, pages: 4, throttled: 2, retried: 2 });
  });

  it('sends one lookup attribute to the API and applies the other filters to each event', async () => {
    // GIVEN bob's events of two kinds and alice's
    fake.add('us-east-1', spread('us-east-1', 6, 50, 5, { user: 'bob', name: 'CreateAccessKey', source: 'iam.amazonaws.com' }));
    fake.add('us-east-1', spread('us-east-1', 4, 45, 6, { user: 'bob', name: 'ListUsers', source: 'iam.amazonaws.com' }));
    fake.add('us-east-1', spread('us-east-1', 5, 40, 7, { user: 'alice', name: 'CreateAccessKey', source: 'iam.amazonaws.com' }));
    // WHEN
    const r = await collect('--since', '1h', '--region', 'us-east-1', '--actor', 'bob', '--action', 'CreateAccessKey');
    // THEN
    expect(r.json()[0]).toMatchObject({ events: 6, filtered_out: 4, filters: { user: 'bob', eventName: 'CreateAccessKey' } });
    const attrs = fake.requests('LookupEvents').map((q) => q.params.LookupAttributes);
    expect(attrs[0]).toEqual([{ AttributeKey: 'Username', AttributeValue: 'bob' }]);
  });

  it('applies the filters LookupEvents cannot (--ip, an ARN as --actor, a wildcard --action) to each event on arrival', async () => {
    // GIVEN bob's calls from two addresses, and alice's
    fake.add('us-east-1', spread('us-east-1', 4, 50, 5, { user: 'bob', name: 'CreateAccessKey', source: 'iam.amazonaws.com', sourceIp: '198.51.100.9' }));
    fake.add('us-east-1', spread('us-east-1', 3, 45, 6, { user: 'bob', name: 'CreateUser', source: 'iam.amazonaws.com' }));
    fake.add('us-east-1', spread('us-east-1', 5, 40, 7, { user: 'alice', name: 'ListUsers', source: 'iam.amazonaws.com', sourceIp: '198.51.100.9' }));
    // WHEN filtered by IP, by principal ARN and service, by a wildcard action
    const byIp = await collect('--since', '1h', '--region', 'us-east-1', '--ip', '198.51.100.9', '--service', 'iam');
    // THEN the API got the one filter it can apply; the IP was matched on arrival
    expect(byIp.code, byIp.stderr).toBe(0);
    expect(byIp.json()[0]).toMatchObject({ events: 9, filtered_out: 3, filters: { eventSource: 'iam.amazonaws.com', ip: '198.51.100.9' } });
    expect(fake.requests('LookupEvents')[0]!.params.LookupAttributes).toEqual([{ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' }]);
    const byArn = await collect('--since', '1h', '--region', 'us-east-1', '--actor', 'arn:aws:iam::111122223333:user/alice');
    expect(byArn.json()[0]).toMatchObject({ events: 0, duplicates: 5, filtered_out: 7 });
    const byGlob = await collect('--since', '1h', '--region', 'us-east-1', '--action', 'Create*');
    expect(byGlob.json()[0]).toMatchObject({ events: 3, duplicates: 4, filtered_out: 5 });
  });

  it('keeps the old filter names for one release, with a deprecation notice on stderr', async () => {
    fake.add('us-east-1', spread('us-east-1', 2, 50, 5, { user: 'bob', name: 'CreateAccessKey', source: 'iam.amazonaws.com' }));
    fake.add('us-east-1', spread('us-east-1', 2, 50, 5, { user: 'alice', name: 'CreateAccessKey', source: 'iam.amazonaws.com' }));
    const r = await collect('--since', '1h', '--region', 'us-east-1', '--user', 'bob', '--event-name', 'CreateAccessKey', '--event-source', 'iam.amazonaws.com');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()[0]).toMatchObject({ events: 2, filters: { user: 'bob', eventName: 'CreateAccessKey', eventSource: 'iam.amazonaws.com' } });
    expect(r.stderr).toContain('--user is deprecated and will be removed in the next release: use --actor');
    expect(r.stderr).toContain('--event-name is deprecated and will be removed in the next release: use --action');
    expect(r.stderr).toContain('--event-source is deprecated and will be removed in the next release: use --service');
    // Old and new name together: which one wins would be a guess.
    const both = await collect('--since', '1h', '--region', 'us-east-1', '--user', 'bob', '--actor', 'alice');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--user is the old name of --actor');
  });

  it('refuses filters it would silently ignore (--s3, --context-only, --query) with exit 2, before touching the case', async () => {
    for (const args of [
      ['--s3', 's3://bucket/prefix', '--actor', 'bob'],
      ['--context-only', '--ip', '203.0.113.7'],
      ['--lake', 'EXAMPLE-ID', '--query', 'SELECT eventJson FROM EXAMPLE-ID', '--action', 'CreateUser'],
    ]) {
      const r = await collect('--since', '1h', '--region', 'us-east-1', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/cannot be applied|do not apply|put the filters in its WHERE clause/);
    }
    expect(fake.requests('LookupEvents')).toHaveLength(0);
    expect((await runIrctl(['--case', dir, 'case', 'info'])).code).toBe(3);
  });

  it('names the missing IAM permission on AccessDenied (exit 4) and keeps the custody record', async () => {
    fake.add('us-east-1', spread('us-east-1', 3, 30, 1));
    fake.inject({ kind: 'accessDenied', op: 'LookupEvents' });
    const r = await collect('--since', '1h', '--region', 'us-east-1');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('cloudtrail:LookupEvents');
    expect(r.stderr).toMatch(/missing IAM permission/);
    const d = db();
    expect(d.prepare("SELECT COUNT(*) FROM custody WHERE action = 'collect.end'").pluck().get()).toBe(1);
    d.close();
  });

  it('exits 6 when one region fails (opt-in region not enabled) and the others succeed, saying which', async () => {
    fake.add('us-east-1', spread('us-east-1', 7, 30, 1));
    fake.inject({ kind: 'unrecognizedClient', op: 'LookupEvents', region: 'ap-east-1', times: 20 });
    const r = await collect('--since', '1h', '--region', 'us-east-1,ap-east-1');
    expect(r.code).toBe(6);
    const s = r.json()[0]!;
    expect(s.failed_regions).toEqual(['ap-east-1']);
    expect(s.events).toBe(7);
    expect(JSON.stringify(s.per_region)).toMatch(/opt-in region/);
  });

  it('reports an expired session token as a source access error', async () => {
    fake.inject({ kind: 'expiredToken', op: 'GetCallerIdentity' });
    const r = await collect('--since', '1h', '--region', 'us-east-1');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/expired/);
  });

  it('rejects an invalid window with a usage error', async () => {
    const after = await collect('--since', '1h', '--until', '2h', '--region', 'us-east-1');
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/--since .* is after --until/);
    const old = await collect('--since', '100d', '--region', 'us-east-1');
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/90 days/);
    expect(fake.seen).toHaveLength(0);
  });

  it('stays under the API limit when the fake enforces 2 requests per second', async () => {
    // GIVEN the real limit and 6 pages to read
    const strict = new FakeCloudTrail({ pageSize: 5, ratePerSec: 2 });
    const url = await strict.start();
    strict.add('us-east-1', spread('us-east-1', 28, 50, 1));
    // WHEN irctl collects at its default rate
    const r = await runIrctl(['--case', dir, '--json', 'collect', 'aws', '--no-context', '--since', '1h', '--region', 'us-east-1'], { env: envFor(url) });
    await strict.close();
    // THEN no request was throttled, requests were spaced (no burst: at most 2 in any 0.9 s) and the average rate
    // stayed at the limit
    expect(r.json()[0]).toMatchObject({ events: 28, pages: 6, throttled: 0 });
    expect(strict.maxInWindow('LookupEvents', 'us-east-1', 900)).toBeLessThanOrEqual(2);
    const at = strict.requests('LookupEvents').map((q) => q.at);
    expect((at.length - 1) / ((at[at.length - 1]! - at[0]!) / 1000)).toBeLessThanOrEqual(2.1);
  });

  it('uses the account\'s enabled regions with --all-regions', async () => {
    fake.add('us-west-2', spread('us-west-2', 2, 30, 1));
    const r = await collect('--since', '1h', '--all-regions');
    expect(r.json()[0]).toMatchObject({ regions: ['eu-west-1', 'us-east-1', 'us-west-2'], events: 2 });
  });

  it('runs the window and filters as a CloudTrail Lake query and stores each eventJson as the raw record', async () => {
    // GIVEN events in two regions (Lake queries every region of the event data store at once)
    fake.add('us-east-1', spread('us-east-1', 8, 50, 20, { name: 'CreateUser', source: 'iam.amazonaws.com' }));
    fake.add('eu-west-1', spread('eu-west-1', 4, 40, 20, { name: 'CreateUser', source: 'iam.amazonaws.com' }));
    fake.add('eu-west-1', spread('eu-west-1', 3, 40, 20, { name: 'ListUsers', source: 'iam.amazonaws.com' }));
    const eds = 'arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';
    // WHEN
    const r = await collect('--since', '1h', '--lake', eds, '--action', 'CreateUser');
    // THEN
    expect(r.code).toBe(0);
    expect(r.json()[0]).toMatchObject({ api: 'cloudtrail:Lake', events: 12 });
    const sql = fake.lakeQueries[0]!.sql;
    expect(sql).toMatch(/^SELECT eventJson FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE WHERE eventTime >= '.+' AND eventTime <= '.+' AND eventName = 'CreateUser'/);
    const d = db();
    const raws = d.prepare('SELECT event_id, raw FROM raw_records').all() as Array<{ event_id: string; raw: string }>;
    const sent = new Map([...fake.events.values()].flat().map((e) => [e.id, e.cloudTrailEvent]));
    for (const x of raws) expect(x.raw).toBe(sent.get(x.event_id));
    expect(d.prepare("SELECT COUNT(*) FROM inputs WHERE locator LIKE 'cloudtrail:Lake %'").pluck().get()).toBe(1 + 3);
    d.close();
    // WHEN run again, THEN only the late-delivery overlap is queried again
    await collect('--since', '1h', '--lake', eds, '--action', 'CreateUser');
    const again = fake.lakeQueries[1]!.sql;
    const from = /eventTime >= '([^']+)'/.exec(again)![1]!;
    expect(Date.parse(`${from.replace(' ', 'T')}Z`)).toBeGreaterThan(Date.now() - 20 * MIN);
  });

  it('keeps Lake rows without an eventJson column in quarantine (exit 6) instead of dropping them', async () => {
    // GIVEN an expert query that selects other columns
    fake.add('us-east-1', spread('us-east-1', 2, 50, 20));
    // WHEN
    const q = "SELECT eventName, eventID FROM EXAMPLE-ID WHERE eventtime >= '2000-01-01 00:00:00'";
    const r = await collect('--since', '1h', '--lake', 'EXAMPLE-ID', '--query', q);
    // THEN the query ran as given, and the rows are kept in quarantine with the reason
    expect(fake.lakeQueries[0]!.sql).toBe(q);
    expect(r.code).toBe(6);
    expect(r.json()[0]).toMatchObject({ events: 0, quarantined: 2 });
    const d = db();
    const reasons = d.prepare('SELECT reason FROM quarantine').pluck().all() as string[];
    d.close();
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/no eventJson column/);
  });

  it('prints a readable summary with each region, the totals and the new custody head', async () => {
    fake.add('us-east-1', spread('us-east-1', 3, 30, 1));
    const r = await runIrctl(['--case', dir, 'collect', 'aws', '--no-context', '--rate', '50', '--since', '1h', '--region', 'us-east-1'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^caller {4}arn:aws:iam::111122223333:user\/responder \(account 111122223333\)$/m);
    expect(r.stdout).toMatch(/^ {2}us-east-1 +ok +3 new, 0 duplicate, 1 pages/m);
    expect(r.stdout).toMatch(/^custody {3}head [0-9a-f]{64} \(entry 2\)$/m);
  });
});

