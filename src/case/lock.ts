/**
 * The case lock: one writer at a time, readers that need a consistent snapshot share it.
 *
 * - `exclusive` (writing commands: import, collect, detect, investigate, verdict --set, context edits, keys generate,
 *   case rebuild): `<case>/.irctl-lock`, made with `link()` from a complete temporary file, so it appears atomically
 *   with its content or not at all, and only one process can make it.
 * - `shared` (export: every member from one state of the case): `<case>/.irctl-lock.shared-<id>`, one file per
 *   holder. Shared holders coexist; a writer and a shared holder exclude each other.
 * - Plain readers (events, threats, timeline, case info/verify, ...) take no lock at all.
 *
 * Every lock file is JSON `{ id, mode, pid, host, command, started_at, proc_start }` (mode 0600), so whoever finds
 * the case in use can say who holds it. A lock whose process is gone (same host, pid not alive, or the pid now belongs
 * to a younger process) is stale and is taken over; a lock held from another host is never second-guessed.
 *
 * Why not flock/fcntl or a package: Node has no flock, fcntl locks are per process and vanish across threads in
 * surprising ways, and the lockfile packages on the registry (proper-lockfile, last released 2021) have no shared
 * mode and detect staleness by mtime only.
 *
 * The writer/shared race is closed by "mark, then look": a writer makes its file and then lists shared files; a
 * shared holder makes its file and then looks for the writer's. Whichever marks last sees the other. The shared side
 * backs off at once; the writer looks again after {@link RECHECK_MS} before giving up, so a reader that was backing
 * off does not make both fail.
 *
 * Locks are re-entrant within one process (an investigation that writes its bundle takes the shared lock inside its
 * exclusive one) and are released on every way out: the release function (call it in `finally`), and a synchronous
 * `exit` handler for `process.exit()` (a second Ctrl-C). Only a kill (SIGKILL, SIGTERM) or a crash leaves a file,
 * which the next command finds stale.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readdirSync, readFileSync, realpathSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { CaseInUseError, InterruptedError, caseWriteError, errnoCode } from '../errors.js';
import { pidAlive } from '../util/pid.js';

/** File of the writer (exclusive) lock inside the case directory. */
export const LOCK_FILE = '.irctl-lock';
/** Prefix of shared lock files inside the case directory. */
const SHARED_PREFIX = `${LOCK_FILE}.shared-`;
/** Taken while a stale writer lock is removed, so two processes cannot both "remove" a lock one of them just made. */
const TAKEOVER_FILE = `${LOCK_FILE}.takeover`;
/** A lock file with no readable content yet is taken as live for this long (it is being written). */
const FRESH_MS = 10_000;
/** How long a writer that found shared holders waits for them to back off before it gives up. */
const RECHECK_MS = 100;
/** Poll interval while waiting (`--wait`). */
const POLL_MS = 200;

/** Lock modes. */
export type LockMode = 'exclusive' | 'shared';

/** Who holds a lock: the JSON content of a lock file. */
export interface LockHolder {
  /** Random id of this acquisition (tells our file from a successor's). */
  id: string;
  /** Lock mode. */
  mode: LockMode;
  /** Process id. */
  pid: number;
  /** Host name. */
  host: string;
  /** The command line, e.g. `irctl import ./AWSLogs`. */
  command: string;
  /** UTC ISO time the lock was taken. */
  started_at: string;
  /** Start time of the process (Linux /proc, clock ticks since boot), to tell a recycled pid; null elsewhere. */
  proc_start: string | null;
}

/** Options of {@link acquireCaseLock}. */
export interface LockOptions {
  /** `exclusive` for writers, `shared` for readers that need a consistent snapshot. */
  mode: LockMode;
  /** Wait this long (ms) for a holder to finish: 0 fails at once, `Infinity` waits until the lock is free. @default 0 */
  waitMs?: number | undefined;
  /** What to record as the holder's command. @default 'irctl' */
  command?: string | undefined;
  /** Stops waiting (Ctrl-C): the acquisition then throws an InterruptedError. */
  signal?: AbortSignal | undefined;
  /** Called once when the lock is busy and the caller waits. */
  onWait?: ((holder: LockHolder) => void) | undefined;
  /** Called when a stale lock of a dead process is removed. */
  onStale?: ((holder: LockHolder) => void) | undefined;
}

/** Releases a lock; safe to call more than once. */
export type ReleaseLock = () => void;

/** How long a shared holder waits for a freshly marked writer to withdraw before reporting the case in use. */
const SHARED_GRACE_MS = 2_000;

/** A lock this process holds. */
interface Held {
  dir: string;
  mode: LockMode;
  /** Our lock file, or undefined for a nested acquisition (the outer one owns the file). */
  file: string | undefined;
  id: string;
}

const held = new Set<Held>();
/** Ids of acquisitions of this process under way: their files exist before they are held. */
const inFlight = new Set<string>();
let exitHookInstalled = false;

/**
 * Take the case lock of `caseDir` (which must exist). Resolves to the release function; throws CaseInUseError
 * (exit 7) naming the holder when the lock stays busy past `waitMs`, ConfigError (exit 3) when the case directory is
 * read-only, LocalStorageError (exit 8) when the lock file cannot be written.
 */
export async function acquireCaseLock(caseDir: string, opts: LockOptions): Promise<ReleaseLock> {
  const dir = canonical(caseDir);
  const mine = [...held].filter((h) => h.dir === dir);
  // Re-entrant: under our own writer lock anything nests; a second shared acquisition nests under a shared one.
  if (mine.some((h) => h.mode === 'exclusive') || (opts.mode === 'shared' && mine.length > 0)) return track({ dir, mode: opts.mode, file: undefined, id: '' });

  const me: LockHolder = {
    id: `${process.pid}-${randomBytes(6).toString('hex')}`,
    mode: opts.mode,
    pid: process.pid,
    host: hostname(),
    command: (opts.command ?? 'irctl').slice(0, 300),
    started_at: new Date().toISOString(),
    proc_start: procStart(process.pid),
  };
  const ownIds = new Set(mine.map((h) => h.id));
  const waitMs = opts.waitMs ?? 0;
  const deadline = Date.now() + waitMs;
  let announced = false;
  inFlight.add(me.id);
  try {
    for (;;) {
      const r = opts.mode === 'exclusive' ? await tryExclusive(dir, me, ownIds, opts) : tryShared(dir, me, opts);
      if ('file' in r) return track({ dir, mode: opts.mode, file: r.file, id: me.id });
      // A writer that marked at the same moment as a shared holder withdraws within a poll when it sees that holder:
      // a reader does not give up on a writer's mark younger than the grace (two exports and an import started
      // together must leave the exports running and refuse the import, not the other way round).
      const young = opts.mode === 'shared' && Date.now() - Date.parse(r.holder.started_at) < SHARED_GRACE_MS;
      const left = Math.max(deadline - Date.now(), young ? POLL_MS : 0);
      if (left <= 0) throw inUse(dir, r.holder, waitMs);
      if (!announced) {
        announced = true;
        opts.onWait?.(r.holder);
      }
      await sleep(Math.min(POLL_MS, left), opts.signal);
    }
  } finally {
    inFlight.delete(me.id);
  }
}

/** Every current holder of the case lock (stale ones included): for diagnostics and tests. */
export function lockHolders(caseDir: string): LockHolder[] {
  const dir = canonical(caseDir);
  const out: LockHolder[] = [];
  const w = readHolder(join(dir, LOCK_FILE));
  if (w) out.push(w);
  for (const f of sharedFiles(dir)) {
    const h = readHolder(join(dir, f));
    if (h) out.push(h);
  }
  return out;
}

/** One-line description of a holder for messages: `"irctl import x" (pid 42 on host-a, since ...)`. */
export function describeHolder(h: LockHolder): string {
  return `${JSON.stringify(h.command)} (pid ${h.pid} on ${h.host}, since ${h.started_at})`;
}

type Attempt = { file: string } | { holder: LockHolder };

async function tryExclusive(dir: string, me: LockHolder, ownIds: Set<string>, opts: LockOptions): Promise<Attempt> {
  const lockPath = join(dir, LOCK_FILE);
  // A few rounds: the holder may leave between link() and the read, or be stale and removed.
  for (let tries = 0; !createExclusive(lockPath, me); tries++) {
    const h = readHolder(lockPath);
    if (h === undefined && tries < 5) continue;
    if (h === undefined || !isStale(h, lockPath) || tries >= 5) return { holder: h ?? placeholder(lockPath) };
    removeStaleWriter(dir, h, opts);
  }
  // Mark, then look: shared holders that marked before us are seen here; later ones see our file and back off.
  let readers = liveShared(dir, ownIds, opts);
  if (readers.length > 0) {
    await sleep(RECHECK_MS);
    readers = liveShared(dir, ownIds, opts);
  }
  const first = readers[0];
  if (first !== undefined) {
    removeIfOurs(lockPath, me.id);
    return { holder: first };
  }
  return { file: lockPath };
}

function tryShared(dir: string, me: LockHolder, opts: LockOptions): Attempt {
  const writer = liveWriter(dir, opts);
  if (writer) return { holder: writer };
  const file = join(dir, `${SHARED_PREFIX}${me.id}`);
  writeNew(file, me);
  const after = liveWriter(dir, opts);
  if (after) {
    removeIfOurs(file, me.id);
    return { holder: after };
  }
  return { file };
}

/** The live writer, if any (a stale one is removed on the way). */
function liveWriter(dir: string, opts: LockOptions): LockHolder | undefined {
  const lockPath = join(dir, LOCK_FILE);
  for (let tries = 0; tries < 3; tries++) {
    const h = readHolder(lockPath);
    if (h === undefined || !isStale(h, lockPath)) return h;
    removeStaleWriter(dir, h, opts);
  }
  return readHolder(lockPath);
}

/** Live shared holders other than ours (stale ones are removed on the way). */
function liveShared(dir: string, ownIds: Set<string>, opts: LockOptions): LockHolder[] {
  const live: LockHolder[] = [];
  for (const f of sharedFiles(dir)) {
    const path = join(dir, f);
    const h = readHolder(path);
    if (h === undefined || ownIds.has(h.id)) continue;
    if (isStale(h, path)) {
      // A shared file's name is unique to its holder: removing a stale one cannot race with a new holder.
      unlinkQuiet(path);
      opts.onStale?.(h);
    } else live.push(h);
  }
  return live;
}

/**
 * Remove a stale writer lock, under the takeover file so that two processes cannot both act on the same stale
 * holder (the second would remove the lock the first has just made).
 */
function removeStaleWriter(dir: string, stale: LockHolder, opts: LockOptions): void {
  const takeover = join(dir, TAKEOVER_FILE);
  let fd: number;
  try {
    fd = openSync(takeover, 'wx', 0o600);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw caseWriteError(err, dir);
    // Another process is taking over; a takeover file left by a crash is removed once it is old.
    if (ageMs(takeover) > FRESH_MS) unlinkQuiet(takeover);
    return;
  }
  try {
    const lockPath = join(dir, LOCK_FILE);
    const now = readHolder(lockPath);
    if (now !== undefined && now.id === stale.id) {
      unlinkQuiet(lockPath);
      opts.onStale?.(stale);
    }
  } finally {
    closeSync(fd);
    unlinkQuiet(takeover);
  }
}

/** Create `lockPath` holding `me`, atomically; false when it exists. */
function createExclusive(lockPath: string, me: LockHolder): boolean {
  const tmp = `${lockPath}.tmp-${me.id}`;
  writeNew(tmp, me);
  try {
    linkSync(tmp, lockPath);
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return false;
    // File systems without hard links: an O_EXCL create (its content may be read half-written: see FRESH_MS).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EMLINK') {
      try {
        writeNew(lockPath, me);
        return true;
      } catch (e2) {
        if (errnoCode(e2) === 'EEXIST') return false;
        throw e2;
      }
    }
    throw caseWriteError(err, lockPath);
  } finally {
    unlinkQuiet(tmp);
  }
}

/** Write a new file (O_EXCL, 0600) with the holder's JSON. */
function writeNew(path: string, h: LockHolder): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw err;
    throw caseWriteError(err, path);
  }
  try {
    writeSync(fd, `${JSON.stringify(h)}\n`);
  } catch (err) {
    closeSync(fd);
    unlinkQuiet(path);
    throw caseWriteError(err, path);
  }
  closeSync(fd);
}

/** The holder recorded in a lock file, undefined when there is no file. Unreadable content gives a placeholder. */
function readHolder(path: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw caseWriteError(err, path);
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.id === 'string') {
      return {
        id: v.id,
        mode: v.mode === 'shared' ? 'shared' : 'exclusive',
        pid: v.pid,
        host: v.host,
        command: typeof v.command === 'string' ? v.command : 'irctl',
        started_at: typeof v.started_at === 'string' ? v.started_at : '?',
        proc_start: typeof v.proc_start === 'string' ? v.proc_start : null,
      };
    }
  } catch {
    // fall through: half-written or damaged
  }
  return placeholder(path);
}

/** The holder of a lock file whose content cannot be read (being written, or damaged). */
function placeholder(path: string): LockHolder {
  return { id: `unreadable:${path}`, mode: path.includes(SHARED_PREFIX) ? 'shared' : 'exclusive', pid: 0, host: '?', command: '(lock file being written or damaged)', started_at: '?', proc_start: null };
}

/** A holder is stale when its process is gone: same host and the pid is dead or now a different process. */
function isStale(h: LockHolder, path: string): boolean {
  if (h.id.startsWith('unreadable:')) return ageMs(path) > FRESH_MS;
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return !inFlight.has(h.id) && ![...held].some((x) => x.id === h.id);
  if (!pidAlive(h.pid)) return true;
  const start = procStart(h.pid);
  return h.proc_start !== null && start !== null && start !== h.proc_start;
}

/** Start time of a process in clock ticks since boot (Linux), null where /proc is not available. */
function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces and parentheses, so count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function sharedFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.startsWith(SHARED_PREFIX));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw caseWriteError(err, dir);
  }
}

/** Remove `path` if it still holds acquisition `id` (never a successor's file). */
function removeIfOurs(path: string, id: string): void {
  try {
    const h = readHolder(path);
    if (h?.id === id) unlinkQuiet(path);
  } catch {
    // release must not throw: a file we cannot read any more is left for the stale check
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone (or the folder became read-only): nothing to do
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function canonical(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

function inUse(dir: string, h: LockHolder, waitMs: number): CaseInUseError {
  const waited = waitMs > 0 ? ` (waited ${Math.round(waitMs / 1000)} s)` : '';
  const other = h.host !== hostname();
  return new CaseInUseError(`case in use: ${dir} is ${h.mode === 'shared' ? 'being read for a consistent snapshot (shared lock) by' : 'locked by'} ${describeHolder(h)}${waited}`, {
    hint:
      `Wait for it to finish, or run again with --wait (or --wait=SECONDS) to wait for it.` +
      (other ? ` It runs on another host; if you are sure it is gone, remove ${join(dir, h.mode === 'shared' ? `${SHARED_PREFIX}${h.id}` : LOCK_FILE)}.` : ''),
  });
}

/** Register a held lock and return its release function. */
function track(h: Held): ReleaseLock {
  held.add(h);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // process.exit() (second Ctrl-C, EPIPE) skips `finally`: release synchronously on the way out.
    process.on('exit', releaseAll);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(h);
    if (h.file !== undefined) removeIfOurs(h.file, h.id);
  };
}

function releaseAll(): void {
  for (const h of held) if (h.file !== undefined) removeIfOurs(h.file, h.id);
  held.clear();
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolveSleep, reject) => {
    if (signal?.aborted === true) {
      reject(new InterruptedError('interrupted while waiting for the case lock: nothing was changed'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new InterruptedError('interrupted while waiting for the case lock: nothing was changed'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolveSleep();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

