/**
 * Worker thread of the import: parses the files it is given, in order, and posts row batches and file ends to the
 * main thread, which writes them (see parsed-stream.ts). Runs at most `window` batches ahead of the writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InputFormat } from './formats.js';
import { fileRows } from './file-rows.js';
import type { WorkerMessage } from './parsed-stream.js';
import { creditGate, errorMessage } from '../util/worker-stream.js';

interface Job {
  files: string[];
  format: InputFormat;
  batchRows: number | null;
  window: number;
  source: string | null;
}

const port = parentPort;
if (port) {
  const job = workerData as Job;
  const credit = creditGate(port, job.window);
  const post = (m: WorkerMessage): void => port.postMessage(m);
  const run = async (): Promise<void> => {
    for (let file = 0; file < job.files.length; file++) {
      const gen = fileRows(job.files[file] as string, job.format, { ...(job.batchRows === null ? {} : { batchRows: job.batchRows }), source: job.source ?? undefined });
      for (;;) {
        const n = await gen.next();
        if (n.done === true) {
          post({ kind: 'end', file, end: n.value });
          break;
        }
        await credit();
        post({ kind: 'batch', file, batch: n.value });
      }
    }
    post({ kind: 'done' });
  };
  run().catch((err: unknown) => post(errorMessage(err)));
}
