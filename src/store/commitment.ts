/**
 * Run commitments: what a run's end entry in the custody log says it added to the evidence tables (issue 11,
 * design.md "Custody chain head"). Per evidence table, the number of rows and an ordered running SHA-256 over one
 * line per row: `JSON.stringify([column values in COMMITTED_COLUMNS order]) + "\n"`, rows in insertion order (the
 * table's id, or rowid). Writers feed each row as they insert it (no second pass); `case verify` reads the rows back
 * in the same order and recomputes.
 *
 * Record bytes are committed through their stored SHA-256 (`case verify` checks bytes against it), so editing a raw
 * record and recomputing its `sha256` breaks the commitment of the run that stored it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Db } from './db.js';

/** Version of the commitment format (the line encoding and the columns below). */
export const COMMITMENT_VERSION = 1;

/**
 * The committed columns of each evidence table, in line order. The order rows are hashed in is {@link ROW_ORDER}.
 * Changing either is a new {@link COMMITMENT_VERSION}.
 */
export const COMMITTED_COLUMNS = {
  inputs: ['id', 'run_id', 'kind', 'locator', 'params', 'sha256', 'size', 'status', 'records', 'quarantined', 'received_at'],
  input_completions: ['id', 'input_id', 'sha256', 'size', 'status', 'records', 'quarantined', 'params', 'completed_at'],
  raw_records: ['id', 'sha256', 'event_id', 'data_type', 'input_id', 'record_index', 'byte_offset', 'origin'],
  raw_sightings: ['raw_id', 'input_id', 'record_index'],
  input_headers: ['id', 'input_id', 'first_index', 'header', 'raw'],
  quarantine: ['id', 'run_id', 'input_id', 'locator', 'record_index', 'byte_offset', 'reason', 'sha256'],
  investigations: ['id', 'threat_id', 'started_at', 'finished_at', 'engine', 'verdict', 'confidence', 'result', 'transcript', 'sha256'],
  verdict_overrides: ['id', 'threat_id', 'investigation_id', 'machine_verdict', 'verdict', 'reason', 'analyst', 'time'],
} as const;

/** An evidence table a commitment covers. */
export type CommittedTable = keyof typeof COMMITTED_COLUMNS;

/** Insertion order of each table (what verify sorts by). */
export const ROW_ORDER: Record<CommittedTable, string> = {
  inputs: 'id',
  input_completions: 'id',
  raw_records: 'id',
  raw_sightings: 'rowid',
  input_headers: 'id',
  quarantine: 'id',
  investigations: 'rowid',
  verdict_overrides: 'id',
};

/** Tables an import or collect run writes. */
export const INGEST_TABLES: readonly CommittedTable[] = ['inputs', 'input_completions', 'input_headers', 'raw_records', 'raw_sightings', 'quarantine'];

/** One table's part of a commitment. */
export interface CommitmentPart {
  /** Rows the run added. */
  count: number;
  /** Hex SHA-256 over the rows' lines, in insertion order (the SHA-256 of nothing when count is 0). */
  sha256: string;
}

/** What a custody entry (`details.commitment`) commits to. */
export type Commitment = { version: number } & Partial<Record<CommittedTable, CommitmentPart>>;

/** A committed row's values, in {@link COMMITTED_COLUMNS} order. */
export type RowValues = ReadonlyArray<string | number | null>;

/** The line a row contributes. JSON keeps strings unambiguous and numbers as SQLite returns them. */
export function commitmentLine(values: RowValues): string {
  return `${JSON.stringify(values)}\n`;
}

interface Running {
  hash: Hash;
  count: number;
}

/**
 * A commitment being built while rows are written. Rows of a transaction that rolls back must not count: writers
 * call {@link guard} around their outermost transaction, which restores the state from before it on failure.
 */
export class RunCommitment {
  private parts = new Map<CommittedTable, Running>();
  private readonly tables: readonly CommittedTable[];

  /** @param tables the tables this run writes (listed in the commitment even when it adds no rows to them). */
  constructor(tables: readonly CommittedTable[] = INGEST_TABLES) {
    this.tables = tables;
    for (const t of tables) this.parts.set(t, { hash: createHash('sha256'), count: 0 });
  }

  /** Feed one row that was just inserted. */
  add(table: CommittedTable, values: RowValues): void {
    let p = this.parts.get(table);
    if (!p) {
      p = { hash: createHash('sha256'), count: 0 };
      this.parts.set(table, p);
    }
    p.hash.update(commitmentLine(values));
    p.count++;
  }

  /**
   * Run `fn` (which writes rows and feeds them here). When it is the outermost transaction of `db` and it throws,
   * the commitment goes back to what it was before: the rows were rolled back.
   */
  guard<T>(db: Db, fn: () => T): T {
    if (db.inTransaction) return fn();
    const saved = new Map([...this.parts].map(([t, p]) => [t, { hash: p.hash.copy(), count: p.count }]));
    try {
      return fn();
    } catch (err) {
      this.parts = saved;
      throw err;
    }
  }

  /** Rows fed so far, per table. */
  count(table: CommittedTable): number {
    return this.parts.get(table)?.count ?? 0;
  }

  /** The commitment as it stands (the running hashes go on). */
  digest(): Commitment {
    const out: Commitment = { version: COMMITMENT_VERSION };
    const names = [...new Set([...this.tables, ...this.parts.keys()])].sort();
    for (const t of names) {
      const p = this.parts.get(t);
      if (p) out[t] = { count: p.count, sha256: p.hash.copy().digest('hex') };
    }
    return out;
  }
}

/** The commitment of a single row (investigation runs and verdict decisions commit to the row they add). */
export function singleRowCommitment(table: CommittedTable, values: RowValues): Commitment {
  const c = new RunCommitment([]);
  c.add(table, values);
  return c.digest();
}
