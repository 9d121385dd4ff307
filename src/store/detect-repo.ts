/**
 * The SQL of the detect / correlate / timeline stages: writing detections and threats (derived, replaced per run), the
 * stable threat-id registry, context look-ups used to raise severity, and the queries behind `irctl threats` and
 * `irctl timeline`. Streaming events for rule evaluation is in event-batches.ts. Parameterized SQL only.
 */
import { recordTextSql } from './record-text.js';
import type { Db } from './db.js';
import type { EventRow } from './query-repo.js';

const EVENT_COLS = `e.rowid AS rowid, e.id, e.time, e.time_ms, e.provider, e.layer, e.class, e.account, e.region, e.service, e.action,
  e.actor, e.actor_type, e.actor_name, e.access_key, e.session, e.assumed_from, e.src_ip, e.src_host, e.user_agent, e.outcome,
  e.error_code, e.read_only, e.resources, e.related, r.sha256 AS raw_sha256, e.data_type`;

/** Number of normalized events in the case. */
export function eventCount(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
}

/** Events by id, in one statement per batch of 500 ids. Missing ids are absent from the result. */
export function eventsByIds(db: Db, ids: readonly string[]): Map<string, EventRow> {
  const out = new Map<string, EventRow>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = db
      .prepare(`SELECT ${EVENT_COLS} FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE e.id IN (${chunk.map(() => '?').join(',')})`)
      .all(...chunk) as EventRow[];
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing a detect run
// ---------------------------------------------------------------------------------------------------------------

/** One detection as stored. */
export interface DetectionRecord {
  /** sha256 of rule id + event ids: stable across re-runs. */
  fingerprint: string;
  rule_id: string;
  rule_title: string;
  rule_author: string | null;
  rule_source: string;
  severity: string;
  techniques: string[];
  tactics: string[];
  first_ms: number;
  last_ms: number;
  summary: string;
  entities: Array<{ kind: string; value: string }>;
  event_ids: string[];
}

/** One threat as stored. */
export interface ThreatRecord {
  id: string;
  title: string;
  severity: string;
  priority: number;
  first_ms: number;
  last_ms: number;
  entities: Array<{ kind: string; value: string; common?: boolean }>;
  techniques: string[];
  tactics: string[];
  /** Fingerprints of its detections. */
  detection_fingerprints: string[];
  context_notes: string[];
}

/** A row of the threat-id registry. */
export interface ThreatIdRow {
  seq: number;
  id: string;
  anchor: string;
  created_at: string;
  merged_into: string | null;
}

/** The whole registry, oldest first. */
export function threatIdRegistry(db: Db): ThreatIdRow[] {
  return db.prepare('SELECT seq, id, anchor, created_at, merged_into FROM threat_ids ORDER BY seq').all() as ThreatIdRow[];
}

/** The previous run's threats: id -> event ids of their detections (read before they are replaced). */
export function previousThreatEvents(db: Db): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const rows = db
    .prepare(
      `SELECT td.threat_id AS t, de.event_id AS e FROM threat_detections td JOIN detection_events de ON de.detection_id = td.detection_id`,
    )
    .raw(true)
    .iterate() as IterableIterator<[string, string]>;
  for (const [t, e] of rows) {
    let set = out.get(t);
    if (!set) out.set(t, (set = new Set()));
    set.add(e);
  }
  return out;
}

/** What one detect run writes, in one transaction. */
export interface DetectRunWrite {
  detections: readonly DetectionRecord[];
  threats: readonly ThreatRecord[];
  /** New registry rows. */
  newIds: ReadonlyArray<{ seq: number; id: string; anchor: string }>;
  /** Ids retired by merging: id -> the id it now lives on in. */
  merged: ReadonlyArray<{ id: string; into: string }>;
  /** ISO time for created_at. */
  createdAt: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Replace the previous run's detections and threats with this run's (derived tables), extend the id registry, and
 * run `andThen` (the custody entry) in the same transaction, so a crash leaves either the old run or the new one.
 */
export function writeDetectRun<T>(db: Db, w: DetectRunWrite, andThen: () => T): T {
  return db.transaction(() => {
    db.exec('DELETE FROM threat_detections; DELETE FROM threats; DELETE FROM detection_events; DELETE FROM detections;');
    const insDet = db.prepare(`INSERT INTO detections(fingerprint, rule_id, rule_title, rule_author, rule_source, severity, techniques, tactics,
      first_ms, last_ms, first_seen, last_seen, summary, entities, event_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insDetEv = db.prepare('INSERT INTO detection_events(detection_id, event_id) VALUES (?, ?)');
    const idByFp = new Map<string, number | bigint>();
    for (const d of w.detections) {
      const r = insDet.run(
        d.fingerprint,
        d.rule_id,
        d.rule_title,
        d.rule_author,
        d.rule_source,
        d.severity,
        JSON.stringify(d.techniques),
        JSON.stringify(d.tactics),
        d.first_ms,
        d.last_ms,
        iso(d.first_ms),
        iso(d.last_ms),
        d.summary,
        JSON.stringify(d.entities),
        JSON.stringify(d.event_ids),
      );
      idByFp.set(d.fingerprint, r.lastInsertRowid);
      for (const e of d.event_ids) insDetEv.run(r.lastInsertRowid, e);
    }
    const insReg = db.prepare('INSERT INTO threat_ids(seq, id, anchor, created_at) VALUES (?, ?, ?, ?)');
    for (const n of w.newIds) insReg.run(n.seq, n.id, n.anchor, w.createdAt);
    const merge = db.prepare('UPDATE threat_ids SET merged_into = ? WHERE id = ?');
    for (const m of w.merged) merge.run(m.into, m.id);
    const insThreat = db.prepare(`INSERT INTO threats(id, title, severity, priority, first_ms, last_ms, first_seen, last_seen, entities,
      techniques, tactics, detection_count, context_notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insTd = db.prepare('INSERT INTO threat_detections(threat_id, detection_id) VALUES (?, ?)');
    for (const t of w.threats) {
      insThreat.run(
        t.id,
        t.title,
        t.severity,
        t.priority,
        t.first_ms,
        t.last_ms,
        iso(t.first_ms),
        iso(t.last_ms),
        JSON.stringify(t.entities),
        JSON.stringify(t.techniques),
        JSON.stringify(t.tactics),
        t.detection_fingerprints.length,
        JSON.stringify(t.context_notes),
      );
      for (const fp of t.detection_fingerprints) {
        const id = idByFp.get(fp);
        if (id !== undefined) insTd.run(t.id, id);
      }
    }
    return andThen();
  })();
}

// ---------------------------------------------------------------------------------------------------------------
// Context look-ups (severity raised by context)
// ---------------------------------------------------------------------------------------------------------------

/** Events that may grant administrator rights: policy attachments naming AdministratorAccess, inline policies. */
export interface GrantEventRow {
  action: string;
  resources: string;
  data_type: string;
  raw: string;
}

/**
 * Successful events of one provider that can grant administrator rights (the provider names their services and
 * actions), with their raw records: whether they did is read from the record by the provider.
 */
export function adminGrantEvents(db: Db, provider: string, grants: ReadonlyArray<{ service: string; actions: readonly string[] }>): GrantEventRow[] {
  const out: GrantEventRow[] = [];
  for (const g of grants) {
    if (g.actions.length === 0) continue;
    const rows = db
      .prepare(
        `SELECT e.action, e.resources, e.data_type, ${recordTextSql(db)} AS raw FROM events e JOIN raw_records r ON r.id = e.raw_id
         WHERE e.provider = ? AND e.service = ? AND e.outcome = 'success' AND e.action IN (${g.actions.map(() => '?').join(',')})
         ORDER BY e.time_ms LIMIT 10000`,
      )
      .all(provider, g.service, ...g.actions) as GrantEventRow[];
    out.push(...rows);
  }
  return out;
}

/** The distinct actors (with their type) that used an IP anywhere in the case, at most `cap`. */
export function actorsBehindIp(db: Db, ip: string, cap: number): Array<{ actor: string; actor_type: string | null }> {
  return db
    .prepare(
      `SELECT e.actor AS actor, MIN(e.actor_type) AS actor_type FROM entities en JOIN events e ON e.rowid = en.event_rowid
        WHERE en.kind = 'ip' AND en.value = ? AND e.actor IS NOT NULL GROUP BY e.actor ORDER BY e.actor LIMIT ?`,
    )
    .all(ip, cap) as Array<{ actor: string; actor_type: string | null }>;
}

/** How many distinct actors the case has, counting up to `cap`. */
export function distinctActorCount(db: Db, cap: number): number {
  // The entity index holds every actor as a `principal` row: distinct values come straight off its (kind, value) index.
  return db.prepare("SELECT COUNT(*) FROM (SELECT DISTINCT value FROM entities WHERE kind = 'principal' LIMIT ?)").pluck().get(cap) as number;
}

/**
 * Resources matching a crown jewel (exact or below it: `jewel/...`; with `prefix`, anything starting with it) touched
 * in [fromMs, toMs] by an event whose actor, key, session or source IP is one of `values`. Distinct, at most 20.
 */
export function crownJewelTouches(
  db: Db,
  jewel: { value: string; prefix: boolean },
  values: readonly string[],
  fromMs: number,
  toMs: number,
): string[] {
  if (values.length === 0) return [];
  const ph = values.map(() => '?').join(',');
  // Written as one index range (an OR of ranges would make SQLite scan every resource entity): the value itself or
  // anything below `value/` lies in [value, value + '0'), since '/' sorts just before '0'.
  const match = jewel.prefix ? '(r.value >= ? AND r.value < ?)' : '(r.value >= ? AND r.value < ? AND (r.value = ? OR r.value >= ?))';
  const mparams = jewel.prefix ? [jewel.value, `${jewel.value}\uffff`] : [jewel.value, `${jewel.value}0`, jewel.value, `${jewel.value}/`];
  return db
    .prepare(
      `SELECT DISTINCT r.value FROM entities r JOIN events e ON e.rowid = r.event_rowid
        WHERE r.kind = 'resource' AND ${match}
          AND e.time_ms >= ? AND e.time_ms <= ?
          AND (e.actor IN (${ph}) OR e.access_key IN (${ph}) OR e.session IN (${ph}) OR e.src_ip IN (${ph}))
        LIMIT 20`,
    )
    .pluck()
    .all(...mparams, fromMs, toMs, ...values, ...values, ...values, ...values) as string[];
}

/** True when EC2 context (asset exposure) has been collected into the case. */
export function hasExposureData(db: Db): boolean {
  return db.prepare('SELECT EXISTS (SELECT 1 FROM asset_exposure)').pluck().get() === 1;
}

/** Latest exposure observation per instance id among `instanceIds` that were exposed. */
export function exposedInstances(db: Db, instanceIds: readonly string[]): Array<{ instance_id: string; public_ips: string; observed_at: string }> {
  const out: Array<{ instance_id: string; public_ips: string; observed_at: string }> = [];
  const stmt = db.prepare(
    'SELECT instance_id, exposed, public_ips, observed_at FROM asset_exposure WHERE instance_id = ? ORDER BY observed_at DESC LIMIT 1',
  );
  for (const id of instanceIds) {
    const r = stmt.get(id) as { instance_id: string; exposed: number; public_ips: string; observed_at: string } | undefined;
    if (r && r.exposed === 1) out.push({ instance_id: r.instance_id, public_ips: r.public_ips, observed_at: r.observed_at });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading threats and detections
// ---------------------------------------------------------------------------------------------------------------

/** A stored threat row (JSON columns still as text). */
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

/** A stored detection row (JSON columns still as text). */
export interface DetectionRow {
  id: number;
  fingerprint: string;
  rule_id: string;
  rule_title: string;
  rule_author: string | null;
  rule_source: string;
  severity: string;
  techniques: string;
  tactics: string;
  first_ms: number;
  last_ms: number;
  first_seen: string;
  last_seen: string;
  summary: string;
  entities: string;
  event_ids: string;
}

const THREAT_COLS = 'id, title, severity, priority, first_ms, last_ms, first_seen, last_seen, entities, techniques, tactics, detection_count, context_notes';

/** Threats by priority (highest first), then first seen, then id number. */
export function listThreatRows(db: Db): ThreatRow[] {
  return db
    .prepare(`SELECT ${THREAT_COLS} FROM threats ORDER BY priority DESC, first_ms, CAST(substr(id, 3) AS INTEGER)`)
    .all() as ThreatRow[];
}

/** One threat. */
export function threatRow(db: Db, id: string): ThreatRow | undefined {
  return db.prepare(`SELECT ${THREAT_COLS} FROM threats WHERE id = ?`).get(id) as ThreatRow | undefined;
}

/** Registry row of an id (present also for retired ids). */
export function threatIdRow(db: Db, id: string): ThreatIdRow | undefined {
  return db.prepare('SELECT seq, id, anchor, created_at, merged_into FROM threat_ids WHERE id = ?').get(id) as ThreatIdRow | undefined;
}

/** Detections of a threat, in time order. */
export function threatDetectionRows(db: Db, threatId: string): DetectionRow[] {
  return db
    .prepare(
      `SELECT d.* FROM threat_detections td JOIN detections d ON d.id = td.detection_id WHERE td.threat_id = ?
        ORDER BY d.first_ms, d.rule_id, d.fingerprint`,
    )
    .all(threatId) as DetectionRow[];
}

/** Rule ids of the detections of each threat (for `threats --json`). */
export function threatRuleIds(db: Db): Map<string, { rules: string[]; fingerprints: string[] }> {
  const rows = db
    .prepare(
      `SELECT td.threat_id AS threat_id, d.rule_id AS rule_id, d.fingerprint AS fingerprint FROM threat_detections td
        JOIN detections d ON d.id = td.detection_id ORDER BY td.threat_id, d.first_ms, d.fingerprint`,
    )
    .all() as Array<{ threat_id: string; rule_id: string; fingerprint: string }>;
  const out = new Map<string, { rules: string[]; fingerprints: string[] }>();
  for (const r of rows) {
    let v = out.get(r.threat_id);
    if (!v) out.set(r.threat_id, (v = { rules: [], fingerprints: [] }));
    if (!v.rules.includes(r.rule_id)) v.rules.push(r.rule_id);
    v.fingerprints.push(r.fingerprint);
  }
  return out;
}

/** Count of detections and threats currently stored (and whether detect ever ran). */
export function detectState(db: Db): { detections: number; threats: number; registered: number; runs: number } {
  const one = (sql: string): number => db.prepare(sql).pluck().get() as number;
  return {
    detections: one('SELECT COUNT(*) FROM detections'),
    threats: one('SELECT COUNT(*) FROM threats'),
    registered: one('SELECT COUNT(*) FROM threat_ids'),
    runs: one("SELECT COUNT(*) FROM custody WHERE action = 'detect.run'"),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Timeline queries
// ---------------------------------------------------------------------------------------------------------------

/**
 * Entity kinds a timeline gathers events by: who acted (principal, key, session, source address; each lives in an
 * event column) and the workload (instance, host, container, pod, network interface: entities only). A workload's
 * events are those of the layers that observe it (runtime sensors, flow logs, model invocations); its control-plane
 * events are reached through the sessions and principals that acted (an instance named as a resource of someone
 * else's call is not the instance acting).
 */
export type TimelineEntityKind = 'principal' | 'access_key' | 'session' | 'ip' | 'instance' | 'host' | 'container' | 'pod' | 'interface';

const KIND_COLUMN: Partial<Record<TimelineEntityKind, string>> = {
  principal: 'actor',
  access_key: 'access_key',
  session: 'session',
  ip: 'src_ip',
};

/** Layers whose events a workload entity gathers. */
const WORKLOAD_LAYERS = "('workload', 'network', 'ai')";

/** Number of events (whole case) carrying an entity value: cheap, answered from the covering entities index. */
export function entityEventCount(db: Db, kind: TimelineEntityKind, value: string): number {
  return db.prepare('SELECT COUNT(*) FROM entities WHERE kind = ? AND value = ?').pluck().get(kind, value) as number;
}

/** Number of events in a time range: answered from the time index. */
export function windowEventCount(db: Db, fromMs: number, toMs: number): number {
  return db.prepare('SELECT COUNT(*) FROM events WHERE time_ms >= ? AND time_ms <= ?').pluck().get(fromMs, toMs) as number;
}

/**
 * Events in [fromMs, toMs] carrying any of the entities, in time order (ties by id). Two plans, chosen by the caller
 * from the counts above: `entities` walks each entity's rows in the entities index and checks the time; `scan`
 * walks the time index over the window and checks the columns. Both give the same rows.
 */
/**
 * Events before a time that hand out an entity (a key or session in their `related` column: the AssumeRole that
 * minted the key, the CreateAccessKey that made it), the latest first.
 */
export function issuingEvents(db: Db, kind: string, value: string, beforeMs: number, limit = 5): EventRow[] {
  return db
    .prepare(
      `SELECT ${EVENT_COLS} FROM entities n JOIN events e ON e.rowid = n.event_rowid JOIN raw_records r ON r.id = e.raw_id
       WHERE n.kind = ? AND n.value = ? AND e.time_ms < ? AND e.related != '[]' AND e.outcome = 'success'
       ORDER BY e.time_ms DESC, e.id DESC LIMIT ?`,
    )
    .all(kind, value, beforeMs, limit) as EventRow[];
}

export function eventsForEntities(
  db: Db,
  entities: ReadonlyArray<{ kind: TimelineEntityKind; value: string }>,
  fromMs: number,
  toMs: number,
  plan: 'entities' | 'scan',
  limit: number,
): EventRow[] {
  if (entities.length === 0) return [];
  if (plan === 'entities') {
    const parts = entities
      .map((e) =>
        KIND_COLUMN[e.kind] !== undefined
          ? 'SELECT event_rowid FROM entities WHERE kind = ? AND value = ?'
          : `SELECT n.event_rowid FROM entities n JOIN events w ON w.rowid = n.event_rowid WHERE n.kind = ? AND n.value = ? AND w.layer IN ${WORKLOAD_LAYERS}`,
      )
      .join(' UNION ');
    const params = entities.flatMap((e) => [e.kind, e.value]);
    return db
      .prepare(
        `SELECT ${EVENT_COLS} FROM events e JOIN raw_records r ON r.id = e.raw_id
          WHERE e.rowid IN (${parts}) AND e.time_ms >= ? AND e.time_ms <= ? ORDER BY e.time_ms, e.id LIMIT ?`,
      )
      .all(...params, fromMs, toMs, limit) as EventRow[];
  }
  const byCol = new Map<string, string[]>();
  const workload: Array<{ kind: string; value: string }> = [];
  for (const e of entities) {
    const col = KIND_COLUMN[e.kind];
    if (col === undefined) {
      workload.push(e);
      continue;
    }
    const list = byCol.get(col) ?? [];
    list.push(e.value);
    byCol.set(col, list);
  }
  const conds: string[] = [];
  const params: unknown[] = [fromMs, toMs];
  for (const [col, vals] of byCol) {
    conds.push(`e.${col} IN (${vals.map(() => '?').join(',')})`);
    params.push(...vals);
  }
  for (const w of workload) {
    conds.push(`(e.layer IN ${WORKLOAD_LAYERS} AND e.rowid IN (SELECT event_rowid FROM entities WHERE kind = ? AND value = ?))`);
    params.push(w.kind, w.value);
  }
  return db
    .prepare(
      `SELECT ${EVENT_COLS} FROM events e INDEXED BY events_time JOIN raw_records r ON r.id = e.raw_id
        WHERE e.time_ms >= ? AND e.time_ms <= ? AND (${conds.join(' OR ')}) ORDER BY e.time_ms, e.id LIMIT ?`,
    )
    .all(...params, limit) as EventRow[];
}

/** Detections (rule id, tactics, threat) each event triggered, for a batch of event ids. */
export function detectionsOfEvents(
  db: Db,
  eventIds: readonly string[],
): Map<string, Array<{ rule_id: string; rule_title: string; tactics: string; severity: string; fingerprint: string }>> {
  const out = new Map<string, Array<{ rule_id: string; rule_title: string; tactics: string; severity: string; fingerprint: string }>>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const chunk = eventIds.slice(i, i + 500);
    const rows = db
      .prepare(
        `SELECT de.event_id AS event_id, d.rule_id AS rule_id, d.rule_title AS rule_title, d.tactics AS tactics, d.severity AS severity,
           d.fingerprint AS fingerprint
         FROM detection_events de JOIN detections d ON d.id = de.detection_id
         WHERE de.event_id IN (${chunk.map(() => '?').join(',')}) ORDER BY d.rule_id, d.fingerprint`,
      )
      .all(...chunk) as Array<{ event_id: string; rule_id: string; rule_title: string; tactics: string; severity: string; fingerprint: string }>;
    for (const r of rows) {
      const list = out.get(r.event_id) ?? [];
      list.push(r);
      out.set(r.event_id, list);
    }
  }
  return out;
}
