/**
 * Time-range bookkeeping for resumable collection (pure).
 *
 * A checkpoint holds the closed ranges `[from, to]` (epoch ms) of a source that have been collected completely. A run
 * asks for the gaps between its window and those ranges. Because CloudTrail delivers events minutes late, a range is
 * only trusted up to `collectedAt - overlap`: the tail is scanned again on the next run, and de-duplication by
 * eventID keeps the re-scan free of duplicates.
 */

/** A closed time range in epoch milliseconds. */
export type Range = readonly [from: number, to: number];

/** Merge overlapping or touching ranges, sorted by start. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r[1] >= r[0]).map((r) => [r[0], r[1]] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Parts of `window` not covered by `covered`, oldest first. Boundaries are shared (re-fetching a boundary second is harmless). */
export function gapsIn(window: Range, covered: readonly Range[]): Range[] {
  const [ws, we] = window;
  const gaps: Range[] = [];
  let cursor = ws;
  let cursorCovered = false;
  for (const [a, b] of mergeRanges(covered)) {
    if (b < cursor) continue;
    if (a > we) break;
    if (a > cursor) gaps.push([cursor, a]);
    cursor = b;
    cursorCovered = true;
    if (cursor >= we) return gaps;
  }
  if (cursor < we || !cursorCovered) gaps.push([cursor, we]);
  return gaps;
}

/**
 * Record that `[from, to]` was collected completely at `collectedAt`; the last `overlapMs` before `collectedAt` stay
 * untrusted (late delivery), so only `[from, min(to, collectedAt - overlapMs)]` is added.
 */
export function addCovered(covered: readonly Range[], from: number, to: number, collectedAt: number, overlapMs: number): Range[] {
  const trusted = Math.min(to, collectedAt - overlapMs);
  if (trusted < from) return mergeRanges(covered);
  return mergeRanges([...covered, [from, trusted]]);
}

/** Parse a stored checkpoint value; anything malformed counts as "nothing covered" (costs time, never evidence). */
export function parseRanges(json: string): Range[] {
  try {
    const v = JSON.parse(json) as unknown;
    if (!Array.isArray(v)) return [];
    return mergeRanges(
      v.filter((r): r is [number, number] => Array.isArray(r) && r.length === 2 && typeof r[0] === 'number' && typeof r[1] === 'number'),
    );
  } catch {
    return [];
  }
}
