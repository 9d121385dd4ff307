/**
 * Copies of one event id that disagree (design.md "Record identity"; issue 12 item 10).
 *
 * Records that carry the same provider event id are one event when they say the same thing: the same normalized
 * fields (who, what, when, from where, on what, with what outcome) and the same request parameters, response
 * elements and error message (the adapter's `detailPaths`). Envelope and representation differences (an EventBridge
 * wrapper, keys a pipeline added, a LookupEvents string, whitespace and key order) change none of these, so such
 * copies stay one event with several raw records. A copy that disagrees is a different event: it gets the derived
 * id `<id>#<first 12 hex of its raw SHA-256>` (the copy with the lowest raw record id keeps the bare id) and is
 * counted as a conflict. Real data has such ids: replayed test data sets and exporters that rewrite ids.
 *
 * A re-shaped copy (`raw_records.origin = 'reshaped'`: a SIEM or pipeline export, not the provider's bytes) carries
 * fewer fields; when either copy is re-shaped only the fields both carry are compared.
 *
 * The decision is made once, when the copy is stored, and written with the raw record (`raw_records.event_id` is the
 * id of the event the record is a copy of): `case rebuild` reuses it, so event ids cited by detections, verdicts and
 * signed bundles never change when a normalizer improves. Pure apart from the adapter registry.
 */
import { adapterByDataType, normalizeStored, parseStoredRecord } from '../sources/index.js';
import { canonicalJson } from '../util/hash.js';
import { DERIVED_EVENT_COLUMNS, derivedEventValues, type ColumnValue } from './ingest-repo.js';
import type { NormalizedEvent } from '../normalize/event.js';

/** What a copy says, as compared. */
export interface CopyContent {
  /** Values of {@link DERIVED_EVENT_COLUMNS} (id and raw id are not compared). */
  columns: readonly ColumnValue[];
  /** Request / response / error values at the adapter's detail paths (canonical JSON), undefined when absent. */
  details: Readonly<Record<string, string | undefined>>;
  /** True for a copy an exporter re-shaped (`origin = 'reshaped'`). */
  reshaped: boolean;
}

/** Columns not compared: identity and position, and values derived from other compared columns. */
const SKIPPED = new Set<string>(['id', 'raw_id', 'time_ms', 'class_uid']);
// Computed on first use: ingest-repo.ts imports this module, so its constants are not there yet at load time.
let compared: ReadonlyArray<readonly [string, number]> | undefined;
const comparedColumns = (): ReadonlyArray<readonly [string, number]> =>
  (compared ??= DERIVED_EVENT_COLUMNS.map((c, i) => [c, i] as const).filter(([c]) => !SKIPPED.has(c)));
const DETAIL_KINDS = ['request', 'response', 'error'] as const;

/** A string as SQLite stores it (lone surrogates become U+FFFD on the way in). */
function asStored(v: ColumnValue | undefined): ColumnValue {
  if (v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8').toString('utf8') : v;
}

/** Value at a `$.a.b` path (the only form detail paths use); undefined when absent or the path has another form. */
export function atPath(doc: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  let cur: unknown = doc;
  for (const key of path.slice(1).split('.').slice(1)) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The detail values of a parsed record of a data type. */
function detailsOf(dataType: string, parsed: unknown): Record<string, string | undefined> {
  const paths = adapterByDataType(dataType)?.detailPaths;
  const out: Record<string, string | undefined> = {};
  for (const kind of DETAIL_KINDS) {
    const list = paths?.[kind] ?? [];
    let v: unknown;
    for (const p of list) {
      v = atPath(parsed, p);
      if (v !== undefined) break;
    }
    out[kind] = v === undefined ? undefined : canonicalJson(v);
  }
  return out;
}

/** Content of a copy from its normalized event and parsed record. */
export function copyContent(event: NormalizedEvent, parsed: unknown, reshaped: boolean): CopyContent {
  return { columns: derivedEventValues(event, 0).map(asStored), details: detailsOf(event.dataType, parsed), reshaped };
}

/** Content of a stored copy, normalized again with the current adapter; undefined when it no longer normalizes. */
export function storedCopyContent(dataType: string, raw: string, sha256: string, origin: string | null): CopyContent | undefined {
  const n = normalizeStored(dataType, raw, sha256);
  if (!n.ok) return undefined;
  // `raw` may be a table row with its header (store/record-text.ts): details are read from the record it stands for.
  const rec = parseStoredRecord(dataType, raw);
  return copyContent(n.event, rec.ok ? rec.record : undefined, origin === 'reshaped');
}

/**
 * A detail value as a re-shaping exporter may write it: scalars as text (a CSV download writes `2` and `true` as
 * cells), empty objects, arrays and nulls dropped (a flattened export has no column for them). Two copies whose
 * details agree in this form say the same thing.
 */
function looseForm(canonical: string | undefined): string | undefined {
  if (canonical === undefined) return undefined;
  const loosen = (v: unknown): unknown => {
    if (v === null) return undefined;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) {
      const a = v.map(loosen).filter((x) => x !== undefined);
      return a.length > 0 ? a : undefined;
    }
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const l = loosen(x);
        if (l !== undefined) out[k] = l;
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    return v;
  };
  try {
    return JSON.stringify(loosen(JSON.parse(canonical)) ?? null);
  } catch {
    return canonical;
  }
}

/** A value a re-shaped copy may simply not carry. */
const uncarried = (v: ColumnValue | string | undefined): boolean => v === null || v === undefined || v === '' || v === '[]';

/**
 * The fields in which two copies disagree (column names, `request`, `response`, `error`); empty when they are copies
 * of one event. With a re-shaped copy on either side, a field one copy does not carry is not compared.
 */
export function copyDifferences(a: CopyContent, b: CopyContent): string[] {
  const partial = a.reshaped || b.reshaped;
  const out: string[] = [];
  for (const [name, i] of comparedColumns()) {
    const x = a.columns[i] ?? null;
    const y = b.columns[i] ?? null;
    if (x === y) continue;
    if (partial && (uncarried(x) || uncarried(y))) continue;
    out.push(name);
  }
  for (const kind of DETAIL_KINDS) {
    const x = a.details[kind];
    const y = b.details[kind];
    if (x === y) continue;
    if (partial ? uncarried(x) || uncarried(y) || x === 'null' || y === 'null' || looseForm(x) === looseForm(y) : (x ?? 'null') === (y ?? 'null')) continue;
    out.push(kind);
  }
  return out;
}

/** Hex digits of the raw SHA-256 a derived id carries. */
export const DERIVED_ID_HEX = 12;

/** The id of a copy that disagrees with the event that holds `id`: `<id>#<first 12 hex of its raw SHA-256>`. */
export function derivedEventId(id: string, rawSha256: string, hex = DERIVED_ID_HEX): string {
  return `${id}#${rawSha256.slice(0, hex)}`;
}

const DERIVED_SUFFIX = /#([0-9a-f]{12}|[0-9a-f]{64})$/;

/** True when `candidate` is `id` or an id derived from it for a disagreeing copy. */
export function isCopyIdOf(candidate: string, id: string): boolean {
  if (candidate === id) return true;
  return candidate.length > id.length + 1 && candidate.startsWith(`${id}#`) && DERIVED_SUFFIX.test(candidate) && candidate.lastIndexOf('#') === id.length;
}

/** The bare id of a derived id (`X#0123456789ab` -> `X`); undefined for an id that is not derived. */
export function baseOfDerived(id: string): string | undefined {
  const m = DERIVED_SUFFIX.exec(id);
  return m ? id.slice(0, id.length - (m[1] as string).length - 1) : undefined;
}

/** SQL range bounds that hold `id` and every id derived from it (`#` sorts just below `$`). */
export function copyIdRange(id: string): [string, string] {
  return [id, `${id}$`];
}

/** Fields that differ, for a message: the first few, then how many more. */
export function describeDifferences(fields: readonly string[], max = 4): string {
  return fields.length <= max ? fields.join(', ') : `${fields.slice(0, max).join(', ')} and ${fields.length - max} more`;
}
