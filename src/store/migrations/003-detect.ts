import type { Migration } from './index.js';

/** Schema of the detect stage (owned by that stage's work; empty until it lands). */
export const migration003: Migration = {
  version: 3,
  name: 'detect',
  sql: '',
  evidenceTables: [],
};
