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

/**
 * A span as a person reads it: `2026-11-21 02:14:07 to 03:55:10 UTC (1 h 41 min)` within a day,
 * `2026-11-20 23:10:00 to 2026-11-21 03:55:10 UTC (4 h 45 min)` across days, one time when both ends are the same.
 * Milliseconds appear only when an end has them. Times that do not parse are shown as given.
 */
export function readableSpan(fromIso: string, toIso: string): string {
  const a = Date.parse(fromIso);
  const b = Date.parse(toIso);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return `${fromIso} to ${toIso}`;
  const ms = a % 1000 !== 0 || b % 1000 !== 0;
  const show = (t: number): string => {
    const s = new Date(t).toISOString().replace('T', ' ').replace('Z', '');
    return ms ? s : s.slice(0, 19);
  };
  const from = show(a);
  const to = show(b);
  if (a === b) return `${from} UTC`;
  const sameDay = from.slice(0, 10) === to.slice(0, 10);
  return `${from} to ${sameDay ? to.slice(11) : to} UTC (${readableDuration(Math.abs(b - a))})`;
}

/** `45 s`, `12 min`, `1 h 41 min`, `3 d 4 h`. */
export function readableDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}
