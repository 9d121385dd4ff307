import type { Migration } from './index.js';

/**
 * Schema of the collect stage.
 * - `collect_checkpoints` is OPERATIONAL state (updated in place): which time ranges of which source have been
 *   collected completely, so that a re-run resumes instead of starting over. Losing it costs time, never evidence.
 * - `asset_exposure` is DERIVED: exposure computed from EC2 context records (which are evidence in raw_records, with
 *   data types `aws:ec2:*`); it can be recomputed from them.
 */
export const migration002: Migration = {
  version: 2,
  name: 'collect',
  sql: `
CREATE TABLE collect_checkpoints (
  key TEXT PRIMARY KEY,            -- sha256 of account, region (or event data store / bucket), api and filter set
  account TEXT NOT NULL,
  region TEXT NOT NULL,            -- region, Lake event data store, or s3://bucket/prefix
  api TEXT NOT NULL,               -- cloudtrail:LookupEvents | cloudtrail:Lake
  filters TEXT NOT NULL,           -- canonical JSON of the filter set
  covered TEXT NOT NULL DEFAULT '[]',  -- JSON [[from_ms, to_ms], ...]: closed ranges collected completely
  run_id TEXT NOT NULL,            -- last run that moved it
  updated_at TEXT NOT NULL
);

CREATE TABLE asset_exposure (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  observed_at TEXT NOT NULL,       -- UTC ISO 8601: when the snapshot was taken
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  arn TEXT NOT NULL,
  state TEXT,
  exposed INTEGER NOT NULL,        -- 1 when a public IP meets ingress open to 0.0.0.0/0 or ::/0
  public_ips TEXT NOT NULL DEFAULT '[]',     -- JSON array
  open_ingress TEXT NOT NULL DEFAULT '[]',   -- JSON array of {group_id, protocol, from_port, to_port, cidr}
  security_groups TEXT NOT NULL DEFAULT '[]', -- JSON array of group ids
  raw_sha256 TEXT NOT NULL         -- the instance record it was computed from
);
CREATE INDEX asset_exposure_instance ON asset_exposure(instance_id, observed_at);
CREATE INDEX asset_exposure_arn ON asset_exposure(arn, observed_at);
`,
  evidenceTables: [],
};
