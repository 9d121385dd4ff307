/**
 * Integrity queries for `case verify`: streamed so that memory stays flat on large cases.
 */
import type { Db } from './db.js';

/** Every raw record, streamed. */
export function iterateRawRecords(db: Db): IterableIterator<{ id: number; sha256: string; raw: string; event_id: string; data_type: string }> {
  return db.prepare('SELECT id, sha256, raw, event_id, data_type FROM raw_records ORDER BY id').iterate() as IterableIterator<{
    id: number;
    sha256: string;
    raw: string;
    event_id: string;
    data_type: string;
  }>;
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

/** Events stored from more than one distinct raw record, with those records. */
export function* multiCopyEvents(db: Db): Generator<{ event_id: string; copies: Array<{ id: number; raw: string; data_type: string }> }> {
  const ids = db.prepare('SELECT event_id FROM raw_records GROUP BY event_id HAVING COUNT(*) > 1 ORDER BY event_id').pluck().iterate() as IterableIterator<string>;
  const copies = db.prepare('SELECT id, raw, data_type FROM raw_records WHERE event_id = ? ORDER BY id');
  const list = [...ids];
  for (const event_id of list) {
    yield { event_id, copies: copies.all(event_id) as Array<{ id: number; raw: string; data_type: string }> };
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
