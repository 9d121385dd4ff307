/** `irctl timeline ID` through the CLI, after a real `irctl detect`: every format and the interface checks use. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCase, writeRules } from '../helpers/detect-case.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;
let id: string;

beforeAll(async () => {
  tmp = tempDir();
  caseDir = await sampleCase(tmp.dir);
  const d = await runIrctl(['--case', caseDir, 'detect', '--json']);
  expect(d.code).toBe(0);
  const threats = (await runIrctl(['--case', caseDir, 'threats', '--json'])).json<{ id: string; entities: Array<{ value: string }> }>();
  id = threats.find((t) => t.entities.some((e) => e.value === '203.0.113.77'))!.id;
});
afterAll(() => tmp.cleanup());

interface Line {
  time: string;
  action: string;
  actor: string | null;
  layer: string;
  detections: string[];
  count: number;
  tactic: string | null;
  event_ids: string[];
}

describe('irctl timeline', () => {
  it('--json: one event per line in time order with time, action, actor, layer and detections (rule ids)', async () => {
    const r = await runIrctl(['--case', caseDir, 'timeline', id, '--json']);
    expect(r.code).toBe(0);
    const lines = r.json<Line>();
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) {
      expect(typeof l.time).toBe('string');
      expect(typeof l.action).toBe('string');
      expect('actor' in l).toBe(true);
      expect(['control_plane', 'identity', 'workload', 'ai', 'network', 'context']).toContain(l.layer);
      expect(Array.isArray(l.detections)).toBe(true);
    }
    const times = lines.map((l) => l.time);
    expect([...times].sort()).toEqual(times);
    // StopLogging is there, marked by a detection with its tactic; most events triggered none
    const stop = lines.find((l) => l.action === 'StopLogging');
    expect(stop?.detections.length).toBeGreaterThan(0);
    expect(stop?.tactic).toBe('defense-evasion');
    expect(lines.some((l) => l.detections.length === 0)).toBe(true);
    // runs collapsed by default, expanded with --no-collapse
    const total = lines.reduce((n, l) => n + l.count, 0);
    const flat = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse'])).json<Line>();
    expect(flat).toHaveLength(total);
    expect(flat.length).toBeGreaterThan(lines.length);
  });

  it('--json --blast-radius: one object with principals, keys, roles, resources read/written, regions, accounts', async () => {
    const r = await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--blast-radius']);
    const [b] = r.json<Record<string, string[]>>();
    expect(r.json()).toHaveLength(1);
    expect(b?.principals).toEqual(expect.arrayContaining(['arn:aws:iam::111122223333:user/svc-backup', 'arn:aws:iam::111122223333:user/support-admin']));
    expect(b?.access_keys).toContain('AKIASVCBACKUPLEAKED1');
    expect(b?.resources_read?.some((x) => x.startsWith('arn:aws:s3:::customer-exports'))).toBe(true);
    expect(b?.resources_written?.length).toBeGreaterThan(0);
    expect(b?.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(b?.accounts).toEqual(['111122223333']);
    expect(b).toHaveProperty('roles_assumed');
  });

  it('table, csv, md and Timesketch JSONL', async () => {
    const table = await runIrctl(['--case', caseDir, 'timeline', id]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/TIME \(UTC\) +N +LAYER +TACTIC +ACTION/);
    expect(table.stdout).toMatch(/x12 +control_plane .*s3:GetObject/);
    expect(table.stdout).toMatch(/blast radius\n {2}principals \(\d+\):/);

    const csv = (await runIrctl(['--case', caseDir, 'timeline', id, '--format', 'csv'])).stdout.trim().split('\n');
    expect(csv[0]).toBe('time,last_time,count,layer,tactics,service,action,actor,access_key,source,outcome,error_code,region,account,detections,resources,event_ids');
    expect(csv.some((l) => l.includes(',StopLogging,'))).toBe(true);

    const md = (await runIrctl(['--case', caseDir, 'timeline', id, '--format', 'md'])).stdout;
    expect(md).toMatch(new RegExp(`^# ${id}: `));
    expect(md).toContain('| Time (UTC) | Count | Layer |');
    expect(md).toContain('## Blast radius');

    const ts = await runIrctl(['--case', caseDir, 'timeline', id, '--format', 'timesketch']);
    const evs = ts.json<{ message: string; datetime: string; timestamp_desc: string; timestamp: number }>();
    const flat = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse'])).json();
    expect(evs).toHaveLength(flat.length);
    for (const e of evs) {
      expect(e.message.length).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(e.datetime))).toBe(false);
      expect(e.timestamp_desc).toBe('Event Time');
      expect(e.timestamp).toBe(Date.parse(e.datetime) * 1000);
    }
  });

  it('a wider margin never shows fewer events', async () => {
    const narrow = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse', '--margin', '0'])).json();
    const wide = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse', '--margin', '2d'])).json();
    expect(wide.length).toBeGreaterThan(narrow.length);
  });

  it('takes the filters of `irctl events` (same flags, same meaning) to narrow the timeline', async () => {
    // GIVEN the whole timeline, one event per line
    const all = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse'])).json<Line>();
    const stop = all.find((l) => l.action === 'StopLogging')!;
    // WHEN narrowed by action, by service, by time, and by a combination
    const byAction = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse', '--action', 'StopLogging'])).json<Line>();
    const byService = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse', '--service', 'cloudtrail'])).json<Line>();
    const bySince = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse', '--since', stop.time])).json<Line>();
    const byUntil = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse', '--until', stop.time])).json<Line>();
    // THEN each is exactly the matching part of the whole
    expect(byAction.map((l) => l.action)).toEqual(all.filter((l) => l.action === 'StopLogging').map((l) => l.action));
    expect(byAction.length).toBeGreaterThan(0);
    expect(byService.length).toBeGreaterThanOrEqual(byAction.length);
    expect(byService.length).toBeLessThan(all.length);
    expect(bySince.length + byUntil.length).toBe(all.length);
    expect(bySince[0]?.time).toBe(stop.time);
    // and the same flags mean the same events as `irctl events` restricted to the timeline's events
    const actor = stop.actor!;
    const mine = (await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--no-collapse', '--actor', actor])).json<Line>();
    const ids = new Set(all.flatMap((l) => l.event_ids));
    const events = (await runIrctl(['--case', caseDir, 'events', '--json', '--actor', actor])).json<{ id: string }>().filter((e) => ids.has(e.id));
    expect(mine.flatMap((l) => l.event_ids)).toEqual(events.map((e) => e.id));
    expect((await runIrctl(['--case', caseDir, 'timeline', id, '--since', '2d', '--until', '3d'])).code).toBe(2);
  });

  it('unknown id, conflicting flags and bad values are usage errors with what to do', async () => {
    const r = await runIrctl(['--case', caseDir, 'timeline', 'T-404']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no threat "T-404" in this case/);
    expect(r.stderr).toMatch(/irctl threats/);
    expect((await runIrctl(['--case', caseDir, 'timeline', id, '--json', '--format', 'csv'])).code).toBe(2);
    expect((await runIrctl(['--case', caseDir, 'timeline', id, '--margin', 'a while'])).code).toBe(2);
    expect((await runIrctl(['--case', caseDir, 'timeline', id, '--format', 'xml'])).code).toBe(2);
  });

  it('works with a custom Sigma folder too (ids stable in a fresh case)', async () => {
    const t2 = tempDir();
    try {
      const c = await sampleCase(t2.dir);
      expect((await runIrctl(['--case', c, 'detect', '--no-builtin', '--rules', writeRules(join(t2.dir, 'rules'))])).code).toBe(0);
      const lines = (await runIrctl(['--case', c, 'timeline', 'T-1', '--json'])).json<Line>();
      expect(lines.find((l) => l.action === 'CreateUser')?.detections).toEqual(['5f1b1c9e-1b7e-4c55-9d3c-000000000002']);
    } finally {
      t2.cleanup();
    }
  });
});
