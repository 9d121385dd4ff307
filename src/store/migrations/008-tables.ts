import type { Migration } from './index.js';

/**
 * Rows from tables (issue 10 "Rows from tables", issue 14 §3): a CSV file or a JSON table response
 * (`tables[].columns/rows`) stores each row's exact bytes as a raw record, and the column header ONCE with its input.
 * A row's header is the input's header with the greatest `first_index` not after the row's `record_index` (a JSON
 * response may hold several tables, each with its own columns). Only SQL understood by sqlite3 3.40.
 */
export const migration008: Migration = {
  version: 8,
  name: 'tables',
  sql: `
-- EVIDENCE: the column header of a table in an input. Part of each run's commitment.
CREATE TABLE input_headers (
  id INTEGER PRIMARY KEY,
  input_id INTEGER NOT NULL,
  first_index INTEGER NOT NULL,         -- record_index of the table's first row
  header TEXT NOT NULL,                 -- JSON: {"format":"csv"|"table","name":...,"columns":[...],"types":[...]}
  raw TEXT NOT NULL,                    -- the header's exact bytes in the input (CSV header line; JSON columns array)
  UNIQUE (input_id, first_index)
);
CREATE TRIGGER input_headers_no_update BEFORE UPDATE ON input_headers BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER input_headers_no_delete BEFORE DELETE ON input_headers BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
`,
  evidenceTables: ['input_headers'],
};
