import type { Migration } from './index.js';

/**
 * Related entities (issue "right answers on real AWS trails", identity hops): what an event hands out or names
 * beyond its actor and resources (the key and session an AssumeRole issued, the instance an instance-profile session
 * went to), as set by the source adapter. Indexed into `entities` like the resources, so the issuing event links to
 * every later use of the key or session. Only SQL understood by sqlite3 3.40.
 */
export const migration007: Migration = {
  version: 7,
  name: 'related',
  sql: `
-- DERIVED: JSON array of [kind, value] pairs (empty for most events).
ALTER TABLE events ADD COLUMN related TEXT NOT NULL DEFAULT '[]';
`,
  evidenceTables: [],
};
