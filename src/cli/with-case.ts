import { existsSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseHandle } from '../case/case.js';
import type { LockMode } from '../case/lock.js';
import type { CommandContext } from './command.js';

/**
 * How a command uses the case:
 * - `read`: opens the store read-only and takes no lock (works on read-only media, never waits for a writer);
 * - `write`: takes the exclusive writer lock first (exit 7 when another command holds it, or waits with --wait),
 *   removes export staging folders left by a killed export, and opens the store for writing;
 * - `snapshot`: takes the lock in shared mode (other snapshot readers welcome, writers kept out) and opens the store
 *   for writing (export appends its own custody entry).
 */
export type CaseAccess = 'read' | 'write' | 'snapshot';

/**
 * Open the case named by --case / IRCTL_CASE / default, run `fn`, always close and release the lock (errors and
 * Ctrl-C included). Loads SQLite lazily.
 */
export async function withCase<T>(ctx: CommandContext, opts: { access: CaseAccess; create?: boolean }, fn: (kase: CaseHandle) => Promise<T> | T): Promise<T> {
  const { openCase, resolveCaseDir, STORE_FILE } = await import('../case/case.js');
  const dir = resolveCaseDir(ctx.globals.case, ctx.env);
  if (opts.access === 'read') return run(await openForReading(ctx, dir), fn);
  const create = opts.create === true;
  // A command that fails before it records anything must not leave an empty case behind (`--case new import /typo`,
  // `collect aws` without credentials): what this command created is removed again. `irctl case init` makes an empty
  // case on purpose (it records a custody entry).
  const madeDir = create && !existsSync(dir);
  let discarded = false;
  try {
    return await withCaseLock(ctx, opts.access === 'write' ? 'exclusive' : 'shared', { create }, async () => {
      if (opts.access === 'write') {
        const { removeStaleStaging } = await import('../export/staging.js');
        // Staging folders of killed exports into the case's exports folder (a live export holds the shared lock).
        removeStaleStaging(join(dir, 'exports'));
      }
      const madeStore = create && !existsSync(join(dir, STORE_FILE));
      const kase = openCase(dir, { create });
      try {
        return await fn(kase);
      } catch (err) {
        // Removed under the lock, so that no other command can be using the store.
        if (madeStore) discarded = discardIfEmpty(kase);
        throw err;
      } finally {
        if (!discarded) kase.close();
      }
    });
  } finally {
    // After the lock file is gone; a directory someone else has put files in since is left alone.
    if (discarded && madeDir) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty (or gone): keep it
      }
    }
  }
}

/**
 * Close and delete a store this command created when nothing was recorded in it (its custody chain is empty). Returns
 * true when it was deleted (the handle is then closed).
 */
function discardIfEmpty(kase: CaseHandle): boolean {
  let empty: boolean;
  try {
    empty = (kase.db.prepare('SELECT COUNT(*) FROM custody').pluck().get() as number) === 0;
  } catch {
    return false;
  }
  if (!empty) return false;
  kase.close();
  for (const f of [kase.dbPath, `${kase.dbPath}-wal`, `${kase.dbPath}-shm`, `${kase.dbPath}-journal`]) rmSync(f, { force: true });
  return true;
}

/**
 * Open read-only. A store that lacks this irctl's migrations (last written by an older irctl) is migrated first,
 * under the writer lock, when the case is writable and free; otherwise (read-only media, a writer at work, which
 * has migrated it on opening) it is read as it is.
 */
async function openForReading(ctx: CommandContext, dir: string): Promise<CaseHandle> {
  const { openCase } = await import('../case/case.js');
  const { schemaBehind } = await import('../store/db.js');
  const kase = openCase(dir, { readonly: true });
  if (!schemaBehind(kase.db)) return kase;
  kase.close();
  try {
    await withCaseLock(ctx, 'exclusive', { create: false }, () => openCase(dir).close());
  } catch (err) {
    const { ExitCode, isIrctlError } = await import('../errors.js');
    if (!isIrctlError(err) || err.exitCode === ExitCode.Interrupted) throw err;
  }
  return openCase(dir, { readonly: true });
}

async function run<T>(kase: CaseHandle, fn: (kase: CaseHandle) => Promise<T> | T): Promise<T> {
  try {
    return await fn(kase);
  } finally {
    kase.close();
  }
}

/**
 * Hold the case lock around `fn` without opening the store (context edits lock before they read context.yaml).
 * The case directory is made first when `create` (and must be writable: a read-only case is exit 3).
 */
export async function withCaseLock<T>(ctx: CommandContext, mode: LockMode, opts: { create: boolean }, fn: () => Promise<T> | T): Promise<T> {
  const { prepareCaseDir, resolveCaseDir } = await import('../case/case.js');
  const { acquireCaseLock, describeHolder } = await import('../case/lock.js');
  const dir = resolveCaseDir(ctx.globals.case, ctx.env);
  prepareCaseDir(dir, { create: opts.create });
  const release = await acquireCaseLock(dir, {
    mode,
    waitMs: ctx.globals.waitMs,
    command: ctx.command,
    signal: ctx.signal,
    onWait: (h) =>
      ctx.io.notify({ level: 'info', code: 'IRCTL_CASE_I7001', message: `waiting for the case lock, held by ${describeHolder(h)}`, data: { holder: h } }),
    onStale: (h) =>
      ctx.io.notify({ level: 'warn', code: 'IRCTL_CASE_W7002', message: `removed a stale case lock of ${describeHolder(h)}: that process is gone`, data: { holder: h } }),
  });
  try {
    return await fn();
  } finally {
    release();
  }
}
