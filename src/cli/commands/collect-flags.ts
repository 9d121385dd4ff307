/**
 * Flag readers and summary lines shared by the `collect <provider>` subcommands.
 */
import { UsageError } from '../../errors.js';
import { sanitize } from '../render/table.js';

/** A comma-separated flag as a list (empty items dropped). */
export function list(v: unknown): string[] {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
}
/** A string flag, undefined when absent or empty. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
/** A positive number flag, `dflt` when absent; a usage error otherwise. */
export function positive(flag: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} ${JSON.stringify(v)} is not a positive number`);
  return n;
}
/** Values that came from the cloud are sanitized before they reach a terminal. */
export const safe = (s: string): string => sanitize(s);

/**
 * The last lines of every collect summary: whether the run was interrupted, then the custody head (the last line of a
 * writing command, design.md).
 */
export function summaryEnd(out: (line: string) => void, s: { interrupted: boolean; custody_head: { hash: string; seq: number } }): void {
  if (s.interrupted) out('stopped   interrupted: what was collected is saved; run the same command again to resume');
  out(`custody   head ${s.custody_head.hash} (entry ${s.custody_head.seq})`);
}

/** The context-snapshot lines of a collect summary: counts per kind, then each exposure finding (or `none`). */
export function contextLines(
  out: (line: string) => void,
  c: { counts: Record<string, number>; status: string; errors: Array<{ message: string }>; exposed: string[] },
  labels: { exposed: string; none: string },
): void {
  const parts = Object.entries(c.counts).map(([k, v]) => `${v} ${k}`);
  out(`context   ${parts.join(', ') || 'nothing'}${c.status !== 'ok' ? ` (${c.status}: ${c.errors.map((e) => safe(e.message)).join('; ')})` : ''}`);
  if (c.exposed.length === 0) out(`exposure  ${labels.none}`);
  for (const x of c.exposed) out(`${labels.exposed.padEnd(9)} ${safe(x)}`);
}
