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
  const { openCase, resolveCaseDir } = await import('../case/case.js');
  const dir = resolveCaseDir(ctx.globals.case, ctx.env);
  if (opts.access === 'read') return run(await openForReading(ctx, dir), fn);
  return withCaseLock(ctx, opts.access === 'write' ? 'exclusive' : 'shared', { create: opts.create === true }, async () => {
    if (opts.access === 'write') {
      const { removeStaleStaging } = await import('../export/staging.js');
      const path = await import('node:path');
      // Staging folders of killed exports into the case's exports folder (a live export holds the shared lock).
      removeStaleStaging(path.join(dir, 'exports'));
    }
    return run(openCase(dir, { create: opts.create === true }), fn);
  });
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
