/**
 * The normalized-events member of a whole-case bundle, written on a worker thread (export-member-worker.ts) with its
 * own read-only connection while the main thread writes the raw records: the two largest members of a bundle are
 * then read from SQLite, hashed and handed to the compressor side by side. Same lines, same bytes as the in-thread
 * path (iterEventLines); threat bundles, which are small and read a temporary scope table of the main connection,
 * always write in-thread.
 */
import { Worker } from 'node:worker_threads';
import { workerItems } from '../util/worker-stream.js';
import type { MemberWriter } from './bundle.js';
import type { BundleFile } from './manifest.js';

/**
 * Write NDJSON lines into a member, waiting for the compressor (thread pool) when it falls behind; `every` is called
 * every 20,000 lines (progress, Ctrl-C). The caller closes the member.
 */
export async function pumpLines(w: MemberWriter, lines: Iterable<string>, every?: (n: number) => void): Promise<void> {
  let n = 0;
  for (const l of lines) {
    if (!w.line(l)) await w.drain();
    if (++n % 20_000 === 0) every?.(n);
  }
}

/** Message of the member thread (besides util/worker-stream's done/error). */
export type MemberMessage = { kind: 'member'; file: BundleFile };

/** A member being written on a worker thread. */
export interface MemberJob {
  /** The member's digest, size and line count once its segment file is complete. */
  result: Promise<BundleFile>;
  /** Stop the thread (export failed or interrupted). */
  cancel(): Promise<void>;
}

/** Whether a member thread can run: only when irctl runs compiled (the worker is the .js next to this module). */
export const memberThreadAvailable = (): boolean => import.meta.url.endsWith('.js');

/** Start writing the case's events member (`path`) into `file` on a worker thread reading `dbFile`. */
export function startEventsMember(dbFile: string, path: string, file: string): MemberJob {
  const worker = new Worker(new URL('./export-member-worker.js', import.meta.url), { workerData: { dbFile, path, file } });
  const result = (async (): Promise<BundleFile> => {
    let out: BundleFile | undefined;
    for await (const m of workerItems<MemberMessage>(worker, 'export member thread')) out = m.file;
    if (!out) throw new Error('export member thread ended without its member');
    return out;
  })();
  // Failures surface where `result` is awaited; a cancelled job's rejection is expected.
  result.catch(() => undefined);
  return {
    result,
    cancel: async () => {
      await worker.terminate().catch(() => undefined);
      await result.catch(() => undefined);
    },
  };
}
