/**
 * Small provider-neutral helpers the containment planners share: reading untyped record members and collecting the
 * targets a threat's records name, each with the events that name it. Pure.
 */

/** An untyped JSON object. */
export type Rec = Record<string, unknown>;

/** The value as an object (not an array), or undefined. */
export function obj(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
}

/** The value as a non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Evidence collected per target while reading the records: the first value seen and every event naming it. */
export class Targets<T> {
  readonly map = new Map<string, { value: T; evidence: Set<string> }>();
  add(key: string, value: T, evidence: string | undefined): void {
    let t = this.map.get(key);
    if (!t) this.map.set(key, (t = { value, evidence: new Set() }));
    if (evidence !== undefined) t.evidence.add(evidence);
  }
}

/** The targets in key order (plans are stable while the evidence is). */
export function sortedTargets<T>(t: Targets<T>): Array<[string, { value: T; evidence: Set<string> }]> {
  return [...t.map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Evidence ids, sorted. */
export const evidenceIds = (s: Set<string>): string[] => [...s].sort();

/** Key-sorted copy of a JSON value (comparing policy statements, conditions). */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Rec)[k])]),
    );
  }
  return v;
}
