/**
 * Worker thread of the import: parses the files it is given, in order, and posts row batches and file ends to the
 * main thread, which writes them (see parsed-stream.ts). Runs at most `window` batches ahead of the writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InputFormat } from './formats.js';
import { fileRows } from './file-rows.js';
import type { WorkerMessage } from './parsed-stream.js';

interface Job {
  files: string[];
  format: InputFormat;
  batchRows: number | null;
  window: number;
}

const port = parentPort;
if (port) {
  const job = workerData as Job;
  let credits = job.window;
  let wake: (() => void) | undefined;
  port.on('message', (m: { kind: string }) => {
    if (m.kind === 'credit') {
      credits++;
      const w = wake;
      wake = undefined;
      w?.();
    }
  });
  const post = (m: WorkerMessage): void => port.postMessage(m);
  const run = async (): Promise<void> => {
    for (let file = 0; file < job.files.length; file++) {
      const gen = fileRows(job.files[file] as string, job.format, job.batchRows === null ? {} : { batchRows: job.batchRows });
      for (;;) {
        const n = await gen.next();
        if (n.done === true) {
          post({ kind: 'end', file, end: n.value });
          break;
        }
        while (credits <= 0) await new Promise<void>((r) => (wake = r));
        credits--;
        post({ kind: 'batch', file, batch: n.value });
      }
    }
    post({ kind: 'done' });
  };
  run().catch((err: unknown) => {
    post({ kind: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
  });
}
