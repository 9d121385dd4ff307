/**
 * Anchor names for the report's cross-links (a cited id -> its evidence appendix row -> its timeline line). Evidence
 * ids come from log content (a CloudTrail eventID is whatever the record says), so an anchor is never the raw id: it
 * is a prefix plus an injective encoding that keeps only `[A-Za-z0-9.-]` and writes every other UTF-8 byte as `_xx`
 * (the `_` itself included), so the name is safe in an `id` attribute, a `href="#..."` and a Markdown link target,
 * and two ids never share an anchor. Pure.
 */

/** What an anchor points at. */
export type AnchorKind =
  /** A row of the evidence appendix. */
  | 'ap'
  /** A line of the attack timeline (an event id). */
  | 'tl'
  /** A row of the detections table (a `det:` id). */
  | 'dt'
  /** A row of the verdict history (an investigation id). */
  | 'vh';

/** The anchor name of `id` in the section `kind`. */
export function anchorId(kind: AnchorKind, id: string): string {
  let out = '';
  for (const b of Buffer.from(id, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9.-]/.test(c) ? c : `_${b.toString(16).padStart(2, '0')}`;
  }
  return `${kind}-${out}`;
}

/** The distinct ids of a list, first occurrence first (claims repeat ids). */
export function distinctIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
