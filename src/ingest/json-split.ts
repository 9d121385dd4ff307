/**
 * Byte-level splitting of JSON containers into records, keeping each record's exact bytes (design.md "What raw
 * means"). Never re-serializes. Streams: memory is bounded by the largest record, not the file.
 *
 * Modes:
 * - `key`: the elements of the array under one of `keys` in the top-level object (`{"Records":[...]}`).
 * - `array`: the elements of a top-level array.
 * - `values`: top-level objects one after another (one pretty-printed object, or concatenated objects).
 * - `lines`: JSON Lines; each non-blank line is one record, so one broken line cannot swallow the next.
 */

/** How to find records in the byte stream. */
export type SplitMode =
  | { kind: 'key'; keys: readonly string[] }
  | { kind: 'array' }
  | { kind: 'values' }
  | { kind: 'lines' };

/** A record's exact bytes and where it stood. */
export interface SplitRecord {
  type: 'record';
  /** The exact bytes of the record. */
  bytes: Buffer;
  /** 0-based record number in the input. */
  index: number;
  /** Byte offset in the (decompressed) input. */
  offset: number;
}

/** Bytes (possibly none) that are not a record, with the reason. */
export interface SplitIssue {
  type: 'issue';
  /** What is wrong and where. */
  reason: string;
  /** The offending bytes (kept for quarantine; capped for oversized records). */
  bytes: Buffer;
  /** Byte offset in the (decompressed) input. */
  offset: number;
  /** Record number when the issue is a record. */
  index?: number;
}

export type SplitItem = SplitRecord | SplitIssue;

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;

/** Keep at most this much of an oversized record or of junk in quarantine. */
const KEEP_HEAD = 1024 * 1024;

type Phase = 'seek' | 'container' | 'record' | 'junk' | 'after' | 'lines';

/** Incremental splitter: feed chunks with {@link push}, then call {@link end}. */
export class RecordSplitter {
  private readonly mode: SplitMode;
  private readonly maxRecordBytes: number;
  private phase: Phase;
  private pos = 0; // absolute offset of the current chunk's first byte
  private index = 0;
  // record / junk accumulation
  private parts: Buffer[] = [];
  private partsLen = 0;
  private startOffset = 0;
  private oversized = false;
  // scanner state
  private depth = 0;
  private inString = false;
  private escape = false;
  private sawComma = true;
  private seenBom = false;
  // seek state (key mode)
  private seekDepth = 0;
  private keyBytes: number[] | undefined;
  private lastKey = '';
  private expectValue = false;
  private containerFound = false;

  constructor(mode: SplitMode, opts: { maxRecordBytes?: number } = {}) {
    this.mode = mode;
    this.maxRecordBytes = opts.maxRecordBytes ?? 256 * 1024 * 1024;
    this.phase = mode.kind === 'lines' ? 'lines' : mode.kind === 'values' ? 'container' : 'seek';
    if (mode.kind === 'values') this.containerFound = true;
  }

  /** Feed one chunk; completed items are appended to `out`. */
  push(chunk: Buffer, out: SplitItem[]): void {
    let i = 0;
    const n = chunk.length;
    if (!this.seenBom) {
      this.seenBom = true;
      if (n >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    while (i < n) {
      switch (this.phase) {
        case 'lines':
          i = this.scanLines(chunk, i, out);
          break;
        case 'seek':
          i = this.mode.kind === 'array' ? this.seekArray(chunk, i, out) : this.seekKey(chunk, i, out);
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
          i = this.scanAfter(chunk, i, out);
          break;
      }
    }
    if (this.phase === 'record' || this.phase === 'junk' || (this.phase === 'lines' && this.inRecord)) {
      // Keep the unfinished part of this chunk.
      const from = Math.max(0, this.startOffset - this.pos);
      this.keep(chunk.subarray(from));
    }
    this.pos += n;
  }

  /** Signal end of input; reports an unfinished record or container. */
  end(out: SplitItem[]): void {
    const atEnd = this.pos;
    switch (this.phase) {
      case 'record':
        out.push(this.issueFromParts(`input ends inside record ${this.index} (truncated file?)`, this.index));
        this.index++;
        break;
      case 'junk':
        out.push(this.issueFromParts('bytes that are not a JSON record'));
        break;
      case 'lines':
        if (this.inRecord) this.emitLine(out);
        break;
      case 'seek':
        if (this.mode.kind === 'key')
          out.push({ type: 'issue', reason: `no "${this.mode.keys.join('" or "')}" array found in the top-level object`, bytes: Buffer.alloc(0), offset: atEnd });
        else if (this.mode.kind === 'array')
          out.push({ type: 'issue', reason: 'input is not a JSON array', bytes: Buffer.alloc(0), offset: atEnd });
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

  // ---- helpers ----

  private inRecord = false;

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
    if (this.partsLen > this.maxRecordBytes) {
      this.oversized = true;
      const all = Buffer.concat(this.parts);
      this.parts = [Buffer.from(all.subarray(0, KEEP_HEAD))];
      this.partsLen = this.parts[0]?.length ?? 0;
    }
  }

  private takeBytes(chunk: Buffer, endExclusive: number): Buffer {
    const from = Math.max(0, this.startOffset - this.pos);
    if (this.parts.length === 0) return chunk.subarray(from, endExclusive);
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

  private finishRecord(chunk: Buffer, endExclusive: number, out: SplitItem[]): void {
    const oversized = this.oversized;
    const bytes = this.takeBytes(chunk, endExclusive);
    if (oversized) {
      this.parts = [bytes];
      this.partsLen = bytes.length;
      out.push(this.issueFromParts(`record ${this.index} is larger than ${this.maxRecordBytes} bytes (first ${KEEP_HEAD} bytes kept)`, this.index));
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
      if (!this.inRecord) {
        const c = chunk[i] as number;
        if (WS.has(c)) {
          i++;
          continue;
        }
        this.inRecord = true;
        this.startOffset = this.pos + i;
      }
      const nl = chunk.indexOf(NEWLINE, i);
      if (nl === -1) return n;
      this.emitLineFrom(chunk, nl, out);
      i = nl + 1;
    }
    return i;
  }

  private emitLineFrom(chunk: Buffer, nlIndex: number, out: SplitItem[]): void {
    const bytes = this.takeBytes(chunk, nlIndex);
    this.pushLine(bytes, out);
  }

  private emitLine(out: SplitItem[]): void {
    const bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    this.pushLine(bytes, out);
  }

  private pushLine(raw: Buffer, out: SplitItem[]): void {
    let end = raw.length;
    while (end > 0 && WS.has(raw[end - 1] as number)) end--;
    const bytes = raw.subarray(0, end);
    this.inRecord = false;
    if (this.oversized) {
      this.parts = [bytes];
      this.partsLen = bytes.length;
      out.push(this.issueFromParts(`line record ${this.index} is larger than ${this.maxRecordBytes} bytes (first ${KEEP_HEAD} bytes kept)`, this.index));
    } else {
      out.push({ type: 'record', bytes, index: this.index, offset: this.startOffset });
    }
    this.oversized = false;
    this.index++;
  }

  // ---- seeking the container ----

  private seekArray(chunk: Buffer, i: number, out: SplitItem[]): number {
    const n = chunk.length;
    while (i < n) {
      const c = chunk[i] as number;
      if (WS.has(c)) {
        i++;
        continue;
      }
      if (c === LBRACKET) {
        this.phase = 'container';
        this.containerFound = true;
        this.sawComma = true;
        return i + 1;
      }
      // Not an array: everything is junk until the end.
      this.enterJunk(i);
      void out;
      return i;
    }
    return i;
  }

  private seekKey(chunk: Buffer, i: number, out: SplitItem[]): number {
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
      if (WS.has(c)) continue;
      if (this.seekDepth === 0 && c !== LBRACE) {
        // Top level is not an object: nothing to find.
        this.enterJunk(i);
        void out;
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
        this.phase = 'container';
        this.containerFound = true;
        this.sawComma = true;
        this.expectValue = false;
        return i + 1;
      }
      if (c === LBRACE || c === LBRACKET) {
        if (this.seekDepth === 1) this.expectValue = false;
        this.seekDepth++;
      } else if (c === RBRACE || c === RBRACKET) {
        this.seekDepth--;
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
      if (WS.has(c)) continue;
      if (c === COMMA) {
        this.sawComma = true;
        continue;
      }
      if (c === LBRACE) {
        if (!this.sawComma && this.mode.kind !== 'values') {
          out.push({ type: 'issue', reason: `missing "," before record ${this.index} (malformed container; the record itself is kept)`, bytes: Buffer.alloc(0), offset: this.pos + i });
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
        this.phase = 'after';
        return i + 1;
      }
      this.enterJunk(i);
      return i;
    }
    return i;
  }

  /** Junk is kept only up to KEEP_HEAD bytes, so garbage input cannot exhaust memory. */
  private enterJunk(i: number): void {
    this.phase = 'junk';
    this.startOffset = this.pos + i;
    this.oversized = true;
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
          this.finishRecord(chunk, i + 1, out);
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
    if (!this.containerFound) {
      // No container: the rest of the input is junk (kept up to KEEP_HEAD).
      return n;
    }
    for (; i < n; i++) {
      const c = chunk[i] as number;
      if (c === LBRACE || (c === RBRACKET && this.mode.kind !== 'values')) {
        const bytes = this.takeBytes(chunk, i);
        this.parts = [bytes];
        this.partsLen = bytes.length;
        out.push(this.issueFromParts(`bytes before record ${this.index} are not a JSON record`));
        this.phase = 'container';
        this.sawComma = true;
        return i;
      }
    }
    return i;
  }

  private scanAfter(chunk: Buffer, i: number, out: SplitItem[]): number {
    // Other top-level keys (NextToken ...) or trailing whitespace: not records.
    void out;
    return chunk.length + 0 * i;
  }
}
