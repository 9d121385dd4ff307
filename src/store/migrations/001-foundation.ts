import type { Migration } from './index.js';

/**
 * The foundation schema: evidence (append-only, enforced by triggers) and the first derived tables.
 * Only SQL understood by sqlite3 3.40 (design.md: examiners open the case with the stock CLI).
 */
export const migration001: Migration = {
  version: 1,
  name: 'foundation',
  sql: `
-- Derived/operational key-value state (never evidence).
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- EVIDENCE: the hash-chained custody log. body is the exact canonical JSON that was hashed;
-- hash = sha256(prev_hash || '\\n' || body).
CREATE TABLE custody (
  seq INTEGER PRIMARY KEY,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  time TEXT GENERATED ALWAYS AS (json_extract(body, '$.time')) VIRTUAL,
  action TEXT GENERATED ALWAYS AS (json_extract(body, '$.action')) VIRTUAL,
  run_id TEXT GENERATED ALWAYS AS (json_extract(body, '$.run_id')) VIRTUAL
);

-- EVIDENCE: one row per input file or API page, written when it has been read in full.
CREATE TABLE inputs (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,              -- file | api_page | object
  locator TEXT NOT NULL,           -- file path, s3:// URL, or API name
  params TEXT,                     -- JSON: API parameters, format, etc.
  sha256 TEXT,                     -- of the original bytes (compressed file as on disk, page as received)
  size INTEGER,
  status TEXT NOT NULL,            -- ok | partial | failed
  records INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL
);

-- EVIDENCE: every accepted record, byte-exact, stored once per distinct byte sequence.
CREATE TABLE raw_records (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  event_id TEXT NOT NULL,          -- identity of the event this record is a copy of
  data_type TEXT NOT NULL,         -- e.g. aws:cloudtrail:entry
  input_id INTEGER NOT NULL,       -- first input it was seen in
  record_index INTEGER NOT NULL,   -- position in that input
  byte_offset INTEGER,             -- offset of the record in the (decompressed) input
  raw TEXT NOT NULL                -- the record's exact bytes (valid UTF-8; invalid UTF-8 goes to quarantine)
);
CREATE INDEX raw_records_event ON raw_records(event_id);

-- EVIDENCE: later sightings of a byte-identical record in another input (provenance of duplicates).
CREATE TABLE raw_sightings (
  raw_id INTEGER NOT NULL,
  input_id INTEGER NOT NULL,
  record_index INTEGER NOT NULL
);

-- EVIDENCE: what could not be parsed or normalized, kept with the reason. raw may be empty for file-level problems.
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  input_id INTEGER,
  locator TEXT NOT NULL,
  record_index INTEGER,
  byte_offset INTEGER,
  reason TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  raw BLOB NOT NULL
);

-- DERIVED: normalized events (OCSF-aligned), rebuilt from raw_records when a mapper improves.
CREATE TABLE events (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,          -- provider's own event id where it has one, else sha256 of the raw bytes
  raw_id INTEGER NOT NULL,          -- first raw record of this event
  data_type TEXT NOT NULL,
  class TEXT NOT NULL,              -- api_activity | authentication | model_invocation | process_activity | network_activity | dns_activity | inventory
  class_uid INTEGER NOT NULL,       -- OCSF class_uid
  time TEXT NOT NULL,               -- UTC ISO 8601 with milliseconds
  time_ms INTEGER NOT NULL,
  provider TEXT NOT NULL,           -- aws | azure | gcp | okta | ...
  layer TEXT NOT NULL,              -- control_plane | identity | workload | ai | network | context
  account TEXT,
  region TEXT,
  service TEXT,
  action TEXT NOT NULL,
  actor TEXT,                       -- principal ARN or name
  actor_type TEXT,
  actor_name TEXT,
  principal_id TEXT,
  access_key TEXT,
  session TEXT,
  assumed_from TEXT,
  src_ip TEXT,
  src_host TEXT,                    -- a non-IP source such as an AWS service name
  user_agent TEXT,
  outcome TEXT NOT NULL,            -- success | failure | unknown
  error_code TEXT,
  read_only INTEGER,
  resources TEXT NOT NULL DEFAULT '[]'  -- JSON array of resource identifiers
);
CREATE INDEX events_time ON events(time_ms);

-- DERIVED: entity index for correlation (principal, role, session, access_key, ip, resource, account, user_agent).
CREATE TABLE entities (
  event_rowid INTEGER NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX entities_lookup ON entities(kind, value, event_rowid);
CREATE INDEX entities_event ON entities(event_rowid);

-- Append-only evidence, enforced in SQLite (design.md "Evidence vs derived").
CREATE TRIGGER custody_no_update BEFORE UPDATE ON custody BEGIN SELECT RAISE(ABORT, 'custody log is append-only'); END;
CREATE TRIGGER custody_no_delete BEFORE DELETE ON custody BEGIN SELECT RAISE(ABORT, 'custody log is append-only'); END;
CREATE TRIGGER inputs_no_update BEFORE UPDATE ON inputs BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER inputs_no_delete BEFORE DELETE ON inputs BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER raw_records_no_update BEFORE UPDATE ON raw_records BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER raw_records_no_delete BEFORE DELETE ON raw_records BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER raw_sightings_no_update BEFORE UPDATE ON raw_sightings BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER raw_sightings_no_delete BEFORE DELETE ON raw_sightings BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER quarantine_no_update BEFORE UPDATE ON quarantine BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER quarantine_no_delete BEFORE DELETE ON quarantine BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
`,
  evidenceTables: ['custody', 'inputs', 'raw_records', 'raw_sightings', 'quarantine'],
};
