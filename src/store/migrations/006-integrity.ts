import type { Migration } from './index.js';

/**
 * Evidence integrity (issue 11): derived rows say which normalizer made them, an input's row is written before its
 * first record and its completion is a separate append-only row (so a killed run leaves an input that says so, and
 * ids are never reused), and `input_status` shows each input with its completion for readers and examiners.
 * Only SQL understood by sqlite3 3.40.
 */
export const migration006: Migration = {
  version: 6,
  name: 'integrity',
  sql: `
-- DERIVED: '<source id>@<normalizer version>' of the adapter that made the row (NULL: made before versions were
-- recorded, i.e. stale). \`case verify\` re-normalizes the raw record: same version and a different row is tampering,
-- an older version is stale derived data (\`irctl case rebuild\`).
ALTER TABLE events ADD COLUMN normalizer TEXT;

-- EVIDENCE: 'native' | 'reshaped' (a record re-shaped by an exporter, set by adapters). Part of each run's commitment.
ALTER TABLE raw_records ADD COLUMN origin TEXT NOT NULL DEFAULT 'native';

-- EVIDENCE: how an input ended. Since this migration an input row is written with status 'started' before its first
-- record (sha256, size and counts unknown yet) and this row, written once, completes it. An input 'started' without
-- a completion belongs to a run that was killed. Older inputs were written complete and have no completion row.
CREATE TABLE input_completions (
  id INTEGER PRIMARY KEY,               -- order of completion (inputs of one run may complete out of id order)
  input_id INTEGER NOT NULL UNIQUE,
  sha256 TEXT,                          -- of the original bytes (compressed file as on disk, page as received)
  size INTEGER,
  status TEXT NOT NULL,                 -- ok | partial | failed
  records INTEGER NOT NULL,
  quarantined INTEGER NOT NULL,
  params TEXT,                          -- JSON learned while reading (detected format, gzip), merged over inputs.params
  completed_at TEXT NOT NULL
);
CREATE TRIGGER input_completions_no_update BEFORE UPDATE ON input_completions BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER input_completions_no_delete BEFORE DELETE ON input_completions BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;

-- Each input as readers see it: its completion merged in; status 'incomplete' when its run was killed.
CREATE VIEW input_status AS
SELECT i.id, i.run_id, i.kind, i.locator,
  CASE WHEN c.params IS NULL THEN i.params WHEN i.params IS NULL THEN c.params ELSE json_patch(i.params, c.params) END AS params,
  CASE WHEN i.status = 'started' THEN c.sha256 ELSE i.sha256 END AS sha256,
  CASE WHEN i.status = 'started' THEN c.size ELSE i.size END AS size,
  CASE WHEN i.status = 'started' THEN COALESCE(c.status, 'incomplete') ELSE i.status END AS status,
  CASE WHEN i.status = 'started' THEN COALESCE(c.records, 0) ELSE i.records END AS records,
  CASE WHEN i.status = 'started' THEN COALESCE(c.quarantined, 0) ELSE i.quarantined END AS quarantined,
  i.received_at,
  c.completed_at
FROM inputs i LEFT JOIN input_completions c ON c.input_id = i.id;
`,
  evidenceTables: ['input_completions'],
};
