/**
 * Importing Google Cloud exports through the CLI: gcloud arrays, Cloud Storage sink JSON Lines, entries:list pages,
 * Pub/Sub push envelopes and pull responses. One case for the file; every shape lands as `gcp:audit:entry` events,
 * the same entry seen in two shapes is one event, malformed records are quarantined (exit 6).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/gcp-audit');

interface Ev {
  id: string;
  provider: string;
  layer: string;
  class: string;
  action: string;
  actor: string | null;
  actor_type: string | null;
  service: string | null;
  account: string | null;
  src_ip: string | null;
  user_agent: string | null;
  outcome: string;
  read_only: number | boolean | null;
  resources: string[] | string;
}

describe('import of Google Cloud audit log exports', () => {
  let dir: string;
  let kase: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-gcp-import-'));
    kase = join(dir, 'case');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every shape, keeps one event per entry, quarantines the malformed ones', async () => {
    // GIVEN a gcloud array, an entries:list page, Pub/Sub push envelopes (JSON Lines) and a pull response holding
    // the same three entries, and a sink folder with one malformed line
    // WHEN they are imported into one case
    const r = await runIrctl([
      '--case',
      kase,
      'import',
      join(FIX, 'gcloud-logging-read.json'),
      join(FIX, 'entries-page.json'),
      join(FIX, 'pubsub-push.jsonl'),
      join(FIX, 'pubsub-pull.json'),
      join(FIX, 'sink'),
      '--json',
    ]);
    // THEN each file's format is recognised, the malformed sink line and the non-JSON Pub/Sub message are in quarantine
    expect(r.code).toBe(6);
    const s = r.json<{ quarantined: number; inputs: Array<{ format: string; records: number; events: number; duplicates: number }> }>()[0]!;
    expect(s.quarantined).toBe(2);
    expect(s.inputs.map((i) => [i.format, i.records, i.events, i.duplicates])).toEqual([
      ['array', 3, 3, 0],
      ['entries', 2, 0, 2],
      ['jsonl', 4, 0, 3],
      ['pubsub-pull', 1, 0, 1],
      ['jsonl', 7, 6, 0],
    ]);
    expect(r.stderr).toMatch(/Pub\/Sub message 4410000000009: decoded "data" is not JSON/);
    expect(r.stderr).toMatch(/not-a-time/);
    // AND the same entry read through four shapes is one event (insertId + logName + timestamp)
    const ev = (await runIrctl(['--case', kase, 'events', '--json'])).json<Ev>();
    expect(ev).toHaveLength(3 + 6);
    expect(new Set(ev.map((e) => e.provider))).toEqual(new Set(['gcp']));
    const topic = ev.find((e) => e.action === 'google.pubsub.v1.Publisher.CreateTopic')!;
    expect(topic).toMatchObject({
      layer: 'control_plane',
      class: 'api_activity',
      service: 'pubsub',
      account: 'test-project',
      actor: 'robot@test-project.iam.gserviceaccount.com',
      actor_type: 'ServiceAccount',
      src_ip: '192.168.0.1',
      user_agent: 'google-cloud-sdk',
      outcome: 'success',
    });
    expect(topic.id).toMatch(/^gcp:[0-9a-f]{32}$/);
  });

  it('stores the decoded LogEntry bytes of a Pub/Sub message as the raw record', async () => {
    // GIVEN Pub/Sub push envelopes alone in a case
    const k2 = join(dir, 'pubsub-case');
    expect((await runIrctl(['--case', k2, 'import', join(FIX, 'pubsub-push.jsonl')])).code).toBe(6);
    // WHEN the BigQuery entry is listed with its request details (read from the stored raw record)
    const ev = (await runIrctl(['--case', k2, 'events', '--full', '--json'])).json<Ev & { request?: unknown }>();
    const bq = ev.find((e) => e.action === 'jobservice.jobcompleted')!;
    // THEN they come from the LogEntry (the raw record is the decoded data, not the envelope), with its caller's IPv6 address
    expect(JSON.stringify(bq)).toContain('query_job_completed');
    expect(bq.src_ip).toBe('2620:15c:0:200:1a75:e914:115b:e970');
  });

  it('says Avro and Parquet exports are not read', async () => {
    // GIVEN an Avro object container file (BigQuery / Cloud Storage Avro export)
    const avro = join(dir, 'export.avro');
    writeFileSync(avro, Buffer.concat([Buffer.from('Obj\x01', 'latin1'), Buffer.alloc(32)]));
    const r = await runIrctl(['--case', kase, 'import', avro]);
    // THEN a clear message, nothing stored
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/an Avro file \(Avro exports are not read: export newline-delimited JSON instead\)/);
    expect(readFileSync(avro).length).toBe(36);
  });
});
