/**
 * Read-only queries over the evidence store used by `events`, `case info` and later stages. Parameterized SQL only.
 */
import type { Db } from './db.js';
import { hasColumn } from './verify-repo.js';
import type { EventRow } from '../normalize/event-row.js';
import { detailColumn } from './detail-sql.js';
import { logKindSpecs, parseStoredRecord } from '../sources/index.js';
import { atPath } from './event-copies.js';
import { recordTextSql } from './record-text.js';

/** One event as queries return it (defined with the common schema, re-exported for the store's callers). */
export type { DetectEvent, EventRow } from '../normalize/event-row.js';

/** Filters of `irctl events` (all optional, combined with AND). */
export interface EventFilter {
  /** Inclusive lower bound, epoch ms. */
  sinceMs?: number | undefined;
  /** Exclusive upper bound, epoch ms. */
  untilMs?: number | undefined;
  /** Principal ARN, user/role/session name, or access key. */
  actor?: string | undefined;
  /** Access key id. */
  accessKey?: string | undefined;
  /** Source IP. */
  srcIp?: string | undefined;
  /** Action (operation name); `*` wildcards allowed. */
  action?: string | undefined;
  /** Provider. */
  provider?: string | undefined;
  /** Layer. */
  layer?: string | undefined;
  /** Service (iam, s3, ...). */
  service?: string | undefined;
  /** Outcome. */
  outcome?: string | undefined;
  /** Resource identifier (exact). */
  resource?: string | undefined;
  /** Maximum rows. */
  limit?: number | undefined;
  /** Newest first. @default false */
  descending?: boolean | undefined;
}


const SELECT_EVENT = `SELECT e.rowid AS rowid, e.id, e.time, e.time_ms, e.provider, e.layer, e.class, e.account, e.region, e.service, e.action,
  e.actor, e.actor_type, e.actor_name, e.access_key, e.session, e.assumed_from, e.src_ip, e.src_host, e.user_agent, e.outcome,
  e.error_code, e.read_only, e.resources, r.sha256 AS raw_sha256, e.data_type
  FROM events e JOIN raw_records r ON r.id = e.raw_id`;

/** Build the WHERE clause for a filter. */
function whereOf(f: EventFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.sinceMs !== undefined) {
    where.push('e.time_ms >= ?');
    params.push(f.sinceMs);
  }
  if (f.untilMs !== undefined) {
    where.push('e.time_ms < ?');
    params.push(f.untilMs);
  }
  if (f.actor !== undefined) {
    // An ARN, a key, or a short name: match the entity index, the short name, or the ARN's last path element.
    where.push(`(e.rowid IN (SELECT event_rowid FROM entities WHERE kind IN ('principal','role','session','access_key') AND value = ?)
      OR e.actor_name = ? OR e.actor LIKE ? ESCAPE '\\')`);
    params.push(f.actor, f.actor, `%/${f.actor.replace(/[\\%_]/g, (c) => `\\${c}`)}`);
  }
  if (f.accessKey !== undefined) {
    where.push("e.rowid IN (SELECT event_rowid FROM entities WHERE kind = 'access_key' AND value = ?)");
    params.push(f.accessKey);
  }
  if (f.srcIp !== undefined) {
    where.push("e.rowid IN (SELECT event_rowid FROM entities WHERE kind = 'ip' AND value = ?)");
    params.push(f.srcIp);
  }
  if (f.resource !== undefined) {
    where.push("e.rowid IN (SELECT event_rowid FROM entities WHERE kind = 'resource' AND value = ?)");
    params.push(f.resource);
  }
  if (f.action !== undefined) {
    if (f.action.includes('*')) {
      where.push('e.action GLOB ?');
      params.push(f.action);
    } else {
      where.push('e.action = ?');
      params.push(f.action);
    }
  }
  for (const [col, v] of [
    ['provider', f.provider],
    ['layer', f.layer],
    ['service', f.service],
    ['outcome', f.outcome],
  ] as const) {
    if (v !== undefined) {
      where.push(`e.${col} = ?`);
      params.push(v);
    }
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** Stream events matching a filter, in time order (ties by id). */
export function queryEvents(db: Db, f: EventFilter): IterableIterator<EventRow> {
  return queryEventsWith(db, f, SELECT_EVENT) as IterableIterator<EventRow>;
}

/** An event with the details only its raw record holds (JSON text, as the record has them). */
export interface FullEventRow extends EventRow {
  request_parameters: string | null;
  response_elements: string | null;
  error_message: string | null;
}

/** Like {@link queryEvents}, with request parameters, response elements and error message read from the raw record. */
export function queryEventsFull(db: Db, f: EventFilter): IterableIterator<FullEventRow> {
  const select = SELECT_EVENT.replace(
    ' FROM events e',
    `, ${detailColumn((p) => p.request, 1_000_000, 'request_parameters')}, ${detailColumn((p) => p.response, 1_000_000, 'response_elements')},
  ${detailColumn((p) => p.error, 100_000, 'error_message')} FROM events e`,
  );
  return queryEventsWith(db, f, select) as IterableIterator<FullEventRow>;
}

function queryEventsWith(db: Db, f: EventFilter, select: string): IterableIterator<unknown> {
  const { sql, params } = whereOf(f);
  const dir = f.descending === true ? 'DESC' : 'ASC';
  const limit = f.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(f.limit))}` : '';
  return db.prepare(`${select} ${sql} ORDER BY e.time_ms ${dir}, e.id ${dir} ${limit}`).iterate(...params);
}

/**
 * Of the events with these rowids, those that match a filter (its limit and order ignored): `timeline` narrows a
 * threat's events with the same filters, and so the same meaning, as `events`.
 */
export function matchingRowids(db: Db, rowids: readonly number[], f: EventFilter): Set<number> {
  if (rowids.length === 0) return new Set();
  const { sql, params } = whereOf(f);
  const among = 'e.rowid IN (SELECT value FROM json_each(?))';
  const rows = db.prepare(`SELECT e.rowid FROM events e ${sql ? `${sql} AND ${among}` : `WHERE ${among}`}`).pluck().all(...params, JSON.stringify(rowids)) as number[];
  return new Set(rows);
}

/** Count events matching a filter. */
export function countEvents(db: Db, f: EventFilter): number {
  const { sql, params } = whereOf(f);
  return db.prepare(`SELECT COUNT(*) FROM events e ${sql}`).pluck().get(...params) as number;
}

/**
 * The excerpts (events.excerpt: sanitized, cut excerpts of untrusted text such as a model invocation's prompt) of
 * events by id, for the events that have one. Empty on a store older than the column (a read-only older case).
 */
export function eventExcerpts(db: Db, ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (ids.length === 0 || !hasColumn(db, 'events', 'excerpt')) return out;
  const stmt = db.prepare('SELECT id, excerpt FROM events WHERE id IN (SELECT value FROM json_each(?)) AND excerpt IS NOT NULL');
  for (let i = 0; i < ids.length; i += 10_000) {
    for (const r of stmt.all(JSON.stringify(ids.slice(i, i + 10_000))) as Array<{ id: string; excerpt: string }>) out.set(r.id, r.excerpt);
  }
  return out;
}

/** Events by id (for citations). */
export function eventsById(db: Db, ids: readonly string[]): EventRow[] {
  if (ids.length === 0) return [];
  const out: EventRow[] = [];
  const stmt = db.prepare(`${SELECT_EVENT} WHERE e.id = ?`);
  for (const id of ids) {
    const row = stmt.get(id) as EventRow | undefined;
    if (row) out.push(row);
  }
  return out;
}

/** Quarantine entries of one input: total and the first reasons. */
export function quarantineForInput(db: Db, inputId: number, first: number): { total: number; reasons: string[] } {
  const reasons = (db.prepare('SELECT reason FROM quarantine WHERE input_id = ? ORDER BY id LIMIT ?').pluck().all(inputId, first) as string[]);
  const total = db.prepare('SELECT COUNT(*) FROM quarantine WHERE input_id = ?').pluck().get(inputId) as number;
  return { total, reasons };
}

/** A quarantine entry without its bytes. */
export interface QuarantineRow {
  id: number;
  run_id: string;
  locator: string;
  record_index: number | null;
  byte_offset: number | null;
  reason: string;
  sha256: string;
  size: number;
}

/** List quarantine entries (newest last). */
export function listQuarantine(db: Db, limit: number): QuarantineRow[] {
  return db
    .prepare('SELECT id, run_id, locator, record_index, byte_offset, reason, sha256, length(raw) AS size FROM quarantine ORDER BY id LIMIT ?')
    .all(limit) as QuarantineRow[];
}

/** Bytes of one quarantine entry. */
export function quarantineBytes(db: Db, id: number): Buffer | undefined {
  const v = db.prepare('SELECT raw FROM quarantine WHERE id = ?').pluck().get(id) as Buffer | undefined;
  return v;
}

/** Case statistics for `case info`. */
export interface CaseStats {
  events: number;
  raw_records: number;
  /** Raw records that are an export's re-shaping of a provider's record (`origin` reshaped), not its own bytes. */
  reshaped_raw_records: number;
  inputs: number;
  quarantined: number;
  custody_entries: number;
  first_event: string | null;
  last_event: string | null;
  by_provider_layer: Array<{ provider: string; layer: string; events: number; first: string; last: string }>;
  conflicted_events: number;
}

/** Gather case statistics. */
export function caseStats(db: Db): CaseStats {
  const one = (sql: string): number => db.prepare(sql).pluck().get() as number;
  const span = db.prepare('SELECT MIN(time) AS first, MAX(time) AS last FROM events').get() as { first: string | null; last: string | null };
  return {
    events: one('SELECT COUNT(*) FROM events'),
    raw_records: one('SELECT COUNT(*) FROM raw_records'),
    reshaped_raw_records: hasColumn(db, 'raw_records', 'origin') ? one("SELECT COUNT(*) FROM raw_records WHERE origin = 'reshaped'") : 0,
    inputs: one('SELECT COUNT(*) FROM inputs'),
    quarantined: one('SELECT COUNT(*) FROM quarantine'),
    custody_entries: one('SELECT COUNT(*) FROM custody'),
    first_event: span.first,
    last_event: span.last,
    by_provider_layer: db
      .prepare('SELECT provider, layer, COUNT(*) AS events, MIN(time) AS first, MAX(time) AS last FROM events GROUP BY provider, layer ORDER BY provider, layer')
      .all() as CaseStats['by_provider_layer'],
    conflicted_events: one('SELECT COUNT(*) FROM (SELECT event_id FROM raw_records GROUP BY event_id HAVING COUNT(*) > 1)'),
  };
}

/** Log kinds (provider `logKinds`) found in a window, and the kinds whose absence is missing evidence. */
export interface LogKindCoverage {
  /** Kinds with events, per provider; `setting`: what the provider's logging configuration in the case says. */
  present: Array<{ provider: string; kind: string; name: string; events: number; setting?: string }>;
  /** Kinds without events although the provider has events of that data type in the window, with what it means. */
  missing: Array<{ provider: string; kind: string; name: string; why: string; setting?: string }>;
}

/**
 * Which kinds of log (e.g. Admin Activity, Data Access) the case's events come from, in a window (the whole case
 * by default). Reads the field each provider names in the raw records of its data type: only data types whose
 * provider declares log kinds are read.
 */
export function logKindCoverage(db: Db, sinceMs = -8.64e15, untilMs = 8.64e15): LogKindCoverage {
  const out: LogKindCoverage = { present: [], missing: [] };
  for (const spec of logKindSpecs()) {
    // Table rows (a CSV download's rows) are not JSON: they are read as the record they stand for, one by one.
    const rows = db
      .prepare(
        `SELECT json_extract(r.raw, ?) AS v, COUNT(*) AS n FROM events e JOIN raw_records r ON r.id = e.raw_id
         WHERE e.data_type = ? AND e.time_ms >= ? AND e.time_ms < ? AND json_valid(r.raw) GROUP BY v`,
      )
      .all(spec.path, spec.dataType, sinceMs, untilMs) as Array<{ v: unknown; n: number }>;
    const tableRows = db
      .prepare(
        `SELECT ${recordTextSql(db)} AS t FROM events e JOIN raw_records r ON r.id = e.raw_id
         WHERE e.data_type = ? AND e.time_ms >= ? AND e.time_ms < ? AND NOT json_valid(r.raw)`,
      )
      .all(spec.dataType, sinceMs, untilMs) as Array<{ t: string }>;
    for (const { t } of tableRows) {
      const rec = parseStoredRecord(spec.dataType, t);
      rows.push({ v: rec.ok ? atPath(rec.record, spec.path) : undefined, n: 1 });
    }
    if (rows.length === 0) continue;
    const counts = new Map<string, number>();
    for (const r of rows) {
      const k = typeof r.v === 'string' ? spec.kindOf(r.v) : undefined;
      if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + r.n);
    }
    const settings = spec.settings ? logSettings(db, spec.settings) : {};
    for (const k of spec.kinds) {
      const n = counts.get(k.kind) ?? 0;
      const setting = settings[k.kind];
      const extra = setting === undefined ? {} : { setting };
      if (n > 0) out.present.push({ provider: spec.provider, kind: k.kind, name: k.name, events: n, ...extra });
      else if (k.whenAbsent !== undefined) {
        out.missing.push({ provider: spec.provider, kind: k.kind, name: k.name, why: setting === undefined ? k.whenAbsent : `${k.whenAbsent}. ${setting}`, ...extra });
      }
    }
  }
  return out;
}

/** What a provider's logging configuration records in the case (every record of their data type) say per log kind. */
function logSettings(db: Db, settings: NonNullable<ReturnType<typeof logKindSpecs>[number]['settings']>): Readonly<Record<string, string>> {
  const rows = db.prepare('SELECT r.raw AS raw FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE e.data_type = ? AND json_valid(r.raw)').all(settings.dataType) as Array<{ raw: string }>;
  if (rows.length === 0) return {};
  return settings.describe(rows.map((r) => JSON.parse(r.raw) as unknown));
}
