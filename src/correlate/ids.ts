/**
 * Stable threat ids (pure). The registry maps an anchor (the fingerprint of the earliest detection of a group when
 * the id was created) to `T-<n>`. On every run, a group that contains a registered anchor keeps that id; a group
 * that contains several keeps the oldest and the others are retired (merged); a group with none gets the next
 * number. Numbers are never reused, so an id an analyst wrote down always means the same threat or is reported as
 * merged.
 */

/** A group to name: its detection fingerprints in time order (the first is the earliest). */
export interface IdGroup {
  /** Detection fingerprints, earliest first. */
  fingerprints: readonly string[];
}

/** A registry row as the assignment needs it. */
export interface RegistryEntry {
  seq: number;
  id: string;
  anchor: string;
  merged_into: string | null;
}

/** Result of naming the groups of one run. */
export interface IdAssignment {
  /** Id per group, same order as the input. */
  ids: string[];
  /** Whether each group's id existed before this run. */
  kept: boolean[];
  /** Registry rows to add. */
  newIds: Array<{ seq: number; id: string; anchor: string }>;
  /** Ids retired by this run: merged into an older one. */
  merged: Array<{ id: string; into: string }>;
}

/** Format a threat id. */
export function threatId(seq: number): string {
  return `T-${seq}`;
}

/** Name the groups of a run. Groups are processed in the order given (callers pass them by first detection time). */
export function assignThreatIds(groups: readonly IdGroup[], registry: readonly RegistryEntry[]): IdAssignment {
  const active = new Map<string, RegistryEntry>();
  const anchors = new Set<string>();
  let maxSeq = 0;
  for (const r of registry) {
    anchors.add(r.anchor);
    maxSeq = Math.max(maxSeq, r.seq);
    // A retired id stays retired: its anchor no longer names anything.
    if (r.merged_into === null) active.set(r.anchor, r);
  }
  const out: IdAssignment = { ids: [], kept: [], newIds: [], merged: [] };
  for (const g of groups) {
    const known = g.fingerprints
      .map((fp) => active.get(fp))
      .filter((r): r is RegistryEntry => r !== undefined)
      .sort((a, b) => a.seq - b.seq);
    const keep = known[0];
    if (keep) {
      out.ids.push(keep.id);
      out.kept.push(true);
      for (const other of known.slice(1)) out.merged.push({ id: other.id, into: keep.id });
      continue;
    }
    maxSeq++;
    // The anchor column is unique: when the earliest fingerprint already anchors a retired id, take the next one.
    const anchor = g.fingerprints.find((fp) => !anchors.has(fp)) ?? `${g.fingerprints[0] ?? ''}#${maxSeq}`;
    anchors.add(anchor);
    const id = threatId(maxSeq);
    out.newIds.push({ seq: maxSeq, id, anchor });
    out.ids.push(id);
    out.kept.push(false);
  }
  return out;
}
