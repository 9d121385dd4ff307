/**
 * Read one input file as a stream of split items: hashes the original bytes, gunzips when the file is gzip,
 * detects the container format from the first 64 KiB, and splits records byte-exactly. Memory stays bounded by the
 * largest record whatever the file size.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { errnoCode, errorMessage } from '../errors.js';
import { detectFormat, splitModeFor, type ConcreteFormat, type InputFormat } from './formats.js';
import { RecordSplitter, type SplitHeader, type SplitItem, type SplitNote, type SplitRecord, type SplitIssue } from './json-split.js';
import { CsvSplitter, TablesSplitter, type Splitter } from './table-split.js';
import { TextLineSplitter } from './text-split.js';
import { textFormats } from '../sources/index.js';

const DETECT_BYTES = 64 * 1024;

/** What is known about the file once it has been read. */
export interface InputFileEnd {
  /** SHA-256 of the bytes on disk (compressed bytes for .gz). */
  sha256: string;
  /** Size on disk in bytes. */
  size: number;
  /** Whether the file was gzip. */
  gzip: boolean;
  /** Format used, a concrete format, or 'empty' / 'unknown' when nothing could be split. */
  format: string;
  /** A file-level problem (unreadable, truncated gzip, not JSON); records before it were still delivered. */
  error?: string;
}

/** Items split from the file, with the format they were split by. */
export interface InputBatch {
  /** Format in use (decides how elements are unwrapped). */
  format: ConcreteFormat;
  /** Records, table headers and issues, in input order. */
  items: Array<SplitRecord | SplitIssue | SplitHeader>;
  /** Oddities that lost nothing (e.g. a missing comma between records): worth a warning, not quarantine. */
  notes: SplitNote[];
}

/** Separate notes from records and issues. */
function batchOf(format: ConcreteFormat, all: SplitItem[]): InputBatch {
  const items: Array<SplitRecord | SplitIssue | SplitHeader> = [];
  const notes: SplitNote[] = [];
  for (const it of all) {
    if (it.type === 'note') notes.push(it);
    else items.push(it);
  }
  return { format, items, notes };
}

/** Thrown before any byte is read when the file cannot be opened at all. */
export class InputOpenError extends Error {}

/**
 * Yield batches of split items from one file, then return the file summary.
 * Throws {@link InputOpenError} when the file cannot be opened.
 */
export async function* readInputFile(
  path: string,
  format: InputFormat,
  opts: { maxRecordBytes?: number } = {},
): AsyncGenerator<InputBatch, InputFileEnd> {
  let handle;
  try {
    // stat first: opening a FIFO would block until a writer appears.
    const st = await stat(path);
    if (!st.isFile()) throw new InputOpenError(`${path} is not a regular file`);
    handle = await open(path, 'r');
  } catch (err) {
    if (err instanceof InputOpenError) throw err;
    const code = errnoCode(err);
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : errorMessage(err);
    throw new InputOpenError(`cannot open ${path}: ${why}`);
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new InputOpenError(`${path} is not a regular file`);
  } catch (err) {
    await handle.close().catch(() => undefined);
    if (err instanceof InputOpenError) throw err;
    throw new InputOpenError(`cannot read ${path}: ${errorMessage(err)}`);
  }
  const src = handle.createReadStream({ start: 0, highWaterMark: 1024 * 1024 });
  try {
    return yield* readInputStream(src, format, opts);
  } finally {
    src.destroy();
    await handle.close().catch(() => undefined);
  }
}

/**
 * Yield batches of split items from any byte stream (a file, an S3 object body), then return the summary.
 * Gzip is recognised by its magic bytes, whatever the name says.
 */
export async function* readInputStream(
  source: Readable,
  format: InputFormat,
  opts: { maxRecordBytes?: number } = {},
): AsyncGenerator<InputBatch, InputFileEnd> {
  const hash = createHash('sha256');
  let size = 0;
  let gzip = false;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const hashed = pipeline(source, hasher, () => undefined);
  const it = hashed[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let firstChunk: Buffer | undefined;
  let data: AsyncIterable<Buffer>;
  let earlyError: Error | undefined;
  try {
    const first = await it.next();
    firstChunk = first.done === true ? undefined : first.value;
  } catch (err) {
    earlyError = err instanceof Error ? err : new Error(String(err));
  }
  async function* rest(): AsyncGenerator<Buffer> {
    if (firstChunk) yield firstChunk;
    for (;;) {
      const n = await it.next();
      if (n.done === true) return;
      yield n.value;
    }
  }
  if (firstChunk && firstChunk.length >= 2 && firstChunk[0] === 0x1f && firstChunk[1] === 0x8b) {
    gzip = true;
    data = pipeline(Readable.from(rest()), createGunzip(), () => undefined);
  } else {
    data = rest();
  }

  let splitter: Splitter | undefined;
  // A concrete format, or 'empty' / 'unknown' while nothing could be split.
  let used: string = 'empty';
  let headParts: Buffer[] = [];
  let headLen = 0;
  let fileError: string | undefined;
  const out: SplitItem[] = [];
  const concrete = (): ConcreteFormat => (used === 'empty' || used === 'unknown' ? 'json' : used);

  const startSplitter = (complete: boolean): void => {
    const head = Buffer.concat(headParts, headLen);
    headParts = [];
    let chosen: ConcreteFormat;
    if (format === 'auto') {
      const d = detectFormat(head, complete);
      if (d.format === 'empty') {
        used = 'empty';
        return;
      }
      if ('reason' in d) {
        used = 'unknown';
        out.push({ type: 'issue', reason: `${d.reason}: not a supported log file; use --format if it is`, bytes: head, offset: 0 });
        return;
      }
      chosen = d.format;
    } else {
      chosen = format;
    }
    used = chosen;
    splitter = makeSplitter(chosen, opts.maxRecordBytes === undefined ? {} : { maxRecordBytes: opts.maxRecordBytes });
    if (head.length > 0) splitter.push(head, out);
  };

  try {
    if (earlyError !== undefined) throw earlyError;
    for await (const chunk of data) {
      if (splitter) {
        splitter.push(chunk, out);
      } else if (used === 'unknown') {
        continue; // drain for the hash
      } else {
        headParts.push(chunk);
        headLen += chunk.length;
        if (headLen >= DETECT_BYTES) startSplitter(false);
      }
      if (out.length > 0) yield batchOf(concrete(), out.splice(0, out.length));
    }
  } catch (err) {
    const code = errnoCode(err);
    fileError =
      code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(errorMessage(err))
        ? 'gzip data is truncated (unexpected end of file): records before the cut were kept; fetch the file again and re-import it (records already imported are not duplicated)'
        : code === 'Z_DATA_ERROR'
          ? `gzip data is corrupt (${errorMessage(err)}): records before the damage were kept; fetch the file again and re-import it`
          : `read failed (${code ?? errorMessage(err)}): records before the failure were kept; check the disk or file system, then import the file again`;
  } finally {
    hashed.destroy();
  }
  if (!splitter && used === 'empty' && headLen > 0) startSplitter(fileError === undefined);

  if (splitter) splitter.end(out);
  if (out.length > 0) yield batchOf(concrete(), out.splice(0, out.length));
  // The hash covers the bytes read; after a read error it covers what could be read, and the error says so.
  const end: InputFileEnd = { sha256: hash.digest('hex'), size, gzip, format: used };
  if (fileError !== undefined) end.error = fileError;
  return end;
}

/** The splitter of a concrete format: tables (CSV, JSON table responses) have their own. */
function makeSplitter(format: ConcreteFormat, opts: { maxRecordBytes?: number }): Splitter {
  if (format === 'csv') return new CsvSplitter(opts);
  if (format === 'tables') return new TablesSplitter(opts);
  const text = textFormats().find((t) => t.format === format);
  if (text) return new TextLineSplitter(text, opts);
  return new RecordSplitter(splitModeFor(format), opts);
}
