import type { Migration } from './index.js';

/**
 * Excerpts (issue 16): a short, sanitized excerpt of attacker-controlled text an event carries (the prompt and output
 * of an AI model invocation), made by the source adapter, so timelines and reports can show what was asked without
 * reading the raw record. Derived like every other event column (rebuilt from the raw record); the full text stays in
 * the raw record only (`irctl show <id> --raw`). Only SQL understood by sqlite3 3.40.
 */
export const migration015: Migration = {
  version: 15,
  name: 'excerpt',
  sql: `
-- DERIVED: sanitized, truncated excerpt of untrusted text (NULL for most events).
ALTER TABLE events ADD COLUMN excerpt TEXT;
`,
  evidenceTables: [],
};
