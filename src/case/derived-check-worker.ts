/**
 * Worker thread of the derived-data check (derived-check.ts): checks one rowid range of events on its own read-only
 * connection and posts the tally.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../store/db.js';
import type { DerivedReadPlan } from '../store/verify-repo.js';
import { errorMessage, type EndMessage } from '../util/worker-stream.js';
import { checkRange } from './derived-check.js';

const port = parentPort;
if (port) {
  const job = workerData as { file: string; plan: DerivedReadPlan; from: number; to: number };
  try {
    const db = openDatabase(job.file, { readonly: true });
    try {
      port.postMessage({ kind: 'tally', tally: checkRange(db, job.plan, job.from, job.to) });
    } finally {
      db.close();
    }
    port.postMessage({ kind: 'done' } satisfies EndMessage);
  } catch (err) {
    port.postMessage(errorMessage(err));
  }
}
