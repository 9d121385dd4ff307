/**
 * The collection window (pure): `--since` / `--until` resolved against the clock and checked against what each
 * API can serve.
 */
import { UsageError } from '../errors.js';
import { parseTimeArg } from '../util/time.js';
import type { Range } from './checkpoints.js';

/** LookupEvents serves the last 90 days only. */
export const LOOKUP_MAX_AGE_MS = 90 * 86_400_000;

/** Resolve and validate the window. `api` decides the age limit. */
export function resolveWindow(since: string, until: string | undefined, now: Date, api: 'lookup' | 'lake' | 's3'): Range {
  const from = Math.floor(parseTimeArg(since, now, '--since') / 1000) * 1000;
  let to = until === undefined ? now.getTime() : parseTimeArg(until, now, '--until');
  to = Math.ceil(Math.min(to, now.getTime()) / 1000) * 1000;
  if (from > to) {
    throw new UsageError(`--since ${new Date(from).toISOString()} is after --until ${new Date(to).toISOString()}`, {
      hint: 'Give --since earlier than --until (both accept 30m, 6h, 2d or an ISO 8601 time; times without an offset are UTC).',
    });
  }
  if (api === 'lookup' && from < now.getTime() - LOOKUP_MAX_AGE_MS) {
    throw new UsageError(`--since ${new Date(from).toISOString()} is more than 90 days ago: CloudTrail LookupEvents only serves the last 90 days`, {
      hint: 'Collect older events from a trail\'s S3 bucket (--s3 s3://bucket/prefix) or a CloudTrail Lake event data store (--lake ID), or move --since within 90 days.',
    });
  }
  return [from, to];
}

/** Parse a duration such as `15m` (for --overlap). */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(value)} is not a duration`, { hint: 'Use e.g. 15m, 900s or 1h.' });
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const mult = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * mult);
}
