/**
 * issue 12 item 10: records that carry one event id but disagree are separate events (derived ids, the lowest raw
 * record keeps the bare id), counted as conflicts by import (exit 6) and listed by `case verify` (exit 6; 5 wins);
 * true duplicates still de-duplicate; `case rebuild` keeps the ids; detect, timeline and investigate see every event.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir, type RunResult } from '../helpers/run-irctl.js';

const ID = '00000000-0000-0000-0000-000000000000';
const replay = fixture('replay-same-eventid', 'replay.json');
const again = fixture('replay-same-eventid', 'replay-again.jsonl');

interface Summary {
  records: number;
  events: number;
  duplicates: number;
  conflicts: number;
  conflict_examples: Array<{ id: string; event_id: string; differs: string[]; path: string; record_index: number }>;
  inputs: Array<{ conflicts: number }>;
}
interface EventJson {
  id: string;
  action: string;
  actor: string | null;
  raw_sha256: string;
}
interface VerifyJson {
  ok: boolean;
  exit_code: number;
  conflicts: string[];
  problems: string[];
}

let dir: string;
let cleanup: () => void;
let caseDir: string;
let first: RunResult;

/** Raw records of the fixture, as the S3 file holds them: the SHA-256 of each element's exact bytes. */
function elementShas(): string[] {
  const text = readFileSync(replay, 'utf8');
  // Elements are pretty-printed one level deep: each starts at "  {" and ends at "  }".
  const out: string[] = [];
  const re = /\n {2}\{[\s\S]*?\n {2}\}/g;
  for (const m of text.matchAll(re)) out.push(createHash('sha256').update(m[0].slice(3)).digest('hex'));
  return out;
}

async function events(): Promise<EventJson[]> {
  const r = await runIrctl(['--case', caseDir, 'events', '--json']);
  expect(r.code).toBe(0);
  return r.json<EventJson>();
}

function sqlite(sql: string): string {
  const r = spawnSync('sqlite3', [join(caseDir, 'evidence.sqlite'), sql], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  caseDir = join(dir, 'case');
  first = await runIrctl(['--case', caseDir, 'import', replay, '--json']);
});
afterAll(() => cleanup());

describe('records that share an event id but disagree', () => {
  it('are kept as separate events: the first keeps the bare id, the others get <id>#<12 hex of their SHA-256>; import exits 6 and names them', () => {
    // THEN
    expect(first.code).toBe(6);
    const s = first.json<Summary>()[0] as Summary;
    expect(s).toMatchObject({ records: 8, events: 8, duplicates: 0, conflicts: 7 });
    expect(s.inputs[0]?.conflicts).toBe(7);
    const shas = elementShas();
    expect(shas).toHaveLength(8);
    expect(s.conflict_examples).toHaveLength(5);
    expect(s.conflict_examples[0]).toMatchObject({ id: `${ID}#${shas[1]?.slice(0, 12)}`, event_id: ID, path: replay, record_index: 1 });
    expect(s.conflict_examples[0]?.differs).toEqual(expect.arrayContaining(['time', 'action', 'actor', 'src_ip']));
    expect(first.stderr).toMatch(/7 record\(s\) carry the event id of another record but disagree with it/);
  });

  it('every record is an event (the attack does not vanish) and each event points at its own record', async () => {
    const all = await events();
    const shas = elementShas();
    expect(all.map((e) => e.id).sort()).toEqual([ID, ...shas.slice(1).map((h) => `${ID}#${h.slice(0, 12)}`)].sort());
    const bare = all.find((e) => e.id === ID);
    expect(bare).toMatchObject({ action: 'ConsoleLogin', raw_sha256: shas[0] });
    for (const e of all) if (e.id !== ID) expect(e.raw_sha256.slice(0, 12)).toBe(e.id.slice(-12));
    expect(all.map((e) => e.action).sort()).toEqual(
      ['AttachUserPolicy', 'ConsoleLogin', 'CreateAccessKey', 'CreateUser', 'DeleteDetector', 'GetCallerIdentity', 'ListUsers', 'StopLogging'].sort(),
    );
    // the raw records carry the id of the event they are a copy of
    expect(sqlite(`SELECT COUNT(*) FROM raw_records WHERE event_id LIKE '${ID}#%'`)).toBe('7');
  });

  it('prints the conflicts in the text summary: the first few by name, then how many more', async () => {
    const other = join(dir, 'text-case');
    const r = await runIrctl(['--case', other, 'import', replay]);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/^conflicts 7 record\(s\) carry the event id of another record but disagree with it/m);
    expect(r.stdout).toMatch(new RegExp(`^ {2}- ${ID}#[0-9a-f]{12}: differs from ${ID} in time, service, action, actor and \\d+ more \\(.*replay\\.json record 1\\)$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}\.\.\. and 2 more$/m);
  });

  it('true duplicates still de-duplicate: the same content in other bytes, and the same file again', async () => {
    // WHEN the first three records arrive again as compact JSON Lines (other bytes, same content)
    const a = await runIrctl(['--case', caseDir, 'import', again, '--json']);
    // THEN they are copies of the events already stored, not new events and not conflicts
    expect(a.code).toBe(0);
    expect(a.json<Summary>()[0]).toMatchObject({ records: 3, events: 0, duplicates: 3, conflicts: 0 });
    // each copy joined the event whose content it repeats (the derived one for records 2 and 3)
    const shas = elementShas();
    expect(sqlite(`SELECT event_id FROM raw_records WHERE input_id = (SELECT MAX(input_id) FROM raw_records) ORDER BY record_index`).split('\n')).toEqual([
      ID,
      `${ID}#${shas[1]?.slice(0, 12)}`,
      `${ID}#${shas[2]?.slice(0, 12)}`,
    ]);
    // WHEN the same file is imported again (byte-identical records)
    const b = await runIrctl(['--case', caseDir, 'import', replay, '--json']);
    expect(b.code).toBe(0);
    expect(b.json<Summary>()[0]).toMatchObject({ records: 8, events: 0, duplicates: 8, conflicts: 0 });
    expect(await events()).toHaveLength(8);
  });

  it('case verify lists them and exits 6 instead of ending OK; case info counts them', async () => {
    const human = await runIrctl(['--case', caseDir, 'case', 'verify']);
    const json = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
    expect(human.code).toBe(6);
    expect(json.code).toBe(6);
    const v = json.json<VerifyJson>()[0] as VerifyJson;
    expect(v).toMatchObject({ ok: true, exit_code: 6, problems: [] });
    expect(v.conflicts).toHaveLength(1);
    expect(v.conflicts[0]).toMatch(new RegExp(`^event id ${ID} is carried by 8 records that disagree, kept as 8 events: ${ID} \\(raw record 1\\), ${ID}#[0-9a-f]{12} \\(raw record 2; differs in `));
    expect(v.conflicts[0]).toMatch(/and 2 more$/);
    expect(human.stdout).toMatch(/^conflict: event id /m);
    expect(human.stdout).toMatch(/^result {10}CONFLICTS: 1 event id\(s\) carried by records that disagree, kept as separate events \(nothing altered\)$/m);
    expect(human.stdout).not.toMatch(/OK: evidence intact/);
    const info = await runIrctl(['--case', caseDir, 'case', 'info', '--json']);
    expect(info.json<{ conflicts: number }>()[0]?.conflicts).toBe(1);
  });

  it('case rebuild reproduces the same ids', async () => {
    const before = (await events()).map((e) => `${e.id} ${e.raw_sha256}`).sort();
    const r = await runIrctl(['--case', caseDir, 'case', 'rebuild']);
    expect(r.code).toBe(0);
    expect((await events()).map((e) => `${e.id} ${e.raw_sha256}`).sort()).toEqual(before);
    // and the rebuilt rows are what their raw records say (only the conflicts keep verify from OK)
    const v = (await runIrctl(['--case', caseDir, 'case', 'verify', '--json'])).json<VerifyJson>()[0];
    expect(v).toMatchObject({ ok: true, exit_code: 6, problems: [] });
  });

  it('detect, timeline and investigate see every event of the replay', async () => {
    const d = await runIrctl(['--case', caseDir, 'detect', '--json']);
    expect(d.code).toBe(0);
    const threats = await runIrctl(['--case', caseDir, 'threats', 'list', '--json']);
    const list = threats.json<{ id: string; title: string }>();
    expect(list).toHaveLength(1);
    const tid = list[0]?.id as string;
    const shown = await runIrctl(['--case', caseDir, 'threats', 'show', tid, '--json']);
    const rules = JSON.stringify(shown.json()[0]);
    for (const rule of ['irctl-aws-cloudtrail-stopped', 'irctl-aws-iam-admin-policy-attached', 'irctl-aws-guardduty-disabled']) expect(rules).toContain(rule);
    const tl = await runIrctl(['--case', caseDir, 'timeline', tid, '--json', '--no-collapse']);
    expect(tl.code).toBe(0);
    const ids = tl.json<{ event_ids: string[]; action?: string }>().flatMap((e) => e.event_ids ?? []);
    const stop = (await events()).find((e) => e.action === 'StopLogging');
    expect(stop?.id).toMatch(new RegExp(`^${ID}#[0-9a-f]{12}$`));
    expect(ids).toContain(stop?.id);
    const inv = await runIrctl(['--case', caseDir, 'investigate', tid, '--offline', '--json']);
    expect(inv.code).toBe(0);
    const result = inv.json<{ verdict: string; rationale: Array<{ evidence_ids: string[] }> }>()[0];
    expect(result?.verdict).toBe('malicious');
    expect(result?.rationale.flatMap((c) => c.evidence_ids).some((id) => id.startsWith(`${ID}#`))).toBe(true);
  });

  it('5 wins over 6: an altered record and conflicts exit 5', async () => {
    sqlite("DROP TRIGGER raw_records_no_update; UPDATE raw_records SET raw = replace(raw, 'DeleteDetector', 'DeleteDetectox') WHERE id = 8;");
    const r = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
    expect(r.code).toBe(5);
    const v = r.json<VerifyJson>()[0] as VerifyJson;
    expect(v.ok).toBe(false);
    expect(v.conflicts).toHaveLength(1);
    const human = await runIrctl(['--case', caseDir, 'case', 'verify']);
    expect(human.code).toBe(5);
    expect(human.stdout).toMatch(/^result {10}FAILED/m);
    expect(human.stdout).toMatch(/^also {11}conflicts: 1 event id/m);
  });
});

describe('re-shaped copies (origin reshaped: a SIEM or pipeline export) compare only the fields both copies carry', () => {
  it('a re-shaped copy missing fields is a copy; one that disagrees in a field both carry is a conflict; native copies compare every field', async () => {
    // The CLI marks exported records re-shaped through their import formats; here the writer is given such rows directly.
    const { openCase } = await import('../../src/case/case.js');
    const { IngestWriter } = await import('../../src/store/ingest-repo.js');
    const { adapterByDataType } = await import('../../src/sources/index.js');
    const { ctRecord } = await import('../helpers/cloudtrail.js');
    const adapter = adapterByDataType('aws:cloudtrail:entry');
    if (!adapter) throw new Error('no CloudTrail adapter');
    const row = (rec: Record<string, unknown>, index: number, origin: 'native' | 'reshaped') => {
      const raw = JSON.stringify(rec);
      const sha = createHash('sha256').update(raw).digest('hex');
      const n = adapter.normalize(JSON.parse(raw), sha);
      if (!n.ok) throw new Error(n.reason);
      return { kind: 'accepted' as const, raw, sha256: sha, index, offset: null, event: n.event, normalizer: 'aws-cloudtrail@test', origin };
    };
    const rec = ctRecord(11);
    const { userAgent: _ua, requestParameters: _rp, ...thin } = rec;
    const kase = openCase(join(dir, 'reshaped-case'), { create: true });
    try {
      const w = new IngestWriter(kase.db);
      w.beginInput('run-1', 'test');
      // GIVEN the native record
      expect(w.writeBatch([row(rec, 0, 'native')])).toMatchObject({ events: 1, conflicts: 0 });
      // WHEN a re-shaped copy without user agent and request parameters arrives: the same event
      expect(w.writeBatch([row(thin, 1, 'reshaped')])).toMatchObject({ events: 0, duplicates: 1, conflicts: 0 });
      // WHEN a re-shaped copy disagrees in a field both carry (the source address): another event
      const c = w.writeBatch([row({ ...thin, sourceIPAddress: '198.51.100.250' }, 2, 'reshaped')]);
      expect(c).toMatchObject({ events: 1, duplicates: 0, conflicts: 1 });
      expect(c.conflictNotes[0]?.differs).toEqual(['src_ip']);
      // WHEN a native copy lacks the user agent: native copies compare every field
      const d = w.writeBatch([row({ ...thin, eventCategory: 'Data' }, 3, 'native')]);
      expect(d).toMatchObject({ events: 1, conflicts: 1 });
      expect(d.conflictNotes[0]?.differs).toEqual(['user_agent', 'resources', 'request']);
      const ids = kase.db.prepare('SELECT event_id FROM raw_records ORDER BY id').pluck().all() as string[];
      expect(ids[0]).toBe(rec.eventID);
      expect(ids[1]).toBe(rec.eventID);
      expect(ids[2]).toMatch(new RegExp(`^${String(rec.eventID)}#[0-9a-f]{12}$`));
      expect(ids[3]).toMatch(new RegExp(`^${String(rec.eventID)}#[0-9a-f]{12}$`));
    } finally {
      kase.close();
    }
  });
});

describe('a case stored before disagreeing copies were kept apart', () => {
  it('case verify names the copies stored as one event that disagree', async () => {
    // GIVEN a case whose second record of an event id was stored under the bare id (as irctl did before), written
    // straight into the store (inserts are not blocked by the append-only triggers; the run commitment then flags it)
    const legacy = join(dir, 'legacy-case');
    expect((await runIrctl(['--case', legacy, 'import', replay])).code).toBe(6);
    const db = join(legacy, 'evidence.sqlite');
    const raw = readFileSync(replay, 'utf8').replace(/"eventTime": "2026-10-07T08:59:58Z"/, '"eventTime": "2026-10-07T08:59:59Z"');
    const first = JSON.stringify((JSON.parse(raw) as { Records: unknown[] }).Records[0]);
    const sha = createHash('sha256').update(first).digest('hex');
    const r = spawnSync('sqlite3', [db, `INSERT INTO raw_records(sha256, event_id, data_type, input_id, record_index, byte_offset, raw, origin) VALUES ('${sha}', '${ID}', 'aws:cloudtrail:entry', 1, 99, NULL, '${first.replace(/'/g, "''")}', 'native')`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // WHEN
    const v = await runIrctl(['--case', legacy, 'case', 'verify', '--json']);
    // THEN it is listed with what differs (and the uncommitted record is an integrity problem: 5 wins)
    expect(v.code).toBe(5);
    const conflicts = v.json<VerifyJson>()[0]?.conflicts ?? [];
    expect(conflicts).toContainEqual(
      `event ${ID}: raw record(s) 9 (differs in time) disagree with its first record 1 but are stored as one event (stored before irctl kept disagreeing copies apart, or told apart by a newer normalizer): only the first is in the events; import the records into a new case to see each`,
    );
  });
});
