import type { Migration } from './index.js';

/** Schema of the investigate stage (owned by that stage's work; empty until it lands). */
export const migration004: Migration = {
  version: 4,
  name: 'investigate',
  sql: '',
  evidenceTables: [],
};
