/**
 * issue 2 item 3: `irctl import` for every shape CloudTrail comes in, format forcing, idempotency and record identity.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir, type RunResult } from '../helpers/run-irctl.js';
import { ctRecord, ctRecords, s3LogText, writeFile, writeGz } from '../helpers/cloudtrail.js';

interface Summary {
  files: number;
  records: number;
  events: number;
  duplicates: number;
  quarantined: number;
  inputs: Array<{ path: string; format: string; status: string; sha256: string | null }>;
}
interface EventJson {
  id: string;
  time: string;
  provider: string;
  layer: string;
  action: string;
  actor: string | null;
  src_ip: string | null;
  outcome: string;
  raw_sha256: string;
}

const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');

let dir: string;
let cleanup: () => void;
let caseDir: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  caseDir = join(dir, 'case');
});
afterEach(() => cleanup());

async function importJson(...args: string[]): Promise<{ run: RunResult; summary: Summary }> {
  const run = await runIrctl(['--case', caseDir, 'import', ...args, '--json']);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return { run, summary: run.json<Summary>()[0] as Summary };
}

async function events(...filters: string[]): Promise<EventJson[]> {
  const r = await runIrctl(['--case', caseDir, 'events', '--json', ...filters]);
  expect(r.code).toBe(0);
  return r.json<EventJson>();
}

describe('irctl import: input shapes', () => {
  it('imports an S3 log file (.json) and stores each record byte-exact', async () => {
    // GIVEN the real cloudtrail2sightings export
    const path = fixture('cloudtrail', 's3-records-cloudtrail-delete.json');
    // WHEN
    const { run, summary } = await importJson(path);
    // THEN
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ files: 1, records: 1, events: 1, duplicates: 0, quarantined: 0 });
    expect(summary.inputs[0]).toMatchObject({ format: 'records', status: 'ok', sha256: sha256(readFileSync(path)) });
    const [e] = await events();
    expect(e).toMatchObject({ id: '9335e411-4cb7-4617-9c00-12012a9c3eac', action: 'DeleteTrail', provider: 'aws', layer: 'control_plane' });
    // The raw record is the exact byte slice of the element in the file.
    const text = readFileSync(path, 'utf8');
    const start = text.indexOf('[') + 1;
    const slice = text.slice(start, text.lastIndexOf(']')).trim();
    expect(e?.raw_sha256).toBe(sha256(slice));
  });

  it('imports an S3 log file (.json.gz); the input hash covers the compressed bytes', async () => {
    const path = fixture('cloudtrail', 's3-records-secretsmanager.json.gz');
    const { run, summary } = await importJson(path);
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ files: 1, records: 10, events: 10, quarantined: 0 });
    expect(summary.inputs[0]?.sha256).toBe(sha256(readFileSync(path)));
    expect((JSON.parse(gunzipSync(readFileSync(path)).toString()) as { Records: unknown[] }).Records).toHaveLength(10);
    expect(await events()).toHaveLength(10);
  });

  it('walks a whole AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd tree and ignores digest files', async () => {
    // GIVEN two regions, two days, plus the CloudTrail-Digest files CloudTrail writes next to the logs
    const root = join(dir, 'AWSLogs');
    const acct = join(root, '111122223333');
    writeGz(join(acct, 'CloudTrail', 'us-east-1', '2024', '03', '01', '111122223333_CloudTrail_us-east-1_20240301T1000Z_a1.json.gz'), s3LogText(ctRecords(5, 0)));
    writeGz(join(acct, 'CloudTrail', 'us-east-1', '2024', '03', '02', '111122223333_CloudTrail_us-east-1_20240302T1000Z_b2.json.gz'), s3LogText(ctRecords(5, 5)));
    writeGz(join(acct, 'CloudTrail', 'eu-west-1', '2024', '03', '01', '111122223333_CloudTrail_eu-west-1_20240301T1000Z_c3.json.gz'), s3LogText(ctRecords(4, 10)));
    writeGz(
      join(acct, 'CloudTrail-Digest', 'us-east-1', '2024', '03', '01', '111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T1000Z.json.gz'),
      JSON.stringify({ awsAccountId: '111122223333', digestStartTime: '2024-03-01T09:00:00Z', logFiles: [] }),
    );
    // WHEN
    const { run, summary } = await importJson(root);
    // THEN 3 log files, 14 events, the digest not imported (and not quarantined)
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ files: 3, records: 14, events: 14, quarantined: 0 });
    expect(run.stderr).toMatch(/CloudTrail-Digest.*digest file \(integrity data, not events\)/);
    expect(await events()).toHaveLength(14);
  });

  it('imports lookup-events output: the CloudTrailEvent string is the raw record', async () => {
    const path = fixture('cloudtrail', 'lookup-events.json');
    const { run, summary } = await importJson(path);
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ files: 1, records: 1, events: 1, quarantined: 0 });
    expect(summary.inputs[0]?.format).toBe('lookup');
    const [e] = await events();
    const inner = (JSON.parse(readFileSync(path, 'utf8')) as { Events: Array<{ CloudTrailEvent: string }> }).Events[0]?.CloudTrailEvent ?? '';
    expect(e).toMatchObject({
      id: '654ccbc0-ba0d-486a-9076-dbf7274677a7',
      time: '2016-01-26T21:42:12.000Z',
      action: 'ConsoleLogin',
      layer: 'identity',
      actor: 'arn:aws:sts::123456789012:assumed-role/my-role/my-session-name',
      src_ip: '72.21.198.70',
      outcome: 'success',
      raw_sha256: sha256(inner),
    });
  });

  it('imports a bare JSON array', async () => {
    const { run, summary } = await importJson(fixture('cloudtrail', 'stratus-iam-create-admin-user.json'));
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ records: 3, events: 3, quarantined: 0 });
    expect((await events()).map((e) => e.action).sort()).toEqual(['AttachUserPolicy', 'CreateAccessKey', 'CreateUser']);
  });

  it('imports JSON Lines, one event per line', async () => {
    const path = writeFile(join(dir, 'events.jsonl'), `${ctRecords(4).map((r) => JSON.stringify(r)).join('\n')}\n`);
    const { run, summary } = await importJson(path);
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ records: 4, events: 4, quarantined: 0 });
    expect(summary.inputs[0]?.format).toBe('jsonl');
  });

  it('imports EventBridge envelopes (one pretty-printed, and JSON Lines); the whole envelope is the raw record', async () => {
    const one = fixture('cloudtrail', 'eventbridge-envelope.json');
    const lines = fixture('cloudtrail', 'eventbridge-envelopes.jsonl');
    const { run, summary } = await importJson(one, lines);
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ files: 2, records: 3, events: 3, quarantined: 0 });
    const all = await events();
    const attach = all.find((e) => e.action === 'AttachUserPolicy');
    expect(attach).toMatchObject({ id: 'b7f3c1d2-8e9a-4f5b-a6c7-d8e9f0a1b2c3', time: '2024-03-01T10:20:04.000Z', actor: 'arn:aws:iam::111122223333:user/alice' });
    expect(attach?.raw_sha256).toBe(sha256(readFileSync(one, 'utf8').trim()));
    const logins = all.filter((e) => e.action === 'ConsoleLogin');
    expect(logins.map((e) => e.outcome).sort()).toEqual(['failure', 'success']);
  });

  it('keeps every record of a container with missing commas, with one warning and no quarantine', async () => {
    const path = fixture('cloudtrail', 's3-records-missing-comma.json');
    const { run, summary } = await importJson(path);
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ records: 3, events: 3, quarantined: 0 });
    expect(run.stderr.match(/missing ","/g)).toHaveLength(1);
    expect(run.stderr).toContain('(and 1 more like it)');
  });
});

describe('irctl import --format', () => {
  it('forces a format the name and content do not reveal', async () => {
    // GIVEN JSON Lines whose first line is broken, so detection alone would not see JSON Lines
    const recs = ctRecords(3).map((r) => JSON.stringify(r));
    const path = writeFile(join(dir, 'export.txt'), `{"eventName": broken\n${recs.join('\n')}\n`);
    // WHEN forced
    const { run, summary } = await importJson(path, '--format', 'jsonl');
    // THEN the broken line alone is quarantined
    expect(run.code).toBe(6);
    expect(summary).toMatchObject({ records: 4, events: 3, quarantined: 1 });
    expect(run.stderr).toContain(`${path}: record 0: is not valid JSON`);
  });

  it('reports a forced format that does not match the file', async () => {
    const { run, summary } = await importJson(fixture('cloudtrail', 'stratus-iam-create-admin-user.json'), '--format', 'records');
    expect(run.code).toBe(6);
    expect(summary).toMatchObject({ events: 0, quarantined: 1 });
    expect(run.stderr).toMatch(/input is not a JSON object/);
  });

  it('rejects an unknown format as a usage error', async () => {
    const run = await runIrctl(['--case', caseDir, 'import', fixture('cloudtrail', 'lookup-events.json'), '--format', 'xml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/xml/);
  });
});

describe('irctl import: identity and idempotency', () => {
  it('importing the same files twice leaves the event count unchanged and counts duplicates', async () => {
    // GIVEN
    const paths = [fixture('cloudtrail', 's3-records-secretsmanager.json.gz'), fixture('cloudtrail', 'stratus-iam-create-admin-user.json')];
    const first = await importJson(...paths);
    expect(first.summary).toMatchObject({ events: 13, duplicates: 0 });
    // WHEN
    const second = await importJson(...paths);
    // THEN
    expect(second.run.code).toBe(0);
    expect(second.summary).toMatchObject({ records: 13, events: 0, duplicates: 13, quarantined: 0 });
    expect(await events()).toHaveLength(13);
    const info = (await runIrctl(['--case', caseDir, 'case', 'info', '--json'])).json<{ stats: { raw_records: number; inputs: number } }>()[0];
    expect(info?.stats.raw_records).toBe(13); // byte-identical copies are stored once
    expect(info?.stats.inputs).toBe(4); // but every input read is recorded
  });

  it('the same event seen as an S3 element and as a LookupEvents string is one event, both copies kept', async () => {
    // GIVEN one record serialized two ways: compact in an S3 file, and pretty in a LookupEvents CloudTrailEvent string
    const rec = ctRecord(7, { who: 'ci-role', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' });
    const s3 = writeFile(join(dir, 's3.json'), s3LogText([rec]));
    const pretty = JSON.stringify(rec, null, 1);
    const lookup = writeFile(
      join(dir, 'lookup.json'),
      JSON.stringify({ Events: [{ EventId: rec.eventID, EventName: 'CreateUser', CloudTrailEvent: pretty }] }, null, 2),
    );
    // WHEN
    const a = await importJson(s3);
    const b = await importJson(lookup);
    // THEN one event; the second sighting is a duplicate whose differing bytes are kept as another raw record
    expect(a.summary.events).toBe(1);
    expect(b.summary).toMatchObject({ events: 0, duplicates: 1 });
    const all = await events();
    expect(all).toHaveLength(1);
    expect(all[0]?.raw_sha256).toBe(sha256(JSON.stringify(rec)));
    const info = (await runIrctl(['--case', caseDir, 'case', 'info', '--json'])).json<{ stats: { raw_records: number }; conflicts: number }>()[0];
    expect(info?.stats.raw_records).toBe(2);
    const verify = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
    expect(verify.code).toBe(0);
    expect(verify.json<{ conflicts: string[] }>()[0]?.conflicts).toEqual([]);
  });

  it('a record whose content disagrees with a stored record of its event id is another event, reported as a conflict', async () => {
    const rec = ctRecord(3);
    const forged = { ...rec, sourceIPAddress: '198.51.100.99' };
    await importJson(writeFile(join(dir, 'a.json'), s3LogText([rec])));
    const b = await importJson(writeFile(join(dir, 'b.json'), s3LogText([forged])));
    expect(b.run.code).toBe(6);
    expect(b.summary).toMatchObject({ events: 1, duplicates: 0, conflicts: 1 });
    const derived = `${String(rec.eventID)}#${sha256(JSON.stringify(forged)).slice(0, 12)}`;
    expect((await events()).map((e) => e.id).sort()).toEqual([String(rec.eventID), derived].sort());
    const verify = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
    expect(verify.code).toBe(6);
    expect(verify.json<{ conflicts: string[] }>()[0]?.conflicts[0]).toContain(`event id ${String(rec.eventID)} is carried by 2 records that disagree, kept as 2 events`);
    expect(verify.json<{ conflicts: string[] }>()[0]?.conflicts[0]).toContain(`${derived} (raw record 2; differs in src_ip)`);
  });

  it('records each run in the custody log and prints the new chain head', async () => {
    const path = join(dir, 'copy.json');
    copyFileSync(fixture('cloudtrail', 'lookup-events.json'), path);
    const run = await runIrctl(['--case', caseDir, 'import', path]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/custody\s+head [0-9a-f]{64} \(entry 2\)/);
    expect(run.stdout).toMatch(/events\s+1 new, 0 duplicate/);
  });
});

describe('irctl import: parser thread', () => {
  it('the built CLI (parsing on a worker thread) stores exactly what the in-thread parser stores', async () => {
    const { spawnIrctl } = await import('../helpers/run-irctl.js');
    const { symlinkSync } = await import('node:fs');
    // GIVEN a tree mixing every shape with bad input
    const tree = join(dir, 'tree');
    copyFileSync(fixture('cloudtrail', 'lookup-events.json'), writeFile(join(tree, 'a', 'lookup.json'), ''));
    copyFileSync(fixture('cloudtrail', 's3-records-secretsmanager.json.gz'), writeFile(join(tree, 'a', 's3.json.gz'), ''));
    copyFileSync(fixture('cloudtrail', 's3-records-missing-comma.json'), writeFile(join(tree, 'b', 'comma.json'), ''));
    writeFile(join(tree, 'b', 'lines.jsonl'), `${JSON.stringify(ctRecord(1))}\n{"broken\n${JSON.stringify(ctRecord(2))}\n`);
    writeFile(join(tree, 'b', 'empty.json'), '');
    symlinkSync(join(dir, 'missing'), join(tree, 'b', 'dangling.json'));
    const runs: Array<{ code: number; summary: Record<string, unknown>; events: string; quarantine: string }> = [];
    for (const threads of ['1', '0']) {
      const c = join(dir, `case-${threads}`);
      // WHEN imported with and without the worker thread
      const r = await spawnIrctl(['--case', c, 'import', tree, '--json'], { env: { IRCTL_IMPORT_THREADS: threads } });
      const { run_id: _r, custody_head: _h, ...summary } = JSON.parse(r.stdout) as Record<string, unknown>;
      const ev = await runIrctl(['--case', c, 'events', '--json']);
      const q = await runIrctl(['--case', c, 'case', 'quarantine', '--json']);
      runs.push({ code: r.code, summary, events: ev.stdout, quarantine: q.stdout.replace(/"run_id":"[^"]+"/g, '') });
    }
    // THEN identical results
    expect(runs[0]?.code).toBe(6);
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]?.summary).toMatchObject({ files: 5, skipped: 1, events: 16, quarantined: 3 });
  });
});
