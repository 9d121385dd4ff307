/**
 * The parse side of import as one ordered stream of per-file batches and file ends. Reading, gunzip, splitting,
 * UTF-8 checks, JSON.parse, hashing and normalization run on a worker thread when irctl runs compiled (dist/), so the
 * main thread only writes to SQLite; the two overlap (stack.md: writes dominate, parsing fits on the second core).
 * Running from TypeScript sources (tests in-process) or with IRCTL_IMPORT_THREADS=0 the same generator runs on the
 * main thread. Either way the items, their order and so the stored rows are identical.
 */
import { Worker } from 'node:worker_threads';
import { workerItems, type EndMessage } from '../util/worker-stream.js';
import type { IngestRow } from '../store/ingest-repo.js';
import { fileRows, type FileEnd, type RowBatch } from './file-rows.js';
import type { InputFormat } from './formats.js';

/** One item of the stream: a batch of rows of file `file`, or the end of that file. */
export type ParsedItem = { kind: 'batch'; file: number; batch: RowBatch } | { kind: 'end'; file: number; end: FileEnd };

/** Options of the parse side. */
export interface ParseOptions {
  /** Rows per batch. */
  batchRows?: number;
  /** Use a worker thread when possible. @default true */
  thread?: boolean;
  /** Force this source adapter (`--source`): id or data type. */
  source?: string | undefined;
}

/** Batches the worker may run ahead of the writer (bounds memory: each batch is at most ~16 MB of raw records). */
const WINDOW = 2;
/** Young generation of the parser thread, MB. */
const YOUNG_MB = 12;

/** Messages from the worker (its items; the end and error messages are util/worker-stream.ts's). */
export type WorkerMessage = ParsedItem | EndMessage;

/** Parse `files` in order. Stop early with `.return()` (Ctrl-C): the worker is terminated, files are closed. */
export function parsedStream(files: readonly string[], format: InputFormat, opts: ParseOptions = {}): AsyncGenerator<ParsedItem, void, undefined> {
  const workerUrl = new URL('./parse-worker.js', import.meta.url);
  const compiled = import.meta.url.endsWith('.js');
  if (opts.thread !== false && compiled && files.length > 0) return workerStream(workerUrl, files, format, opts);
  return inThreadStream(files, format, opts);
}

async function* inThreadStream(files: readonly string[], format: InputFormat, opts: ParseOptions): AsyncGenerator<ParsedItem, void, undefined> {
  for (let file = 0; file < files.length; file++) {
    const gen = fileRows(files[file] as string, format, { ...(opts.batchRows === undefined ? {} : { batchRows: opts.batchRows }), source: opts.source });
    try {
      for (;;) {
        const n = await gen.next();
        if (n.done === true) {
          yield { kind: 'end', file, end: n.value };
          break;
        }
        yield { kind: 'batch', file, batch: n.value };
      }
    } finally {
      await gen.return({});
    }
  }
}

/** Structured clone turns Buffers into plain Uint8Arrays: make them Buffers again (no copy). */
function reviveRows(rows: IngestRow[]): void {
  for (const r of rows) {
    if (r.kind === 'rejected' && !Buffer.isBuffer(r.bytes)) {
      const u = r.bytes as Uint8Array;
      r.bytes = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    }
  }
}

async function* workerStream(url: URL, files: readonly string[], format: InputFormat, opts: ParseOptions): AsyncGenerator<ParsedItem, void, undefined> {
  const worker = new Worker(url, {
    workerData: { files: [...files], format, batchRows: opts.batchRows ?? null, window: WINDOW, source: opts.source ?? null },
    // A small young generation keeps the parser's garbage from piling up (peak RSS); old-space stays the default
    // so that a record of hundreds of MB still parses.
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB },
  });
  for await (const m of workerItems<ParsedItem>(worker, 'import parser thread')) {
    if (m.kind === 'batch') reviveRows(m.batch.rows);
    yield m;
    // The credit goes back once the writer has finished with the batch (it asks for the next item), not when it
    // takes it: at most `WINDOW` batches exist at once, written or waiting (peak RSS).
    if (m.kind === 'batch') worker.postMessage({ kind: 'credit' });
  }
}
