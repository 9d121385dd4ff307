import type { Migration } from './index.js';

/**
 * Containment (issue 17): every step `irctl contain` executed or rolled back, with the cloud state before and after,
 * the API calls and their request ids, and who approved it. Evidence: append-only like the other evidence tables (a
 * rollback is a new row, never an edit). Only SQL understood by sqlite3 3.40.
 */
export const migration009: Migration = {
  version: 9,
  name: 'actions',
  sql: `
CREATE TABLE actions (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,                    -- the contain run
  threat_id TEXT NOT NULL,
  step_id TEXT NOT NULL,                   -- id of the step in the plan (S1, S2, ...)
  step_key TEXT NOT NULL,                  -- kind + target: what makes a step the same across plans
  kind TEXT NOT NULL,                      -- e.g. deactivate-access-key, snapshot-volumes
  provider TEXT NOT NULL,
  target TEXT NOT NULL,                    -- the real identifier (key id, instance id, ARN)
  operation TEXT NOT NULL,                 -- execute | rollback
  status TEXT NOT NULL,                    -- done | skipped | failed | rolled_back
  reason TEXT,                             -- why skipped or failed; the force reason
  approval TEXT NOT NULL,                  -- prompt | approve-flag | policy | force | none
  approver TEXT NOT NULL,                  -- OS user who approved (or policy:<kind>)
  before_state TEXT,                       -- JSON: the cloud state read before the step
  after_state TEXT,                        -- JSON: the cloud state read after it
  calls TEXT NOT NULL,                     -- JSON: [{api, params, request_id, ok, error}]
  evidence_ids TEXT NOT NULL,              -- JSON: event ids the step rests on
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL
);
CREATE INDEX actions_threat ON actions(threat_id, id);
CREATE TRIGGER actions_no_update BEFORE UPDATE ON actions BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER actions_no_delete BEFORE DELETE ON actions BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
`,
  evidenceTables: ['actions'],
};
