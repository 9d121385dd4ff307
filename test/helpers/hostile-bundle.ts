/**
 * Hostile bundles for the verify fuzz tests: tar.gz archives written member by member as gzip members (as irctl
 * writes bundles), so that a test can declare any tar header, stream gigabytes of content from a few MB of gzip
 * (a decompression bomb) or write lines of any length, without holding the inflated bytes anywhere.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

/** Octal field of `width` bytes, NUL-terminated. */
function octal(h: Buffer, off: number, width: number, value: number): void {
  h.write(`${value.toString(8).padStart(width - 1, '0')}\0`, off, 'ascii');
}

/** Options of a raw tar header. */
export interface HeaderSpec {
  name: string;
  /** Declared size; sizes of 8 GiB and more use the base-256 form. */
  size: number;
  /** Type flag: `0` file, `5` directory, `x` pax header, ... @default '0' */
  type?: string;
  /** Replace the size field with these bytes (a malformed header). */
  rawSize?: string;
}

/** A ustar header block (the name may exceed 100 bytes only through a pax header). */
export function tarHeader(spec: HeaderSpec): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(spec.name.slice(0, 100), 0, 'utf8');
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (spec.rawSize !== undefined) h.write(spec.rawSize.padEnd(12, '\0').slice(0, 12), 124, 'latin1');
  else if (spec.size < 8 ** 11) octal(h, 124, 12, spec.size);
  else {
    h[124] = 0x80;
    let n = spec.size;
    for (let i = 135; i > 124; i--) {
      h[i] = n % 256;
      n = Math.floor(n / 256);
    }
  }
  octal(h, 136, 12, 946684800);
  h.write(spec.type ?? '0', 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += h[i] as number;
  octal(h, 148, 8, sum);
  return h;
}

/** Zero padding after `size` bytes of content. */
export const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A pax extended header entry carrying `records` (e.g. `{ path: 'x'.repeat(3e6) }`). */
export function paxEntry(records: Record<string, string>): Buffer[] {
  const body = Buffer.concat(
    Object.entries(records).map(([k, v]) => {
      const rest = ` ${k}=${v}\n`;
      let len = rest.length + 1;
      while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
      return Buffer.from(`${len}${rest}`, 'utf8');
    }),
  );
  return [tarHeader({ name: 'PaxHeader', size: body.length, type: 'x' }), body, padding(body.length)];
}

/**
 * Writes a tar.gz as a sequence of gzip members: `plain` bytes are gzipped as they are given, `gzipped` bytes are
 * written as they are (already a gzip member), so a few MB of file can stand for gigabytes of archive.
 */
export class HostileArchive {
  private readonly fd: number;
  private written = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }

  /** Bytes written so far (the compressed size). */
  get size(): number {
    return this.written;
  }

  plain(...parts: Buffer[]): this {
    return this.gzipped(gzipSync(Buffer.concat(parts)));
  }

  gzipped(member: Buffer): this {
    writeSync(this.fd, member);
    this.written += member.length;
    return this;
  }

  /** A regular file entry with the given content. */
  file(name: string, content: Buffer): this {
    return this.plain(tarHeader({ name, size: content.length }), content, padding(content.length));
  }

  /** A regular file entry of `head`, then `copies` times `block` (compressed once, its gzip member repeated). */
  repeated(name: string, block: Buffer, copies: number, head = Buffer.alloc(0)): this {
    const size = head.length + block.length * copies;
    this.plain(tarHeader({ name, size }), head);
    const member = gzipSync(block, { level: 9 });
    for (let i = 0; i < copies; i++) this.gzipped(member);
    return this.plain(padding(size));
  }

  /** The end-of-archive blocks, and close the file. */
  end(): number {
    this.plain(Buffer.alloc(2 * BLOCK));
    closeSync(this.fd);
    return this.written;
  }

  /** Close without the end blocks (a truncated archive). */
  close(): number {
    closeSync(this.fd);
    return this.written;
  }
}

/** `n` bytes of `a` with about `p` of them `b` (deterministic): text that gzip shrinks by a chosen factor. */
export function lowEntropy(n: number, p: number): Buffer {
  const b = Buffer.alloc(n, 0x61);
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    if (seed / 0x7fffffff < p) b[i] = 0x62;
  }
  return b;
}
