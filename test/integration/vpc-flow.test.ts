/**
 * VPC flow logs through the CLI (issue 16, network layer): an S3-delivered `.log.gz` with the default header, a custom
 * version 5 format, headerless CloudWatch Logs lines and an export-task file (timestamp-prefixed), the Transit
 * Gateway / ECS / NODATA samples of the OpenTelemetry test data, and a file with cut lines, all in one directory with
 * auto-detected formats. Checks the events (layer, action, outcome, source, the interface as resource), that the same
 * line read from S3 and from CloudWatch Logs is one event, that `show --raw` prints the line byte for byte, that bad
 * lines are quarantined with their reason (exit 6), and that `case verify` re-normalizes every row.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl, type RunResult } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FLOW = join(ROOT, 'fixtures/aws-vpc-flow/logs');

interface EventJson {
  id: string;
  time: string;
  provider: string;
  layer: string;
  class: string;
  service: string;
  action: string;
  src_ip: string | null;
  outcome: string;
  region: string | null;
  account: string | null;
  resources: string[];
}

describe('VPC flow logs', () => {
  let dir: string;
  let kase: string;
  let imported: RunResult;
  let events: EventJson[];
  const irctl = (...args: string[]) => runIrctl(['--case', kase, ...args]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-vpcflow-'));
    kase = join(dir, 'case');
    imported = await irctl('import', FLOW, '--json');
    events = (await irctl('events', '--layer', 'network', '--json')).json<EventJson>();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports every format, keeps the good lines and quarantines the cut ones (exit 6)', () => {
    // GIVEN 8 files (21 lines); WHEN imported; THEN 15 flows, 4 copies of known flows, 2 bad lines.
    expect(imported.code).toBe(6);
    const s = imported.json<{ records: number; events: number; duplicates: number; quarantined: number; inputs: Array<{ path: string; format: string; status: string }> }>()[0];
    expect(s).toMatchObject({ records: 21, events: 15, duplicates: 4, quarantined: 2 });
    expect(new Set(s?.inputs.map((f) => f.format))).toEqual(new Set(['vpcflow']));
    expect(s?.inputs.find((f) => f.path.endsWith('bad-lines.log'))?.status).toBe('partial');
    expect(imported.stderr).toContain('bad-lines.log: row 2 (line 3): has 6 field(s) but the header names 14');
    expect(imported.stderr).toContain('row 3 (line 4): flow log line has no start or end time');
    expect(events).toHaveLength(15);
  });

  it('maps a flow to the network layer with its source, action, outcome and interface', () => {
    const rejected = events.filter((e) => e.action === 'REJECT');
    expect(rejected.map((e) => e.src_ip).sort()).toEqual(['198.51.100.7', '198.51.100.7', '198.51.100.9']);
    expect(rejected.every((e) => e.outcome === 'failure')).toBe(true);
    const egress = events.find((e) => e.time === '2026-11-20T10:01:00.000Z' && e.action === 'ACCEPT');
    expect(egress).toMatchObject({
      provider: 'aws',
      layer: 'network',
      class: 'network_activity',
      service: 'vpc',
      src_ip: '10.0.1.23',
      outcome: 'success',
      account: '111122223333',
      resources: ['eni-0a1b2c3d4e5f60718'],
    });
    // v5 custom format: region from the record; NODATA / SKIPDATA lines are events of their own (missing evidence).
    expect(events.filter((e) => e.region === 'us-east-1' && e.service === 'vpc')).toHaveLength(3);
    expect(events.filter((e) => e.action === 'NODATA' || e.action === 'SKIPDATA').map((e) => e.outcome)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(events.some((e) => e.service === 'transit-gateway')).toBe(true);
  });

  it('is one event when the same line comes from S3 and from CloudWatch Logs (plain or export-task prefixed)', async () => {
    const e = events.find((x) => x.time === '2026-11-20T10:01:00.000Z' && x.action === 'ACCEPT') as EventJson;
    const shown = await irctl('show', e.id, '--json');
    const raws = (shown.json<{ copies: Array<{ sha256: string }> }>()[0]?.copies ?? []).length;
    // The S3 line and the CloudWatch message are byte-identical (one raw record); the export-task line has a
    // timestamp before it (a second raw record of the same event).
    expect(raws).toBe(2);
  });

  it('prints the line byte for byte with show --raw', async () => {
    const e = events.find((x) => x.src_ip === '198.51.100.9') as EventJson;
    const raw = await irctl('show', e.id, '--raw');
    expect(raw.code).toBe(0);
    const line = readFileSync(join(FLOW, 'custom-v5.log'), 'utf8').split('\n')[3];
    expect(raw.stdout.replace(/\n$/, '')).toBe(line);
  });

  it('verifies: every stored line normalizes again to the same event', async () => {
    const v = await irctl('case', 'verify');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('15 re-normalized');
  });
});
