/**
 * Worker thread of the detect stage's read (see event-batches.ts): opens the case read-only, steps the event stream
 * and posts encoded batches, at most `window` ahead of the rule-evaluating thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './db.js';
import { creditGate, errorMessage, type EndMessage } from '../util/worker-stream.js';
import { encodedBatches, type RawPrefetch, type ReaderMessage } from './event-batches.js';

interface Job {
  file: string;
  prefetch: RawPrefetch[];
  batchRows: number;
  window: number;
}

const port = parentPort;
if (port) {
  const job = workerData as Job;
  const credit = creditGate(port, job.window);
  const run = async (): Promise<void> => {
    const db = openDatabase(job.file, { readonly: true });
    try {
      for (const batch of encodedBatches(db, job.prefetch, job.batchRows)) {
        await credit();
        // The typed arrays move to the other thread instead of being copied.
        port.postMessage({ kind: 'batch', batch } satisfies ReaderMessage, [batch.codes.buffer as ArrayBuffer, batch.nums.buffer as ArrayBuffer]);
      }
    } finally {
      db.close();
    }
    port.postMessage({ kind: 'done' } satisfies EndMessage);
  };
  run().catch((err: unknown) => port.postMessage(errorMessage(err)));
}
