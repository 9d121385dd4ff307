/**
 * A case on write-blocked media (issue 11, defect 9), through the built bin/irctl: reading commands give the same
 * answers as on the original, writing commands exit 3 saying the case is read-only. Real read-only media: a read-only
 * bind mount and `chattr +i` (as root, which CI is; chmod would prove nothing to root). A copy taken while a writer
 * ran (a -wal with frames, no -shm) is read through a private copy, and its last writes are not lost.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDetectedCase } from '../helpers/export-case.js';
import { bindReadOnly, setImmutable, unmount } from '../helpers/mounts.js';
import { BIN, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
let original: string;
let threat: string;
const mounts: string[] = [];
const immutable: string[] = [];

/** Reading commands, and what each prints on the writable original. */
const READERS: string[][] = [
  ['case', 'info', '--json'],
  ['case', 'verify', '--json'],
  ['case', 'quarantine', '--json'],
  ['events', '--json'],
  ['threats', '--json'],
  ['stats', '--json'],
];
const readersOf = (id: string): string[][] => [...READERS, ['threats', 'show', id, '--json'], ['timeline', id, '--json'], ['verdict', id, '--json'], ['report', id]];
const expected = new Map<string, string>();

const key = (args: string[]): string => args.join(' ');
/** Output with the case path (it differs between the original and its mounts) and the report's "as of" time out. */
const comparable = (out: string, caseDir: string): string =>
  out
    .split(caseDir)
    .join('<case>')
    .replace(/^As of \S+/m, 'As of <now>');

beforeAll(async () => {
  expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
  ({ dir, cleanup } = tempDir());
  original = join(dir, 'original');
  ({ threatId: threat } = await makeDetectedCase(original));
  for (const args of readersOf(threat)) {
    const r = await spawnIrctl(['--case', original, ...args], { timeoutMs: 60_000 });
    expect(r.code, `${key(args)}: ${r.stderr}`).toBe(0);
    expected.set(key(args), comparable(r.stdout, original));
  }
}, 180_000);
afterAll(() => {
  for (const m of mounts.reverse()) unmount(m);
  for (const p of immutable) {
    try {
      setImmutable(false, p);
    } catch {
      // already gone
    }
  }
  cleanup();
});

/** Every reading command on `caseDir` answers as on the original; every writing command exits 3. */
async function checkReadOnly(caseDir: string): Promise<void> {
  for (const args of readersOf(threat)) {
    const r = await spawnIrctl(['--case', caseDir, ...args], { timeoutMs: 60_000 });
    expect(r.code, `${key(args)}: ${r.stderr}`).toBe(0);
    expect(comparable(r.stdout, caseDir), key(args)).toBe(expected.get(key(args)));
  }
  const writers: string[][] = [
    ['import', join(original, 'context.yaml')],
    ['detect'],
    ['case', 'rebuild'],
    ['export', '--all', '--out', join(dir, 'never.bundle.tar.gz')],
    ['verdict', threat, '--set', 'malicious', '--reason', 'confirmed'],
    ['investigate', threat, '--offline'],
    ['context', 'set-aware', 'now'],
    ['keys', 'generate', '--force'],
  ];
  for (const args of writers) {
    const r = await spawnIrctl(['--case', caseDir, ...args], { timeoutMs: 60_000 });
    expect(r.code, `${key(args)}: ${r.stderr}`).toBe(3);
    expect(r.stderr, key(args)).toContain('the case is read-only');
    expect(r.stderr, key(args)).not.toContain('This is a bug');
  }
}

describe('a case on read-only media', () => {
  it('on a read-only bind mount: reading commands answer as on the original, writing commands exit 3', async () => {
    // GIVEN a copy of the closed case as a forensic copy holds it (the store alone: no -wal, no -shm for SQLite to
    // share), mounted read-only
    const copy = join(dir, 'copy');
    cpSync(original, copy, { recursive: true });
    for (const side of ['-wal', '-shm']) {
      const p = join(copy, `evidence.sqlite${side}`);
      if (side === '-wal' && existsSync(p)) expect(statSync(p).size, 'the original was not closed cleanly').toBe(0);
      rmSync(p, { force: true });
    }
    const ro = join(dir, 'ro');
    bindReadOnly(copy, ro);
    mounts.push(ro);
    // WHEN / THEN
    await checkReadOnly(ro);
  }, 240_000);

  it('with chattr +i on the folder and the store: the same', async () => {
    // GIVEN a copy of the case (with the -wal and -shm readers leave) whose folder and files are immutable
    const copy = join(dir, 'immutable');
    cpSync(original, copy, { recursive: true });
    const files = readdirSync(copy).map((f) => join(copy, f));
    setImmutable(true, ...files, copy);
    immutable.push(copy, ...files);
    // WHEN / THEN
    await checkReadOnly(copy);
  }, 240_000);

  it('a copy taken while a writer had uncommitted WAL frames (a -wal, no -shm) is read with those frames', async () => {
    // GIVEN a case whose last change is only in its -wal (the sqlite3 shell holds the store open, without
    // checkpointing, while the files are copied), the copy on read-only media
    const live = join(dir, 'live');
    cpSync(original, live, { recursive: true });
    const snap = join(dir, 'snapshot');
    execFileSync('mkdir', ['-p', snap]);
    const db = join(live, 'evidence.sqlite');
    execFileSync('sqlite3', [
      db,
      'PRAGMA wal_autocheckpoint=0;',
      "CREATE TEMP TABLE t AS SELECT * FROM events ORDER BY rowid LIMIT 1; UPDATE t SET rowid = (SELECT MAX(rowid) + 1 FROM events), id = 'only-in-the-wal'; INSERT INTO events SELECT * FROM t;",
      `.shell cp ${db} ${db}-wal ${snap}/`,
    ]);
    expect(readdirSync(snap).sort()).toEqual(['evidence.sqlite', 'evidence.sqlite-wal']);
    const ro = join(dir, 'snapshot-ro');
    bindReadOnly(snap, ro);
    mounts.push(ro);
    // WHEN reading the events
    const r = await spawnIrctl(['--case', ro, 'events', '--json'], { timeoutMs: 60_000 });
    // THEN the event that only the WAL holds is there
    expect(r.code, r.stderr).toBe(0);
    const ids = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids).toContain('only-in-the-wal');
    expect(ids.length).toBe((JSON.parse(expected.get(key(['case', 'info', '--json'])) ?? '{}') as { stats: { events: number } }).stats.events + 1);
  }, 120_000);

  it('a store last written by an older irctl (a migration missing) is read on read-only media, and migrated when writable', async () => {
    // GIVEN a case whose store lacks the latest migration record
    const old = join(dir, 'older');
    cpSync(original, old, { recursive: true });
    const db = join(old, 'evidence.sqlite');
    const latest = Number(execFileSync('sqlite3', [db, 'SELECT MAX(version) FROM schema_migrations'], { encoding: 'utf8' }).trim());
    // Undo the latest migration as an older irctl would have left the store (add the undo of each new migration here).
    const undo: Record<number, string> = {
      6: 'DROP VIEW input_status; DROP TABLE input_completions; ALTER TABLE events DROP COLUMN normalizer; ALTER TABLE raw_records DROP COLUMN origin;',
      7: 'ALTER TABLE events DROP COLUMN related;',
      8: 'DROP TABLE input_headers;',
      9: 'DROP TABLE actions;',
      15: 'ALTER TABLE events DROP COLUMN excerpt;',
    };
    expect(undo[latest], `test/integration/read-only-case.test.ts needs the undo of migration ${latest}`).toBeDefined();
    execFileSync('sqlite3', [db, `${undo[latest]} DELETE FROM schema_migrations WHERE version = ${latest};`]);
    const ro = join(dir, 'older-ro');
    bindReadOnly(old, ro);
    mounts.push(ro);
    // WHEN / THEN a reader on the read-only view reads it as it is
    // (case verify is not the reader here: undoing a landed migration by hand leaves commitments that name columns
    // the older schema lacks, which no real older store has)
    const r1 = await spawnIrctl(['--case', ro, 'events', '--json'], { timeoutMs: 60_000 });
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout.trim().split('\n').length).toBeGreaterThan(0);
    // WHEN / THEN a reader on the writable case brings the schema up to date first
    const r2 = await spawnIrctl(['--case', old, 'threats', '--json'], { timeoutMs: 60_000 });
    expect(r2.code, r2.stderr).toBe(0);
    expect(Number(execFileSync('sqlite3', [db, 'SELECT MAX(version) FROM schema_migrations'], { encoding: 'utf8' }).trim())).toBe(latest);
  }, 120_000);
});
