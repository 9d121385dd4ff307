/**
 * Google Cloud records that come re-shaped by an exporter or from a table, through the CLI: BigQuery log sink rows
 * (NDJSON), the Logs Explorer CSV download, and Vertex AI request-response log rows. One case for the file: the
 * BigQuery and CSV copies of an entry are the same event as the LogEntry itself (logName + timestamp + insertId),
 * stored as further raw records with origin `reshaped`; Vertex AI rows are `ai` events whose prompts the injection
 * scanner reads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/gcp-reshaped');

interface Ev {
  id: string;
  layer: string;
  class: string;
  action: string;
  actor: string | null;
  account: string | null;
  region: string | null;
  src_ip: string | null;
  outcome: string;
  error_code: string | null;
  access_key: string | null;
  resources: string[] | string;
}

interface ImportSummary {
  quarantined: number;
  conflicts: number;
  inputs: Array<{ format: string; records: number; events: number; duplicates: number; quarantined: number }>;
}

describe('Google Cloud exports re-shaped by BigQuery and the Logs Explorer, and Vertex AI rows', () => {
  let dir: string;
  let kase: string;
  let imported: { code: number; summary: ImportSummary; stderr: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-gcp-exports-'));
    kase = join(dir, 'case');
    // GIVEN the gcloud array of the incident, then the BigQuery sink rows and the Logs Explorer CSV of five of its
    // entries (and a Data Access row only BigQuery has, and a row with a bad time), then Vertex AI rows
    const r = await runIrctl([
      '--case',
      kase,
      'import',
      join(ROOT, 'fixtures/gcp-incident/activity.gcloud.json'),
      join(FIX, 'audit.bigquery.ndjson'),
      join(FIX, 'logs-explorer.csv'),
      join(FIX, 'vertex-request-response.ndjson'),
      '--json',
    ]);
    imported = { code: r.code, summary: r.json<ImportSummary>()[0]!, stderr: r.stderr };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores every copy, keeps one event per entry, quarantines the bad row', () => {
    expect(imported.code).toBe(6);
    expect(imported.summary.conflicts).toBe(0);
    expect(imported.summary.quarantined).toBe(1);
    expect(imported.summary.inputs.map((i) => [i.format, i.records, i.events, i.duplicates, i.quarantined])).toEqual([
      ['array', 108, 108, 0, 0],
      // 5 copies of gcloud entries, the Data Access row seen only here, the row with a bad time
      ['jsonl', 7, 1, 5, 1],
      // 5 copies of gcloud entries
      ['csv', 5, 0, 5, 0],
      ['jsonl', 5, 5, 0, 0],
    ]);
    expect(imported.stderr).toMatch(/audit\.bigquery\.ndjson: record 6: Cloud Audit Logs timestamp "yesterday" is not an RFC 3339 time/);
  });

  it('shows the LogEntry, its BigQuery row and its CSV row as one event, the two exports marked reshaped', async () => {
    // WHEN the key creation of the intrusion is opened
    const ev = (await runIrctl(['--case', kase, 'events', '--json'])).json<Ev>();
    const key = ev.find((e) => e.action === 'google.iam.admin.v1.CreateServiceAccountKey' && e.actor === 'bob@acme.example')!;
    const show = await runIrctl(['--case', kase, 'show', key.id]);
    // THEN it has three raw records: the native entry and two reshaped copies, each from its own input
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/raw records \(3;/);
    expect(show.stdout).toMatch(/\[1\] sha256 [0-9a-f]{64}\s+\d+ bytes\s+gcp:audit:entry\s+origin native\n\s+from\s+input 1 record 2: .*activity\.gcloud\.json/);
    expect(show.stdout).toMatch(/\[2\] .*origin reshaped\n.*\n\s+from\s+input 2 record 2: .*audit\.bigquery\.ndjson/);
    expect(show.stdout).toMatch(/\[3\] .*origin reshaped\s+\(CSV row\)/);
    // AND the owner grant read only from its BigQuery and CSV copies would say the same (policy delta from servicedata_v1_iam)
    const sink = ev.find((e) => e.action === 'google.logging.v2.ConfigServiceV2.DeleteSink')!;
    expect(sink).toMatchObject({ actor: 'terraform-admin@acme-prod.iam.gserviceaccount.com', src_ip: '198.51.100.77', access_key: '8d1f0c5a9e2b47c3a6f1d0e9b8c7a6f5e4d3c2b1' });
  });

  it('maps a row BigQuery alone holds like the entry it stands for (INT64 as text, TIMESTAMP text, nulls)', async () => {
    const ev = (await runIrctl(['--case', kase, 'events', '--json'])).json<Ev>();
    const read = ev.find((e) => e.action === 'storage.objects.get')!;
    expect(read).toMatchObject({
      time: '2026-03-09T09:25:11.402Z',
      layer: 'control_plane',
      account: 'acme-prod',
      region: 'us-central1',
      actor: 'mallory.ops@gmail.com',
      outcome: 'failure',
      error_code: 'PERMISSION_DENIED',
    });
    // AND the case's log coverage counts it as Data Access (the kind comes from the row's logName)
    const info = await runIrctl(['--case', kase, 'case', 'info']);
    expect(info.stdout).toMatch(/gcp\s+Data Access\s+1\b/);
  });

  it('reads a BigQuery row alone: the detections of the entry fire on it', async () => {
    // GIVEN only the BigQuery rows in a case
    const k2 = join(dir, 'bq-only');
    expect((await runIrctl(['--case', k2, 'import', join(FIX, 'audit.bigquery.ndjson')])).code).toBe(6);
    // WHEN detection runs
    const d = await runIrctl(['--case', k2, 'detect', '--json']);
    // THEN the rules that read request, response and service data fire as on the entries
    const threats = (await runIrctl(['--case', k2, 'threats', '--json'])).json<{ rules: string[] }>();
    expect(d.code).toBe(0);
    expect(new Set(threats.flatMap((t) => t.rules))).toEqual(
      new Set(['irctl-gcp-sa-key-created', 'irctl-gcp-sa-key-created-admin', 'irctl-gcp-iam-owner-editor-granted', 'irctl-gcp-iam-external-member', 'irctl-gcp-logging-sink-deleted']),
    );
  });

  it('reads Vertex AI rows as ai events and flags the injected prompt and the leaked key', async () => {
    const ev = (await runIrctl(['--case', kase, 'events', '--layer', 'ai', '--json'])).json<Ev>();
    expect(ev).toHaveLength(5);
    expect(ev[0]).toMatchObject({
      class: 'model_invocation',
      action: 'google.cloud.aiplatform.v1.PredictionService.GenerateContent',
      account: 'acme-prod',
      region: 'us-central1',
      actor: null,
      outcome: 'success',
    });
    expect(ev.find((e) => e.error_code === 'SAFETY')?.outcome).toBe('failure');
    expect(ev.find((e) => e.region === 'europe-west4')?.action).toBe('google.cloud.aiplatform.v1.PredictionService.Predict');
    // WHEN detection runs on the whole case
    await runIrctl(['--case', kase, 'detect']);
    const ids = (await runIrctl(['--case', kase, 'threats', '--json'])).json<{ detection_ids: string[] }>().flatMap((t) => t.detection_ids);
    const det: Array<{ rule_id: string; summary: string }> = [];
    for (const id of ids) det.push((await runIrctl(['--case', kase, 'show', `det:${id.slice(0, 16)}`, '--json'])).json<{ rule_id: string; summary: string }>()[0]!);
    const inj = det.filter((x) => x.rule_id === 'irctl-gcp-vertex-prompt-injection');
    const sec = det.filter((x) => x.rule_id === 'irctl-gcp-vertex-output-secrets');
    // THEN one call's tool result carried an injection and one output a key; the summaries name the finding, not the text
    expect(inj).toHaveLength(1);
    expect(inj[0]!.summary).toMatch(/ignore_instructions/);
    expect(inj[0]!.summary).not.toMatch(/curl/);
    expect(sec).toHaveLength(1);
    expect(sec[0]!.summary).toMatch(/aws-access-key/);
    expect(sec[0]!.summary).not.toMatch(/AKIA/);
  });
});

describe('Google Cloud VPC flow logs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-gcp-flow-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports flow LogEntries as network events that rules read through the generic network fields', async () => {
    // GIVEN flow entries of both flow log names (a single entry, JSON Lines) and one entry with a bad time
    const kase = join(dir, 'case');
    const flows = join(ROOT, 'fixtures/gcp-vpc-flow');
    const r = await runIrctl([
      '--case',
      kase,
      'import',
      join(flows, 'vpc-flow-log-w-dest-vpc.json'),
      join(flows, 'vpc-flow-log-from-computeengine.json'),
      join(flows, 'vpc-flow-log-google-service.ndjson'),
      join(flows, 'bad-flow.jsonl'),
      '--json',
    ]);
    expect(r.code).toBe(6);
    expect(r.json<ImportSummary>()[0]!.quarantined).toBe(1);
    expect(r.stderr).toMatch(/bad-flow\.jsonl: record 0: VPC flow log timestamp "not-a-time" is not an RFC 3339 time/);
    // THEN each is a network event named after the reporting VM, from its project and region
    const ev = (await runIrctl(['--case', kase, 'events', '--layer', 'network', '--json'])).json<Ev>();
    expect(ev).toHaveLength(4);
    expect(ev[0]).toMatchObject({
      class: 'network_activity',
      action: 'FLOW_IN',
      account: 'test-project-id',
      region: 'asia-south1',
      src_ip: '203.0.113.5',
      outcome: 'unknown',
      resources: ['projects/test-project-id/zones/asia-south1-c/instances/service-integration-dev-idc-ubuntu25-4'],
    });
    expect(ev.filter((e) => e.action === 'FLOW_OUT').map((e) => e.src_ip)).toEqual(['10.10.0.3']);
    // WHEN a rule asks for inbound SSH from the internet by the generic field names
    const rules = join(dir, 'rules');
    mkdirSync(rules);
    writeFileSync(
      join(rules, 'ssh-from-internet.yml'),
      [
        'title: SSH from the internet',
        'id: test-gcp-flow-ssh',
        'status: test',
        'logsource: {product: gcp, service: vpc_flows}',
        'detection:',
        '  sel: {network.dst_port: 22, network.direction: ingress, network.src_private: false, network.protocol: tcp}',
        '  condition: sel',
        'level: medium',
        'tags: [attack.t1021.004]',
        '',
      ].join('\n'),
    );
    await runIrctl(['--case', kase, 'detect', '--no-builtin', '--rules', rules]);
    // THEN it fires on the one inbound SSH flow only
    const threats = (await runIrctl(['--case', kase, 'threats', '--json'])).json<{ rules: string[]; detections: number; first_seen: string }>();
    expect(threats.map((t) => [t.rules, t.detections, t.first_seen])).toEqual([[['test-gcp-flow-ssh'], 1, '2025-09-27T21:13:28.314Z']]);
  });
});
