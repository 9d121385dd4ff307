/**
 * Worker thread of `irctl export --all`: writes the normalized-events member from its own read-only connection
 * (see member-thread.ts) and posts the member's digest, size and line count.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../store/db.js';
import { iterEventLines } from '../store/export-repo.js';
import { errorMessage, type EndMessage } from '../util/worker-stream.js';
import { MemberWriter } from './bundle.js';
import { pumpLines, type MemberMessage } from './member-thread.js';

const port = parentPort;
if (port) {
  const job = workerData as { dbFile: string; path: string; file: string };
  const run = async (): Promise<void> => {
    const db = openDatabase(job.dbFile, { readonly: true });
    try {
      const w = new MemberWriter(job.path, job.file);
      await pumpLines(w, iterEventLines(db, false));
      const file = w.close(true);
      await w.finished();
      port.postMessage({ kind: 'member', file } satisfies MemberMessage);
    } finally {
      db.close();
    }
    port.postMessage({ kind: 'done' } satisfies EndMessage);
  };
  run().catch((err: unknown) => port.postMessage(errorMessage(err)));
}
