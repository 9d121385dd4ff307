/**
 * The case lock API (src/case/lock.ts). Other holders are lock files naming another live process (our parent) or a
 * dead one, exactly as another irctl would leave them; the CLI-level behaviour runs in
 * test/integration/case-lock.test.ts with real processes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseInUseError, ExitCode, InterruptedError } from '../errors.js';
import { LOCK_FILE, acquireCaseLock, lockHolders, type LockHolder } from './lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'irctl-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

/** Leave a lock file as another process would. */
function holder(file: string, h: Partial<LockHolder> = {}): LockHolder {
  const full: LockHolder = { id: `x-${file}`, mode: 'exclusive', pid: process.ppid, host: hostname(), command: 'irctl import ./logs', started_at: '2026-11-28T08:00:00.000Z', proc_start: null, ...h };
  writeFileSync(join(dir, file), JSON.stringify(full));
  return full;
}

const files = (): string[] => readdirSync(dir).filter((f) => f.startsWith(LOCK_FILE)).sort();

describe('acquireCaseLock', () => {
  it('exclusive: taken and released, leaving nothing behind', async () => {
    // WHEN
    const release = await acquireCaseLock(dir, { mode: 'exclusive', command: 'irctl detect' });
    // THEN the lock file names this process and command
    expect(lockHolders(dir)).toMatchObject([{ mode: 'exclusive', pid: process.pid, host: hostname(), command: 'irctl detect' }]);
    release();
    release();
    expect(files()).toEqual([]);
  });

  it('a live writer: exclusive and shared both fail at once with exit 7 naming the holder', async () => {
    // GIVEN another process's writer lock
    holder(LOCK_FILE);
    // WHEN / THEN
    for (const mode of ['exclusive', 'shared'] as const) {
      const err = await acquireCaseLock(dir, { mode }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CaseInUseError);
      expect((err as CaseInUseError).exitCode).toBe(ExitCode.CaseInUse);
      expect((err as CaseInUseError).message).toContain(`"irctl import ./logs" (pid ${process.ppid} on ${hostname()}, since 2026-11-28T08:00:00.000Z)`);
    }
    expect(files()).toEqual([LOCK_FILE]);
  });

  it('shared holders coexist; a writer is refused while one holds, and gets the lock after', async () => {
    // GIVEN another process's shared lock, and ours
    holder(`${LOCK_FILE}.shared-other`, { mode: 'shared', command: 'irctl export --all' });
    const release = await acquireCaseLock(dir, { mode: 'shared' });
    expect(files()).toHaveLength(2);
    release();
    // WHEN a writer comes
    const err = await acquireCaseLock(dir, { mode: 'exclusive' }).catch((e: unknown) => e);
    // THEN it is refused, and leaves no file of its own
    expect(err).toBeInstanceOf(CaseInUseError);
    expect((err as Error).message).toContain('shared lock');
    expect(files()).toEqual([`${LOCK_FILE}.shared-other`]);
    // WHEN the reader goes away while the writer waits
    setTimeout(() => unlinkSync(join(dir, `${LOCK_FILE}.shared-other`)), 300);
    const waits: LockHolder[] = [];
    const releaseW = await acquireCaseLock(dir, { mode: 'exclusive', waitMs: 10_000, onWait: (h) => waits.push(h) });
    // THEN it got the lock, having said who it waited for
    expect(waits.map((h) => h.command)).toEqual(['irctl export --all']);
    expect(files()).toEqual([LOCK_FILE]);
    releaseW();
  });

  it('gives up after waitMs with exit 7, and stops waiting on abort with exit 130', async () => {
    holder(LOCK_FILE);
    const t0 = Date.now();
    const err = await acquireCaseLock(dir, { mode: 'exclusive', waitMs: 400 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaseInUseError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const aborted = await acquireCaseLock(dir, { mode: 'exclusive', waitMs: Infinity, signal: ctl.signal }).catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(InterruptedError);
  });

  it('takes over the locks of dead processes (and of a recycled pid), saying so', async () => {
    // GIVEN a writer lock and a shared lock of processes that are gone, on this host
    const pid = deadPid();
    holder(LOCK_FILE, { pid, id: 'dead-writer' });
    holder(`${LOCK_FILE}.shared-dead`, { pid, id: 'dead-reader', mode: 'shared' });
    const stale: string[] = [];
    // WHEN
    const release = await acquireCaseLock(dir, { mode: 'exclusive', onStale: (h) => stale.push(h.id) });
    // THEN
    expect(stale.sort()).toEqual(['dead-reader', 'dead-writer']);
    expect(lockHolders(dir)).toMatchObject([{ pid: process.pid }]);
    release();
    // GIVEN a lock whose pid is alive but belongs to a process that started later than the holder did
    holder(LOCK_FILE, { pid: process.ppid, proc_start: '1', id: 'recycled' });
    const r2 = await acquireCaseLock(dir, { mode: 'shared' });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    r2();
  });

  it('never second-guesses a lock held from another host', async () => {
    holder(LOCK_FILE, { host: 'other-host.example', pid: deadPid() });
    const err = await acquireCaseLock(dir, { mode: 'exclusive' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaseInUseError);
    expect((err as CaseInUseError).hint).toContain(`remove ${join(dir, LOCK_FILE)}`);
  });

  it('is re-entrant in one process: a shared or exclusive acquisition nests in our exclusive one', async () => {
    const outer = await acquireCaseLock(dir, { mode: 'exclusive' });
    const inner = await acquireCaseLock(dir, { mode: 'shared' });
    const inner2 = await acquireCaseLock(dir, { mode: 'exclusive' });
    inner2();
    inner();
    expect(files()).toEqual([LOCK_FILE]);
    outer();
    expect(files()).toEqual([]);
  });

  it('a half-written lock file is taken as live while fresh', async () => {
    writeFileSync(join(dir, LOCK_FILE), '');
    const err = await acquireCaseLock(dir, { mode: 'exclusive' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaseInUseError);
    expect((err as Error).message).toContain('being written or damaged');
  });
});
