/**
 * All SQL of the investigation stage: read-only queries the tools need (threats, detections, events, entities,
 * coverage) and the append-only investigation and verdict-override tables. Parameterized SQL only; every list
 * query takes a limit.
 *
 * The export stage reads {@link latestInvestigation} and {@link verdictHistory}.
 */
import { singleRowCommitment } from './commitment.js';
import { appendCustody, type ChainHead, type Provenance } from './custody.js';
import type { Db } from './db.js';
import type { EventRow } from './query-repo.js';
import { detailColumn } from './detail-sql.js';

/** A threat row (003 contract), JSON columns parsed. */
export interface ThreatRecord {
  id: string;
  title: string;
  severity: string;
  priority: number;
  first_ms: number;
  last_ms: number;
  first_seen: string;
  last_seen: string;
  entities: Array<{ kind: string; value: string }>;
  techniques: string[];
  tactics: string[];
  detection_count: number;
  context_notes: string[];
}

/** A detection row, JSON columns parsed. */
export interface DetectionRecord {
  id: number;
  fingerprint: string;
  rule_id: string;
  rule_title: string;
  rule_author: string | null;
  rule_source: string;
  severity: string;
  techniques: string[];
  tactics: string[];
  first_seen: string;
  last_seen: string;
  first_ms: number;
  last_ms: number;
  summary: string;
  entities: Array<{ kind: string; value: string }>;
  event_ids: string[];
}

/** An event with the attacker-controlled raw fields tools show (request parameters, error message). */
export interface EventDetail extends Omit<EventRow, 'raw_sha256'> {
  /** JSON text of the record's request parameters (the paths its adapter names), capped at 2,000 characters by SQL. */
  request_parameters: string | null;
  /** errorMessage text, capped. */
  error_message: string | null;
}

function parseJsonArray<T>(s: unknown): T[] {
  if (typeof s !== 'string') return [];
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

interface ThreatRowRaw extends Omit<ThreatRecord, 'entities' | 'techniques' | 'tactics' | 'context_notes'> {
  entities: string;
  techniques: string;
  tactics: string;
  context_notes: string;
}

/** Whether the detect tables exist (they do after migration 3). */
export function threatCount(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM threats').pluck().get() as number;
}

/** One threat by id (`T-3`; `t-3` and `3` are accepted by the caller). */
export function getThreatRecord(db: Db, id: string): ThreatRecord | undefined {
  const r = db.prepare('SELECT * FROM threats WHERE id = ?').get(id) as ThreatRowRaw | undefined;
  if (!r) return undefined;
  return {
    ...r,
    entities: parseJsonArray(r.entities),
    techniques: parseJsonArray(r.techniques),
    tactics: parseJsonArray(r.tactics),
    context_notes: parseJsonArray(r.context_notes),
  };
}

/** Ids of all threats, by priority. */
export function listThreatIds(db: Db, limit: number): string[] {
  return db.prepare('SELECT id FROM threats ORDER BY priority DESC, first_ms, id LIMIT ?').pluck().all(limit) as string[];
}

/** Detections of a threat, time order. */
export function threatDetections(db: Db, threatId: string, limit: number): DetectionRecord[] {
  const rows = db
    .prepare(
      `SELECT d.* FROM detections d JOIN threat_detections td ON td.detection_id = d.id
       WHERE td.threat_id = ? ORDER BY d.first_ms, d.fingerprint LIMIT ?`,
    )
    .all(threatId, limit) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    ...(r as unknown as DetectionRecord),
    techniques: parseJsonArray<string>(r.techniques),
    tactics: parseJsonArray<string>(r.tactics),
    entities: parseJsonArray<{ kind: string; value: string }>(r.entities),
    event_ids: parseJsonArray<string>(r.event_ids),
  }));
}

/** Detection fingerprints that exist (for citation checks). */
export function existingDetectionFingerprints(db: Db, prefixes: readonly string[]): Set<string> {
  const out = new Set<string>();
  const stmt = db.prepare("SELECT fingerprint FROM detections WHERE fingerprint LIKE ? ESCAPE '\\' LIMIT 2");
  for (const p of prefixes) {
    const rows = stmt.pluck().all(`${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as string[];
    if (rows.length === 1) out.add(p);
  }
  return out;
}

/** The event detail SELECT (it depends on the registered providers; building it costs far less than preparing it). */
function detailSelect(): string {
  return `SELECT e.rowid AS rowid, e.id, e.time, e.time_ms, e.provider, e.layer, e.class, e.data_type, e.account, e.region,
  e.service, e.action, e.actor, e.actor_type, e.actor_name, e.access_key, e.session, e.assumed_from, e.src_ip, e.src_host,
  e.user_agent, e.outcome, e.error_code, e.read_only, e.resources,
  ${detailColumn((p) => p.request, 2000, 'request_parameters')},
  ${detailColumn((p) => p.error, 1000, 'error_message')}
  FROM events e JOIN raw_records r ON r.id = e.raw_id`;
}

/** Event ids of a threat (through its detections), time order, capped. */
export function threatEventIds(db: Db, threatId: string, limit: number): { ids: string[]; total: number } {
  const total = db
    .prepare(
      `SELECT COUNT(DISTINCT de.event_id) FROM detection_events de JOIN threat_detections td ON td.detection_id = de.detection_id
       WHERE td.threat_id = ?`,
    )
    .pluck()
    .get(threatId) as number;
  const ids = db
    .prepare(
      `SELECT de.event_id FROM detection_events de JOIN threat_detections td ON td.detection_id = de.detection_id
       LEFT JOIN events e ON e.id = de.event_id
       WHERE td.threat_id = ? GROUP BY de.event_id ORDER BY MIN(e.time_ms), de.event_id LIMIT ?`,
    )
    .pluck()
    .all(threatId, limit) as string[];
  return { ids, total };
}

/** Events by id with raw details, time order (unknown ids are left out). */
export function eventDetails(db: Db, ids: readonly string[]): EventDetail[] {
  const stmt = db.prepare(`${detailSelect()} WHERE e.id = ?`);
  const out: EventDetail[] = [];
  for (const id of ids) {
    const r = stmt.get(id) as EventDetail | undefined;
    if (r) out.push(r);
  }
  return out.sort((a, b) => a.time_ms - b.time_ms || a.id.localeCompare(b.id));
}

/** The actor fields of events by id (ids not in the store are left out): what the attribution check names them by. */
export type EventActorRow = Pick<EventRow, 'id' | 'provider' | 'actor' | 'actor_type' | 'actor_name' | 'access_key' | 'session' | 'assumed_from' | 'related'>;

/** Actor fields of these events. */
export function eventActors(db: Db, ids: readonly string[]): EventActorRow[] {
  const stmt = db.prepare('SELECT id, provider, actor, actor_type, actor_name, access_key, session, assumed_from, related FROM events WHERE id = ?');
  const out: EventActorRow[] = [];
  for (const id of ids) {
    const r = stmt.get(id) as EventActorRow | undefined;
    if (r) out.push(r);
  }
  return out;
}

/** Which of these event ids exist in the store. */
export function existingEventIds(db: Db, ids: readonly string[]): Set<string> {
  const stmt = db.prepare('SELECT 1 FROM events WHERE id = ?').pluck();
  return new Set(ids.filter((id) => stmt.get(id) !== undefined));
}

/**
 * Every identifying value of the case, for pseudonymization before anything is sent to a model: the entity index
 * (user agents left out: they identify no one), the identity and source columns of events, and the entities of
 * detections and threats. Distinct, sorted by kind then value (so pseudonyms are numbered the same on every run).
 * Reads every event once.
 */
export function caseEntityValues(db: Db): Array<{ kind: string; value: string }> {
  const seen = new Set<string>();
  const add = (kind: string, value: unknown): void => {
    if (typeof value === 'string' && value !== '') seen.add(`${kind}\u0000${value}`);
  };
  for (const r of db.prepare("SELECT DISTINCT kind, value FROM entities WHERE kind <> 'user_agent'").iterate() as IterableIterator<{ kind: string; value: string }>) add(r.kind, r.value);
  const cols = db.prepare('SELECT DISTINCT actor, actor_name, principal_id, access_key, session, assumed_from, src_ip, src_host, account FROM events').iterate() as IterableIterator<
    Record<string, string | null>
  >;
  for (const r of cols) {
    add('principal', r.actor);
    add('principal', r.actor_name);
    add('principal_id', r.principal_id);
    add('access_key', r.access_key);
    add('session', r.session);
    add('role', r.assumed_from);
    add('ip', r.src_ip);
    add('host', r.src_host);
    add('account', r.account);
  }
  for (const table of ['detections', 'threats']) {
    for (const json of db.prepare(`SELECT entities FROM ${table}`).pluck().iterate() as IterableIterator<string>) {
      for (const e of parseJsonArray<{ kind?: unknown; value?: unknown }>(json)) if (typeof e.kind === 'string' && e.kind !== 'user_agent') add(e.kind, e.value);
    }
  }
  return [...seen]
    .sort()
    .map((k) => {
      const i = k.indexOf('\u0000');
      return { kind: k.slice(0, i), value: k.slice(i + 1) };
    });
}

/** Entity kinds tools accept. */
export type EntityKind = 'principal' | 'access_key' | 'ip' | 'user_agent' | 'resource' | 'session' | 'role' | 'account';

/** Filter of {@link searchEventDetails}. All given filters must hold. */
export interface EventSearch {
  principal?: string | undefined;
  accessKey?: string | undefined;
  ip?: string | undefined;
  action?: string | undefined;
  resource?: string | undefined;
  userAgent?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
}

function searchWhere(f: EventSearch): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const ent = (kinds: string[], v: string): void => {
    where.push(`e.rowid IN (SELECT event_rowid FROM entities WHERE kind IN (${kinds.map(() => '?').join(',')}) AND value = ?)`);
    params.push(...kinds, v);
  };
  if (f.principal !== undefined) {
    where.push(
      `(e.rowid IN (SELECT event_rowid FROM entities WHERE kind IN ('principal','role','session') AND value = ?) OR e.actor_name = ?)`,
    );
    params.push(f.principal, f.principal);
  }
  if (f.accessKey !== undefined) ent(['access_key'], f.accessKey);
  if (f.ip !== undefined) {
    where.push('(e.src_ip = ? OR e.src_host = ?)');
    params.push(f.ip, f.ip);
  }
  if (f.resource !== undefined) ent(['resource'], f.resource);
  if (f.userAgent !== undefined) {
    where.push('e.user_agent = ?');
    params.push(f.userAgent);
  }
  if (f.action !== undefined) {
    where.push(f.action.includes('*') ? 'e.action GLOB ?' : 'e.action = ?');
    params.push(f.action);
  }
  if (f.sinceMs !== undefined) {
    where.push('e.time_ms >= ?');
    params.push(f.sinceMs);
  }
  if (f.untilMs !== undefined) {
    where.push('e.time_ms < ?');
    params.push(f.untilMs);
  }
  return { sql: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** What {@link searchEventDetails} returns: the first rows, and facts of the whole match (not only the rows). */
export interface EventSearchResult {
  /** The first `limit` matching events, in time order. */
  rows: EventDetail[];
  /** How many events match. */
  total: number;
  /** Time of the first and of the last matching event (null when none match). */
  first: string | null;
  last: string | null;
  /** Matching events per action, the most frequent first (at most 25 actions). */
  actions: Record<string, number>;
}

/** Events matching a search, time order, capped; with the count, span and actions of the whole match. */
export function searchEventDetails(db: Db, f: EventSearch, limit: number): EventSearchResult {
  const { sql, params } = searchWhere(f);
  const span = db.prepare(`SELECT COUNT(*) AS total, MIN(e.time_ms) AS first, MAX(e.time_ms) AS last FROM events e ${sql}`).get(...params) as {
    total: number;
    first: number | null;
    last: number | null;
  };
  const rows = db.prepare(`${detailSelect()} ${sql} ORDER BY e.time_ms, e.id LIMIT ?`).all(...params, limit) as EventDetail[];
  const actions = db.prepare(`SELECT e.action AS action, COUNT(*) AS n FROM events e ${sql} GROUP BY e.action ORDER BY n DESC, e.action LIMIT 25`).all(...params) as Array<{
    action: string;
    n: number;
  }>;
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return { rows, total: span.total, first: iso(span.first), last: iso(span.last), actions: Object.fromEntries(actions.map((a) => [a.action, a.n])) };
}

/** One facet value of an entity's history. */
export interface FacetRow {
  facet: 'ip' | 'user_agent' | 'region' | 'action';
  value: string;
  count: number;
  first_seen: string;
  last_seen: string;
  /** The most recent event with this value (the evidence id). */
  event_id: string;
}

/** History of an entity before a time: totals and per-facet counts (top `limit` per facet). */
export function entityHistory(
  db: Db,
  f: EventSearch,
  limit: number,
): { events: number; first_seen: string | null; last_seen: string | null; facets: FacetRow[]; facet_totals: Record<string, number> } {
  const { sql, params } = searchWhere(f);
  const span = db.prepare(`SELECT COUNT(*) AS n, MIN(e.time) AS first, MAX(e.time) AS last FROM events e ${sql}`).get(...params) as {
    n: number;
    first: string | null;
    last: string | null;
  };
  const facets: FacetRow[] = [];
  const totals: Record<string, number> = {};
  const cols: Array<[FacetRow['facet'], string]> = [
    ['ip', 'COALESCE(e.src_ip, e.src_host)'],
    ['user_agent', 'e.user_agent'],
    ['region', 'e.region'],
    ['action', 'e.action'],
  ];
  for (const [facet, col] of cols) {
    totals[facet] = db.prepare(`SELECT COUNT(DISTINCT ${col}) FROM events e ${sql}`).pluck().get(...params) as number;
    // SQLite: a bare column next to MAX() comes from the row holding the maximum (the latest event).
    const rows = db
      .prepare(
        `SELECT ${col} AS value, COUNT(*) AS count, MIN(e.time) AS first_seen, MAX(e.time) AS last_seen, e.id AS event_id, MAX(e.time_ms) AS _m
         FROM events e ${sql} ${sql ? 'AND' : 'WHERE'} ${col} IS NOT NULL GROUP BY ${col} ORDER BY count DESC, value LIMIT ?`,
      )
      .all(...params, limit) as Array<Omit<FacetRow, 'facet'> & { _m: number }>;
    for (const r of rows) facets.push({ facet, value: r.value, count: r.count, first_seen: r.first_seen, last_seen: r.last_seen, event_id: r.event_id });
  }
  return { events: span.n, first_seen: span.first, last_seen: span.last, facets, facet_totals: totals };
}

/** Count of events of an entity doing one action before a time. */
export function actionCount(db: Db, f: EventSearch): number {
  const { sql, params } = searchWhere(f);
  return db.prepare(`SELECT COUNT(*) FROM events e ${sql}`).pluck().get(...params) as number;
}

/** An entity co-occurring with another in the same events. */
export interface RelatedRow {
  kind: string;
  value: string;
  events: number;
  first_seen: string;
  last_seen: string;
  event_id: string;
}

/** Entities that share events with (kind, value) in a time range, by number of shared events. */
export function relatedEntities(db: Db, kinds: readonly string[], value: string, sinceMs: number, untilMs: number, limit: number): { rows: RelatedRow[]; total: number } {
  const k = kinds.map(() => '?').join(',');
  const base = `FROM entities a JOIN entities b ON b.event_rowid = a.event_rowid JOIN events e ON e.rowid = a.event_rowid
    WHERE a.kind IN (${k}) AND a.value = ? AND e.time_ms >= ? AND e.time_ms < ? AND NOT (b.value = ? AND b.kind IN (${k}))
      AND b.kind <> 'account'`;
  const params = [...kinds, value, sinceMs, untilMs, value, ...kinds];
  const total = db.prepare(`SELECT COUNT(*) FROM (SELECT 1 ${base} GROUP BY b.kind, b.value)`).pluck().get(...params) as number;
  const rows = db
    .prepare(
      `SELECT b.kind AS kind, b.value AS value, COUNT(DISTINCT e.rowid) AS events, MIN(e.time) AS first_seen, MAX(e.time) AS last_seen,
        e.id AS event_id, MAX(e.time_ms) AS _m ${base} GROUP BY b.kind, b.value ORDER BY events DESC, b.kind, b.value LIMIT ?`,
    )
    .all(...params, limit) as Array<RelatedRow & { _m: number }>;
  return { rows: rows.map(({ _m, ...r }) => r), total };
}

/** Event counts per provider, data type and region in a window, with the first event of each (the evidence id). */
export interface SourceCoverage {
  provider: string;
  data_type: string;
  region: string | null;
  events: number;
  first_seen: string;
  last_seen: string;
  event_id: string;
}

/** Coverage of the store in a window. */
export function sourceCoverage(db: Db, sinceMs: number, untilMs: number, limit: number): SourceCoverage[] {
  return db
    .prepare(
      `SELECT provider, data_type, region, COUNT(*) AS events, MIN(time) AS first_seen, MAX(time) AS last_seen, id AS event_id, MIN(time_ms) AS _m
       FROM events WHERE time_ms >= ? AND time_ms < ? GROUP BY provider, data_type, region ORDER BY events DESC, provider, region LIMIT ?`,
    )
    .all(sinceMs, untilMs, limit)
    .map((r) => {
      const { _m, ...rest } = r as SourceCoverage & { _m: number };
      return rest;
    });
}

/** Silences longer than `gapMs` between consecutive events of a provider, inside a window. */
export function coverageGaps(
  db: Db,
  provider: string,
  sinceMs: number,
  untilMs: number,
  gapMs: number,
  limit: number,
): Array<{ from_ms: number; to_ms: number; event_id: string }> {
  return db
    .prepare(
      `SELECT prev_ms AS from_ms, time_ms AS to_ms, prev_id AS event_id FROM (
         SELECT id, time_ms, LAG(time_ms) OVER (ORDER BY time_ms, id) AS prev_ms, LAG(id) OVER (ORDER BY time_ms, id) AS prev_id
         FROM events WHERE provider = ? AND time_ms >= ? AND time_ms < ?)
       WHERE prev_ms IS NOT NULL AND time_ms - prev_ms > ? ORDER BY time_ms - prev_ms DESC LIMIT ?`,
    )
    .all(provider, sinceMs, untilMs, gapMs, limit) as Array<{ from_ms: number; to_ms: number; event_id: string }>;
}

/** Providers that have events in the case. */
export function providers(db: Db): string[] {
  return db.prepare('SELECT DISTINCT provider FROM events ORDER BY provider').pluck().all() as string[];
}

/** Events that involve any of these entities in a window, time order, capped; with the total. */
export function eventsOfEntities(
  db: Db,
  entities: ReadonlyArray<{ kind: string; value: string }>,
  sinceMs: number,
  untilMs: number,
  limit: number,
): { rows: EventDetail[]; total: number; first: string | null; last: string | null } {
  if (entities.length === 0) return { rows: [], total: 0, first: null, last: null };
  const cond = entities.map(() => '(kind = ? AND value = ?)').join(' OR ');
  const params = [...entities.flatMap((e) => [e.kind, e.value]), sinceMs, untilMs];
  const where = `WHERE e.rowid IN (SELECT event_rowid FROM entities WHERE ${cond}) AND e.time_ms >= ? AND e.time_ms < ?`;
  // The span of every matching event, not of the rows returned (a limit cuts the rows, never the span).
  const span = db.prepare(`SELECT COUNT(*) AS total, MIN(e.time) AS first, MAX(e.time) AS last FROM events e ${where}`).get(...params) as {
    total: number;
    first: string | null;
    last: string | null;
  };
  const rows = db.prepare(`${detailSelect()} ${where} ORDER BY e.time_ms, e.id LIMIT ?`).all(...params, limit) as EventDetail[];
  return { rows, ...span };
}

/** Events of a provider in [since, until). */
export function providerEventCount(db: Db, provider: string, sinceMs: number, untilMs: number): number {
  return db.prepare('SELECT COUNT(*) FROM events WHERE provider = ? AND time_ms >= ? AND time_ms < ?').pluck().get(provider, sinceMs, untilMs) as number;
}

/** Time of the first event of a provider after a time (epoch ms), if any. */
export function nextProviderEvent(db: Db, provider: string, afterMs: number): number | undefined {
  const v = db.prepare('SELECT MIN(time_ms) FROM events WHERE provider = ? AND time_ms > ?').pluck().get(provider, afterMs) as number | null;
  return v ?? undefined;
}

/** Last event of a provider before a time (to find a silence that starts before the window). */
export function lastEventBefore(db: Db, provider: string, ms: number): { id: string; time_ms: number } | undefined {
  return db.prepare('SELECT id, time_ms FROM events WHERE provider = ? AND time_ms < ? ORDER BY time_ms DESC, id DESC LIMIT 1').get(provider, ms) as
    | { id: string; time_ms: number }
    | undefined;
}

/** First event of a provider at or after a time. */
export function firstEventFrom(db: Db, provider: string, ms: number): { id: string; time_ms: number } | undefined {
  return db.prepare('SELECT id, time_ms FROM events WHERE provider = ? AND time_ms >= ? ORDER BY time_ms, id LIMIT 1').get(provider, ms) as
    | { id: string; time_ms: number }
    | undefined;
}

/** Events whose action is in a list, in a window, time order, capped. */
export function eventsWithActions(db: Db, actions: readonly string[], sinceMs: number, untilMs: number, limit: number): EventDetail[] {
  if (actions.length === 0) return [];
  return db
    .prepare(`${detailSelect()} WHERE e.action IN (${actions.map(() => '?').join(',')}) AND e.time_ms >= ? AND e.time_ms < ? ORDER BY e.time_ms, e.id LIMIT ?`)
    .all(...actions, sinceMs, untilMs, limit) as EventDetail[];
}

/** Asset inventory events (layer `context` or class `inventory`) naming a resource; with the case-wide count. */
export function assetEvents(db: Db, resources: readonly string[], limit: number): { rows: EventDetail[]; inventoryEvents: number } {
  const inventoryEvents = db.prepare("SELECT COUNT(*) FROM events WHERE layer = 'context' OR class = 'inventory'").pluck().get() as number;
  if (resources.length === 0 || inventoryEvents === 0) return { rows: [], inventoryEvents };
  const rows = db
    .prepare(
      `${detailSelect()} WHERE (e.layer = 'context' OR e.class = 'inventory') AND e.rowid IN (
         SELECT event_rowid FROM entities WHERE kind = 'resource' AND value IN (${resources.map(() => '?').join(',')}))
       ORDER BY e.time_ms DESC, e.id LIMIT ?`,
    )
    .all(...resources, limit) as EventDetail[];
  return { rows, inventoryEvents };
}

/** The raw record text of an event (its first stored copy), or undefined. */
export function rawTextOfEvent(db: Db, eventId: string): string | undefined {
  return db.prepare('SELECT r.raw FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE e.id = ?').pluck().get(eventId) as string | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Investigations and verdict overrides (evidence: append-only)

/** A stored investigation run. */
export interface InvestigationRecord {
  id: string;
  threat_id: string;
  started_at: string;
  finished_at: string;
  engine: string;
  verdict: string;
  confidence: number;
  /** JSON text exactly as `investigate --json` printed it. */
  result: string;
  /** JSON text of the transcript. */
  transcript: string;
  /** sha256(result + "\n" + transcript). */
  sha256: string;
}

/** A human verdict decision. */
export interface OverrideRecord {
  id: number;
  threat_id: string;
  investigation_id: string | null;
  machine_verdict: string | null;
  verdict: string;
  reason: string;
  analyst: string;
  time: string;
}

/** Store one investigation run and its custody entry (which commits to the stored row) in one transaction. */
export function insertInvestigation(
  db: Db,
  rec: InvestigationRecord,
  custody: { run_id: string; details: Record<string, unknown> },
  prov: Provenance,
  now: Date,
): ChainHead {
  return db.transaction(() => {
    db.prepare(
      `INSERT INTO investigations(id, threat_id, started_at, finished_at, engine, verdict, confidence, result, transcript, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(rec.id, rec.threat_id, rec.started_at, rec.finished_at, rec.engine, rec.verdict, rec.confidence, rec.result, rec.transcript, rec.sha256);
    const commitment = singleRowCommitment('investigations', [
      rec.id,
      rec.threat_id,
      rec.started_at,
      rec.finished_at,
      rec.engine,
      rec.verdict,
      rec.confidence,
      rec.result,
      rec.transcript,
      rec.sha256,
    ]);
    return appendCustody(db, { action: 'investigate.run', run_id: custody.run_id, details: { ...custody.details, investigation_id: rec.id, commitment } }, prov, now);
  })();
}

/**
 * The latest investigation of a threat (by start time, then id), or undefined. Used by `investigate --show` and by
 * the export stage.
 */
export function latestInvestigation(db: Db, threatId: string): InvestigationRecord | undefined {
  return db
    .prepare('SELECT * FROM investigations WHERE threat_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1')
    .get(threatId) as InvestigationRecord | undefined;
}

/** One investigation by id. */
export function getInvestigation(db: Db, id: string): InvestigationRecord | undefined {
  return db.prepare('SELECT * FROM investigations WHERE id = ?').get(id) as InvestigationRecord | undefined;
}

/** All investigations of a threat, oldest first (without transcripts when `light`). */
export function investigationsOf(db: Db, threatId: string): InvestigationRecord[] {
  return db.prepare('SELECT * FROM investigations WHERE threat_id = ? ORDER BY started_at, rowid').all(threatId) as InvestigationRecord[];
}

/** Latest investigation of every threat except one, newest first (investigation memory). */
export function latestInvestigationsExcept(db: Db, threatId: string, limit: number): Array<Omit<InvestigationRecord, 'transcript'>> {
  return db
    .prepare(
      `SELECT i.id, i.threat_id, i.started_at, i.finished_at, i.engine, i.verdict, i.confidence, i.result, i.sha256 FROM investigations i
       WHERE i.threat_id <> ? AND i.rowid = (SELECT j.rowid FROM investigations j WHERE j.threat_id = i.threat_id ORDER BY j.started_at DESC, j.rowid DESC LIMIT 1)
       ORDER BY i.started_at DESC LIMIT ?`,
    )
    .all(threatId, limit) as Array<Omit<InvestigationRecord, 'transcript'>>;
}

/** Record a human verdict and its custody entry (`verdict.set`, committing to the stored row) in one transaction. */
export function insertOverride(
  db: Db,
  o: Omit<OverrideRecord, 'id'>,
  custody: { run_id: string },
  prov: Provenance,
  now: Date,
): { id: number; head: ChainHead } {
  return db.transaction(() => {
    const id = Number(
      db
        .prepare('INSERT INTO verdict_overrides(threat_id, investigation_id, machine_verdict, verdict, reason, analyst, time) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(o.threat_id, o.investigation_id, o.machine_verdict, o.verdict, o.reason, o.analyst, o.time).lastInsertRowid,
    );
    const head = appendCustody(
      db,
      {
        action: 'verdict.set',
        run_id: custody.run_id,
        details: {
          override_id: id,
          threat_id: o.threat_id,
          investigation_id: o.investigation_id,
          machine_verdict: o.machine_verdict,
          verdict: o.verdict,
          reason: o.reason,
          commitment: singleRowCommitment('verdict_overrides', [id, o.threat_id, o.investigation_id, o.machine_verdict, o.verdict, o.reason, o.analyst, o.time]),
        },
      },
      prov,
      now,
    );
    return { id, head };
  })();
}

/** Human decisions on a threat, oldest first. */
export function overridesOf(db: Db, threatId: string): OverrideRecord[] {
  return db.prepare('SELECT * FROM verdict_overrides WHERE threat_id = ? ORDER BY time, id').all(threatId) as OverrideRecord[];
}

/** Machine runs and human decisions on a threat, for the export stage and `irctl verdict T-3`. */
export interface VerdictHistory {
  threat_id: string;
  /** Machine runs, oldest first (result JSON text included; transcript left out). */
  investigations: Array<Omit<InvestigationRecord, 'transcript'>>;
  /** Human decisions, oldest first. */
  overrides: OverrideRecord[];
  /** The verdict that stands: the latest human decision, else the latest machine verdict, else null. */
  current: { verdict: string; by: 'analyst' | 'machine'; at: string } | null;
}

/** Verdict history of a threat. */
export function verdictHistory(db: Db, threatId: string): VerdictHistory {
  const investigations = db
    .prepare(
      'SELECT id, threat_id, started_at, finished_at, engine, verdict, confidence, result, sha256 FROM investigations WHERE threat_id = ? ORDER BY started_at, rowid',
    )
    .all(threatId) as Array<Omit<InvestigationRecord, 'transcript'>>;
  const overrides = overridesOf(db, threatId);
  const lastO = overrides[overrides.length - 1];
  const lastI = investigations[investigations.length - 1];
  const current = lastO
    ? { verdict: lastO.verdict, by: 'analyst' as const, at: lastO.time }
    : lastI
      ? { verdict: lastI.verdict, by: 'machine' as const, at: lastI.finished_at }
      : null;
  return { threat_id: threatId, investigations, overrides, current };
}

/** Per threat: latest machine verdict and latest human decision (for `irctl stats`). */
export function verdictPairs(db: Db): Array<{ threat_id: string; machine_verdict: string | null; engine: string | null; analyst_verdict: string | null; overrides: number; runs: number }> {
  return db
    .prepare(
      `WITH t AS (SELECT threat_id FROM investigations UNION SELECT threat_id FROM verdict_overrides)
       SELECT t.threat_id,
         (SELECT verdict FROM investigations i WHERE i.threat_id = t.threat_id ORDER BY started_at DESC, rowid DESC LIMIT 1) AS machine_verdict,
         (SELECT engine FROM investigations i WHERE i.threat_id = t.threat_id ORDER BY started_at DESC, rowid DESC LIMIT 1) AS engine,
         (SELECT verdict FROM verdict_overrides o WHERE o.threat_id = t.threat_id ORDER BY time DESC, id DESC LIMIT 1) AS analyst_verdict,
         (SELECT COUNT(*) FROM verdict_overrides o WHERE o.threat_id = t.threat_id) AS overrides,
         (SELECT COUNT(*) FROM investigations i WHERE i.threat_id = t.threat_id) AS runs
       FROM t ORDER BY t.threat_id`,
    )
    .all() as Array<{ threat_id: string; machine_verdict: string | null; engine: string | null; analyst_verdict: string | null; overrides: number; runs: number }>;
}

/** Existing investigation / override ids (citation checks). */
export function existingInvestigationIds(db: Db, ids: readonly string[]): Set<string> {
  const stmt = db.prepare('SELECT 1 FROM investigations WHERE id = ?').pluck();
  return new Set(ids.filter((id) => stmt.get(id) !== undefined));
}

/** Append a custody entry for a follow-up question or a context edit. */
export function appendInvestigateCustody(db: Db, action: string, runId: string, details: Record<string, unknown>, prov: Provenance, now: Date): ChainHead {
  return appendCustody(db, { action, run_id: runId, details }, prov, now);
}
