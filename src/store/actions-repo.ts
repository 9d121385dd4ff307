/**
 * All SQL of the respond stage: the append-only `actions` table (migration 9) and its custody entries. Each stored
 * action lands in one transaction with a `contain.step` custody entry that commits to the row.
 */
import { COMMITTED_COLUMNS, singleRowCommitment } from './commitment.js';
import { appendCustody, type ChainHead, type Provenance } from './custody.js';
import type { Db } from './db.js';

/** One stored containment action (a step executed, skipped, failed, or rolled back). JSON columns as text. */
export interface ActionRow {
  id: number;
  run_id: string;
  threat_id: string;
  step_id: string;
  step_key: string;
  kind: string;
  provider: string;
  target: string;
  /** execute | rollback. */
  operation: string;
  /** done | skipped | failed | rolled_back. */
  status: string;
  reason: string | null;
  /** prompt | approve-flag | policy | force | none. */
  approval: string;
  approver: string;
  before_state: string | null;
  after_state: string | null;
  calls: string;
  evidence_ids: string;
  started_at: string;
  finished_at: string;
}

/** Columns written, in commitment order (the id comes first and is assigned by SQLite). */
const COLUMNS = COMMITTED_COLUMNS.actions.slice(1) as ReadonlyArray<Exclude<(typeof COMMITTED_COLUMNS.actions)[number], 'id'>>;

/** Whether the actions table exists (a case last written before migration 9, opened read-only, lacks it). */
export function hasActionsTable(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'actions'").get() !== undefined;
}

/** Store one action and its `contain.step` custody entry in one transaction. */
export function insertAction(db: Db, a: Omit<ActionRow, 'id'>, prov: Provenance, now: Date): { id: number; head: ChainHead } {
  return db.transaction(() => {
    const id = Number(
      db.prepare(`INSERT INTO actions(${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`).run(...COLUMNS.map((c) => a[c])).lastInsertRowid,
    );
    const row: ActionRow = { id, ...a };
    const head = appendCustody(
      db,
      {
        action: 'contain.step',
        run_id: a.run_id,
        details: {
          action_id: id,
          threat_id: a.threat_id,
          step_id: a.step_id,
          kind: a.kind,
          provider: a.provider,
          target: a.target,
          operation: a.operation,
          status: a.status,
          reason: a.reason,
          approval: a.approval,
          approver: a.approver,
          request_ids: requestIds(a.calls),
          commitment: singleRowCommitment('actions', [id, ...COLUMNS.map((c) => row[c])]),
        },
      },
      prov,
      now,
    );
    return { id, head };
  })();
}

function requestIds(calls: string): string[] {
  try {
    const v = JSON.parse(calls) as unknown;
    if (!Array.isArray(v)) return [];
    return v.flatMap((c) => {
      const id = (c as { request_id?: unknown } | null)?.request_id;
      return typeof id === 'string' ? [id] : [];
    });
  } catch {
    return [];
  }
}

/** Append a custody entry of the respond stage (`contain.start`, `contain.end`). */
export function appendContainCustody(db: Db, action: string, runId: string, details: Record<string, unknown>, prov: Provenance, now: Date): ChainHead {
  return appendCustody(db, { action, run_id: runId, details }, prov, now);
}

/** Actions of one threat (or of the case), oldest first. */
export function listActions(db: Db, threatId: string | undefined): ActionRow[] {
  if (!hasActionsTable(db)) return [];
  return (
    threatId === undefined
      ? db.prepare('SELECT * FROM actions ORDER BY id').all()
      : db.prepare('SELECT * FROM actions WHERE threat_id = ? ORDER BY id').all(threatId)
  ) as ActionRow[];
}

/** Custody position of each action (seq and hash of its `contain.step` entry), up to `uptoSeq`. */
export function actionCustody(db: Db, uptoSeq: number): Map<number, { seq: number; hash: string }> {
  const rows = db
    .prepare("SELECT seq, hash, json_extract(body, '$.details.action_id') AS action_id FROM custody WHERE action = 'contain.step' AND seq <= ? ORDER BY seq")
    .all(uptoSeq) as Array<{ seq: number; hash: string; action_id: number | null }>;
  const out = new Map<number, { seq: number; hash: string }>();
  for (const r of rows) if (typeof r.action_id === 'number') out.set(r.action_id, { seq: r.seq, hash: r.hash });
  return out;
}

/** A threat's event as containment planners read it (normalized columns, resources JSON text, the raw record). */
export interface PlanEventRow {
  id: string;
  time: string;
  provider: string;
  data_type: string;
  action: string;
  service: string | null;
  outcome: string;
  actor: string | null;
  actor_type: string | null;
  access_key: string | null;
  session: string | null;
  account: string | null;
  region: string | null;
  resources: string;
  raw: string;
}

/** The events of a threat's detections with their raw records, time order, capped. */
export function threatPlanEvents(db: Db, threatId: string, limit: number): PlanEventRow[] {
  return db
    .prepare(
      `SELECT e.id, e.time, e.provider, e.data_type, e.action, e.service, e.outcome, e.actor, e.actor_type, e.access_key, e.session,
         e.account, e.region, e.resources, r.raw
       FROM events e JOIN raw_records r ON r.id = e.raw_id
       WHERE e.id IN (SELECT de.event_id FROM detection_events de JOIN threat_detections td ON td.detection_id = de.detection_id WHERE td.threat_id = ?)
       ORDER BY e.time_ms, e.id LIMIT ?`,
    )
    .all(threatId, limit) as PlanEventRow[];
}
