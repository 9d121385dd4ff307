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
  /** Event ids of its detections (for the fallback match on the previous run's threats). */
  eventIds?: ReadonlySet<string> | undefined;
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

/**
 * Name the groups of a run. Groups are processed in the order given (callers pass them by first detection time).
 *
 * `previous` (the previous run's threats: id -> event ids of their detections) is a fallback for groups that contain
 * no registered anchor: when rules change (a new rule pack, a Sigma folder added or removed), detections get new
 * fingerprints although the same events fire. Such a group takes the oldest previous id, not claimed by another
 * group in this run, whose events it shares.
 */
export function assignThreatIds(
  groups: readonly IdGroup[],
  registry: readonly RegistryEntry[],
  previous: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): IdAssignment {
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
  const seqOf = new Map(registry.map((r) => [r.id, r]));
  const claimed = new Set<string>();
  const pending: number[] = [];
  groups.forEach((g, gi) => {
    const known = g.fingerprints
      .map((fp) => active.get(fp))
      .filter((r): r is RegistryEntry => r !== undefined)
      .sort((a, b) => a.seq - b.seq);
    const keep = known[0];
    if (keep) {
      out.ids[gi] = keep.id;
      out.kept[gi] = true;
      claimed.add(keep.id);
      for (const other of known.slice(1)) {
        out.merged.push({ id: other.id, into: keep.id });
        claimed.add(other.id);
      }
    } else pending.push(gi);
  });
  for (const gi of pending) {
    const g = groups[gi] as IdGroup;
    let match: RegistryEntry | undefined;
    if (g.eventIds && g.eventIds.size > 0) {
      for (const [id, evs] of previous) {
        const reg = seqOf.get(id);
        if (!reg || reg.merged_into !== null || claimed.has(id)) continue;
        if (match && match.seq < reg.seq) continue;
        for (const e of evs) {
          if (g.eventIds.has(e)) {
            match = reg;
            break;
          }
        }
      }
    }
    if (match) {
      out.ids[gi] = match.id;
      out.kept[gi] = true;
      claimed.add(match.id);
      continue;
    }
    maxSeq++;
    // The anchor column is unique: when the earliest fingerprint already anchors a retired id, take the next one.
    const anchor = g.fingerprints.find((fp) => !anchors.has(fp)) ?? `${g.fingerprints[0] ?? ''}#${maxSeq}`;
    anchors.add(anchor);
    const id = threatId(maxSeq);
    out.newIds.push({ seq: maxSeq, id, anchor });
    out.ids[gi] = id;
    out.kept[gi] = false;
  }
  return out;
}
