/**
 * Helpers the line-oriented splitters share (CSV rows, text log lines): the bytes of one record gathered across
 * chunks with a bound, and a UTF-8 byte-order mark skipped at the start of a stream.
 */
import { KEEP_HEAD, takeBom } from './json-split.js';

/** The bytes of one record being gathered across chunks: past `max` bytes only the first KEEP_HEAD are kept. */
export class RecordBytes {
  private readonly max: number;
  private parts: Buffer[] = [];
  private len = 0;
  /** True once the record grew past the bound (its head only is kept). */
  oversized = false;

  constructor(max: number) {
    this.max = max;
  }

  /** Bytes gathered so far (at most KEEP_HEAD once oversized). */
  get length(): number {
    return this.len;
  }

  /** Add bytes of the record. */
  keep(b: Buffer): void {
    if (b.length === 0) return;
    if (this.oversized) {
      if (this.len < KEEP_HEAD) {
        const piece = b.subarray(0, KEEP_HEAD - this.len);
        this.parts.push(Buffer.from(piece));
        this.len += piece.length;
      }
      return;
    }
    this.parts.push(b);
    this.len += b.length;
    if (this.len > this.max) {
      this.oversized = true;
      const all = Buffer.concat(this.parts, this.len).subarray(0, KEEP_HEAD);
      this.parts = [Buffer.from(all)];
      this.len = all.length;
    }
  }

  /** The record's bytes, and whether it was oversized; starts the next record. */
  take(): { bytes: Buffer; oversized: boolean } {
    const bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.len);
    const oversized = this.oversized;
    this.parts = [];
    this.len = 0;
    this.oversized = false;
    return { bytes, oversized };
  }
}

/** Skips a UTF-8 byte-order mark at the very start of a stream, even when it is split across chunks. */
export class BomSkipper {
  private checked = false;
  private held: Buffer = Buffer.alloc(0);

  /** The chunk to read from `skip` on, or undefined while its first bytes may still be the start of a mark. */
  next(chunk: Buffer): { chunk: Buffer; skip: number } | undefined {
    if (this.checked) return { chunk, skip: 0 };
    const b = takeBom(this.held, chunk);
    if ('held' in b) {
      this.held = b.held;
      return undefined;
    }
    this.checked = true;
    this.held = Buffer.alloc(0);
    return b;
  }

  /** At the end: bytes held back (fewer than 3, a prefix of the mark) that are content after all. */
  flush(): Buffer | undefined {
    if (this.checked || this.held.length === 0) return undefined;
    const held = this.held;
    this.checked = true;
    this.held = Buffer.alloc(0);
    return held;
  }
}
