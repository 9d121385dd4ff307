/**
 * Byte-level splitting of JSON containers into records, keeping each record's exact bytes (design.md "What raw
 * means"). Never re-serializes. Streams: memory is bounded by the largest record, not the file.
 *
 * Modes:
 * - `key`: the elements of the array under one of `keys` in the top-level object (`{"Records":[...]}`). Several
 *   such objects one after another (`cat *.json > all.json`) are all read.
 * - `array`: the elements of a top-level array (several arrays one after another are all read).
 * - `values`: top-level objects one after another (one pretty-printed object, or concatenated objects).
 * - `lines`: JSON Lines; each non-blank line is one record, so one broken line cannot swallow the next.
 *
 * The scanner only tracks strings, escapes and bracket depth; each record is then parsed with `JSON.parse`
 * (stack.md: faster than streaming parsers, and it keeps byte offsets).
 */

/** How to find records in the byte stream. */
export type SplitMode =
  | { kind: 'key'; keys: readonly string[] }
  | { kind: 'array' }
  | { kind: 'values' }
  | { kind: 'lines' };

import type { TableHeader } from '../sources/types.js';

/** A record's exact bytes and where it stood. */
export interface SplitRecord {
  type: 'record';
  /** The exact bytes of the record. */
  bytes: Buffer;
  /** 0-based record number in the input. */
  index: number;
  /** Byte offset in the (decompressed) input. */
  offset: number;
  /** A table row (ingest/table-split.ts): the header naming its cells. Undefined: a JSON record. */
  header?: TableHeader;
  /** 1-based line of the input where the record starts (CSV rows), for messages. */
  line?: number;
}

/** The column header of the table whose rows follow (stored once with the input). */
export interface SplitHeader {
  type: 'header';
  header: TableHeader;
  /** The header's exact bytes (CSV header line; the JSON `columns` array). */
  raw: Buffer;
  /** Record index of the table's first row. */
  index: number;
  /** Byte offset in the (decompressed) input. */
  offset: number;
}

/** Bytes (possibly none) that are not a record, with the reason: these go to quarantine. */
export interface SplitIssue {
  type: 'issue';
  /** What is wrong and where. */
  reason: string;
  /** The offending bytes (kept for quarantine; capped for oversized records and junk). */
  bytes: Buffer;
  /** Byte offset in the (decompressed) input. */
  offset: number;
  /** Record number when the issue is a record. */
  index?: number;
}

/** Something odd about the container that lost nothing (e.g. a missing comma): reported, not quarantined. */
export interface SplitNote {
  type: 'note';
  /** What was noticed. */
  reason: string;
  /** Byte offset in the (decompressed) input. */
  offset: number;
}

export type SplitItem = SplitRecord | SplitIssue | SplitNote | SplitHeader;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Decide on a UTF-8 byte-order mark at the start of the input, even when it is split across chunks: `held` are the
 * first bytes seen so far (a prefix of the BOM). Either more bytes are needed (`held`), or the chunk to scan (held
 * bytes first) and how many BOM bytes to skip.
 */
export function takeBom(held: Buffer, chunk: Buffer): { held: Buffer } | { chunk: Buffer; skip: number } {
  const all = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
  const k = Math.min(3, all.length);
  let prefix = true;
  for (let j = 0; j < k; j++) if (all[j] !== BOM[j]) prefix = false;
  if (prefix && all.length < 3) return { held: all };
  return { chunk: all, skip: prefix ? 3 : 0 };
}

/** Keep at most this much of an oversized record or of junk in quarantine. */
export const KEEP_HEAD = 1024 * 1024;

/** Default largest record accepted (V8 strings are capped near 512 MiB; records this big are rare). */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Where the scanner is.
 * - seek: looking for the container (`[` or the keyed array)
 * - container: between elements
 * - record: inside an object/array element (structural scan)
 * - junk: inside bytes that are not a record (string-aware); `junkToEnd` makes it run to the end of input
 * - after: after a closed top-level array (array mode): only whitespace or another array may follow
 * - lines: JSON Lines
 */
type Phase = 'seek' | 'container' | 'record' | 'junk' | 'after' | 'lines';

/** Incremental splitter: feed chunks with {@link push}, then call {@link end}. */
export class RecordSplitter {
  private readonly mode: SplitMode;
  private readonly maxRecordBytes: number;
  private phase: Phase;
  /** Absolute offset of the current chunk's first byte. */
  private pos = 0;
  private index = 0;
  // Accumulation of a record (or junk) that spans chunks.
  private parts: Buffer[] = [];
  private partsLen = 0;
  private startOffset = 0;
  private oversized = false;
  private inLine = false;
  // Structural scanner state, shared by record and junk phases.
  private depth = 0;
  private inString = false;
  private escape = false;
  private sawComma = true;
  // Byte-order mark: undecided until 3 bytes (or fewer, at the end) have been seen.
  private bomHeld: Buffer | null = Buffer.alloc(0);
  // Junk handling.
  private junkToEnd = false;
  private junkReason = '';
  // Seek state (key mode).
  private seekDepth = 0;
  private keyBytes: number[] | undefined;
  private lastKey = '';
  private expectValue = false;
  private containerFound = false;

  constructor(mode: SplitMode, opts: { maxRecordBytes?: number } = {}) {
    this.mode = mode;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.phase = mode.kind === 'lines' ? 'lines' : mode.kind === 'values' ? 'container' : 'seek';
    if (mode.kind === 'values') this.containerFound = true;
  }

  /** Feed one chunk; completed items are appended to `out`. */
  push(chunk: Buffer, out: SplitItem[]): void {
    let i = 0;
    if (this.bomHeld !== null) {
      const b = takeBom(this.bomHeld, chunk);
      if ('held' in b) {
        this.bomHeld = b.held;
        return;
      }
      this.bomHeld = null;
      chunk = b.chunk;
      i = b.skip;
    }
    const n = chunk.length;
    while (i < n) {
      switch (this.phase) {
        case 'lines':
          i = this.scanLines(chunk, i, out);
          break;
        case 'seek':
          i = this.mode.kind === 'array' ? this.seekArray(chunk, i) : this.seekKey(chunk, i);
          break;
        case 'container':
          i = this.scanContainer(chunk, i, out);
          break;
        case 'record':
          i = this.scanRecord(chunk, i, out);
          break;
        case 'junk':
          i = this.scanJunk(chunk, i, out);
          break;
        case 'after':
          i = this.scanAfter(chunk, i);
          break;
      }
    }
    if (this.phase === 'record' || this.phase === 'junk' || (this.phase === 'lines' && this.inLine)) {
      // Keep the unfinished part of this chunk.
      const from = Math.max(0, this.startOffset - this.pos);
      this.keep(chunk.subarray(from));
    }
    this.pos += n;
  }

  /** Signal end of input; reports an unfinished record or container. */
  end(out: SplitItem[]): void {
    if (this.bomHeld !== null && this.bomHeld.length > 0) {
      const held = this.bomHeld;
      this.bomHeld = null;
      this.push(held, out);
    }
    const atEnd = this.pos;
    switch (this.phase) {
      case 'record':
        out.push(this.issueFromParts(`input ends inside record ${this.index} (truncated file?)`, this.index));
        this.index++;
        break;
      case 'junk':
        out.push(this.issueFromParts(this.junkReason || 'bytes that are not a JSON record'));
        break;
      case 'lines':
        if (this.inLine) this.emitLine(out);
        break;
      case 'seek':
        if (this.containerFound) break;
        if (this.mode.kind === 'key')
          out.push({ type: 'issue', reason: `no "${this.mode.keys.join('" or "')}" array found in the top-level object`, bytes: Buffer.alloc(0), offset: atEnd });
        else if (this.mode.kind === 'array') out.push({ type: 'issue', reason: 'input is not a JSON array', bytes: Buffer.alloc(0), offset: atEnd });
        break;
      case 'container':
        if (this.mode.kind !== 'values')
          out.push({ type: 'issue', reason: 'input ends before the record array is closed (truncated file?)', bytes: Buffer.alloc(0), offset: atEnd });
        break;
      case 'after':
        break;
    }
    this.parts = [];
    this.partsLen = 0;
  }

  /** Number of records seen so far (including rejected ones). */
  get recordCount(): number {
    return this.index;
  }

  // ---- accumulation ----

  private keep(b: Buffer): void {
    if (b.length === 0) return;
    if (this.oversized) {
      if (this.partsLen < KEEP_HEAD) {
        const room = KEEP_HEAD - this.partsLen;
        const piece = b.length > room ? b.subarray(0, room) : b;
        this.parts.push(Buffer.from(piece));
        this.partsLen += piece.length;
      }
      return;
    }
    this.parts.push(b);
    this.partsLen += b.length;
    if (this.partsLen > this.maxRecordBytes) this.becomeOversized();
  }

  /** Drop all but the first KEEP_HEAD bytes of what is held, and keep only that much from now on. */
  private becomeOversized(): void {
    this.oversized = true;
    const all = Buffer.concat(this.parts, this.partsLen);
    this.parts = [Buffer.from(all.subarray(0, KEEP_HEAD))];
    this.partsLen = this.parts[0]?.length ?? 0;
  }

  /** The bytes from startOffset up to `endExclusive` in this chunk (joined with what earlier chunks held). */
  private takeBytes(chunk: Buffer, endExclusive: number): Buffer {
    const from = Math.max(0, this.startOffset - this.pos);
    if (this.parts.length === 0) {
      const b = chunk.subarray(from, endExclusive);
      if (b.length > this.maxRecordBytes && !this.oversized) {
        this.oversized = true;
        return b.subarray(0, KEEP_HEAD);
      }
      return b;
    }
    this.keep(chunk.subarray(from, endExclusive));
    const b = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    return b;
  }

  private issueFromParts(reason: string, index?: number): SplitIssue {
    const bytes = this.parts.length === 0 ? Buffer.alloc(0) : Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    this.oversized = false;
    const issue: SplitIssue = { type: 'issue', reason, bytes: bytes.length > KEEP_HEAD ? bytes.subarray(0, KEEP_HEAD) : bytes, offset: this.startOffset };
    if (index !== undefined) issue.index = index;
    return issue;
  }

  private emitRecord(bytes: Buffer, out: SplitItem[], what: string): void {
    if (this.oversized) {
      out.push({
        type: 'issue',
        reason: `${what} ${this.index} is larger than ${this.maxRecordBytes} bytes (first ${KEEP_HEAD} bytes kept)`,
        bytes: bytes.length > KEEP_HEAD ? bytes.subarray(0, KEEP_HEAD) : bytes,
        offset: this.startOffset,
        index: this.index,
      });
    } else {
      out.push({ type: 'record', bytes, index: this.index, offset: this.startOffset });
    }
    this.oversized = false;
    this.index++;
  }

  // ---- lines mode ----

  private scanLines(chunk: Buffer, i: number, out: SplitItem[]): number {
    const n = chunk.length;
    while (i < n) {
      if (!this.inLine) {
        if (isWs(chunk[i] as number)) {
          i++;
          continue;
        }
        this.inLine = true;
        this.startOffset = this.pos + i;
      }
      const nl = chunk.indexOf(NEWLINE, i);
      if (nl === -1) return n;
      this.pushLine(this.takeBytes(chunk, nl), out);
      i = nl + 1;
    }
    return i;
  }

  private emitLine(out: SplitItem[]): void {
    const bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    this.pushLine(bytes, out);
  }

  private pushLine(raw: Buffer, out: SplitItem[]): void {
    let end = raw.length;
    while (end > 0 && isWs(raw[end - 1] as number)) end--;
    this.inLine = false;
    this.emitRecord(raw.subarray(0, end), out, 'line record');
  }

  // ---- seeking the container ----

  private seekArray(chunk: Buffer, i: number): number {
    const n = chunk.length;
    while (i < n) {
      const c = chunk[i] as number;
      if (isWs(c)) {
        i++;
        continue;
      }
      if (c === LBRACKET) {
        this.enterContainer();
        return i + 1;
      }
      this.enterJunk(i, true, 'input is not a JSON array');
      return i;
    }
    return i;
  }

  private enterContainer(): void {
    this.phase = 'container';
    this.containerFound = true;
    this.sawComma = true;
  }

  private seekKey(chunk: Buffer, i: number): number {
    const n = chunk.length;
    const keys = this.mode.kind === 'key' ? this.mode.keys : [];
    for (; i < n; i++) {
      const c = chunk[i] as number;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.keyBytes) {
            this.lastKey = Buffer.from(this.keyBytes).toString('utf8');
            this.keyBytes = undefined;
          }
          continue;
        }
        if (this.keyBytes && this.keyBytes.length < 128) this.keyBytes.push(c);
        continue;
      }
      if (isWs(c)) continue;
      if (this.seekDepth === 0 && c !== LBRACE) {
        // Top level is not an object (or junk after the last one): nothing more to find.
        this.enterJunk(i, true, this.containerFound ? 'bytes after the last top-level object are not records' : 'input is not a JSON object');
        return i;
      }
      if (c === QUOTE) {
        this.inString = true;
        this.keyBytes = this.seekDepth === 1 && !this.expectValue ? [] : undefined;
        if (this.seekDepth === 1 && this.expectValue) this.expectValue = false;
        continue;
      }
      if (c === COLON && this.seekDepth === 1) {
        this.expectValue = true;
        continue;
      }
      if (c === COMMA && this.seekDepth === 1) {
        this.expectValue = false;
        this.lastKey = '';
        continue;
      }
      if (c === LBRACKET && this.seekDepth === 1 && this.expectValue && keys.includes(this.lastKey)) {
        this.enterContainer();
        this.expectValue = false;
        return i + 1;
      }
      if (c === LBRACE || c === LBRACKET) {
        if (this.seekDepth === 1) this.expectValue = false;
        this.seekDepth++;
      } else if (c === RBRACE || c === RBRACKET) {
        this.seekDepth--;
        if (this.seekDepth === 0) this.lastKey = '';
      } else if (this.seekDepth === 1 && this.expectValue) {
        this.expectValue = false; // scalar value
      }
    }
    return i;
  }

  // ---- container level: between records ----

  private scanContainer(chunk: Buffer, i: number, out: SplitItem[]): number {
    const n = chunk.length;
    for (; i < n; i++) {
      const c = chunk[i] as number;
      if (isWs(c)) continue;
      if (c === COMMA) {
        this.sawComma = true;
        continue;
      }
      if (c === LBRACE || c === LBRACKET) {
        if (!this.sawComma && this.mode.kind !== 'values') {
          out.push({ type: 'note', reason: `missing "," before record ${this.index} (malformed container; the record itself is kept)`, offset: this.pos + i });
        }
        this.sawComma = false;
        this.phase = 'record';
        this.startOffset = this.pos + i;
        this.depth = 0;
        this.inString = false;
        this.escape = false;
        return i;
      }
      if (c === RBRACKET && this.mode.kind !== 'values') {
        this.closeContainer();
        return i + 1;
      }
      this.enterJunk(i, false, `bytes before record ${this.index} are not a JSON record`);
      return i;
    }
    return i;
  }

  private closeContainer(): void {
    if (this.mode.kind === 'key') {
      // Back inside the top-level object: other keys may follow, then maybe another object (concatenated files).
      this.phase = 'seek';
      this.seekDepth = 1;
      this.expectValue = false;
      this.lastKey = '';
      this.inString = false;
      this.escape = false;
    } else {
      this.phase = 'after';
    }
  }

  /**
   * Junk is kept only up to KEEP_HEAD bytes, so garbage input cannot exhaust memory. Inside a container it ends at
   * the next `,` / `{` / `]` outside strings and brackets; otherwise (`toEnd`) it runs to the end of the input.
   */
  private enterJunk(i: number, toEnd: boolean, reason: string): void {
    this.phase = 'junk';
    this.startOffset = this.pos + i;
    this.oversized = true;
    this.junkToEnd = toEnd;
    this.junkReason = reason;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
  }

  private scanRecord(chunk: Buffer, i: number, out: SplitItem[]): number {
    const n = chunk.length;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    for (; i < n; i++) {
      const c = chunk[i] as number;
      if (inString) {
        if (escape) escape = false;
        else if (c === BACKSLASH) escape = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === LBRACE || c === LBRACKET) depth++;
      else if (c === RBRACE || c === RBRACKET) {
        depth--;
        if (depth === 0) {
          this.depth = 0;
          this.inString = false;
          this.escape = false;
          this.emitRecord(this.takeBytes(chunk, i + 1), out, 'record');
          this.phase = 'container';
          return i + 1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    return i;
  }

  private scanJunk(chunk: Buffer, i: number, out: SplitItem[]): number {
    const n = chunk.length;
    if (this.junkToEnd) return n;
    for (; i < n; i++) {
      const c = chunk[i] as number;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        continue;
      }
      const endsHere = c === COMMA || c === LBRACE || (c === RBRACKET && this.mode.kind !== 'values');
      if (endsHere) {
        const bytes = this.takeBytes(chunk, i);
        this.parts = [bytes];
        this.partsLen = bytes.length;
        out.push(this.issueFromParts(this.junkReason));
        this.phase = 'container';
        this.sawComma = c !== LBRACE; // `x{` : the junk stood where the comma should be
        if (c === COMMA) return i + 1;
        return i;
      }
    }
    return i;
  }

  private scanAfter(chunk: Buffer, i: number): number {
    // Array mode: whitespace, or another array (concatenated exports); anything else is junk to the end.
    const n = chunk.length;
    for (; i < n; i++) {
      const c = chunk[i] as number;
      if (isWs(c)) continue;
      if (c === LBRACKET) {
        this.enterContainer();
        return i + 1;
      }
      this.enterJunk(i, true, 'bytes after the closing "]" are not records');
      return i;
    }
    return i;
  }
}
