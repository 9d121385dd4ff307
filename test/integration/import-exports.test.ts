/**
 * issue 12 item 9 and issue 10 "Rows from tables": SIEM, pipeline and console exports of CloudTrail import through
 * the CLI with `--format auto`, detections fire on them as on native CloudTrail, and each raw record says whether it
 * is CloudTrail's own bytes (`native`) or an export's re-shaping (`reshaped`) in `show`, `case info` and the bundle.
 * Fixtures: fixtures/cloudtrail-exports/ (one file per shape, each with an AttachUserPolicy AdministratorAccess and a
 * StopLogging event; event ids start with a per-shape prefix).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../helpers/export-case.js';
import { fixtureFiles, showEvent } from '../helpers/fixture-files.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

interface Shown {
  event: { id: string; action: string };
  copies: Array<{ origin: string; raw_bytes: number; header?: { columns: string[] } }>;
  detections: Array<{ rule_id: string }>;
}

const SHAPES = [
  // file, event id prefix, origin, whether requestParameters survive the export (the admin-policy rule reads them)
  { file: 'logstash.jsonl', prefix: '1a1a1a1a', origin: 'reshaped', params: true },
  { file: 'elastic-event-original.ndjson', prefix: '2b2b2b2b', origin: 'native', params: true },
  { file: 'elastic-ecs.json', prefix: '3c3c3c3c', origin: 'reshaped', params: true },
  { file: 'splunk-export.json', prefix: '4d4d4d4d', origin: 'native', params: true },
  { file: 'console-event-history.json', prefix: '5e5e5e5e', origin: 'reshaped', params: false },
  { file: 'console-event-history.csv', prefix: '6f6f6f6f', origin: 'reshaped', params: false },
] as const;

const id = (prefix: string, n: number): string => `${prefix}-0000-4000-8000-00000000000${n}`;

let dir: string;
let cleanup: () => void;
let kase: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  kase = join(dir, 'case');
  // GIVEN every export shape in one directory, imported with format detection
  const imp = await runIrctl(['--case', kase, 'import', ...fixtureFiles('cloudtrail-exports'), '--json']);
  expect(imp.code, imp.stderr).toBe(0);
  const s = imp.json<{ events: number; quarantined: number; inputs: Array<{ path: string; format: string }> }>()[0]!;
  expect(s).toMatchObject({ events: 12, quarantined: 0 });
  const formats: Record<string, string> = Object.fromEntries(s.inputs.map((o) => [o.path.split('/').pop() ?? '', o.format]));
  expect(formats).toMatchObject({ 'console-event-history.csv': 'csv', 'logstash.jsonl': 'jsonl', 'elastic-ecs.json': 'array' });
  const det = await runIrctl(['--case', kase, 'detect']);
  expect(det.code, det.stderr).toBe(0);
}, 60_000);
afterAll(() => cleanup());

function show(eventId: string): Promise<Shown> {
  return showEvent<Shown>(kase, eventId);
}

describe('CloudTrail exports', () => {
  it.each(SHAPES)('$file: detections fire as on native CloudTrail, origin $origin', async ({ prefix, origin, params }) => {
    // WHEN the StopLogging and AttachUserPolicy events of the shape are shown
    const stop = await show(id(prefix, 2));
    const attach = await show(id(prefix, 1));
    // THEN the tampering rule fired (eventSource/eventName), and the admin-policy rule where the export kept the
    // request parameters (it reads requestParameters.policyArn from the record)
    expect(stop.event.action).toBe('StopLogging');
    expect(stop.detections.map((d) => d.rule_id)).toContain('irctl-aws-cloudtrail-stopped');
    expect(attach.detections.map((d) => d.rule_id).includes('irctl-aws-iam-admin-policy-attached')).toBe(params);
    // AND the raw record says what it is
    expect(stop.copies.map((c) => c.origin)).toEqual([origin]);
  });

  it('show names the origin, and --raw prints the bytes the evidence is (the record a SIEM carried as text, a CSV row)', async () => {
    const text = await runIrctl(['--case', kase, 'show', id('3c3c3c3c', 2)]);
    expect(text.stdout).toMatch(/origin reshaped/);
    expect(text.stdout).toContain("reshaped by an export: not the provider's original bytes");
    const csv = await runIrctl(['--case', kase, 'show', id('6f6f6f6f', 2)]);
    expect(csv.stdout).toMatch(/origin reshaped\s+\(CSV row\)/);
    expect(csv.stdout).toContain('columns: Event name, Event time, User name, Event source');

    // Splunk: raw = the _raw string's bytes (native)
    const splunkLine = readFileSync(fixture('cloudtrail-exports', 'splunk-export.json'), 'utf8').split('\n')[1]!;
    const splunkRaw = (JSON.parse(splunkLine) as { result: { _raw: string } }).result._raw;
    const raw = await runIrctl(['--case', kase, 'show', id('4d4d4d4d', 2), '--raw']);
    expect(raw.stdout).toBe(splunkRaw);
    // Elastic with event.original: raw = event.original's bytes (native)
    const hit = JSON.parse(readFileSync(fixture('cloudtrail-exports', 'elastic-event-original.ndjson'), 'utf8').split('\n')[0]!) as { _source: { event: { original: string } } };
    expect((await runIrctl(['--case', kase, 'show', id('2b2b2b2b', 1), '--raw'])).stdout).toBe(hit._source.event.original);
    // Console CSV: raw = the row's bytes, without its line end; stderr says it is reshaped and names the columns
    const rawCsv = await runIrctl(['--case', kase, 'show', id('6f6f6f6f', 2), '--raw']);
    const row = readFileSync(fixture('cloudtrail-exports', 'console-event-history.csv'), 'utf8').split('\r\n')[2]!;
    expect(rawCsv.stdout).toBe(row);
    expect(rawCsv.stderr).toContain('origin reshaped');
  });

  it('case info counts reshaped raw records; the bundle carries origin and verifies', async () => {
    const info = (await runIrctl(['--case', kase, 'case', 'info', '--json'])).json<{ stats: { raw_records: number; reshaped_raw_records: number } }>()[0]!;
    expect(info.stats).toMatchObject({ raw_records: 12, reshaped_raw_records: 8 });
    const human = await runIrctl(['--case', kase, 'case', 'info']);
    expect(human.stdout).toMatch(/raw origin\s+4 native, 8 reshaped/);

    const out = join(dir, 'exports.bundle.tar.gz');
    const exp = await runIrctl(['--case', kase, 'export', '--all', '--out', out]);
    expect(exp.code, exp.stderr).toBe(0);
    const v = await runIrctl(['--case', kase, 'verify', out]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const members = await readBundle(out);
    const raws = members
      .get('evidence/raw-records.ndjson')!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_id: string; origin: string });
    expect(raws.filter((r) => r.origin === 'reshaped')).toHaveLength(8);
    expect(raws.find((r) => r.event_id === id('4d4d4d4d', 1))?.origin).toBe('native');
    // The CSV input carries the header its rows are read with.
    const inputs = members
      .get('evidence/inputs.ndjson')!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { locator: string; headers?: Array<{ header: { columns: string[] }; raw: string }> });
    const csvInput = inputs.find((i) => i.locator.endsWith('console-event-history.csv'))!;
    expect(csvInput.headers?.[0]?.header.columns[0]).toBe('Event name');
    expect(inputs.find((i) => i.locator.endsWith('logstash.jsonl'))?.headers).toBeUndefined();
    // AND case verify re-normalizes every row with its header
    const cv = await runIrctl(['--case', kase, 'case', 'verify']);
    expect(cv.code, cv.stdout).toBe(0);
    expect(cv.stdout).toMatch(/events\s+12 re-normalized/);
  }, 60_000);
});
