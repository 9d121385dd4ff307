import type { Migration } from './index.js';

/** Schema of the collect stage (owned by that stage's work; empty until it lands). */
export const migration002: Migration = {
  version: 2,
  name: 'collect',
  sql: '',
  evidenceTables: [],
};
