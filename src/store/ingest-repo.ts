/**
 * Writing evidence and normalized events during import and collection. Prepared statements, one transaction per
 * batch (the caller decides batch size). Every evidence row written is fed to the run's commitment
 * (store/commitment.ts), which the run's end entry in the custody log records.
 */
import { CLASS_UID, type NormalizedEvent } from '../normalize/event.js';
import { parseStoredRecord, rowEnvelope } from '../sources/index.js';
import type { TableHeader } from '../sources/types.js';
import { RunCommitment } from './commitment.js';
import type { Db } from './db.js';
import { recordTextSql } from './record-text.js';
import { copyContent, copyDifferences, copyIdRange, derivedEventId, isCopyIdOf, storedCopyContent } from './event-copies.js';

/** One accepted record with its normalized event. */
export interface AcceptedRow {
  kind: 'accepted';
  /** The record's exact bytes as text (valid UTF-8). */
  raw: string;
  /** SHA-256 of the exact bytes. */
  sha256: string;
  /** Position in the input. */
  index: number;
  /** Byte offset in the (decompressed) input. */
  offset: number | null;
  /** The normalized event. */
  event: NormalizedEvent;
  /** `<source id>@<version>` of the adapter that normalized it, stored with the event (`events.normalizer`). */
  normalizer: string;
  /** 'native', or 'reshaped' for a record an exporter re-shaped (set by adapters). @default 'native' */
  origin?: 'native' | 'reshaped' | undefined;
}

/** One rejected record (or file-level problem) for quarantine. */
export interface RejectedRow {
  kind: 'rejected';
  /** The bytes, possibly empty. */
  bytes: Buffer;
  /** SHA-256 of the bytes. */
  sha256: string;
  /** Position in the input, when a record. */
  index: number | null;
  /** Byte offset. */
  offset: number | null;
  /** Why it was rejected. */
  reason: string;
}

/** The column header of the table whose rows follow (a CSV file, one table of a JSON table response). */
export interface HeaderRow {
  kind: 'header';
  /** The header as the rows' adapters receive it. */
  header: TableHeader;
  /** The header's exact bytes in the input, as text (CSV header line; the JSON `columns` array). */
  raw: string;
  /** Record index of the table's first row. */
  index: number;
  /** Byte offset in the (decompressed) input. */
  offset: number | null;
}

export type IngestRow = AcceptedRow | RejectedRow | HeaderRow;

/** Counts from writing one batch. */
export interface BatchCounts {
  /** New events stored. */
  events: number;
  /** Records whose event was already in the case (byte-identical or another copy). */
  duplicates: number;
  /** New distinct raw records stored (includes differing copies of known events). */
  rawStored: number;
  /** Rows quarantined. */
  quarantined: number;
  /** New events stored under a derived id because their record disagrees with a stored copy of the same id (included in `events`). */
  conflicts: number;
  /** The first few of those conflicts, named. */
  conflictNotes: ConflictNote[];
}

/** A record kept as a separate event because it disagrees with another record of the same event id. */
export interface ConflictNote {
  /** The derived id the new event got. */
  id: string;
  /** The event id both records carry (held by the copy with the lowest raw record id). */
  event_id: string;
  /** Fields in which it disagrees with the event holding the bare id. */
  differs: string[];
  /** Its position in the input. */
  record_index: number;
}

/** Conflicts named per batch (the count is always complete). */
const CONFLICT_NOTES = 10;

/** An input as known when reading it starts: its row is written before its first record. */
export interface InputStart {
  /** What it is. @default 'file' */
  kind?: 'file' | 'api_page' | 'object';
  /** Parameters known up front (API request, requested format, ETag). @default null */
  params?: Record<string, unknown> | null;
  /** When reading started (UTC ISO 8601). @default now */
  receivedAt?: string;
}

/** How an input ended: its own append-only row (`input_completions`), written with the input's last batch. */
export interface InputCompletion {
  /** SHA-256 of the original bytes (compressed file as on disk, page as received); null when nothing was read. */
  sha256: string | null;
  /** Size of the original bytes. */
  size: number | null;
  /** ok, partial (some records quarantined, or cut short) or failed (nothing read). */
  status: 'ok' | 'partial' | 'failed';
  /** Records read from it (accepted + rejected). */
  records: number;
  /** Rows quarantined from it. */
  quarantined: number;
  /** What was learned while reading (detected format, gzip); `input_status` merges it over the start parameters. */
  params?: Record<string, unknown> | null;
  /** When it ended (UTC ISO 8601). */
  completedAt: string;
}

/** Prepared writer bound to one database. Writers of one run share its {@link RunCommitment}. */
export class IngestWriter {
  /** What the run has added so far (store/commitment.ts). */
  readonly commitment: RunCommitment;
  private readonly db: Db;
  private readonly insRaw;
  private readonly findRaw;
  private readonly maxRaw;
  private readonly delEvent;
  private readonly copiesOf;
  private readonly insSighting;
  private readonly insEvent;
  private readonly insQuarantine;
  private readonly insInput;
  private readonly insCompletion;
  private insHeader: ReturnType<Db['prepare']> | undefined = undefined;
  /** The header (as stored) of the current input's table, once one was written: its rows are read with it. */
  private header: string | undefined = undefined;
  private readonly beginInputTx;
  private readonly writeBatchTx;
  private readonly entities: EntityIndexer;
  private runId = '';
  private locator = '';
  private inputId = 0;

  constructor(db: Db, commitment: RunCommitment = new RunCommitment()) {
    this.db = db;
    this.commitment = commitment;
    // Bulk loads maintain several B-tree indexes with random keys (sha256, event ids, resource ARNs). Measured with
    // `npm run bench:import` (docs/benchmarks.md): a 16 MB page cache (SQLite's default is 2 MB) and checkpointing the
    // WAL every 10,000 pages instead of 1,000 (a page dirtied by several batches is copied into the database once)
    // cut the writer's CPU by about a seventh, within the 200 MB RSS budget. Both settings last for this connection.
    db.pragma('cache_size = -16384');
    db.pragma('wal_autocheckpoint = 10000');
    // A bulk load killed before it rebuilt its deferred indexes left them pending: rebuild them first.
    restoreDeferredIndexes(db);
    this.insRaw = db.prepare(
      'INSERT INTO raw_records(id, sha256, event_id, data_type, input_id, record_index, byte_offset, raw, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING',
    );
    this.findRaw = db.prepare('SELECT id FROM raw_records WHERE sha256 = ?').pluck();
    this.maxRaw = db.prepare('SELECT COALESCE(MAX(id), 0) FROM raw_records').pluck();
    this.delEvent = db.prepare('DELETE FROM events WHERE id = ?');
    // The events holding an id and the ids derived from it, with their first raw record (events.id is UNIQUE: a range scan).
    this.copiesOf = db.prepare(
      // `raw`: the text the adapter reads (a table row with its header, store/record-text.ts).
      `SELECT e.id, ${recordTextSql(db)} AS raw, r.sha256, r.data_type, r.origin FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE e.id >= ? AND e.id < ? ORDER BY r.id`,
    );
    this.insSighting = db.prepare('INSERT INTO raw_sightings(raw_id, input_id, record_index) VALUES (?, ?, ?)');
    this.insEvent = db.prepare(INSERT_EVENT_SQL);
    this.insQuarantine = db.prepare(
      'INSERT INTO quarantine(run_id, input_id, locator, record_index, byte_offset, reason, sha256, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insInput = db.prepare(
      `INSERT INTO inputs(run_id, kind, locator, params, sha256, size, status, records, quarantined, received_at)
       VALUES (?, ?, ?, ?, NULL, NULL, '${INPUT_STARTED}', 0, 0, ?)`,
    );
    this.insCompletion = db.prepare(
      'INSERT INTO input_completions(input_id, sha256, size, status, records, quarantined, params, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.entities = new EntityIndexer(db);
    this.beginInputTx = db.transaction((runId: string, locator: string, start: InputStart): number => {
      const kind = start.kind ?? 'file';
      const params = start.params === undefined || start.params === null ? null : JSON.stringify(start.params);
      const receivedAt = start.receivedAt ?? new Date().toISOString();
      const id = Number(this.insInput.run(runId, kind, locator, params, receivedAt).lastInsertRowid);
      this.commitment.add('inputs', [id, runId, kind, locator, params, null, null, INPUT_STARTED, 0, 0, receivedAt]);
      return id;
    });
    this.writeBatchTx = db.transaction((rows: readonly IngestRow[], done: InputCompletion | null): BatchCounts => {
      // Index the batch's entities in the same transaction while its event rows are still in the page cache
      // (a pass at the end re-reads every event once per entity kind: 8 scans of a table larger than the cache).
      // Only when the index is current; otherwise indexEntities() catches up later.
      const current = this.entities.isCurrent();
      const c = this.writeRows(rows);
      if (done) this.writeCompletion(done);
      if (current && c.events > 0) this.entities.catchUp();
      return c;
    });
  }

  /**
   * Start an input: its row is written now (status `started`), before its first record, so records never point at
   * an input that does not exist yet and a killed run leaves an input that says so. SQLite assigns the id, and as
   * rows are never deleted an id is never handed out twice. Returns the id.
   */
  beginInput(runId: string, locator: string, start: InputStart = {}): number {
    this.inputId = this.commitment.guard(this.db, () => this.beginInputTx(runId, locator, start));
    this.runId = runId;
    this.locator = locator;
    this.header = undefined;
    return this.inputId;
  }

  /** Write rows of the current input (and, with its last batch, its completion) in one transaction. */
  writeBatch(rows: readonly IngestRow[], done: InputCompletion | null = null): BatchCounts {
    return this.commitment.guard(this.db, () => this.writeBatchTx(rows, done));
  }

  private writeRows(rows: readonly IngestRow[]): BatchCounts {
    const c: BatchCounts = { events: 0, duplicates: 0, rawStored: 0, quarantined: 0, conflicts: 0, conflictNotes: [] };
    const commit = this.commitment;
    // Raw record ids are given explicitly (the next rowid, as SQLite would assign it; one writer holds the case), so
    // that the event row can be tried first: a new event id, the common case, costs one insert of each as before.
    let nextRaw = Number(this.maxRaw.get()) + 1;
    for (const r of rows) {
      if (r.kind === 'header') {
        this.writeHeader(r);
        continue;
      }
      if (r.kind === 'rejected') {
        const q = this.insQuarantine.run(this.runId, this.inputId, this.locator, r.index, r.offset, r.reason, r.sha256, r.bytes);
        commit.add('quarantine', [Number(q.lastInsertRowid), this.runId, this.inputId, this.locator, r.index, r.offset, r.reason, r.sha256]);
        c.quarantined++;
        continue;
      }
      const e = r.event;
      const origin = r.origin ?? 'native';
      const rawId = nextRaw;
      let eventId = e.id;
      let isNew = this.insEvent.run(...eventParams(e, rawId, r.normalizer)).changes === 1;
      let conflict: ConflictNote | undefined;
      if (!isNew) {
        const known = this.findRaw.get(r.sha256) as number | undefined;
        if (known !== undefined) {
          // Byte-identical: stored once, the sighting recorded.
          this.sighting(known, r.index);
          c.duplicates++;
          continue;
        }
        // Another record of a known event id: a copy of one of its events, or a different event (a conflict).
        const placed = this.placeCopy(r, origin);
        eventId = placed.id;
        if (placed.differs !== undefined) {
          isNew = this.insEvent.run(...eventParams({ ...e, id: eventId }, rawId, r.normalizer)).changes === 1;
          conflict = { id: eventId, event_id: e.id, differs: placed.differs, record_index: r.index };
        }
      }
      const res = this.insRaw.run(rawId, r.sha256, eventId, e.dataType, this.inputId, r.index, r.offset, r.raw, origin);
      if (res.changes === 0) {
        // Byte-identical to a stored record whose event row is missing (derived data incomplete): keep the stored
        // record (a rebuild restores its event) and undo the event row that pointed at the record not written.
        if (isNew) this.delEvent.run(eventId);
        this.sighting(this.findRaw.get(r.sha256) as number, r.index);
        c.duplicates++;
        continue;
      }
      nextRaw++;
      commit.add('raw_records', [rawId, r.sha256, eventId, e.dataType, this.inputId, r.index, r.offset, origin]);
      c.rawStored++;
      if (!isNew) c.duplicates++;
      else {
        c.events++;
        if (conflict) {
          c.conflicts++;
          if (c.conflictNotes.length < CONFLICT_NOTES) c.conflictNotes.push(conflict);
        }
      }
    }
    return c;
  }

  private writeHeader(h: HeaderRow): void {
    const ins = (this.insHeader ??= this.db.prepare('INSERT INTO input_headers(input_id, first_index, header, raw) VALUES (?, ?, ?, ?)'));
    const json = headerJson(h.header);
    const id = Number(ins.run(this.inputId, h.index, json, h.raw).lastInsertRowid);
    this.commitment.add('input_headers', [id, this.inputId, h.index, json, h.raw]);
    this.header = json;
  }

  private sighting(rawId: number, index: number): void {
    this.insSighting.run(rawId, this.inputId, index);
    this.commitment.add('raw_sightings', [rawId, this.inputId, index]);
  }

  /**
   * Where a new record of a known event id belongs (event-copies.ts): the first event of that id (bare or derived, in
   * raw record order) it agrees with, else a new event with a derived id (`differs` says in what it disagrees with
   * the event holding the bare id).
   */
  private placeCopy(r: AcceptedRow, origin: string): { id: string; differs?: string[] } {
    const e = r.event;
    // A table row is read with its input's header (store/record-text.ts), as the adapter made it.
    const text = this.header === undefined ? r.raw : rowEnvelope(this.header, r.raw);
    const parsed = parseStoredRecord(e.dataType, text);
    const mine = copyContent(e, parsed.ok ? parsed.record : undefined, origin === 'reshaped');
    const rows = (this.copiesOf.all(...copyIdRange(e.id)) as Array<{ id: string; raw: string; sha256: string; data_type: string; origin: string | null }>).filter((x) =>
      isCopyIdOf(x.id, e.id),
    );
    let differs: string[] | undefined;
    for (const x of rows) {
      const theirs = storedCopyContent(x.data_type, x.raw, x.sha256, x.origin);
      // A stored copy that no longer normalizes cannot be compared: it is not the same event as far as we can tell.
      const d = theirs ? copyDifferences(mine, theirs) : ['unreadable stored copy'];
      if (d.length === 0) return { id: x.id };
      if (x.id === e.id) differs = d;
    }
    const taken = new Set(rows.map((x) => x.id));
    let id = derivedEventId(e.id, r.sha256);
    if (taken.has(id)) id = derivedEventId(e.id, r.sha256, 64);
    return { id, differs: differs ?? ['content'] };
  }

  private writeCompletion(d: InputCompletion): void {
    const params = d.params === undefined || d.params === null ? null : JSON.stringify(d.params);
    const id = Number(this.insCompletion.run(this.inputId, d.sha256, d.size, d.status, d.records, d.quarantined, params, d.completedAt).lastInsertRowid);
    this.commitment.add('input_completions', [id, this.inputId, d.sha256, d.size, d.status, d.records, d.quarantined, params, d.completedAt]);
  }
}

/** A header as stored in `input_headers.header` (keys in a fixed order). */
export function headerJson(h: TableHeader): string {
  return JSON.stringify({ format: h.format, ...(h.name === undefined ? {} : { name: h.name }), columns: h.columns, ...(h.types === undefined ? {} : { types: h.types }), ...(h.minColumns === undefined ? {} : { minColumns: h.minColumns }) });
}

/** `inputs.status` of an input whose completion is (or will be) a row of `input_completions`. */
export const INPUT_STARTED = 'started';

/**
 * The event columns derived from a raw record, in the order {@link derivedEventValues} gives them. `case verify`
 * reads them back in this order and compares them with a fresh normalization (case/derived-check.ts).
 */
export const DERIVED_EVENT_COLUMNS = [
  'id',
  'raw_id',
  'data_type',
  'class',
  'class_uid',
  'time',
  'time_ms',
  'provider',
  'layer',
  'account',
  'region',
  'service',
  'action',
  'actor',
  'actor_type',
  'actor_name',
  'principal_id',
  'access_key',
  'session',
  'assumed_from',
  'src_ip',
  'src_host',
  'user_agent',
  'outcome',
  'error_code',
  'read_only',
  'resources',
  'related',
  'excerpt',
] as const;

const INSERT_EVENT_SQL = `INSERT INTO events(${DERIVED_EVENT_COLUMNS.join(', ')}, normalizer)
  VALUES (${DERIVED_EVENT_COLUMNS.map(() => '?').join(', ')}, ?) ON CONFLICT(id) DO NOTHING`;

/** A stored column value. */
export type ColumnValue = string | number | null;

/** Values of {@link DERIVED_EVENT_COLUMNS} for an event, exactly as stored. */
export function derivedEventValues(e: NormalizedEvent, rawId: number): ColumnValue[] {
  return [
    e.id,
    rawId,
    e.dataType,
    e.class,
    CLASS_UID[e.class],
    e.time,
    e.timeMs,
    e.provider,
    e.layer,
    e.account ?? null,
    e.region ?? null,
    e.service ?? null,
    e.action,
    e.actor.principal ?? null,
    e.actor.type ?? null,
    e.actor.name ?? null,
    e.actor.principalId ?? null,
    e.actor.accessKey ?? null,
    e.actor.session ?? null,
    e.actor.assumedFrom ?? null,
    e.srcIp ?? null,
    e.srcHost ?? null,
    e.userAgent ?? null,
    e.outcome,
    e.errorCode ?? null,
    e.readOnly === undefined ? null : e.readOnly ? 1 : 0,
    JSON.stringify(e.resources),
    JSON.stringify((e.related ?? []).map((r) => [r.kind, r.value])),
    e.excerpt ?? null,
  ];
}

/** Positional parameters of INSERT_EVENT_SQL. */
function eventParams(e: NormalizedEvent, rawId: number, normalizer: string): ColumnValue[] {
  const v = derivedEventValues(e, rawId);
  v.push(normalizer);
  return v;
}


/** A raw record normalized again, with the normalizer that did it. */
export interface Renormalized {
  event: NormalizedEvent;
  /** `<source id>@<version>`. */
  normalizer: string;
}

/**
 * Re-insert events from every raw record (first raw record of each event wins), in one transaction. Raw records are
 * read 10,000 at a time so that memory stays flat on a case of millions. The event id is the one stored with the raw
 * record (evidence): a copy that disagreed with an earlier record of its id was given a derived id when it was stored
 * (event-copies.ts), and a rebuild keeps it, so ids cited by detections, verdicts and bundles do not move.
 */
export function rebuildEventRows(
  db: Db,
  normalize: (dataType: string, raw: string, sha256: string) => Renormalized | undefined,
): { raw_records: number; events: number; failed: number } {
  const ins = db.prepare(INSERT_EVENT_SQL);
  // Table rows are read with their input's header (store/record-text.ts).
  const chunk = db.prepare(`SELECT r.id, r.sha256, r.event_id, r.data_type, ${recordTextSql(db)} AS raw FROM raw_records r WHERE r.id > ? ORDER BY r.id LIMIT 10000`);
  const out = { raw_records: 0, events: 0, failed: 0 };
  db.transaction(() => {
    for (let after = 0; ; ) {
      const rows = chunk.all(after) as Array<{ id: number; sha256: string; event_id: string; data_type: string; raw: string }>;
      if (rows.length === 0) break;
      for (const r of rows) {
        out.raw_records++;
        const n = normalize(r.data_type, r.raw, r.sha256);
        if (!n) out.failed++;
        else out.events += ins.run(...eventParams(n.event.id === r.event_id ? n.event : { ...n.event, id: r.event_id }, r.id, n.normalizer)).changes;
      }
      after = (rows[rows.length - 1] as { id: number }).id;
    }
  })();
  return out;
}

/** Entity kinds indexed from event columns (resources come from the JSON array). */
const ENTITY_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['principal', 'actor'],
  ['access_key', 'access_key'],
  ['session', 'session'],
  ['role', 'assumed_from'],
  ['ip', 'src_ip'],
  ['account', 'account'],
  ['user_agent', 'user_agent'],
];

const ENTITY_VALUE_INDEX = ENTITY_COLUMNS.map(([kind, col]) => [kind, DERIVED_EVENT_COLUMNS.indexOf(col as (typeof DERIVED_EVENT_COLUMNS)[number])] as const);

/**
 * The entity rows the index holds for an event, as `[kind, value]` in the order the indexer inserts them (kind by
 * kind, then the resources in array order): what `case verify` expects to find for an event it re-normalized.
 */
export function entityRowsOf(values: readonly ColumnValue[], resources: readonly string[]): Array<[string, ColumnValue]> {
  const out: Array<[string, ColumnValue]> = [];
  for (const [kind, i] of ENTITY_VALUE_INDEX) {
    const v = values[i];
    if (v !== null && v !== undefined) out.push([kind, v]);
  }
  for (const r of resources) out.push(['resource', r]);
  const related = values[RELATED_INDEX];
  if (typeof related === 'string') for (const [kind, v] of JSON.parse(related) as Array<[string, string]>) out.push([kind, v]);
  return out;
}

const RELATED_INDEX = DERIVED_EVENT_COLUMNS.indexOf('related');

/**
 * Fills the entity index for events not yet indexed (`meta.entities_upto` holds the last indexed event rowid).
 * Set-based INSERT ... SELECT over a rowid range: one prepared statement per kind.
 */
class EntityIndexer {
  private readonly db: Db;
  private readonly getUpto;
  private readonly getMax;
  private readonly setUpto;
  private readonly perKind;
  private readonly resources;
  private readonly related;

  constructor(db: Db) {
    this.db = db;
    this.getUpto = db.prepare("SELECT value FROM meta WHERE key = 'entities_upto'").pluck();
    this.getMax = db.prepare('SELECT COALESCE(MAX(rowid), 0) FROM events').pluck();
    this.setUpto = db.prepare("INSERT INTO meta(key, value) VALUES ('entities_upto', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    this.perKind = ENTITY_COLUMNS.map(([kind, col]) => ({
      kind,
      stmt: db.prepare(`INSERT INTO entities(event_rowid, kind, value) SELECT rowid, ?, ${col} FROM events WHERE rowid > ? AND rowid <= ? AND ${col} IS NOT NULL`),
    }));
    this.resources = db.prepare(
      "INSERT INTO entities(event_rowid, kind, value) SELECT e.rowid, 'resource', j.value FROM events e, json_each(e.resources) j WHERE e.rowid > ? AND e.rowid <= ?",
    );
    // Related entities ([kind, value] pairs), in array order after the resources (entityRowsOf mirrors this order).
    this.related = db.prepare(
      "INSERT INTO entities(event_rowid, kind, value) SELECT e.rowid, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM events e, json_each(e.related) j WHERE e.rowid > ? AND e.rowid <= ? AND e.related != '[]'",
    );
  }

  private upto(): number {
    return Number(this.getUpto.get() ?? 0);
  }

  /** True when every event is indexed. */
  isCurrent(): boolean {
    return this.upto() >= Number(this.getMax.get());
  }

  /** Index events after the last indexed one; call inside a transaction. Returns entity rows added. */
  catchUp(): number {
    const upto = this.upto();
    const max = Number(this.getMax.get());
    if (max <= upto) return 0;
    let added = 0;
    for (const k of this.perKind) added += k.stmt.run(k.kind, upto, max).changes;
    added += this.resources.run(upto, max).changes;
    added += this.related.run(upto, max).changes;
    this.setUpto.run(String(max));
    return added;
  }

  /** {@link catchUp} in its own transaction. */
  catchUpTx(): number {
    return this.db.transaction(() => this.catchUp())();
  }
}

/**
 * Entity indexing of events not yet indexed (import and collect index each batch as they write it, so this is
 * usually a no-op; rebuild and other writers rely on it). Returns the number of entity rows added.
 */
export function indexEntities(db: Db): number {
  const added = new EntityIndexer(db).catchUpTx();
  restoreDeferredIndexes(db);
  return added;
}

/**
 * Indexes that a bulk load may drop and rebuild at the end (sorting once is much cheaper than keeping B-trees with
 * random keys up to date row by row; stack.md measured 21k vs 37k events/s). Only lookup indexes: the UNIQUE
 * constraints that de-duplication relies on always stay.
 */
const DEFERRABLE_INDEXES = ['entities_lookup', 'entities_event', 'events_time', 'raw_records_event'];
const DEFERRED_KEY = 'deferred_indexes';

/**
 * Drop the deferrable indexes for a bulk load, remembering their definitions in `meta` in the same transaction, so
 * that {@link restoreDeferredIndexes} (run at the end of the load, and by every later writer if the load was
 * killed) recreates exactly the same indexes. Returns the names dropped.
 */
export function deferIndexes(db: Db): string[] {
  return db.transaction(() => {
    const already = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(DEFERRED_KEY) as string | undefined;
    if (already !== undefined) return [];
    const rows = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name IN (${DEFERRABLE_INDEXES.map(() => '?').join(',')}) ORDER BY name`)
      .all(...DEFERRABLE_INDEXES) as Array<{ name: string; sql: string }>;
    if (rows.length === 0) return [];
    db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)').run(DEFERRED_KEY, JSON.stringify(rows));
    for (const r of rows) db.exec(`DROP INDEX IF EXISTS "${r.name.replace(/"/g, '""')}"`);
    return rows.map((r) => r.name);
  })();
}

/** Recreate indexes dropped by {@link deferIndexes} (no-op when none are pending). Returns the names rebuilt. */
export function restoreDeferredIndexes(db: Db): string[] {
  const pending = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(DEFERRED_KEY) as string | undefined;
  if (pending === undefined) return [];
  const rows = JSON.parse(pending) as Array<{ name: string; sql: string }>;
  db.transaction(() => {
    for (const r of rows) db.exec(r.sql.replace(/^CREATE INDEX /i, 'CREATE INDEX IF NOT EXISTS '));
    db.prepare('DELETE FROM meta WHERE key = ?').run(DEFERRED_KEY);
  })();
  return rows.map((r) => r.name);
}

/** Highest event rowid (about the number of events; O(1)). */
export function lastEventRowid(db: Db): number {
  return Number(db.prepare('SELECT COALESCE(MAX(rowid), 0) FROM events').pluck().get());
}

/** Clear derived tables so they can be rebuilt from evidence. */
export function clearDerivedEvents(db: Db): void {
  db.transaction(() => {
    db.exec("DELETE FROM entities; DELETE FROM events; DELETE FROM meta WHERE key = 'entities_upto';");
  })();
}
