/**
 * S3 server access logs through the CLI (issue 16): two log objects as S3 names them (no extension, no header), one
 * with current and older line formats, an anonymous denied request, a DeleteObjects request (one line per key under
 * one request id), a time with an offset and a line with a field S3 added after irctl was written; the other with a
 * good line, a cut line and an impossible date. Checks the events, the identity of batch lines, `show --raw`, the
 * quarantine reasons (exit 6) and `case verify`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl, type RunResult } from '../helpers/run-irctl.js';

const LOGS = join(resolve(import.meta.dirname, '../..'), 'fixtures/aws-s3-access/logs');
const SESSION = 'arn:aws:sts::111122223333:assumed-role/support-agent-role/i-0a1b2c3d4e5f60718';

interface EventJson {
  id: string;
  time: string;
  layer: string;
  class: string;
  service: string;
  action: string;
  actor: string | null;
  actor_type: string | null;
  session: string | null;
  account: string | null;
  region: string | null;
  src_ip: string | null;
  user_agent: string | null;
  outcome: string;
  error_code: string | null;
  resources: string[];
}

describe('S3 server access logs', () => {
  let dir: string;
  let kase: string;
  let imported: RunResult;
  let events: EventJson[];
  const irctl = (...args: string[]) => runIrctl(['--case', kase, ...args]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-s3access-'));
    kase = join(dir, 'case');
    imported = await irctl('import', LOGS, '--json');
    events = (await irctl('events', '--service', 's3', '--json')).json<EventJson>();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports the lines as S3 API events and quarantines the bad ones with the reason (exit 6)', () => {
    expect(imported.code).toBe(6);
    const s = imported.json<{ records: number; events: number; quarantined: number; inputs: Array<{ format: string }> }>()[0];
    expect(s).toMatchObject({ records: 8, events: 6, quarantined: 2 });
    expect(s?.inputs.map((i) => i.format)).toEqual(['s3access', 's3access']);
    expect(imported.stderr).toContain('row 2 (line 2): has 9 field(s) but this format has at least 18 (a cut line)');
    expect(imported.stderr).toContain('S3 access log time [31/Nov/2026:10:18:00 +0000] is not a time');
    expect(events).toHaveLength(6);
  });

  it('maps requester, operation, key, status, address and user agent', () => {
    const get = events.find((e) => e.time === '2026-11-20T10:15:02.000Z');
    expect(get).toMatchObject({
      layer: 'control_plane',
      class: 'api_activity',
      service: 's3',
      action: 'REST.GET.OBJECT',
      actor: SESSION,
      actor_type: 'AssumedRole',
      session: SESSION,
      account: '111122223333',
      region: 'us-east-1',
      src_ip: '10.0.3.15',
      outcome: 'success',
      // The key is logged URL-encoded; the resource names the object.
      resources: ['arn:aws:s3:::acme-finance-exports/reports/2026/q3 ledger.csv'],
    });
    const denied = events.find((e) => e.outcome === 'failure');
    expect(denied).toMatchObject({ actor: null, actor_type: 'Anonymous', error_code: 'AccessDenied', src_ip: '198.51.100.23' });
    // A user agent with spaces and quotes inside its quotes stays whole.
    expect(denied?.user_agent).toBe('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "Scanner/1.0"');
    // -0500 is read as an offset; a field beyond the known list (a newer format) does not stop the line.
    expect(events.find((e) => e.action === 'REST.PUT.OBJECT')).toMatchObject({ time: '2026-11-20T15:17:30.000Z', actor_type: 'IAMUser' });
  });

  it('keeps each key of one DeleteObjects request as its own event', () => {
    const batch = events.filter((e) => e.action === 'BATCH.DELETE.OBJECT');
    expect(batch.map((e) => e.resources[0])).toEqual(['arn:aws:s3:::acme-finance-exports/reports/2026/q1.csv', 'arn:aws:s3:::acme-finance-exports/reports/2026/q2.csv']);
    expect(new Set(batch.map((e) => e.id)).size).toBe(2);
    expect(batch.every((e) => e.id.startsWith('s3access:7B4A0FE9D2EXAMPLE:'))).toBe(true);
  });

  it('prints the line byte for byte with show --raw, and verifies', async () => {
    const denied = events.find((e) => e.outcome === 'failure') as EventJson;
    const raw = await irctl('show', denied.id, '--raw');
    const line = readFileSync(join(LOGS, '2026-11-20-10-20-14-5A1B2C3D4E5F6A7B'), 'utf8').split('\n')[1];
    expect(raw.stdout.replace(/\n$/, '')).toBe(line);
    const v = await irctl('case', 'verify');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain('6 re-normalized');
  });

  it('reports a bulk download by one requester (200 distinct objects in 10 minutes), not 50 GETs by another', async () => {
    const r = await irctl('import', join(LOGS, '../rules'));
    expect(r.code).toBe(0);
    expect((await irctl('detect')).code).toBe(0);
    const ts = (await irctl('threats', '--json')).json<{ id: string; rules: string[] }>();
    const dets: Array<{ rule_id: string; summary: string }> = [];
    for (const t of ts) dets.push(...((await irctl('threats', 'show', t.id, '--json')).json<{ detection_list: Array<{ rule_id: string; summary: string }> }>()[0]?.detection_list ?? []));
    const bulk = dets.filter((d) => d.rule_id === 'irctl-aws-s3-access-bulk-download');
    expect(bulk).toHaveLength(1);
    expect(bulk[0]?.summary).toMatch(/^i-0a1b2c3d4e5f60718 downloaded 200 objects within 10m \(last from bucket acme-finance-exports, from 10\.0\.3\.15\)$/);
  });
});
