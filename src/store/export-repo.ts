/**
 * Read-only SQL of the export, verify and report stages. Everything is streamed (iterate) and sorted with explicit
 * tie-breakers, so a bundle of a million events never sits in memory and the same case state gives the same bytes.
 * Tables of later stages (detect, investigate) may be empty or absent: callers get empty results, never an error.
 */
import type { Db } from './db.js';
import type { DetectionRow } from './detect-repo.js';

/** True when a table exists in the main schema. */
export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** A threat row (migration 003), JSON columns still as text. */
export interface ThreatRow {
  id: string;
  title: string;
  severity: string;
  priority: number;
  first_ms: number;
  last_ms: number;
  first_seen: string;
  last_seen: string;
  entities: string;
  techniques: string;
  tactics: string;
  detection_count: number;
  context_notes: string;
}

/** One threat by id (case-insensitive: `t-3` finds `T-3`). */
export function getThreat(db: Db, id: string): ThreatRow | undefined {
  if (!hasTable(db, 'threats')) return undefined;
  return db.prepare('SELECT * FROM threats WHERE id = ? COLLATE NOCASE').get(id) as ThreatRow | undefined;
}

/** All threats, highest priority first, ties by id. */
export function listThreatRows(db: Db): ThreatRow[] {
  if (!hasTable(db, 'threats')) return [];
  return db.prepare('SELECT * FROM threats ORDER BY priority DESC, first_ms, id').all() as ThreatRow[];
}

/** Name of the temp table holding the rowids of the events in a threat-scoped export. */
const SCOPE = 'temp.irctl_export_scope';

/**
 * Fill the scope table with a threat's events: every event of its detections plus `eventIds` (the events of its
 * attack timeline, from src/timeline). Returns the event count.
 */
export function scopeThreatEvents(db: Db, threat: ThreatRow, eventIds: readonly string[] = []): number {
  db.exec(`DROP TABLE IF EXISTS ${SCOPE}; CREATE TEMP TABLE irctl_export_scope (rowid INTEGER PRIMARY KEY)`);
  if (hasTable(db, 'threat_detections') && hasTable(db, 'detection_events')) {
    db.prepare(
      `INSERT OR IGNORE INTO ${SCOPE}(rowid) SELECT e.rowid FROM events e
       JOIN detection_events de ON de.event_id = e.id
       JOIN threat_detections td ON td.detection_id = de.detection_id WHERE td.threat_id = ?`,
    ).run(threat.id);
  }
  const add = db.prepare(`INSERT OR IGNORE INTO ${SCOPE}(rowid) SELECT rowid FROM events WHERE id = ?`);
  db.transaction(() => {
    for (const id of eventIds) add.run(id);
  })();
  return db.prepare(`SELECT COUNT(*) FROM ${SCOPE}`).pluck().get() as number;
}

/** Rowids of the events in a threat-scoped export (filled by {@link scopeThreatEvents}). */
export function scopeRowids(db: Db): number[] {
  return db.prepare(`SELECT rowid FROM ${SCOPE} ORDER BY rowid`).pluck().all() as number[];
}

/** Drop the scope table. */
export function clearScope(db: Db): void {
  db.exec(`DROP TABLE IF EXISTS ${SCOPE}`);
}

/**
 * Which events a query covers: `true` the export scope table (a threat), `false` the whole case, `'flagged'` the
 * events a detection fired on (filled by {@link scopeFlagged}).
 */
export type Scoped = boolean | 'flagged';

const FLAGGED = 'temp.irctl_flagged_scope';

/** Fill the flagged-events scope with the given event ids. */
export function scopeFlagged(db: Db, eventIds: Iterable<string>): void {
  db.exec(`DROP TABLE IF EXISTS ${FLAGGED}; CREATE TEMP TABLE irctl_flagged_scope (rowid INTEGER PRIMARY KEY)`);
  const add = db.prepare(`INSERT OR IGNORE INTO ${FLAGGED}(rowid) SELECT rowid FROM events WHERE id = ?`);
  db.transaction(() => {
    for (const id of eventIds) add.run(id);
  })();
}

/** Drop the flagged-events scope. */
export function clearFlagged(db: Db): void {
  db.exec(`DROP TABLE IF EXISTS ${FLAGGED}`);
}

/**
 * Input (file / API page) rows referenced by the exported raw records, by id, with their completion (digest, counts,
 * status; `incomplete` for an input of a killed run) merged in (`input_status`).
 */
export function iterInputs(db: Db, scoped: Scoped): IterableIterator<Record<string, unknown>> {
  const where = scoped === true
    ? `WHERE id IN (SELECT r.input_id FROM raw_records r JOIN events e ON e.id = r.event_id JOIN ${SCOPE} s ON s.rowid = e.rowid
         UNION SELECT rs.input_id FROM raw_sightings rs JOIN raw_records r ON r.id = rs.raw_id JOIN events e ON e.id = r.event_id JOIN ${SCOPE} s ON s.rowid = e.rowid)`
    : '';
  // Table inputs (CSV, JSON table responses): the column headers their rows are read with (input_headers).
  const headers = hasTable(db, 'input_headers')
    ? `(SELECT json_group_array(json_object('first_index', h.first_index, 'header', json(h.header), 'raw', h.raw)) FROM (SELECT * FROM input_headers h WHERE h.input_id = input_status.id ORDER BY h.first_index) h)`
    : `'[]'`;
  return db
    .prepare(
      `SELECT id, run_id, kind, locator, params, sha256, size, status, records, quarantined, received_at, completed_at, ${headers} AS headers FROM input_status ${where} ORDER BY id`,
    )
    .iterate() as IterableIterator<Record<string, unknown>>;
}

/**
 * Every raw record (all copies) of the exported events, by id, as one JSON line each, built by SQLite
 * (`json_object`: about twice as fast as materializing rows in JavaScript). Keys in sorted order; `origin` is `native`
 * or `reshaped` (an export's re-shaping, not the provider's bytes); `raw` is the record text exactly as stored (JSON-escaped; `JSON.parse(line).raw` gives the stored text back, whose SHA-256 is `sha256`).
 */
export function iterRawRecordLines(db: Db, scoped: Scoped): IterableIterator<string> {
  const where = scoped === true ? `WHERE r.event_id IN (SELECT e.id FROM events e JOIN ${SCOPE} s ON s.rowid = e.rowid)` : '';
  return db
    .prepare(
      `SELECT json_object('byte_offset', r.byte_offset, 'data_type', r.data_type, 'event_id', r.event_id, 'id', r.id, 'input_id', r.input_id,
        'origin', r.origin, 'raw', r.raw, 'record_index', r.record_index, 'sha256', r.sha256) FROM raw_records r ${where} ORDER BY r.id`,
    )
    .pluck()
    .iterate() as IterableIterator<string>;
}

/** Quarantine entries (case scope only), raw bytes as base64. */
export function iterQuarantine(db: Db): IterableIterator<Record<string, unknown>> {
  return db
    .prepare('SELECT id, run_id, input_id, locator, record_index, byte_offset, reason, sha256, raw FROM quarantine ORDER BY id')
    .iterate() as IterableIterator<Record<string, unknown>>;
}

const scopeJoin = (scoped: Scoped): string => (scoped === 'flagged' ? `JOIN ${FLAGGED} s ON s.rowid = e.rowid` : scoped ? `JOIN ${SCOPE} s ON s.rowid = e.rowid` : '');

/**
 * Normalized events in time order (ties by id), one JSON line each built by SQLite, with `raw_sha256` of the event's
 * (first) raw record last.
 */
export function iterEventLines(db: Db, scoped: Scoped): IterableIterator<string> {
  return db
    .prepare(
      `SELECT json_object('id', e.id, 'time', e.time, 'time_ms', e.time_ms, 'data_type', e.data_type, 'class', e.class, 'class_uid', e.class_uid,
        'provider', e.provider, 'layer', e.layer, 'account', e.account, 'region', e.region, 'service', e.service, 'action', e.action,
        'actor', e.actor, 'actor_type', e.actor_type, 'actor_name', e.actor_name, 'principal_id', e.principal_id, 'access_key', e.access_key,
        'session', e.session, 'assumed_from', e.assumed_from, 'src_ip', e.src_ip, 'src_host', e.src_host, 'user_agent', e.user_agent,
        'outcome', e.outcome, 'error_code', e.error_code, 'read_only', e.read_only, 'resources', json(e.resources), 'raw_sha256', r.sha256)
       FROM events e ${scopeJoin(scoped)} JOIN raw_records r ON r.id = e.raw_id ORDER BY e.time_ms, e.id`,
    )
    .pluck()
    .iterate() as IterableIterator<string>;
}

/** The compact event view the report and the case timeline use. */
export interface EventFacts {
  id: string;
  time: string;
  time_ms: number;
  layer: string;
  provider: string;
  action: string;
  actor: string | null;
  src_ip: string | null;
  outcome: string;
  raw_sha256: string;
}

const FACTS = 'e.id, e.time, e.time_ms, e.layer, e.provider, e.action, e.actor, COALESCE(e.src_ip, e.src_host) AS src_ip, e.outcome, r.sha256 AS raw_sha256';

/** The first `limit` events in scope, in time order. */
export function firstScopeEvents(db: Db, scoped: Scoped, limit: number): EventFacts[] {
  return db
    .prepare(`SELECT ${FACTS} FROM events e ${scopeJoin(scoped)} JOIN raw_records r ON r.id = e.raw_id ORDER BY e.time_ms, e.id LIMIT ?`)
    .all(limit) as EventFacts[];
}

/** Events by id (any scope), in time order; unknown ids are skipped. */
export function eventFactsByIds(db: Db, ids: Iterable<string>): EventFacts[] {
  const stmt = db.prepare(`SELECT ${FACTS} FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE e.id = ?`);
  const out: EventFacts[] = [];
  for (const id of ids) {
    const row = stmt.get(id) as EventFacts | undefined;
    if (row) out.push(row);
  }
  return out.sort((a, b) => a.time_ms - b.time_ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Event count, first and last time in scope. */
export function scopeSpan(db: Db, scoped: Scoped): { total: number; first: string | null; last: string | null } {
  return db.prepare(`SELECT COUNT(*) AS total, MIN(e.time) AS first, MAX(e.time) AS last FROM events e ${scopeJoin(scoped)}`).get() as {
    total: number;
    first: string | null;
    last: string | null;
  };
}

/** Events per layer in scope. */
export function scopeLayerCounts(db: Db, scoped: Scoped): Array<{ layer: string; events: number }> {
  return db.prepare(`SELECT e.layer AS layer, COUNT(*) AS events FROM events e ${scopeJoin(scoped)} GROUP BY e.layer ORDER BY e.layer`).all() as Array<{
    layer: string;
    events: number;
  }>;
}

/** A sample of events for a chart: every `stride`-th row (by rowid), time order. */
export function scopeSample(db: Db, scoped: Scoped, stride: number): Array<{ id: string; time_ms: number; layer: string; outcome: string }> {
  return db
    .prepare(`SELECT e.id, e.time_ms, e.layer, e.outcome FROM events e ${scopeJoin(scoped)} WHERE e.rowid % ? = 0 ORDER BY e.time_ms, e.id`)
    .all(Math.max(1, Math.floor(stride))) as Array<{ id: string; time_ms: number; layer: string; outcome: string }>;
}

const DISTINCT_COLUMNS = new Set(['actor', 'access_key', 'src_ip', 'account', 'region']);

/** Distinct non-empty values of an event column in scope, sorted, at most `cap` (+1 to tell it was cut). */
export function scopeDistinct(db: Db, scoped: Scoped, column: 'actor' | 'access_key' | 'src_ip' | 'account' | 'region', cap: number): string[] {
  if (!DISTINCT_COLUMNS.has(column)) throw new Error(`not a distinct column: ${column}`);
  return db
    .prepare(`SELECT DISTINCT e.${column} FROM events e ${scopeJoin(scoped)} WHERE e.${column} IS NOT NULL AND e.${column} != '' ORDER BY 1 LIMIT ?`)
    .pluck()
    .all(cap + 1) as string[];
}

/** Resources named by successful non-read-only events in scope, sorted, at most `cap` + 1. */
export function scopeResourcesChanged(db: Db, scoped: Scoped, cap: number): string[] {
  return db
    .prepare(
      `SELECT DISTINCT j.value FROM events e ${scopeJoin(scoped)}, json_each(e.resources) j
       WHERE e.outcome = 'success' AND (e.read_only IS NULL OR e.read_only != 1) AND j.type = 'text' ORDER BY 1 LIMIT ?`,
    )
    .pluck()
    .all(cap + 1) as string[];
}

/** Which of `resources` any event in scope names. */
export function scopeResourcesNamed(db: Db, scoped: Scoped, resources: readonly string[]): string[] {
  if (resources.length === 0) return [];
  return db
    .prepare(`SELECT DISTINCT j.value FROM events e ${scopeJoin(scoped)}, json_each(e.resources) j WHERE j.value IN (SELECT value FROM json_each(?)) ORDER BY 1`)
    .pluck()
    .all(JSON.stringify(resources)) as string[];
}

/** Count of events in scope (or the case). */
export function countScopeEvents(db: Db, scoped: Scoped): number {
  return db.prepare(`SELECT COUNT(*) FROM events e ${scopeJoin(scoped)}`).pluck().get() as number;
}

/** A detection row (migration 003): the same shape the detect stage stores. */
export type { DetectionRow };

/** Detections of a threat (or all), in time order, ties by fingerprint (stable across `detect` re-runs). */
export function listDetections(db: Db, threatId: string | undefined): DetectionRow[] {
  if (!hasTable(db, 'detections')) return [];
  const cols = 'd.id, d.fingerprint, d.rule_id, d.rule_title, d.rule_author, d.rule_source, d.severity, d.techniques, d.tactics, d.first_ms, d.last_ms, d.first_seen, d.last_seen, d.summary, d.entities, d.event_ids';
  if (threatId === undefined) return db.prepare(`SELECT ${cols} FROM detections d ORDER BY d.first_ms, d.fingerprint`).all() as DetectionRow[];
  return db
    .prepare(`SELECT ${cols} FROM detections d JOIN threat_detections td ON td.detection_id = d.id WHERE td.threat_id = ? ORDER BY d.first_ms, d.fingerprint`)
    .all(threatId) as DetectionRow[];
}

/** Threat ids each detection belongs to (for the case-wide bundle). */
export function threatIdsByDetection(db: Db): Map<number, string[]> {
  const out = new Map<number, string[]>();
  if (!hasTable(db, 'threat_detections')) return out;
  for (const r of db.prepare('SELECT detection_id, threat_id FROM threat_detections ORDER BY threat_id').iterate() as IterableIterator<{ detection_id: number; threat_id: string }>) {
    const list = out.get(r.detection_id) ?? [];
    list.push(r.threat_id);
    out.set(r.detection_id, list);
  }
  return out;
}

/** A stored investigation run (migration 004), result and transcript exactly as stored. */
export interface InvestigationRow {
  id: string;
  threat_id: string;
  started_at: string;
  finished_at: string;
  engine: string;
  verdict: string;
  confidence: number;
  result: string;
  transcript: string;
  sha256: string;
}

/** Investigation runs of a threat (or all), oldest first. */
export function listInvestigations(db: Db, threatId: string | undefined): InvestigationRow[] {
  if (!hasTable(db, 'investigations')) return [];
  const sql = 'SELECT id, threat_id, started_at, finished_at, engine, verdict, confidence, result, transcript, sha256 FROM investigations';
  return (threatId === undefined
    ? db.prepare(`${sql} ORDER BY threat_id, started_at, id`).all()
    : db.prepare(`${sql} WHERE threat_id = ? ORDER BY started_at, id`).all(threatId)) as InvestigationRow[];
}

/** A human verdict decision (migration 004). */
export interface OverrideRow {
  id: number;
  threat_id: string;
  investigation_id: string | null;
  machine_verdict: string | null;
  verdict: string;
  reason: string;
  analyst: string;
  time: string;
}

/** Human verdict overrides of a threat (or all), oldest first. */
export function listOverrides(db: Db, threatId: string | undefined): OverrideRow[] {
  if (!hasTable(db, 'verdict_overrides')) return [];
  const sql = 'SELECT id, threat_id, investigation_id, machine_verdict, verdict, reason, analyst, time FROM verdict_overrides';
  return (threatId === undefined
    ? db.prepare(`${sql} ORDER BY threat_id, time, id`).all()
    : db.prepare(`${sql} WHERE threat_id = ? ORDER BY time, id`).all(threatId)) as OverrideRow[];
}

/** A custody entry exactly as stored. */
export interface CustodyRow {
  seq: number;
  prev_hash: string;
  hash: string;
  body: string;
}

/** The whole custody log up to and including `uptoSeq`, in order. */
export function iterCustody(db: Db, uptoSeq: number): IterableIterator<CustodyRow> {
  return db.prepare('SELECT seq, prev_hash, hash, body FROM custody WHERE seq <= ? ORDER BY seq').iterate(uptoSeq) as IterableIterator<CustodyRow>;
}

/** Custody entries whose action starts with a prefix (e.g. `contain.`), in order, up to `uptoSeq`. */
export function custodyByActionPrefix(db: Db, prefix: string, uptoSeq: number): CustodyRow[] {
  return db
    .prepare("SELECT seq, prev_hash, hash, body FROM custody WHERE action LIKE ? ESCAPE '\\' AND seq <= ? ORDER BY seq")
    .all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, uptoSeq) as CustodyRow[];
}

/** Time of a custody entry (the report's "as of" inside a bundle, so the report is deterministic). */
export function custodyTime(db: Db, seq: number): string | undefined {
  return db.prepare('SELECT time FROM custody WHERE seq = ?').pluck().get(seq) as string | undefined;
}

/** Events a detection fired on, by detection id (for the report's timeline marks). */
export function flaggedEventIds(db: Db, threatId: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!hasTable(db, 'detection_events')) return out;
  const rows = (threatId === undefined
    ? db.prepare('SELECT DISTINCT event_id FROM detection_events').pluck().all()
    : db
        .prepare('SELECT DISTINCT de.event_id FROM detection_events de JOIN threat_detections td ON td.detection_id = de.detection_id WHERE td.threat_id = ?')
        .pluck()
        .all(threatId)) as string[];
  for (const r of rows) out.add(r);
  return out;
}
