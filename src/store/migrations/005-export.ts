import type { Migration } from './index.js';

/** Schema of the export stage (owned by that stage's work; empty until it lands). */
export const migration005: Migration = {
  version: 5,
  name: 'export',
  sql: '',
  evidenceTables: [],
};
