/**
 * One writer at a time (issue 11, defect 2), through the built bin/irctl in real processes: a second writer exits 7
 * at once naming the holder, or waits with --wait; readers are never blocked; export shares the lock with other
 * exports and keeps writers out; a lock or an export staging folder left by kill -9 is cleaned up; SQLite busy
 * (another program holding the store) is exit 7 and nothing hangs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireCaseLock } from '../../src/case/lock.js';
import { ctRecord, s3LogText, writeGz } from '../helpers/cloudtrail.js';
import { BIN, fixture, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

const FILES = 30;
const PER_FILE = 2500;

let dir: string;
let cleanup: () => void;
let logs: string;

beforeAll(() => {
  expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
  ({ dir, cleanup } = tempDir());
  logs = join(dir, 'AWSLogs');
  for (let f = 0; f < FILES; f++) {
    const recs = Array.from({ length: PER_FILE }, (_, k) => ctRecord(f * PER_FILE + k));
    writeGz(join(logs, `part-${String(f).padStart(3, '0')}.json.gz`), s3LogText(recs));
  }
});
afterAll(() => cleanup());

/** Resolve once `cond` holds (polled), or fail after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Start a command in the background; resolves with its result. */
function background(args: string[], timeoutMs = 120_000): { child: Promise<ChildProcess>; done: ReturnType<typeof spawnIrctl> } {
  let resolveChild: (c: ChildProcess) => void = () => undefined;
  const child = new Promise<ChildProcess>((r) => (resolveChild = r));
  const done = spawnIrctl(args, { timeoutMs, onSpawn: (c) => resolveChild(c) });
  return { child, done };
}

describe('the case writer lock', () => {
  it('a second import exits 7 at once naming the holder; readers still work; with --wait it runs after the first', async () => {
    // GIVEN a long import under way
    const c = join(dir, 'two-imports');
    const first = background(['--case', c, 'import', logs]);
    const holder = await first.child;
    await until(() => existsSync(join(c, '.irctl-lock')), 30_000, 'the lock file');

    // WHEN a second import starts, a reader runs and a third import waits (all at once, while the first runs)
    const t0 = Date.now();
    let secondMs = 0;
    const [second, reader, r3, r1] = await Promise.all([
      spawnIrctl(['--case', c, 'import', fixture('cloudtrail', 'lookup-events.json')], { timeoutMs: 30_000 }).then((r) => {
        secondMs = Date.now() - t0;
        return r;
      }),
      spawnIrctl(['--case', c, 'case', 'info', '--json'], { timeoutMs: 30_000 }),
      spawnIrctl(['--case', c, 'import', '--wait', fixture('cloudtrail', 'lookup-events.json'), '--json'], { timeoutMs: 120_000 }),
      first.done,
    ]);

    // THEN the second exits 7 quickly with the holder's command, pid, host and start time
    expect(second.code, second.stderr).toBe(7);
    expect(secondMs).toBeLessThan(10_000);
    expect(second.stderr).toContain('case in use');
    expect(second.stderr).toContain(`irctl --case ${c} import ${logs}`);
    expect(second.stderr).toContain(`pid ${holder.pid ?? -1} on ${hostname()}`);
    expect(second.stderr).toMatch(/since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(second.stderr).toContain('--wait');
    expect(second.stderr).not.toContain('This is a bug');
    // the reader was not blocked
    expect(reader.code, reader.stderr).toBe(0);
    // the first completed, the waiting one after it
    expect(r1.code, r1.stderr).toBe(0);
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toContain('waiting for the case lock, held by');
    const s3 = JSON.parse(r3.stdout.trim()) as { events: number };
    expect(s3.events).toBeGreaterThan(0);
    // nothing was lost or left behind
    const v = await spawnIrctl(['--case', c, 'case', 'verify', '--json'], { timeoutMs: 60_000 });
    expect(v.code, v.stdout).toBe(0);
    expect(readdirSync(c).filter((f) => f.startsWith('.irctl-lock'))).toEqual([]);
  }, 180_000);

  it('--wait=SECONDS gives up with exit 7 when the holder outlasts it', async () => {
    // GIVEN a long import under way
    const c = join(dir, 'wait-seconds');
    const first = background(['--case', c, 'import', logs]);
    await first.child;
    await until(() => existsSync(join(c, '.irctl-lock')), 30_000, 'the lock file');
    // WHEN a detect waits one second
    const t0 = Date.now();
    const r = await spawnIrctl(['--case', c, '--wait=1', 'detect'], { timeoutMs: 30_000 });
    // THEN
    expect(r.code, r.stderr).toBe(7);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toContain('(waited 1 s)');
    expect((await first.done).code).toBe(0);
  }, 180_000);

  it('export shares the lock: a second export runs alongside, a writer is kept out until both end', async () => {
    // GIVEN a case, and an export holding the shared lock (held here through the lock API so that the test does not
    // depend on how long a real export takes on a loaded machine)
    const c = join(dir, 'exports');
    expect((await spawnIrctl(['--case', c, 'import', logs], { timeoutMs: 120_000 })).code).toBe(0);
    const release = await acquireCaseLock(c, { mode: 'shared', command: 'irctl export --all --out a.bundle.tar.gz' });
    try {
      expect(readdirSync(c).some((f) => f.startsWith('.irctl-lock.shared-'))).toBe(true);
      // WHEN an import tries to write, and a real export runs alongside
      const [blocked, second] = await Promise.all([
        spawnIrctl(['--case', c, 'import', fixture('cloudtrail', 'lookup-events.json')], { timeoutMs: 30_000 }),
        spawnIrctl(['--case', c, 'export', '--all', '--out', join(dir, 'b.bundle.tar.gz')], { timeoutMs: 120_000 }),
      ]);
      // THEN the writer was refused, naming the export; the second export succeeded beside the first
      expect(blocked.code, blocked.stderr).toBe(7);
      expect(blocked.stderr).toContain('shared lock');
      expect(blocked.stderr).toContain('export --all');
      expect(second.code, second.stderr).toBe(0);
    } finally {
      release();
    }
    // AND once the exports ended, the writer gets in, and everything verifies
    expect((await spawnIrctl(['--case', c, 'import', fixture('cloudtrail', 'lookup-events.json')], { timeoutMs: 60_000 })).code).toBe(0);
    const v = await spawnIrctl(['--case', c, 'case', 'verify'], { timeoutMs: 60_000 });
    expect(v.code, v.stdout).toBe(0);
    expect((await spawnIrctl(['--case', c, 'verify', join(dir, 'b.bundle.tar.gz')], { timeoutMs: 60_000 })).code).toBe(0);
  }, 240_000);

  it('a lock and an export staging folder left by kill -9 are cleaned up by the next commands', async () => {
    // GIVEN an import killed with SIGKILL while it holds the lock
    const c = join(dir, 'killed');
    const first = background(['--case', c, 'import', logs]);
    const child = await first.child;
    await until(() => existsSync(join(c, 'evidence.sqlite-wal')) && existsSync(join(c, '.irctl-lock')), 30_000, 'the import to start writing');
    child.kill('SIGKILL');
    await first.done;
    expect(existsSync(join(c, '.irctl-lock'))).toBe(true);
    // WHEN the next import runs
    const next = await spawnIrctl(['--case', c, 'import', logs, '--json'], { timeoutMs: 120_000 });
    // THEN it takes the stale lock over (saying so) and completes
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain('removed a stale case lock');
    expect(next.stderr).toContain(`pid ${child.pid ?? -1}`);

    // GIVEN an export killed while staging its members
    const exp = background(['--case', c, 'export', '--all', '--json']);
    const expChild = await exp.child;
    const exportsDir = join(c, 'exports');
    const staging = (): string[] => (existsSync(exportsDir) ? readdirSync(exportsDir).filter((f) => f.startsWith('.irctl-export-')) : []);
    await until(() => staging().length > 0, 60_000, 'the export staging folder');
    expChild.kill('SIGKILL');
    await exp.done;
    expect(staging().length).toBe(1);
    // WHEN a writing command starts
    const rebuild = await spawnIrctl(['--case', c, 'case', 'rebuild'], { timeoutMs: 120_000 });
    // THEN the dead export's staging folder is gone (and its shared lock was stale, not a reason to refuse)
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(staging()).toEqual([]);
    expect(readdirSync(c).filter((f) => f.startsWith('.irctl-lock'))).toEqual([]);
  }, 300_000);

  it('the next export removes staging folders of dead exports next to its bundle', async () => {
    // GIVEN a staging folder of a process that no longer runs, next to where the bundle goes
    const c = join(dir, 'two-imports');
    const out = join(dir, 'out-folder');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale = join(out, `.irctl-export-${dead.stdout}-abc123`);
    mkdirSync(stale, { recursive: true });
    // WHEN exporting there
    const r = await spawnIrctl(['--case', c, 'export', '--all', '--out', join(out, 'x.bundle.tar.gz')], { timeoutMs: 120_000 });
    // THEN
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(stale)).toBe(false);
  }, 120_000);

  it('SQLite busy (another program holds the store for writing) is exit 7, and the import does not hang', async () => {
    // GIVEN a case whose store the sqlite3 shell holds in a write transaction for 20 s
    const c = join(dir, 'busy');
    expect((await spawnIrctl(['--case', c, 'import', fixture('cloudtrail', 'lookup-events.json')], { timeoutMs: 60_000 })).code).toBe(0);
    const db = join(c, 'evidence.sqlite');
    const shell = spawn('sqlite3', [db], { stdio: ['pipe', 'ignore', 'ignore'] });
    shell.stdin.write('BEGIN IMMEDIATE;\n.shell sleep 20\nCOMMIT;\n');
    // The store is held once another writer is refused at once.
    const refused = (): boolean => spawnSync('sqlite3', ['-cmd', '.timeout 0', db, 'BEGIN IMMEDIATE; ROLLBACK;'], { encoding: 'utf8' }).status !== 0;
    try {
      await until(refused, 10_000, 'the sqlite3 shell to lock the store');
      // WHEN an import runs
      const t0 = Date.now();
      const r = await spawnIrctl(['--case', c, 'import', logs], { timeoutMs: 60_000 });
      // THEN it gives up after SQLite's busy timeout with exit 7, not "internal error", and exits
      expect(r.signal, 'the import hung and was killed').toBeNull();
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toContain('case in use');
      expect(r.stderr).toContain('locked by another program');
      expect(r.stderr).not.toContain('This is a bug');
      expect(Date.now() - t0).toBeLessThan(19_000);
    } finally {
      shell.kill('SIGKILL');
    }
  }, 60_000);
});
