import { migration001 } from './001-foundation.js';
import { migration002 } from './002-collect.js';
import { migration003 } from './003-detect.js';
import { migration004 } from './004-investigate.js';
import { migration005 } from './005-export.js';
import { migration006 } from './006-integrity.js';
import { migration007 } from './007-related.js';
import { migration008 } from './008-tables.js';
import { migration009 } from './009-actions.js';
import { migration015 } from './015-excerpt.js';

/** One schema step. Applied in order, each once, recorded by version in `schema_migrations`. */
export interface Migration {
  /** Schema version this migration produces. */
  version: number;
  /** Short name. */
  name: string;
  /** SQL run in one transaction (empty: nothing to do). */
  sql: string;
  /**
   * Evidence tables this migration creates: each must have `<table>_no_update` and `<table>_no_delete` triggers,
   * which `case verify` checks are still present.
   */
  evidenceTables: string[];
}

/**
 * All migrations, in order. One per pipeline area: 2 collect, 3 detect, 4 investigate, 5 export, 6 integrity, 7 related entities, 8 table headers, 9 containment actions, 15 event excerpts.
 * A later change to an area's schema is a new migration (6, 7, ...), never an edit of a landed one.
 */
export const migrations: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration008, migration009, migration015];
