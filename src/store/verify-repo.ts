/**
 * Integrity queries for `case verify`: streamed so that memory stays flat on large cases. Tables and columns added
 * by later migrations may be missing from a case opened read-only before it was migrated: callers get empty results.
 */
import { COMMITTED_COLUMNS, ROW_ORDER, type CommittedTable, type RowValues } from './commitment.js';
import type { Db } from './db.js';
import { recordTextSql } from './record-text.js';
import { DERIVED_EVENT_COLUMNS, INPUT_STARTED, type ColumnValue } from './ingest-repo.js';

/** True when `table` has `column`. */
export function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).includes(column);
}

/** A raw record as the commitment pass reads it: its committed values and its bytes. */
export interface RawForVerify {
  /** Values of COMMITTED_COLUMNS.raw_records: id, sha256, event_id, data_type, input_id, record_index, byte_offset, origin. */
  values: RowValues;
  /** The record's bytes as stored (UTF-8): hashed as they are, never decoded into a string. */
  raw: Buffer;
}

/** Every raw record in id order with its committed values, streamed. */
export function* iterateRawForVerify(db: Db): Generator<RawForVerify> {
  const cols = COMMITTED_COLUMNS.raw_records.map((c) => (c === 'origin' && !hasColumn(db, 'raw_records', 'origin') ? "'native'" : c));
  const stmt = db.prepare(`SELECT ${cols.join(', ')}, CAST(raw AS BLOB) FROM raw_records ORDER BY id`).raw();
  const n = cols.length;
  for (const row of stmt.iterate() as IterableIterator<Array<ColumnValue | Buffer>>) {
    const raw = row[n] as Buffer;
    row.length = n;
    yield { values: row as ColumnValue[], raw };
  }
}

/** Rows of one evidence table in insertion order, as committed values (the table may not exist: nothing). */
export function* iterateCommittedRows(db: Db, table: Exclude<CommittedTable, 'raw_records'>): Generator<RowValues> {
  if (!hasTable(db, table)) return;
  const stmt = db.prepare(`SELECT ${COMMITTED_COLUMNS[table].join(', ')} FROM ${table} ORDER BY ${ROW_ORDER[table]}`).raw();
  yield* stmt.iterate() as IterableIterator<ColumnValue[]>;
}

/** Every quarantine entry, streamed. */
export function iterateQuarantine(db: Db): IterableIterator<{ id: number; sha256: string; raw: Buffer; locator: string }> {
  return db.prepare('SELECT id, sha256, raw, locator FROM quarantine ORDER BY id').iterate() as IterableIterator<{
    id: number;
    sha256: string;
    raw: Buffer;
    locator: string;
  }>;
}

/** An input as verify needs it. */
export interface InputForVerify {
  id: number;
  run_id: string;
  locator: string;
  /** True for an input whose row was written at its start and that has no completion row (its run was killed). */
  incomplete: boolean;
  /** For an incomplete input: a later input of the same locator that completed `ok` (the file was imported again). */
  redone: number | null;
}

/** Every input (a few thousand at most: one per file, page or object). */
export function inputsForVerify(db: Db): InputForVerify[] {
  const completions = hasTable(db, 'input_completions');
  return (
    db
      .prepare(
        `SELECT id, run_id, locator, incomplete,
           ${completions ? "CASE WHEN incomplete THEN (SELECT MIN(l.id) FROM input_status l WHERE l.locator = x.locator AND l.id > x.id AND l.status = 'ok') END" : 'NULL'} AS redone
         FROM (SELECT i.id, i.run_id, i.locator,
           ${completions ? `(i.status = '${INPUT_STARTED}' AND NOT EXISTS (SELECT 1 FROM input_completions c WHERE c.input_id = i.id))` : '0'} AS incomplete
           FROM inputs i) x ORDER BY id`,
      )
      .all() as Array<{ id: number; run_id: string; locator: string; incomplete: number; redone: number | null }>
  ).map((r) => ({ ...r, incomplete: r.incomplete === 1 }));
}

/** Normalized events whose raw record is missing. */
export function eventsWithoutRaw(db: Db, limit: number): { count: number; ids: string[] } {
  const count = db.prepare('SELECT COUNT(*) FROM events e LEFT JOIN raw_records r ON r.id = e.raw_id WHERE r.id IS NULL').pluck().get() as number;
  const ids = db
    .prepare('SELECT e.id FROM events e LEFT JOIN raw_records r ON r.id = e.raw_id WHERE r.id IS NULL ORDER BY e.id LIMIT ?')
    .pluck()
    .all(limit) as string[];
  return { count, ids };
}

/** Raw records whose event row is missing (derived data incomplete: rebuild). */
export function rawWithoutEvent(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM raw_records r WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = r.event_id)').pluck().get() as number;
}

/** Names of triggers present in the schema. */
export function presentTriggers(db: Db): Set<string> {
  return new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]);
}

/** True when a table exists. */
export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Events stored from more than one distinct raw record, with those records. */
export function* multiCopyEvents(db: Db): Generator<{ event_id: string; copies: Array<{ id: number; raw: string; data_type: string; sha256: string; text: string }> }> {
  const ids = db.prepare('SELECT event_id FROM raw_records GROUP BY event_id HAVING COUNT(*) > 1 ORDER BY event_id').pluck().iterate() as IterableIterator<string>;
  // `text`: what the adapter reads (a table row with its header, store/record-text.ts).
  const copies = db.prepare(`SELECT r.id, r.raw, r.data_type, r.sha256, ${recordTextSql(db)} AS text FROM raw_records r WHERE r.event_id = ? ORDER BY r.id`);
  const list = [...ids];
  for (const event_id of list) {
    yield { event_id, copies: copies.all(event_id) as Array<{ id: number; raw: string; data_type: string; sha256: string; text: string }> };
  }
}

/** Runs that have a start entry but no end entry (crashed or killed). */
export function runsWithoutEnd(db: Db): string[] {
  return db
    .prepare(
      `SELECT s.run_id FROM custody s WHERE s.action LIKE '%.start'
       AND NOT EXISTS (SELECT 1 FROM custody e WHERE e.run_id = s.run_id AND e.action LIKE '%.end') ORDER BY s.seq`,
    )
    .pluck()
    .all() as string[];
}

/** One custody entry by sequence number. */
export function custodyEntryAt(db: Db, seq: number): { seq: number; hash: string; body: string } | undefined {
  return db.prepare('SELECT seq, hash, body FROM custody WHERE seq = ?').get(seq) as { seq: number; hash: string; body: string } | undefined;
}

/** Sequence numbers of the custody entries with this hash. */
export function custodySeqsOfHash(db: Db, hash: string): number[] {
  return db.prepare('SELECT seq FROM custody WHERE hash = ? ORDER BY seq').pluck().all(hash) as number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Derived data against evidence (case/derived-check.ts)
// ---------------------------------------------------------------------------------------------------------------

/**
 * One event as the derived-data check reads it, positionally (raw arrays: a million rows): rowid, its raw record's
 * id, text, SHA-256, data type and event id, the stored normalizer, the derived columns as one JSON array (in
 * DERIVED_EVENT_COLUMNS order, built by SQLite), and the event's entity rows as a JSON array of `[kind, value]` in
 * insertion order (null when not checked).
 */
export type DerivedRow = [
  rowid: number,
  rawId: number,
  raw: string,
  sha256: string,
  dataType: string,
  rawEventId: string,
  normalizer: string | null,
  columns: string,
  entities: string | null,
];

/** How the derived rows of a case can be read. */
export interface DerivedReadPlan {
  /** Highest event rowid. */
  maxRowid: number;
  /** Events up to this rowid have their entity rows (`meta.entities_upto`); later ones are not indexed yet. */
  entitiesUpto: number;
  /** The per-event entity index exists (a bulk load killed before rebuilding it leaves it dropped). */
  entityIndex: boolean;
  /** The `events.normalizer` column exists (the case is migrated). */
  normalizerColumn: boolean;
}

/** What the derived-data check can read in this case. */
export function derivedReadPlan(db: Db): DerivedReadPlan {
  const upto = db.prepare("SELECT value FROM meta WHERE key = 'entities_upto'").pluck().get() as string | undefined;
  return {
    maxRowid: Number(db.prepare('SELECT COALESCE(MAX(rowid), 0) FROM events').pluck().get()),
    entitiesUpto: Number(upto ?? 0),
    entityIndex: db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'entities_event'").get() !== undefined,
    normalizerColumn: hasColumn(db, 'events', 'normalizer'),
  };
}

function derivedSelect(db: Db, plan: DerivedReadPlan, where: string): string {
  const entities = plan.entityIndex
    ? `CASE WHEN e.rowid <= ${plan.entitiesUpto} THEN (SELECT json_group_array(json_array(n.kind, n.value)) FROM entities n WHERE n.event_rowid = e.rowid) END`
    : 'NULL';
  return `SELECT e.rowid, r.id, ${recordTextSql(db)}, r.sha256, r.data_type, r.event_id, ${plan.normalizerColumn ? 'e.normalizer' : 'NULL'},
    json_array(${DERIVED_EVENT_COLUMNS.map((c) => `e.${c}`).join(', ')}), ${entities}
    FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE ${where} ORDER BY e.rowid`;
}

/** A reader of derived rows by rowid range (inclusive), for one connection. */
export function derivedRangeReader(db: Db, plan: DerivedReadPlan): (from: number, to: number) => DerivedRow[] {
  const stmt = db.prepare(derivedSelect(db, plan, 'e.rowid BETWEEN ? AND ?')).raw();
  return (from, to) => stmt.all(from, to) as DerivedRow[];
}

/** A reader of derived rows by event rowids (a threat's events). */
export function derivedRowidReader(db: Db, plan: DerivedReadPlan): (rowids: readonly number[]) => DerivedRow[] {
  const stmt = db.prepare(derivedSelect(db, plan, 'e.rowid IN (SELECT value FROM json_each(?))')).raw();
  return (rowids) => stmt.all(JSON.stringify(rowids)) as DerivedRow[];
}

/** Events per (data type, stored normalizer): a quick look for stale derived data before the full check. */
export function normalizerCounts(db: Db): Array<{ data_type: string; normalizer: string | null; events: number }> {
  if (!hasColumn(db, 'events', 'normalizer')) {
    return db.prepare('SELECT data_type, NULL AS normalizer, COUNT(*) AS events FROM events GROUP BY data_type ORDER BY data_type').all() as Array<{
      data_type: string;
      normalizer: null;
      events: number;
    }>;
  }
  return db.prepare('SELECT data_type, normalizer, COUNT(*) AS events FROM events GROUP BY data_type, normalizer ORDER BY data_type, normalizer').all() as Array<{
    data_type: string;
    normalizer: string | null;
    events: number;
  }>;
}
