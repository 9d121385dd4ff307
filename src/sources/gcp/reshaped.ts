/**
 * Cloud Logging entries as exporters re-shape them (`raw_records.origin = reshaped`), read back into the LogEntry they
 * stand for so that the audit adapter maps them exactly as the entry itself (same event id: `logName`, `timestamp`,
 * `insertId`). Pure.
 *
 * - **BigQuery sink tables** exported as newline-delimited JSON (`bq extract --destination_format
 *   NEWLINE_DELIMITED_JSON`, or `bq query --format=json` rows): the payload column is named after its type
 *   (`protopayload_auditlog` for an AuditLog, `@type` dropped), `Struct` members become JSON text
 *   (`requestJson`, `responseJson`, `metadataJson`, `serviceDataJson`), typed service data gets a column of its own
 *   (`servicedata_v1_iam`, `servicedata_v1_iam_admin`, `servicedata_v1_bigquery`, ...), INT64 values may be written
 *   as strings and TIMESTAMP values as `2026-03-09 09:12:03.123456 UTC`.
 * - **The Logs Explorer CSV download**: one column per leaf of the entry, named by its dotted path
 *   (`protoPayload.authenticationInfo.principalEmail`, `resource.labels.project_id`), array members by index
 *   (`protoPayload.authorizationInfo.0.permission`; `[0]` is read too), every cell text.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { RecordOrigin, TableHeader } from '../types.js';

/** The BigQuery payload column of an AuditLog entry. */
export const BQ_AUDIT_COLUMN = 'protopayload_auditlog';

/** `Struct` members BigQuery writes as JSON text, and the AuditLog member each stands for. */
const BQ_JSON_MEMBERS: ReadonlyArray<readonly [string, string]> = [
  ['requestJson', 'request'],
  ['responseJson', 'response'],
  ['metadataJson', 'metadata'],
  ['serviceDataJson', 'serviceData'],
];

/** Typed service-data columns and the `@type` of the service data they hold. */
const BQ_SERVICE_DATA: Readonly<Record<string, string>> = {
  servicedata_v1_iam: 'type.googleapis.com/google.iam.v1.logging.AuditData',
  servicedata_v1_iam_admin: 'type.googleapis.com/google.iam.admin.v1.AuditData',
  servicedata_v1_bigquery: 'type.googleapis.com/google.cloud.bigquery.logging.v1.AuditData',
  servicedata_v1_appengine_audit: 'type.googleapis.com/google.appengine.legacy.AuditData',
};

/** BigQuery's TIMESTAMP text (`2026-03-09 09:12:03.123456 UTC`) as RFC 3339; anything else unchanged. */
export function bqTime(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?: ?(?:UTC|Z|\+00:?00))?$/.exec(v.trim());
  return m ? `${m[1]}T${m[2]}Z` : v;
}

/** JSON text parsed; text that is not JSON stays text (it is still what the export holds). */
function parsedJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** Null members dropped (BigQuery writes absent RECORD members as null in `bq query` output), recursively. */
function withoutNulls(v: unknown, depth = 0): unknown {
  if (depth > 64) return v;
  if (Array.isArray(v)) return (v as unknown[]).map((x) => withoutNulls(x, depth + 1));
  const o = asObject(v);
  if (!o) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) if (x !== null) out[k] = withoutNulls(x, depth + 1);
  return out;
}

/** True for a row of a BigQuery sink table holding an audit entry (`protopayload_auditlog` column). */
export function isBigQueryAuditRow(record: unknown): boolean {
  const o = asObject(record);
  return o !== undefined && asObject(o[BQ_AUDIT_COLUMN]) !== undefined && !('protoPayload' in o);
}

/**
 * The LogEntry a BigQuery sink row stands for (payload under `protoPayload` with its `@type`, JSON-text members
 * parsed, typed service data under `serviceData`, times in RFC 3339), or undefined when the record is not such a row.
 */
export function bigQueryAuditEntry(record: unknown): Record<string, unknown> | undefined {
  if (!isBigQueryAuditRow(record)) return undefined;
  const row = withoutNulls(record) as Record<string, unknown>;
  const bq = asObject(row[BQ_AUDIT_COLUMN]) ?? {};
  const pp: Record<string, unknown> = { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog' };
  for (const [k, v] of Object.entries(bq)) {
    const member = BQ_JSON_MEMBERS.find(([col]) => col === k)?.[1];
    const sdType = BQ_SERVICE_DATA[k];
    if (member !== undefined) pp[member] ??= parsedJson(v);
    else if (sdType !== undefined) pp.serviceData = { '@type': sdType, ...(asObject(v) ?? {}) };
    else if (k.startsWith('servicedata_')) pp.serviceData ??= v;
    else pp[k] = v;
  }
  const entry: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === BQ_AUDIT_COLUMN) entry.protoPayload = pp;
    else entry[k] = k === 'timestamp' || k === 'receiveTimestamp' ? bqTime(v) : v;
  }
  return entry;
}

/** Whether a record the audit adapter read is Cloud Logging's own entry or an exporter's re-shaping. */
export function auditRecordOrigin(record: unknown): RecordOrigin {
  return isBigQueryAuditRow(record) ? 'reshaped' : 'native';
}

// ---- Logs Explorer CSV download ----

/** Path segments of a CSV column name: `a.b.0.c`, `a.b[0].c`; label keys (which hold dots and slashes) stay whole. */
function columnPath(name: string): Array<string | number> {
  const out: Array<string | number> = [];
  const parts = name.replace(/\[(\d+)\]/g, '.$1').split('.');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    out.push(/^\d+$/.test(p) && i > 0 ? Number(p) : p);
    // `labels.compute.googleapis.com/resource_name`: everything after `labels` is one key.
    if (p === 'labels' && i < parts.length - 1) {
      out.push(parts.slice(i + 1).join('.'));
      break;
    }
  }
  return out;
}

/** Set a value at a path, making objects and arrays on the way (an index makes an array). */
function setPath(root: Record<string, unknown>, path: ReadonlyArray<string | number>, value: unknown): void {
  let cur: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string | number;
    const last = i === path.length - 1;
    const holder = cur as Record<string | number, unknown>;
    if (last) {
      holder[key] = value;
      return;
    }
    const next = path[i + 1];
    let child = holder[key];
    if (child === null || typeof child !== 'object') {
      child = typeof next === 'number' ? [] : {};
      holder[key] = child;
    }
    cur = child as Record<string, unknown> | unknown[];
  }
}

/** Columns that make a CSV a Logs Explorer download of audit entries. */
const CSV_REQUIRED = ['logName', 'timestamp'];

/**
 * A row of the Logs Explorer CSV download as the LogEntry it was flattened from (reshaped), or undefined when the
 * header is not such a download's or the row holds no audit payload. Empty cells are absent members.
 */
export function auditEntryFromCsvRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  if (header.format !== 'csv') return undefined;
  const cols = header.columns.map((c) => c.trim());
  if (!CSV_REQUIRED.every((c) => cols.includes(c)) || !cols.some((c) => c.startsWith('protoPayload.'))) return undefined;
  const entry: Record<string, unknown> = {};
  for (let i = 0; i < cols.length; i++) {
    const v = row[i];
    if (typeof v !== 'string' || v === '') continue;
    setPath(entry, columnPath(cols[i] as string), v);
  }
  if (entry.timestamp !== undefined) entry.timestamp = bqTime(entry.timestamp);
  const pp = asObject(entry.protoPayload);
  if (!pp || (asString(pp.methodName) === undefined && asString(pp.serviceName) === undefined)) return undefined;
  // Arrays with holes (a column set that skipped an index) become dense again.
  compactArrays(entry);
  return { record: entry, origin: 'reshaped' };
}

function compactArrays(v: unknown, depth = 0): void {
  if (depth > 64 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (let i = v.length - 1; i >= 0; i--) if (!(i in v)) v.splice(i, 1);
    for (const x of v) compactArrays(x, depth + 1);
    return;
  }
  for (const x of Object.values(v as Record<string, unknown>)) compactArrays(x, depth + 1);
}
