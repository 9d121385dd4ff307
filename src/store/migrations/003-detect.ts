import type { Migration } from './index.js';

/**
 * Detection and correlation schema. detections/threats are DERIVED (rebuilt by every `irctl detect`);
 * threat_ids is kept across rebuilds so that threat ids users type (T-3) stay stable.
 */
export const migration003: Migration = {
  version: 3,
  name: 'detect',
  sql: `
CREATE TABLE detections (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,        -- sha256 of rule id + event ids: stable across re-runs
  rule_id TEXT NOT NULL,
  rule_title TEXT NOT NULL,
  rule_author TEXT,
  rule_source TEXT NOT NULL,               -- builtin | sigma:<file name>
  severity TEXT NOT NULL,                  -- informational | low | medium | high | critical
  techniques TEXT NOT NULL DEFAULT '[]',   -- JSON array: ATT&CK / ATLAS technique ids (T1562.008, AML.T0040)
  tactics TEXT NOT NULL DEFAULT '[]',      -- JSON array: tactic names (defense-evasion, persistence, ...)
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  summary TEXT NOT NULL,
  entities TEXT NOT NULL DEFAULT '[]',     -- JSON array of {kind, value}
  event_ids TEXT NOT NULL                  -- JSON array of event ids, time order
);
CREATE TABLE detection_events (detection_id INTEGER NOT NULL, event_id TEXT NOT NULL);
CREATE INDEX detection_events_event ON detection_events(event_id);
CREATE INDEX detection_events_detection ON detection_events(detection_id);

CREATE TABLE threats (
  id TEXT PRIMARY KEY,                     -- T-1, T-2, ...
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  priority INTEGER NOT NULL,               -- higher = look first
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  entities TEXT NOT NULL DEFAULT '[]',     -- JSON array of {kind, value}
  techniques TEXT NOT NULL DEFAULT '[]',
  tactics TEXT NOT NULL DEFAULT '[]',
  detection_count INTEGER NOT NULL,
  context_notes TEXT NOT NULL DEFAULT '[]' -- JSON array of strings: why severity/priority was raised
);
CREATE TABLE threat_detections (threat_id TEXT NOT NULL, detection_id INTEGER NOT NULL);
CREATE INDEX threat_detections_threat ON threat_detections(threat_id);

CREATE TABLE threat_ids (
  seq INTEGER PRIMARY KEY,                 -- the number in T-<seq>
  id TEXT NOT NULL UNIQUE,
  anchor TEXT NOT NULL UNIQUE,             -- fingerprint of the detection that first defined the threat
  created_at TEXT NOT NULL,
  merged_into TEXT                         -- set when a later run merged this threat into an older one (id retired)
);
CREATE INDEX detections_rule ON detections(rule_id);
CREATE INDEX threats_priority ON threats(priority DESC, first_ms);
`,
  evidenceTables: [],
};
