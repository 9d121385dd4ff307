import type { CaseHandle } from '../case/case.js';
import type { CommandContext } from './command.js';

/** Open the case named by --case / IRCTL_CASE / default, run `fn`, always close. Loads SQLite lazily. */
export async function withCase<T>(ctx: CommandContext, opts: { create?: boolean }, fn: (kase: CaseHandle) => Promise<T> | T): Promise<T> {
  const { openCase, resolveCaseDir } = await import('../case/case.js');
  const kase = openCase(resolveCaseDir(ctx.globals.case, ctx.env), opts);
  try {
    return await fn(kase);
  } finally {
    kase.close();
  }
}
