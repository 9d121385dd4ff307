/**
 * Bundle I/O: members are written to a staging directory while being hashed (a tar header needs the size first,
 * so nothing is buffered in memory), then packed into a deterministic tar.gz: members sorted by path, fixed
 * mtime/uid/gid/mode, no user or group names. Reading streams the archive entry by entry.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, statSync, writeSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, constants as zc } from 'node:zlib';
import * as tar from 'tar-stream';
import { errnoCode } from '../errors.js';
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

/** One member being written to the staging directory: buffered writes, hashed and counted as it goes. */
export class MemberWriter {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private chunks: string[] = [];
  private pending = 0;
  private size = 0;
  private lines = 0;

  /** Archive path of the member. */
  readonly path: string;
  /** Staging file path. */
  readonly file: string;

  constructor(path: string, file: string) {
    this.path = path;
    this.file = file;
    this.fd = openSync(file, 'wx', 0o600);
  }

  /** Append one NDJSON line (without its newline). */
  line(s: string): void {
    this.chunks.push(s, '\n');
    this.pending += s.length + 1;
    this.lines++;
    if (this.pending >= FLUSH_AT) this.flush();
  }

  /** Append text or bytes as-is. */
  write(data: string | Uint8Array): void {
    this.flush();
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.put(buf);
  }

  private put(buf: Uint8Array): void {
    this.hash.update(buf);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    const buf = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.pending = 0;
    this.put(buf);
  }

  /** Finish; NDJSON members report their line count. */
  close(ndjson: boolean): BundleFile {
    this.flush();
    closeSync(this.fd);
    const f: BundleFile = { path: this.path, sha256: this.hash.digest('hex'), size: this.size };
    if (ndjson) f.records = this.lines;
    return f;
  }
}

/** A staged member ready to pack. */
export interface StagedMember {
  /** Archive path. */
  path: string;
  /** Staging file. */
  file: string;
}

/** Pack staged members into a deterministic tar.gz at `out`; returns the archive's sha256 and size. */
export async function packTarGz(members: readonly StagedMember[], out: string): Promise<{ sha256: string; size: number }> {
  const sorted = [...members].sort((a, b) => byteOrder(a.path, b.path));
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const writing = pipeline(pack, createGzip({ level: GZIP_LEVEL, memLevel: 9, strategy: zc.Z_DEFAULT_STRATEGY }), tap, createWriteStream(out, { mode: 0o644 }));
  try {
    for (const m of sorted) {
      const entry = pack.entry({ name: m.path, size: statSync(m.file).size, mode: 0o644, mtime: MEMBER_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' });
      await pipeline(createReadStream(m.file, { highWaterMark: 1 << 20 }), entry);
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
  }
  await writing;
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
 * Stream a tar.gz entry by entry. Errors of the container itself (not gzip, truncated, bad tar header) reject with
 * an `ArchiveError`.
 */
export async function readTarGz(source: Readable, onEntry: (e: ArchiveEntry) => Promise<void>, onRaw?: (chunk: Buffer) => void): Promise<void> {
  const extract = tar.extract();
  let containerError: unknown;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onRaw?.(chunk);
      cb(null, chunk);
    },
  });
  const piping = pipeline(source, tap, createGunzip({ chunkSize: 256 << 10 }), extract).catch((err: unknown) => {
    containerError = err;
  });
  try {
    for await (const entry of extract) {
      const hdr = entry.header;
      await onEntry({ name: hdr.name, type: hdr.type ?? 'file', size: hdr.size ?? 0, stream: entry as unknown as AsyncIterable<Buffer> });
      entry.resume();
    }
  } catch (err) {
    await piping;
    throw new ArchiveError(describeArchiveError(containerError ?? err), { cause: containerError ?? err });
  }
  await piping;
  if (containerError !== undefined) throw new ArchiveError(describeArchiveError(containerError), { cause: containerError });
}

/** The archive cannot be read as a tar.gz. */
export class ArchiveError extends Error {}

function describeArchiveError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = errnoCode(err) ?? '';
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(msg)) return `the archive is truncated (${msg})`;
  if (code === 'Z_DATA_ERROR') return `the archive is not valid gzip data or is corrupt (${msg})`;
  return `the archive cannot be read as tar.gz (${msg})`;
}
