/** Duration arguments (`--window 24h`, `--margin 30m`), pure. */
import { UsageError } from '../errors.js';

const DUR_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parse `90s`, `30m`, `24h`, `2d`, `1w` (or `0`) into milliseconds; UsageError naming the flag otherwise. */
export function parseDurationArg(value: string, flag: string): number {
  const v = value.trim();
  if (v === '0') return 0;
  const m = DUR_RE.exec(v);
  if (!m) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a duration`, { hint: `Use a number and a unit, e.g. ${flag} 30m, 6h, 2d or 1w.` });
  }
  return Math.round(Number(m[1]) * (UNIT_MS[(m[2] as string).toLowerCase()] as number));
}
