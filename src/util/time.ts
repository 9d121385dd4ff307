import { UsageError } from '../errors.js';
import { normalizeTime } from '../normalize/event.js';

const REL_RE = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parse a time argument: a duration back from now (`30m`, `6h`, `2d`, `1w`), `now`, or an ISO 8601 time
 * (a time without an offset is UTC; a date alone is midnight UTC). Returns epoch milliseconds.
 */
export function parseTimeArg(value: string, now: Date, flag: string): number {
  const v = value.trim();
  if (v.toLowerCase() === 'now') return now.getTime();
  const rel = REL_RE.exec(v);
  if (rel) return now.getTime() - Math.round(Number(rel[1]) * (UNIT_MS[(rel[2] as string).toLowerCase()] as number));
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
  const t = normalizeTime(dateOnly);
  if (t) return t.ms;
  throw new UsageError(`${flag} ${JSON.stringify(value)} is not a time`, {
    hint: `Use a duration back from now (30m, 6h, 2d, 1w) or an ISO 8601 time such as 2026-11-20T22:00:00Z.`,
  });
}

/** UTC ISO 8601 with milliseconds. */
export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}
