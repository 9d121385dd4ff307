import type { Migration } from './index.js';

/**
 * Investigation schema. Investigation runs and human verdict decisions are append-only: a transcript is what the
 * machine said at the time, and a human decision is evidence (design.md "Evidence vs derived").
 */
export const migration004: Migration = {
  version: 4,
  name: 'investigate',
  sql: `
CREATE TABLE investigations (
  id TEXT PRIMARY KEY,                     -- uuid
  threat_id TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  engine TEXT NOT NULL,                    -- deterministic | claude:<model> | ...
  verdict TEXT NOT NULL,                   -- malicious | security_test | planned_action | not_malicious | inconclusive
  confidence REAL NOT NULL,                -- 0..1
  result TEXT NOT NULL,                    -- JSON: the result object exactly as \`investigate --json\` prints it
  transcript TEXT NOT NULL,                -- JSON: steps, tool calls, result hashes, tokens
  sha256 TEXT NOT NULL                     -- sha256(result || "\\n" || transcript)
);
CREATE INDEX investigations_threat ON investigations(threat_id, started_at);

CREATE TABLE verdict_overrides (
  id INTEGER PRIMARY KEY,
  threat_id TEXT NOT NULL,
  investigation_id TEXT,                   -- the machine run being overridden, if any
  machine_verdict TEXT,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  analyst TEXT NOT NULL,                   -- OS user
  time TEXT NOT NULL
);

CREATE TRIGGER investigations_no_update BEFORE UPDATE ON investigations BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER investigations_no_delete BEFORE DELETE ON investigations BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER verdict_overrides_no_update BEFORE UPDATE ON verdict_overrides BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER verdict_overrides_no_delete BEFORE DELETE ON verdict_overrides BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
`,
  evidenceTables: ['investigations', 'verdict_overrides'],
};
