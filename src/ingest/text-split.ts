/**
 * Byte-level splitting of text logs into lines (space-separated fields: VPC flow logs, S3 server access logs), each
 * line's exact bytes a record (without its line end), read by a provider's {@link TextFormat}. A header line (one that
 * names the fields) is an item of its own, stored once with the input like a CSV header; a file without one gets the
 * header its first line implies (stored with no bytes: nothing in the input stands for it). Several header lines in
 * one input (log files joined with `cat`) each start a new table. Streams: memory is bounded by the longest line.
 */
import { isUtf8 } from 'node:buffer';
import type { TableHeader, TextFormat } from '../sources/types.js';
import { DEFAULT_MAX_RECORD_BYTES, KEEP_HEAD, type SplitItem } from './json-split.js';
import { BomSkipper, RecordBytes } from './record-bytes.js';
import type { Splitter } from './table-split.js';

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Streaming splitter of one text log format. */
export class TextLineSplitter implements Splitter {
  private readonly maxRecordBytes: number;
  private readonly fmt: TextFormat;
  private pos = 0;
  private line = 0;
  private index = 0;
  private readonly rec: RecordBytes;
  private lineStart = 0;
  private header: TableHeader | undefined;
  private readonly bom = new BomSkipper();

  constructor(fmt: TextFormat, opts: { maxRecordBytes?: number } = {}) {
    this.fmt = fmt;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.rec = new RecordBytes(this.maxRecordBytes);
  }

  push(data: Buffer, out: SplitItem[]): void {
    const b = this.bom.next(data);
    if (!b) return;
    const { chunk } = b;
    let i = b.skip;
    const n = chunk.length;
    while (i < n) {
      const nl = chunk.indexOf(NEWLINE, i);
      if (this.rec.length === 0 && !this.rec.oversized) this.lineStart = this.pos + i;
      if (nl === -1) {
        this.rec.keep(chunk.subarray(i, n));
        break;
      }
      this.rec.keep(chunk.subarray(i, nl));
      this.emit(out);
      i = nl + 1;
    }
    this.pos += n;
  }

  end(out: SplitItem[]): void {
    const held = this.bom.flush();
    if (held) this.push(held, out);
    if (this.rec.length > 0 || this.rec.oversized) this.emit(out);
  }

  private emit(out: SplitItem[]): void {
    this.line++;
    const taken = this.rec.take();
    let bytes = taken.bytes;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    const oversized = taken.oversized;
    const where = `line ${this.line}`;
    const offset = this.lineStart;
    if (oversized) {
      out.push({ type: 'issue', reason: `${where} is longer than ${this.maxRecordBytes} bytes (first ${KEEP_HEAD} bytes kept)`, bytes, offset, index: this.index++ });
      return;
    }
    if (bytes.every((c) => c === 0x20 || c === 0x09)) return; // blank line
    if (!isUtf8(bytes)) {
      out.push({ type: 'issue', reason: `${where} contains bytes that are not valid UTF-8 (kept in quarantine as received)`, bytes, offset, index: this.index++ });
      return;
    }
    const text = bytes.toString('utf8');
    const declared = this.fmt.headerOf(text);
    if (declared) {
      this.header = declared;
      out.push({ type: 'header', header: declared, raw: bytes, index: this.index, offset });
      return;
    }
    if (this.header === undefined) {
      const implied = this.fmt.impliedHeader(text);
      if (!implied) {
        out.push({
          type: 'issue',
          reason: `${where} is neither a header line naming the fields nor a line of the format's default fields (${this.fmt.description}); its fields cannot be named`,
          bytes: bytes.subarray(0, KEEP_HEAD),
          offset,
          index: this.index++,
        });
        return;
      }
      this.header = implied;
      // No bytes in the input stand for an implied header: it is stored with an empty raw text.
      out.push({ type: 'header', header: implied, raw: Buffer.alloc(0), index: this.index, offset });
    }
    out.push({ type: 'record', bytes: Buffer.from(bytes), index: this.index++, offset, header: this.header, line: this.line });
  }
}
