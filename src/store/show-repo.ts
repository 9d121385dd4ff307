/**
 * Read-only look-ups behind `irctl show <evidence-id>`: one event with its raw records, inputs and sightings and the
 * detections and threats it belongs to; one detection by fingerprint prefix; one investigation run.
 */
import type { Db } from './db.js';
import { hasColumn, hasTable } from './verify-repo.js';
import type { EventRow } from '../normalize/event-row.js';
import type { DetectionRow } from './detect-repo.js';
import type { InvestigationRecord } from './investigate-repo.js';

/** One stored copy of an event's record, with where it was seen. */
export interface RawCopy {
  raw_id: number;
  sha256: string;
  data_type: string;
  /** The record's exact bytes as stored. */
  raw: string;
  /** `native` (the provider's own bytes) or `reshaped` (an export's re-shaping: SIEM fields, a CSV download). */
  origin: string;
  /** For a table row (CSV, JSON table response): the header its cells are named by (stored once with its input). */
  header?: { format: string; name?: string; columns: string[] } | undefined;
  /** Inputs (files, API pages) it was seen in: the first one, then later sightings. */
  seen_in: Array<{ input_id: number; record_index: number; locator: string | null; input_sha256: string | null; received_at: string | null; first: boolean }>;
}

/** An event and everything that points at it. */
export interface EventEvidence {
  event: EventRow;
  copies: RawCopy[];
  detections: Array<{ fingerprint: string; rule_id: string; rule_title: string; severity: string; summary: string; threat_id: string | null }>;
}

const INPUT_OF = 'SELECT locator, sha256, received_at FROM inputs WHERE id = ?';

/** The event with this id, or undefined. */
export function eventEvidence(db: Db, id: string): EventEvidence | undefined {
  const event = db
    .prepare(
      `SELECT e.rowid AS rowid, e.id, e.time, e.time_ms, e.provider, e.layer, e.class, e.account, e.region, e.service, e.action,
        e.actor, e.actor_type, e.actor_name, e.access_key, e.session, e.assumed_from, e.src_ip, e.src_host, e.user_agent, e.outcome,
        e.error_code, e.read_only, e.resources, r.sha256 AS raw_sha256, e.data_type
       FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE e.id = ?`,
    )
    .get(id) as EventRow | undefined;
  if (!event) return undefined;
  const input = db.prepare(INPUT_OF);
  const sightings = db.prepare('SELECT input_id, record_index FROM raw_sightings WHERE raw_id = ? ORDER BY rowid');
  const origin = hasColumn(db, 'raw_records', 'origin') ? 'origin' : "'native' AS origin";
  const header = hasTable(db, 'input_headers')
    ? '(SELECT h.header FROM input_headers h WHERE h.input_id = r.input_id AND h.first_index <= r.record_index ORDER BY h.first_index DESC LIMIT 1)'
    : 'NULL';
  const rows = db.prepare(`SELECT id, sha256, data_type, raw, input_id, record_index, ${origin}, ${header} AS header FROM raw_records r WHERE event_id = ? ORDER BY id`).all(id) as Array<{
    id: number;
    sha256: string;
    data_type: string;
    raw: string;
    input_id: number;
    record_index: number;
    origin: string;
    header: string | null;
  }>;
  const where = (input_id: number, record_index: number, first: boolean): RawCopy['seen_in'][number] => {
    const i = input.get(input_id) as { locator: string; sha256: string | null; received_at: string } | undefined;
    return { input_id, record_index, locator: i?.locator ?? null, input_sha256: i?.sha256 ?? null, received_at: i?.received_at ?? null, first };
  };
  const copies = rows.map((r) => ({
    raw_id: r.id,
    sha256: r.sha256,
    data_type: r.data_type,
    raw: r.raw,
    origin: r.origin,
    ...(r.header === null ? {} : { header: JSON.parse(r.header) as RawCopy['header'] }),
    seen_in: [
      where(r.input_id, r.record_index, true),
      ...(sightings.all(r.id) as Array<{ input_id: number; record_index: number }>).map((s) => where(s.input_id, s.record_index, false)),
    ],
  }));
  const detections = db
    .prepare(
      `SELECT d.fingerprint, d.rule_id, d.rule_title, d.severity, d.summary, td.threat_id FROM detection_events de
        JOIN detections d ON d.id = de.detection_id LEFT JOIN threat_detections td ON td.detection_id = d.id
        WHERE de.event_id = ? ORDER BY d.first_ms, d.fingerprint`,
    )
    .all(id) as EventEvidence['detections'];
  return { event, copies, detections };
}

/** A detection and its threat (JSON columns still as text). */
export type DetectionEvidence = Omit<DetectionRow, 'id' | 'first_ms' | 'last_ms'> & { threat_id: string | null };

/** Detections whose fingerprint starts with `prefix` (at most 2: more than one means the prefix is ambiguous). */
export function detectionsByPrefix(db: Db, prefix: string): DetectionEvidence[] {
  return db
    .prepare(
      `SELECT d.fingerprint, d.rule_id, d.rule_title, d.rule_author, d.rule_source, d.severity, d.techniques, d.tactics, d.first_seen,
        d.last_seen, d.summary, d.entities, d.event_ids, td.threat_id FROM detections d LEFT JOIN threat_detections td ON td.detection_id = d.id
       WHERE d.fingerprint LIKE ? ESCAPE '\\' ORDER BY d.fingerprint LIMIT 2`,
    )
    .all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as DetectionEvidence[];
}

/** One investigation run as stored (without its transcript: `investigate --show` prints that). */
export type InvestigationEvidence = Omit<InvestigationRecord, 'transcript'>;

/** The investigation with this id (or id prefix, when unambiguous). */
export function investigationsByPrefix(db: Db, prefix: string): InvestigationEvidence[] {
  return db
    .prepare(
      `SELECT id, threat_id, started_at, finished_at, engine, verdict, confidence, result, sha256 FROM investigations
       WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 2`,
    )
    .all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as InvestigationEvidence[];
}
