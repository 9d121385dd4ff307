/**
 * `irctl collect aws --bedrock-logs`: Bedrock model invocation logs from CloudWatch Logs with the real
 * @aws-sdk/client-cloudwatch-logs, against moto_server (paging across streams, checkpointed re-runs, custody page
 * hashes) and a local fake speaking the CloudWatch Logs JSON protocol (throttling retries, Ctrl-C and resume, a
 * message that is not a record, a log group that does not exist). Never the internet.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCloudTrail } from '../fakes/fake-cloudtrail.js';
import { motoStatus, startMoto, type Moto } from '../fakes/moto.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const GROUP = '/aws/bedrock/modelinvocations';
const TEMPLATE = readFileSync(resolve(import.meta.dirname, '../../fixtures/bedrock-invocation/invocations.jsonl'), 'utf8').split('\n')[0]!;
const creds = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' };
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups) c();
});

/** An invocation log record (the fixture's first line) with its own request id and time. */
function invocation(n: number, ms: number): string {
  const r = JSON.parse(TEMPLATE) as Record<string, unknown>;
  r.requestId = `7a1c0000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  r.timestamp = new Date(ms).toISOString();
  return JSON.stringify(r);
}

interface Summary {
  api: string;
  events: number;
  duplicates: number;
  quarantined: number;
  pages: number;
  throttled: number;
  interrupted: boolean;
  per_region: Array<{ region: string; status: string; events: number; pages: number; error?: { message: string } }>;
  exit_code: number;
}

const moto = motoStatus();
if (!moto.available) process.stderr.write(`skipping the moto part of the Bedrock logs collection tests: ${moto.reason}\n`);

describe.skipIf(!moto.available)('collect aws --bedrock-logs against moto_server', () => {
  let m: Moto;
  let env: NodeJS.ProcessEnv;
  const now = Date.now();

  beforeAll(async () => {
    m = await startMoto();
    env = { ...creds, AWS_ENDPOINT_URL: m.url, AWS_REGION: 'us-east-1' };
    // GIVEN a Bedrock log group with two streams: 2,100 invocations over the last three hours
    const logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: m.url, credentials: { accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY } });
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    for (const stream of ['aws/bedrock/modelinvocations/a', 'aws/bedrock/modelinvocations/b']) await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: stream }));
    const start = now - 3 * 3_600_000;
    for (let batch = 0; batch < 3; batch++) {
      for (const [si, stream] of ['aws/bedrock/modelinvocations/a', 'aws/bedrock/modelinvocations/b'].entries()) {
        const logEvents = Array.from({ length: 350 }, (_, i) => {
          const n = batch * 700 + si * 350 + i;
          const ms = start + n * 4_000;
          return { timestamp: ms, message: invocation(n, ms) };
        }).sort((a, b) => a.timestamp - b.timestamp);
        await logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, logEvents }));
      }
    }
    logs.destroy();
  }, 60_000);
  afterAll(async () => m?.stop());

  it('collects every invocation, page by page with page hashes in custody; a re-run reads only the overlap', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const kase = join(tmp.dir, 'case');
    // WHEN
    const r = await runIrctl(['--case', kase, '--json', 'collect', 'aws', '--since', '4h', '--region', 'us-east-1', '--bedrock-logs', GROUP, '--no-context', '--rate', '50'], { env });
    // THEN
    expect(r.code, r.stderr).toBe(0);
    const s = r.json<Summary>()[0]!;
    expect(s.api).toBe('logs:FilterLogEvents');
    expect(s).toMatchObject({ events: 2100, duplicates: 0, quarantined: 0, interrupted: false });
    expect(s.per_region).toEqual([expect.objectContaining({ region: `us-east-1:${GROUP}`, status: 'ok', events: 2100 })]);
    expect(s.pages).toBeGreaterThanOrEqual(5);
    const ev = (await runIrctl(['--case', kase, 'events', '--layer', 'ai', '--json'])).json<{ id: string; action: string }>();
    expect(ev).toHaveLength(2100);
    expect(ev[0]!.id).toMatch(/^bedrock:111122223333:7a1c0000-/);
    // The raw record is the log event's message, byte for byte.
    const raw = await runIrctl(['--case', kase, 'show', 'bedrock:111122223333:7a1c0000-0000-4000-8000-000000000000', '--raw']);
    expect(raw.stdout.trimEnd()).toBe(invocation(0, now - 3 * 3_600_000));
    const verify = await runIrctl(['--case', kase, 'case', 'verify', '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // The run's end entry lists the SHA-256 of every page as received.
    const db = new Database(join(kase, 'evidence.sqlite'), { readonly: true });
    const end = db.prepare("SELECT json_extract(body, '$.details') FROM custody WHERE action = 'collect.end'").pluck().get() as string;
    const pages = db.prepare("SELECT sha256 FROM input_status WHERE locator LIKE 'logs:FilterLogEvents%' ORDER BY id").pluck().all() as string[];
    db.close();
    expect(pages).toHaveLength(s.pages);
    expect((JSON.parse(end) as { results: Array<{ page_sha256: string[] }> }).results[0]!.page_sha256).toEqual(pages);

    // WHEN run again: the checkpoint covers the window up to the late-delivery overlap
    const again = await runIrctl(['--case', kase, '--json', 'collect', 'aws', '--since', '4h', '--region', 'us-east-1', '--bedrock-logs', GROUP, '--no-context', '--rate', '50'], { env });
    expect(again.code, again.stderr).toBe(0);
    const s2 = again.json<Summary>()[0]!;
    expect(s2.events).toBe(0);
    // Only the last 15 minutes (plus the seconds since) are read again: one slice, one (empty) page.
    expect(s2.pages).toBe(1);
    expect(s2.duplicates).toBe(0);
  }, 120_000);
});

/** A CloudWatch Logs fake (JSON protocol): pages of `pageSize` events in time order; scripted faults. */
class FakeLogs {
  server: Server | undefined;
  url = '';
  requests: Array<{ startTime: number; endTime: number; nextToken?: string }> = [];
  events: Array<{ timestamp: number; message: string }> = [];
  throttleFirst = 0;
  onRequest: ((n: number) => void) | undefined;
  pageSize = 2;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const c of req) body += String(c);
    const target = String(req.headers['x-amz-target'] ?? '');
    const send = (status: number, o: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(o));
    };
    if (target !== 'Logs_20140328.FilterLogEvents') return send(400, { __type: 'UnknownOperationException', message: target });
    const q = JSON.parse(body) as { logGroupName: string; startTime: number; endTime: number; nextToken?: string; limit?: number };
    this.requests.push({ startTime: q.startTime, endTime: q.endTime, ...(q.nextToken ? { nextToken: q.nextToken } : {}) });
    this.onRequest?.(this.requests.length);
    if (this.throttleFirst > 0) {
      this.throttleFirst--;
      return send(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    }
    if (q.logGroupName !== GROUP) return send(400, { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
    const match = this.events.filter((e) => e.timestamp >= q.startTime && e.timestamp <= q.endTime);
    const from = q.nextToken ? Number(q.nextToken) : 0;
    const page = match.slice(from, from + this.pageSize);
    const next = from + this.pageSize < match.length ? String(from + this.pageSize) : undefined;
    send(200, {
      events: page.map((e, i) => ({ logStreamName: 's', timestamp: e.timestamp, ingestionTime: e.timestamp, message: e.message, eventId: `${e.timestamp}-${from + i}` })),
      ...(next ? { nextToken: next } : {}),
    });
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('collect aws --bedrock-logs against a CloudWatch Logs fake', () => {
  let sts: FakeCloudTrail;
  let logs: FakeLogs;
  let env: NodeJS.ProcessEnv;
  const now = Date.now();
  const base = now - 5 * 3_600_000;

  beforeAll(async () => {
    sts = new FakeCloudTrail({ ratePerSec: 0 });
    const stsUrl = await sts.start();
    logs = new FakeLogs();
    const logsUrl = await logs.start();
    // One invocation every 20 minutes over five hours, and a message that is not a record.
    logs.events = Array.from({ length: 15 }, (_, i) => ({ timestamp: base + i * 1_200_000, message: invocation(5000 + i, base + i * 1_200_000) }));
    logs.events.push({ timestamp: base + 100_000, message: 'Bedrock log delivery test: not JSON' });
    logs.events.sort((a, b) => a.timestamp - b.timestamp);
    env = { ...creds, AWS_ENDPOINT_URL: stsUrl, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logsUrl, AWS_REGION: 'us-east-1', IRCTL_RETRY_BASE_MS: '5' };
  });
  afterAll(async () => {
    await logs.stop();
    await sts.close();
  });

  it('retries throttling, stops cleanly on Ctrl-C and resumes at the first incomplete slice; a bad message is quarantined', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const kase = join(tmp.dir, 'case');
    const args = ['--case', kase, '--json', 'collect', 'aws', '--since', '6h', '--bedrock-logs', GROUP, '--no-context', '--rate', '100'];
    // GIVEN two throttled answers first, and Ctrl-C while the 8th request is answered
    logs.throttleFirst = 2;
    const controller = new AbortController();
    logs.onRequest = (n) => {
      if (n === 8) controller.abort();
    };
    // WHEN
    const r1 = await runIrctl(args, { env, signal: controller.signal });
    // THEN what was stored stays, and the run says it was interrupted
    expect(r1.code, r1.stderr).toBe(130);
    const s1 = r1.json<Summary>()[0]!;
    expect(s1.throttled).toBe(2);
    expect(s1.interrupted).toBe(true);
    const firstRun = logs.requests.length;
    const stored = s1.events;
    expect(stored).toBeGreaterThan(0);

    // WHEN run again
    logs.onRequest = undefined;
    const r2 = await runIrctl(args, { env });
    // THEN it resumes after the slices already complete, keeps every invocation once, quarantines the bad message
    expect(r2.code, r2.stderr).toBe(0);
    const s2 = r2.json<Summary>()[0]!;
    expect(stored + s2.events).toBe(15);
    // The bad message sits in the first slice, read (and quarantined, with its reason) by the first run.
    expect(s1.quarantined).toBe(1);
    const q = (await runIrctl(['--case', kase, 'case', 'quarantine', '--json'])).json<{ reason: string }>();
    expect(q).toHaveLength(1);
    expect(q[0]!.reason).toMatch(/is not valid JSON/);
    const resumedAt = logs.requests[firstRun]!.startTime;
    expect(resumedAt).toBeGreaterThan(now - 6 * 3_600_000 + 3_600_000 - 1);
    const ev = (await runIrctl(['--case', kase, 'events', '--layer', 'ai', '--json'])).json<{ id: string }>();
    expect(ev).toHaveLength(15);
  }, 60_000);

  it('a log group that does not exist is a source access error (exit 4) naming the group', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const kase = join(tmp.dir, 'case');
    const r = await runIrctl(['--case', kase, 'collect', 'aws', '--since', '1h', '--bedrock-logs', '/aws/bedrock/typo', '--no-context'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('log group /aws/bedrock/typo does not exist in us-east-1');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('refuses what it cannot do: filters, --s3 together, a malformed group (exit 2)', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const kase = join(tmp.dir, 'case');
    const a = await runIrctl(['--case', kase, 'collect', 'aws', '--bedrock-logs', GROUP, '--actor', 'alice'], { env });
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--bedrock-logs stores every invocation log record of the window');
    const b = await runIrctl(['--case', kase, 'collect', 'aws', '--bedrock-logs', GROUP, '--s3', 's3://b/p'], { env });
    expect(b.code).toBe(2);
    const c = await runIrctl(['--case', kase, 'collect', 'aws', '--bedrock-logs', 'bad group!'], { env });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('is not a log group name or ARN');
  });
});
