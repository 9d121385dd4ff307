/**
 * What `collect gcp` asks Cloud Logging for, and how a page is cut into entries (pure).
 */
import { UsageError } from '../../errors.js';
import { RecordSplitter, type SplitItem } from '../../ingest/json-split.js';

/** Cloud Audit Logs kinds and their log ids. */
export const AUDIT_LOGS = {
  activity: 'cloudaudit.googleapis.com/activity',
  data_access: 'cloudaudit.googleapis.com/data_access',
  system_event: 'cloudaudit.googleapis.com/system_event',
  policy: 'cloudaudit.googleapis.com/policy',
} as const;
/** One audit log kind. */
export type AuditLogKind = keyof typeof AUDIT_LOGS;
/** Every kind, in the order they are listed. */
export const AUDIT_LOG_KINDS = Object.keys(AUDIT_LOGS) as AuditLogKind[];

/** entries.list accepts at most 100 resource names per request. */
export const MAX_RESOURCE_NAMES = 100;
/** entries.list's largest page. */
export const MAX_PAGE_SIZE = 1000;

/** Resource names from the flags: `projects/P`, `folders/F`, `organizations/O`, each checked. */
export function resourceNames(f: { projects: string[]; folders: string[]; organizations: string[] }): string[] {
  const out: string[] = [];
  const check = (flag: string, re: RegExp, v: string, what: string): string => {
    const id = v.replace(/^(projects|folders|organizations)\//, '');
    if (!re.test(id)) throw new UsageError(`${flag} ${JSON.stringify(v)} is not a ${what}`, { hint: `${flag} takes ${what}s, comma-separated.` });
    return id;
  };
  // Project ids: 6-30 characters, lowercase letters, digits, hyphens (older projects may carry a domain prefix: example.com:p).
  for (const p of f.projects) out.push(`projects/${check('--project', /^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^\d+$/, p, 'project id or number')}`);
  for (const x of f.folders) out.push(`folders/${check('--folder', /^\d+$/, x, 'folder number')}`);
  for (const o of f.organizations) out.push(`organizations/${check('--organization', /^\d+$/, o, 'organization number')}`);
  return [...new Set(out)];
}

/** Split resource names into requests of at most 100. */
export function chunks<T>(xs: readonly T[], size = MAX_RESOURCE_NAMES): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Parse `--logs activity,data_access`. */
export function auditLogKinds(v: string[]): AuditLogKind[] {
  if (v.length === 0) return [...AUDIT_LOG_KINDS];
  const out: AuditLogKind[] = [];
  for (const k of v) {
    const n = k.replace(/-/g, '_').toLowerCase();
    if (!(n in AUDIT_LOGS)) throw new UsageError(`--logs ${JSON.stringify(k)} is not an audit log kind`, { hint: `Use ${AUDIT_LOG_KINDS.join(', ')}.` });
    if (!out.includes(n as AuditLogKind)) out.push(n as AuditLogKind);
  }
  return out;
}

/** A time as the Logging query language compares it (RFC 3339, UTC, milliseconds). */
function ts(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The filter of one request: the audit logs, the closed window `[from, to]`, and the user's clause ANDed in
 * parentheses (so an `OR` inside it cannot widen the window).
 */
export function buildFilter(kinds: readonly AuditLogKind[], from: number, to: number, extra?: string): string {
  const logs = kinds.map((k) => `log_id("${AUDIT_LOGS[k]}")`).join(' OR ');
  const parts = [`(${logs})`, `timestamp >= "${ts(from)}"`, `timestamp <= "${ts(to)}"`];
  if (extra !== undefined && extra.trim() !== '') parts.push(`(${extra.trim()})`);
  return parts.join(' AND ');
}

/** One entry cut out of a page: its exact bytes, and the fields the collector needs. */
export interface PageEntry {
  item: SplitItem & { type: 'record' | 'issue' };
  /** Entry time in epoch ms (floored), when it has a valid `timestamp`. */
  timeMs: number | undefined;
  /** The entry's `timestamp` as written (nanoseconds kept). */
  timestamp: string | undefined;
  insertId: string | undefined;
  /** The audit log kind of the entry, by its logName. */
  kind: AuditLogKind | undefined;
}

/** The audit log kind of a logName (`projects/p/logs/cloudaudit.googleapis.com%2Fdata_access` -> data_access). */
export function auditLogKindOf(logName: unknown): AuditLogKind | undefined {
  if (typeof logName !== 'string') return undefined;
  const id = decodeURIComponent(logName.slice(logName.lastIndexOf('/logs/') + '/logs/'.length));
  return AUDIT_LOG_KINDS.find((k) => AUDIT_LOGS[k] === id);
}

/** A parsed page. */
export interface ParsedPage {
  entries: PageEntry[];
  nextPageToken: string | undefined;
}

/**
 * Cut a page body into its entries at the byte level: each entry's raw bytes are its slice of the body as received
 * (design.md "What raw means"). Throws when the body is not an entries.list response.
 */
export function parsePage(body: Buffer): ParsedPage {
  let parsed: { entries?: unknown; nextPageToken?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch (err) {
    throw new Error(`the entries.list response is not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the entries.list response is not a JSON object');
  const nextPageToken = typeof parsed.nextPageToken === 'string' && parsed.nextPageToken !== '' ? parsed.nextPageToken : undefined;
  if (parsed.entries === undefined) return { entries: [], nextPageToken };
  if (!Array.isArray(parsed.entries)) throw new Error('the entries.list response has an "entries" member that is not an array');
  const values = parsed.entries as unknown[];
  const split: SplitItem[] = [];
  const splitter = new RecordSplitter({ kind: 'key', keys: ['entries'] });
  splitter.push(body, split);
  splitter.end(split);
  const items = split.filter((x): x is SplitItem & { type: 'record' | 'issue' } => x.type !== 'note');
  const records = items.filter((x) => x.type === 'record');
  if (records.length !== values.length) throw new Error(`the entries.list response holds ${values.length} entries but ${records.length} could be cut out of its bytes`);
  let i = 0;
  const entries = items.map((item): PageEntry => {
    if (item.type !== 'record') return { item, timeMs: undefined, timestamp: undefined, insertId: undefined, kind: undefined };
    const v = values[i++];
    const o = typeof v === 'object' && v !== null ? (v as { timestamp?: unknown; insertId?: unknown; logName?: unknown }) : {};
    const timestamp = typeof o.timestamp === 'string' ? o.timestamp : undefined;
    const t = timestamp === undefined ? NaN : Date.parse(timestamp);
    return { item, timeMs: Number.isFinite(t) ? t : undefined, timestamp, insertId: typeof o.insertId === 'string' ? o.insertId : undefined, kind: auditLogKindOf(o.logName) };
  });
  return { entries, nextPageToken };
}
