/**
 * One input file -> batches of rows ready to store (accepted records with their normalized events, and rejects
 * for quarantine). Reads, gunzips, splits, checks UTF-8, parses, hashes and normalizes; writes nothing. Kept apart
 * from the writer so the work can run on a worker thread while the main thread writes (see import.ts).
 */
import { adapterById, sourceAdapters } from '../sources/index.js';
import type { IngestRow } from '../store/ingest-repo.js';
import { sha256Hex } from '../util/hash.js';
import type { InputFormat } from './formats.js';
import { InputOpenError, readInputFile, type InputFileEnd } from './read-input.js';
import { rowFromItem } from './records.js';

/** Rows from one stretch of the file. */
export interface RowBatch {
  /** Rows in input order. */
  rows: IngestRow[];
  /** Records (elements) seen in this stretch, accepted or not. */
  records: number;
  /** Total bytes of accepted raw records in this batch (for the writer's memory budget). */
  bytes: number;
  /** Container oddities that lost nothing (missing commas): warned about, not quarantined. */
  notes: string[];
}

/** How the file ended. */
export interface FileEnd {
  /** Hash, size, gzip and format, when the file could be opened. */
  end?: InputFileEnd;
  /** Why the file could not be opened at all (nothing was read). */
  openError?: string;
  /** A file-level problem that was turned into a quarantine row in the last batch. */
  fileProblem?: string;
}

/**
 * Batches are cut at this many rows or this many raw bytes, whichever comes first (bounded memory: a batch of parsed
 * rows weighs several times its raw bytes, and two are alive at once). 1,000 rows, the size of one CloudTrail S3 log
 * file: a single 150 MB export peaked at 456 MB with 5,000-row batches, 221 MB with these, at the same speed.
 */
export const BATCH_ROWS = 1000;
export const BATCH_BYTES = 8 * 1024 * 1024;

/** A quarantine row for a problem with the file as a whole (no record bytes). */
export function fileLevelReject(reason: string, offset: number | null = null): IngestRow {
  return { kind: 'rejected', bytes: Buffer.alloc(0), sha256: sha256Hex(''), index: null, offset, reason };
}

/**
 * Read one file into row batches. The generator returns how the file ended; a file-level problem (empty, truncated
 * gzip, unreadable) is also delivered as a quarantine row in the final batch, so it is stored and counted.
 */
export async function* fileRows(
  path: string,
  format: InputFormat,
  opts: { batchRows?: number; batchBytes?: number; maxRecordBytes?: number; source?: string | undefined } = {},
): AsyncGenerator<RowBatch, FileEnd> {
  const batchRows = opts.batchRows ?? BATCH_ROWS;
  const forced = opts.source === undefined ? undefined : adapterById(opts.source);
  const adapters = forced ? [forced] : sourceAdapters();
  const batchBytes = opts.batchBytes ?? BATCH_BYTES;
  let batch: RowBatch = { rows: [], records: 0, bytes: 0, notes: [] };
  const take = (): RowBatch => {
    const b = batch;
    batch = { rows: [], records: 0, bytes: 0, notes: [] };
    return b;
  };
  let end: InputFileEnd;
  const gen = readInputFile(path, format, opts.maxRecordBytes === undefined ? {} : { maxRecordBytes: opts.maxRecordBytes });
  try {
    for (;;) {
      let next;
      try {
        next = await gen.next();
      } catch (err) {
        if (!(err instanceof InputOpenError)) throw err;
        const reason = `${err.message}; nothing was read from it (check the path and permissions, then import it again)`;
        batch.rows.push(fileLevelReject(reason));
        yield take();
        return { openError: reason, fileProblem: reason };
      }
      if (next.done === true) {
        end = next.value;
        break;
      }
      for (const n of next.value.notes) batch.notes.push(n.reason);
      for (const item of next.value.items) {
        const row = rowFromItem(item, next.value.format, adapters);
        batch.rows.push(row);
        if (item.type === 'record') batch.records++;
        if (row.kind === 'accepted') batch.bytes += row.raw.length;
        if (batch.rows.length >= batchRows || batch.bytes >= batchBytes) yield take();
      }
    }
  } finally {
    // Stop reading when the consumer stops early (Ctrl-C): closes the file.
    await gen.return({ sha256: '', size: 0, gzip: false, format: 'unknown' });
  }
  let fileProblem: string | undefined;
  if (end.error !== undefined) fileProblem = end.error;
  else if (end.format === 'empty') fileProblem = 'file is empty (no records); nothing to import';
  if (fileProblem !== undefined) batch.rows.push(fileLevelReject(fileProblem));
  yield take();
  const out: FileEnd = { end };
  if (fileProblem !== undefined) out.fileProblem = fileProblem;
  return out;
}
