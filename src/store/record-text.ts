/**
 * A stored raw record as the text its data type's adapter reads: the raw record itself, or, for a table row (a CSV
 * row, a row of a JSON table response), the row together with the header stored once with its input
 * (`input_headers`, migration 008), in an envelope `{"irctl.row":{"header":{...},"row":"<row text>"}}` that
 * sources/index.ts `parseStoredRecord` opens. Use it wherever raw records are read to be normalized or matched by
 * rules; never where bytes are hashed, shown or exported (those are `raw` as stored).
 */
import type { Db } from './db.js';

/**
 * SQL expression for the record text of raw record alias `r`. The header lookup is one index seek on
 * `(input_id, first_index)`; inputs that are not tables have no header row and give `r.raw` back. A case not yet
 * migrated (opened read-only) has no table headers at all.
 */
export function recordTextSql(db: Db, r = 'r'): string {
  const migrated = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'input_headers'").get() !== undefined;
  return migrated ? migratedRecordTextSql(r) : `${r}.raw`;
}

/** {@link recordTextSql} for a case known to be migrated (a writer's connection). */
export function migratedRecordTextSql(r = 'r'): string {
  return `COALESCE((SELECT json_object('irctl.row', json_object('header', json(h.header), 'row', ${r}.raw)) FROM input_headers h
    WHERE h.input_id = ${r}.input_id AND h.first_index <= ${r}.record_index ORDER BY h.first_index DESC LIMIT 1), ${r}.raw)`;
}
