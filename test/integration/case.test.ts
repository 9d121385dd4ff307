/**
 * issue 2 item 5: `irctl case info` and `irctl case verify`, including evidence altered behind irctl's back with the
 * stock sqlite3 CLI (after dropping the append-only triggers, as an attacker or a careless examiner would).
 */
import { spawnSync } from 'node:child_process';
import { userInfo, hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
let caseDir: string;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  caseDir = join(dir, 'case');
  const r = await runIrctl([
    '--case',
    caseDir,
    'import',
    fixture('cloudtrail', 'stratus-iam-create-admin-user.json'),
    fixture('cloudtrail', 'eventbridge-envelopes.jsonl'),
    fixture('cloudtrail', 'lookup-events.json'),
  ]);
  expect(r.code).toBe(0);
});
afterEach(() => cleanup());

/** Run SQL on the case with the sqlite3 CLI. */
function sqlite(sql: string): string {
  const r = spawnSync('sqlite3', [join(caseDir, 'evidence.sqlite'), sql], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

interface VerifyJson {
  ok: boolean;
  raw_records: number;
  custody_entries: number;
  custody_head: { seq: number; hash: string };
  problems: string[];
  incomplete: string[];
  warnings: string[];
}

async function verify(): Promise<{ code: number; stdout: string; report: VerifyJson }> {
  const human = await runIrctl(['--case', caseDir, 'case', 'verify']);
  const json = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
  expect(json.code).toBe(human.code);
  expect(human.stderr).not.toMatch(/^\s+at /m);
  return { code: human.code, stdout: human.stdout, report: json.json<VerifyJson>()[0] as VerifyJson };
}

describe('irctl case info', () => {
  it('shows counts per provider and layer, the time span, and each run with its provenance', async () => {
    // WHEN
    const r = await runIrctl(['--case', caseDir, 'case', 'info', '--json']);
    // THEN
    expect(r.code).toBe(0);
    const info = r.json<{
      stats: { events: number; raw_records: number; inputs: number; first_event: string; last_event: string; by_provider_layer: Array<Record<string, unknown>> };
      runs: Array<Record<string, unknown> & { counts: Record<string, unknown> }>;
      custody_head: { seq: number; hash: string };
    }>()[0]!;
    expect(info.stats).toMatchObject({ events: 6, raw_records: 6, inputs: 3, first_event: '2016-01-26T21:42:12.000Z' });
    expect(info.stats.by_provider_layer).toEqual([
      expect.objectContaining({ provider: 'aws', layer: 'control_plane', events: 3 }),
      expect.objectContaining({ provider: 'aws', layer: 'identity', events: 3 }),
    ]);
    expect(info.runs).toHaveLength(1);
    expect(info.runs[0]).toMatchObject({ kind: 'import', status: 'complete', os_user: userInfo().username, host: hostname() });
    expect(info.runs[0]?.tool_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(String(info.runs[0]?.source)).toContain('stratus-iam-create-admin-user.json');
    expect(info.runs[0]?.counts).toMatchObject({ files: 3, records: 6, events: 6, duplicates: 0, quarantined: 0 });
    expect(info.custody_head.seq).toBe(2);

    const human = await runIrctl(['--case', caseDir, 'case', 'info']);
    expect(human.stdout).toMatch(/events\s+6 \(6 raw records, 3 inputs, 0 quarantined\)/);
    expect(human.stdout).toMatch(/aws\s+identity\s+3/);
    expect(human.stdout).toMatch(/RUNS\n.* import +by .* complete/);
  });
});

describe('irctl case verify', () => {
  it('passes on an intact case and prints the custody head', async () => {
    const { code, stdout, report } = await verify();
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, raw_records: 6, custody_entries: 2, problems: [] });
    expect(stdout).toContain('OK: evidence intact');
    expect(stdout).toContain(`custody head    ${report.custody_head.hash} (entry 2)`);
  });

  it('the append-only triggers refuse changes made through SQLite', () => {
    const r = spawnSync('sqlite3', [join(caseDir, 'evidence.sqlite'), "UPDATE raw_records SET raw = 'x' WHERE id = 1"], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('evidence is append-only');
  });

  it('fails (exit 5) and names the record when a raw record is altered after dropping the trigger', async () => {
    // GIVEN an altered raw record
    const eventId = sqlite('SELECT event_id FROM raw_records WHERE id = 2');
    sqlite("DROP TRIGGER raw_records_no_update; UPDATE raw_records SET raw = replace(raw, '\"eventName\"', '\"eventNam3\"') WHERE id = 2;");
    // WHEN
    const { code, stdout, report } = await verify();
    // THEN
    expect(code).toBe(5);
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(`raw record 2 (event ${eventId}) does not match its SHA-256 ${sqlite('SELECT sha256 FROM raw_records WHERE id = 2')}: it was altered`);
    expect(report.problems).toContain('append-only trigger raw_records_no_update is missing: evidence could have been changed');
    expect(stdout).toContain('FAILED');
    expect(stdout).toContain(`raw record 2 (event ${eventId})`);
  });

  it('fails when a trigger alone is dropped', async () => {
    sqlite('DROP TRIGGER custody_no_delete;');
    const { code, report } = await verify();
    expect(code).toBe(5);
    expect(report.problems).toEqual(['append-only trigger custody_no_delete is missing: evidence could have been changed']);
  });

  it('detects an edited custody entry', async () => {
    sqlite("DROP TRIGGER custody_no_update; UPDATE custody SET body = replace(body, '\"records\":6', '\"records\":5') WHERE seq = 2;");
    const { code, report } = await verify();
    expect(code).toBe(5);
    expect(report.problems).toContain('custody entry 2: content does not match its hash (altered)');
  });

  it('detects a deleted custody entry', async () => {
    sqlite('DROP TRIGGER custody_no_delete; DELETE FROM custody WHERE seq = 1;');
    const { code, report } = await verify();
    expect(code).toBe(5);
    expect(report.problems.join('\n')).toMatch(/custody entry 2: expected sequence 1 \(an entry is missing\)/);
    expect(report.problems.join('\n')).toMatch(/custody entry 2: does not link to the previous entry's hash/);
  });

  it('detects an altered quarantine entry', async () => {
    const bad = join(dir, 'bad.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, '{"not":"cloudtrail"}\n');
    expect((await runIrctl(['--case', caseDir, 'import', bad])).code).toBe(6);
    sqlite("DROP TRIGGER quarantine_no_update; UPDATE quarantine SET raw = CAST('{}' AS BLOB) WHERE id = 1;");
    const { code, report } = await verify();
    expect(code).toBe(5);
    expect(report.problems).toContain(`quarantine entry 1 (from ${bad}) does not match its SHA-256: it was altered`);
  });

  it('detects normalized events that point to no raw record', async () => {
    const id = sqlite('SELECT id FROM events ORDER BY rowid LIMIT 1');
    sqlite('UPDATE events SET raw_id = 999 WHERE rowid = (SELECT MIN(rowid) FROM events);');
    const { code, report } = await verify();
    expect(code).toBe(5);
    expect(report.problems).toContain(`1 normalized event(s) point to a raw record that does not exist (e.g. ${id})`);
  });

  it('reports derived events missing as incomplete (exit 6), and `case rebuild` restores them from evidence', async () => {
    sqlite('DELETE FROM events WHERE rowid = (SELECT MIN(rowid) FROM events);');
    const before = await verify();
    expect(before.code).toBe(6);
    expect(before.report.ok).toBe(true);
    expect(before.report.incomplete.join('\n')).toMatch(/1 raw record\(s\) have no normalized event/);
    const rb = await runIrctl(['--case', caseDir, 'case', 'rebuild']);
    expect(rb.code).toBe(0);
    expect(rb.stdout).toContain('rebuilt 6 events from 6 raw records');
    const after = await verify();
    expect(after.code).toBe(0);
    expect(after.report.warnings).toEqual([]);
    expect((await runIrctl(['--case', caseDir, 'events', '--json'])).json()).toHaveLength(6);
  });
});
