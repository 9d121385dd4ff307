/**
 * The custody log: an append-only hash chain. Each entry commits to the previous one, so removing, reordering or
 * editing any entry breaks every hash after it (design.md "Provenance").
 */
import { canonicalJson, sha256Hex } from '../util/hash.js';
import type { Db } from './db.js';

/** Hash that the first entry commits to. */
export const GENESIS_HASH = '0'.repeat(64);

/** Who ran irctl, where, with which version: recorded in every custody entry. */
export interface Provenance {
  /** OS user name. */
  os_user: string;
  /** Host name. */
  host: string;
  /** irctl version. */
  tool_version: string;
}

/** What a stage asks to record. */
export interface CustodyEntryInput {
  /** Dotted action name, e.g. `import.start`, `import.end`, `collect.page`, `verdict.set`. */
  action: string;
  /** Run this entry belongs to. */
  run_id: string;
  /** Free-form structured details (counts, file hashes, parameters). */
  details: Record<string, unknown>;
}

/** A stored custody entry. */
export interface CustodyEntry {
  /** Position in the chain, from 1. */
  seq: number;
  /** The canonical JSON that was hashed. */
  body: string;
  /** Hash of the previous entry (or the genesis hash). */
  prev_hash: string;
  /** sha256(prev_hash + "\n" + body). */
  hash: string;
}

/** The chain head: the hash an operator writes down outside the case. */
export interface ChainHead {
  /** Sequence number of the last entry (0 when empty). */
  seq: number;
  /** Hash of the last entry (the genesis hash when empty). */
  hash: string;
}

/** Hash of one entry given its predecessor. */
export function entryHash(prevHash: string, body: string): string {
  return sha256Hex(`${prevHash}\n${body}`);
}

/** Current head of the chain. */
export function chainHead(db: Db): ChainHead {
  const row = db.prepare('SELECT seq, hash FROM custody ORDER BY seq DESC LIMIT 1').get() as ChainHead | undefined;
  return row ?? { seq: 0, hash: GENESIS_HASH };
}

/** Append one entry; call inside a transaction when it must land together with evidence rows. */
export function appendCustody(db: Db, entry: CustodyEntryInput, prov: Provenance, now: Date): ChainHead {
  // Alone, reading the head and inserting after it must be one IMMEDIATE transaction: exports share the case lock
  // (docs/architecture.md "One writer at a time"), so two of them may append at the same moment.
  if (!db.inTransaction) return db.transaction(() => appendCustody(db, entry, prov, now)).immediate();
  const head = chainHead(db);
  const seq = head.seq + 1;
  const body = canonicalJson({
    seq,
    time: now.toISOString(),
    run_id: entry.run_id,
    action: entry.action,
    actor: { os_user: prov.os_user, host: prov.host },
    tool_version: prov.tool_version,
    details: entry.details,
  });
  const hash = entryHash(head.hash, body);
  db.prepare('INSERT INTO custody(seq, body, prev_hash, hash) VALUES (?, ?, ?, ?)').run(seq, body, head.hash, hash);
  return { seq, hash };
}

/** Result of walking the chain. */
export interface ChainCheck {
  /** Entries walked. */
  entries: number;
  /** Head as recomputed. */
  head: ChainHead;
  /** Human-readable problems; empty when intact. */
  problems: string[];
}

/** Walk every entry, recomputing each hash and link. Streams rows, so memory stays flat. */
export function verifyChain(db: Db): ChainCheck {
  const problems: string[] = [];
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  let last: ChainHead = { seq: 0, hash: GENESIS_HASH };
  for (const row of db.prepare('SELECT seq, body, prev_hash, hash FROM custody ORDER BY seq').iterate() as IterableIterator<CustodyEntry>) {
    entries++;
    if (row.seq !== expectedSeq) problems.push(`custody entry ${row.seq}: expected sequence ${expectedSeq} (an entry is missing)`);
    if (row.prev_hash !== prev) problems.push(`custody entry ${row.seq}: does not link to the previous entry's hash`);
    const recomputed = entryHash(row.prev_hash, row.body);
    if (recomputed !== row.hash) problems.push(`custody entry ${row.seq}: content does not match its hash (altered)`);
    try {
      const parsed = JSON.parse(row.body) as { seq?: unknown };
      if (parsed.seq !== row.seq) problems.push(`custody entry ${row.seq}: body names sequence ${String(parsed.seq)}`);
    } catch {
      problems.push(`custody entry ${row.seq}: body is not valid JSON`);
    }
    prev = row.hash;
    expectedSeq = row.seq + 1;
    last = { seq: row.seq, hash: row.hash };
  }
  return { entries, head: last, problems };
}

/** Parsed custody entries of one or more actions, oldest first. */
export function custodyEntries(db: Db, actions?: string[]): Array<{ seq: number; hash: string; body: Record<string, unknown> }> {
  const rows = (
    actions && actions.length > 0
      ? db
          .prepare(`SELECT seq, hash, body FROM custody WHERE action IN (${actions.map(() => '?').join(',')}) ORDER BY seq`)
          .all(...actions)
      : db.prepare('SELECT seq, hash, body FROM custody ORDER BY seq').all()
  ) as Array<{ seq: number; hash: string; body: string }>;
  return rows.map((r) => ({ seq: r.seq, hash: r.hash, body: JSON.parse(r.body) as Record<string, unknown> }));
}
