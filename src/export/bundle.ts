/**
 * Bundle I/O. Writing: each member is compressed into its own gzip segment in the staging directory while it is
 * produced (so compression runs on the thread pool, overlapping the SQLite reads) and hashed as it goes; packing then
 * writes the tar headers as small gzip members and copies the segments between them. The result is one valid
 * multi-member gzip stream (RFC 1952 section 2.2; gunzip, tar and Node read it as one stream) holding a deterministic
 * ustar archive: members sorted by path, fixed mtime/uid/gid/mode, no user or group names. Reading streams the
 * archive entry by entry.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createWriteStream, fchmodSync, openSync, readSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { Transform, type Readable, type TransformOptions } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gzipSync, type Gzip, type ZlibOptions } from 'node:zlib';
import * as tar from 'tar-stream';
import { errnoCode, InternalError } from '../errors.js';
import type { BundleFile } from './manifest.js';
import { byteOrder } from './manifest.js';

/** mtime of every member: fixed so the same content gives the same archive bytes. */
export const MEMBER_MTIME = new Date('2000-01-01T00:00:00.000Z');

/**
 * gzip level. Level 6 (the default) costs about twice level 3 on raw CloudTrail JSON for a few percent of size;
 * bundles of millions of events are dominated by compression time, so irctl uses 3 (measured by bench:export).
 */
export const GZIP_LEVEL = 3;

const FLUSH_AT = 1 << 20;

/**
 * One member being written: buffered, hashed and counted as it goes, and compressed into its own gzip segment file.
 * `line` returns false when it handed a buffer to the compressor: the caller then awaits `drain()`, which gives the
 * event loop a turn (the compressor's thread-pool jobs are scheduled from it, so a caller that never yields gets no
 * overlap) and waits when the compressor is behind (bounded memory).
 */
export class MemberWriter {
  private readonly hash: Hash = createHash('sha256');
  private readonly gz: Gzip;
  private readonly done: Promise<void>;
  private chunks: string[] = [];
  private pending = 0;
  private size = 0;
  private lines = 0;

  /** Archive path of the member. */
  readonly path: string;
  /** Staging file (the member's compressed segment). */
  readonly file: string;

  constructor(path: string, file: string) {
    this.path = path;
    this.file = file;
    // Output chunks large enough that one input buffer compresses in one thread-pool job, and room for a few input
    // buffers queued ahead, so the producer keeps working while the compressor runs.
    // (zlib streams take the Transform stream options too; @types/node only declares the zlib ones.)
    const opts: ZlibOptions & TransformOptions = { level: GZIP_LEVEL, memLevel: 9, chunkSize: 1 << 20, writableHighWaterMark: 8 * FLUSH_AT };
    this.gz = createGzip(opts);
    this.done = pipeline(this.gz, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    // Failures surface from `finished()`; keep them from being reported as unhandled meanwhile.
    this.done.catch(() => undefined);
  }

  /** Append one NDJSON line (without its newline). */
  line(s: string): boolean {
    this.chunks.push(s, '\n');
    this.pending += s.length + 1;
    this.lines++;
    if (this.pending < FLUSH_AT) return true;
    this.flush();
    return false;
  }

  /** Append text or bytes as-is. */
  write(data: string | Uint8Array): void {
    this.flush();
    this.put(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Resolves when the compressor can take more, after at least one turn of the event loop. */
  async drain(): Promise<void> {
    if (this.gz.writableNeedDrain) await once(this.gz, 'drain');
    else await new Promise((r) => setImmediate(r));
  }

  private put(buf: Uint8Array): void {
    this.hash.update(buf);
    this.size += buf.length;
    this.gz.write(buf);
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    const buf = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.pending = 0;
    this.put(buf);
  }

  /** Finish the content (compression may still be running: see `finished`); NDJSON members report their line count. */
  close(ndjson: boolean): BundleFile {
    this.flush();
    this.gz.end();
    const f: BundleFile = { path: this.path, sha256: this.hash.digest('hex'), size: this.size };
    if (ndjson) f.records = this.lines;
    return f;
  }

  /** Resolves when the segment file is complete. */
  finished(): Promise<void> {
    return this.done;
  }

  /** Stop compressing (an export that failed or was interrupted); resolves when the file is closed. */
  async abort(): Promise<void> {
    if (!this.gz.writableFinished) this.gz.destroy();
    await this.done.catch(() => undefined);
  }
}

/** A staged member ready to pack. */
export interface StagedMember {
  /** Archive path. */
  path: string;
  /** Staging file: the member's bytes as one gzip segment. */
  file: string;
  /** Uncompressed size. */
  size: number;
}

const BLOCK = 512;

/** Octal field of `width` bytes: digits, then a space (as tar-stream and GNU tar write them). */
function octal(buf: Buffer, off: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  buf.write(`${digits} `, off, 'ascii');
}

/**
 * A POSIX ustar header of a regular file with irctl's fixed metadata. Sizes of 8 GiB and more use the base-256
 * encoding GNU tar and tar-stream read. Names are bundle paths: ASCII, at most 100 bytes.
 */
export function ustarHeader(name: string, size: number): Buffer {
  if (!/^[\x21-\x7e]{1,100}$/.test(name)) throw new InternalError(`bundle member name "${name}" cannot be written in a ustar header`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 'ascii');
  octal(h, 100, 7, 0o644);
  octal(h, 108, 7, 0);
  octal(h, 116, 7, 0);
  if (size < 8 ** 11) octal(h, 124, 12, size);
  else {
    h[124] = 0x80;
    let n = size;
    for (let i = 135; i > 124; i--) {
      h[i] = n % 256;
      n = Math.floor(n / 256);
    }
  }
  octal(h, 136, 12, Math.floor(MEMBER_MTIME.getTime() / 1000));
  h[156] = 0x30; // '0': regular file
  h.write('ustar\u000000', 257, 'latin1');
  octal(h, 329, 7, 0);
  octal(h, 337, 7, 0);
  let sum = 8 * 0x20; // the checksum field counts as spaces
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += h[i] as number;
  octal(h, 148, 7, sum);
  return h;
}

/**
 * Pack staged members into a deterministic tar.gz at `out`: per member a gzip member holding the previous member's
 * padding and this member's header, then the member's own segment; finally the end-of-archive blocks. Returns the
 * archive's sha256 and size.
 */
export function packTarGz(members: readonly StagedMember[], out: string): { sha256: string; size: number } {
  const sorted = [...members].sort((a, b) => byteOrder(a.path, b.path));
  const hash = createHash('sha256');
  let size = 0;
  // 0600 whatever the umask (and over a left-over file): a bundle holds raw records, credentials included. File
  // systems without Unix modes (a FAT stick) refuse the chmod, which is fine.
  const fd = openSync(out, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } catch {
    // no Unix modes here
  }
  const emit = (buf: Buffer): void => {
    hash.update(buf);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    size += buf.length;
  };
  const padding = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
  try {
    let prev = 0;
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (const m of sorted) {
      emit(gzipSync(Buffer.concat([padding(prev), ustarHeader(m.path, m.size)]), { level: GZIP_LEVEL }));
      const src = openSync(m.file, 'r');
      try {
        for (;;) {
          const n = readSync(src, chunk, 0, chunk.length, null);
          if (n === 0) break;
          emit(chunk.subarray(0, n));
        }
      } finally {
        closeSync(src);
      }
      prev = m.size;
    }
    emit(gzipSync(Buffer.concat([padding(prev), Buffer.alloc(2 * BLOCK)]), { level: GZIP_LEVEL }));
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size };
}

/** One archive entry as the reader sees it. */
export interface ArchiveEntry {
  /** Path as stored. */
  name: string;
  /** Entry type (`file`, `directory`, `symlink`, ...). */
  type: string;
  /** Declared size. */
  size: number;
  /** The entry's bytes; must be consumed (or resumed) before the next entry arrives. */
  stream: AsyncIterable<Buffer>;
}

/**
 * A cap on how much an archive may inflate: never more than `slack` plus `ratio` times the compressed bytes read so
 * far. A gzip member can inflate about a thousand times; irctl's bundles inflate about ten times, so a cap well above
 * that stops a decompression bomb within its first megabytes while any real bundle passes.
 */
export interface InflateLimit {
  /** Inflated bytes per compressed byte. */
  ratio: number;
  /** Inflated bytes allowed on top (small archives, headers). */
  slack: number;
}

/**
 * Stream a tar.gz entry by entry. Errors of the container itself (not gzip, truncated, bad tar header, more inflated
 * bytes than `limit` allows) reject with an `ArchiveError`; an `ArchiveError` thrown by `onEntry` stops the reading
 * and is rethrown as it is.
 */
export async function readTarGz(source: Readable, onEntry: (e: ArchiveEntry) => Promise<void>, onRaw?: (chunk: Buffer) => void, limit?: InflateLimit): Promise<void> {
  const extract = tar.extract();
  let containerError: unknown;
  let compressed = 0;
  let inflated = 0;
  let current: string | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      compressed += chunk.length;
      onRaw?.(chunk);
      cb(null, chunk);
    },
  });
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      inflated += chunk.length;
      if (limit && inflated > limit.slack + limit.ratio * compressed) {
        const mb = (n: number): string => (n / 1e6).toFixed(1);
        cb(
          new ArchiveLimitError(
            `${current === undefined ? 'the archive' : current.length > 200 ? `${current.slice(0, 200)}...` : current} inflates to more than ${limit.ratio} times its compressed size (${mb(inflated)} MB out of the first ${mb(compressed)} MB): a decompression bomb, not read further`,
          ),
        );
      } else cb(null, chunk);
    },
  });
  // A deep output buffer lets decompression (on the thread pool) run ahead of the member checks instead of waiting
  // for each chunk to be consumed.
  const gunzipOpts: ZlibOptions & TransformOptions = { chunkSize: 256 << 10, readableHighWaterMark: 16 << 20 };
  const piping = pipeline(source, tap, createGunzip(gunzipOpts), guard, extract).catch((err: unknown) => {
    containerError = err;
  });
  const fail = (err: unknown): ArchiveError => {
    const cause = containerError instanceof ArchiveError ? containerError : err instanceof ArchiveError ? err : (containerError ?? err);
    return cause instanceof ArchiveError ? cause : new ArchiveError(describeArchiveError(cause), { cause });
  };
  try {
    for await (const entry of extract) {
      const hdr = entry.header;
      current = hdr.name;
      await onEntry({ name: hdr.name, type: hdr.type ?? 'file', size: hdr.size ?? 0, stream: entry as unknown as AsyncIterable<Buffer> });
      entry.resume();
      current = undefined;
    }
  } catch (err) {
    await piping;
    throw fail(err);
  }
  await piping;
  if (containerError !== undefined) throw fail(containerError);
}

/** The archive cannot be read as a tar.gz. */
export class ArchiveError extends Error {}

/** The archive goes beyond what a bundle can be (a decompression bomb, thousands of members): reading stopped. */
export class ArchiveLimitError extends ArchiveError {}

function describeArchiveError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = errnoCode(err) ?? '';
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(msg)) return `the archive is truncated (${msg})`;
  if (code === 'Z_DATA_ERROR') return `the archive is not valid gzip data or is corrupt (${msg})`;
  return `the archive cannot be read as tar.gz (${msg})`;
}
