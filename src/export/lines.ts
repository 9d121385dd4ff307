/**
 * Reading NDJSON members of a bundle that may be hostile: lines are cut out of a byte stream in linear time with a
 * cap on how much of one line is held, and a line is parsed only when its JSON cannot blow up in memory. A bundle
 * made of one endless line, or of a line of a million nested arrays, costs time proportional to its bytes and
 * memory bounded by the caps, whatever it holds.
 */

/**
 * Longest line of an NDJSON member that verify reads (a raw record's line is its text JSON-escaped, plus a few
 * fields). Reading a line costs about four times its size (the bytes, the string, the parsed text, its UTF-8 for
 * hashing), so this keeps one line well under the 300 MB verify may use. Longer lines are reported, not read.
 */
export const MAX_LINE_BYTES = 32 << 20;

/** A run of whole lines, each ending with a newline (only the member's last line may lack it). */
export interface LinePiece {
  /** The bytes of the lines. */
  buf: Buffer;
  /** Line number (1-based) of the first line in `buf`. */
  first: number;
}

/**
 * Cuts a byte stream into pieces of whole lines, numbering them. A line's bytes are kept as the chunks they arrived
 * in and joined once, when its newline comes (joining on every chunk made a member without newlines quadratic).
 * A line longer than `maxLine` bytes is dropped as soon as it exceeds the cap (it still counts as a line) and
 * reported to `onTooLong`; the rest of it is skipped up to its newline. Lines that lie inside one chunk are never
 * longer than the chunk, so the cap is exact as long as chunks are smaller than it (gunzip hands out 256 KiB).
 */
export class LineCutter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private skipping = false;
  private lines = 0;
  private readonly maxLine: number;
  private readonly onTooLong: (line: number) => void;

  constructor(maxLine: number, onTooLong: (line: number) => void) {
    this.maxLine = maxLine;
    this.onTooLong = onTooLong;
  }

  /** Lines counted so far (all of them once `finish` has run). */
  get count(): number {
    return this.lines;
  }

  /** The whole lines `chunk` completes, if any. */
  take(chunk: Buffer): LinePiece | undefined {
    let c = chunk;
    if (this.skipping) {
      const nl = c.indexOf(10);
      if (nl === -1) return undefined;
      this.skipping = false;
      c = c.subarray(nl + 1);
    }
    const last = c.lastIndexOf(10);
    if (last === -1) {
      this.hold(c);
      return undefined;
    }
    let body: Buffer;
    if (this.pendingLen > 0) {
      const head = c.indexOf(10);
      if (this.pendingLen + head > this.maxLine) {
        this.tooLong();
        body = c.subarray(head + 1, last + 1);
      } else {
        this.pending.push(c.subarray(0, last + 1));
        body = Buffer.concat(this.pending, this.pendingLen + last + 1);
        this.pending = [];
        this.pendingLen = 0;
      }
    } else body = c.subarray(0, last + 1);
    const first = this.lines + 1;
    this.lines += countNewlines(body);
    this.hold(c.subarray(last + 1));
    return body.length > 0 ? { buf: body, first } : undefined;
  }

  /** The member's last line when it does not end with a newline. */
  finish(): LinePiece | undefined {
    if (this.pendingLen === 0) return undefined;
    const buf = Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    return { buf, first: ++this.lines };
  }

  private hold(c: Buffer): void {
    if (c.length === 0) return;
    if (this.pendingLen + c.length > this.maxLine) {
      this.tooLong();
      this.skipping = true;
      return;
    }
    this.pending.push(c);
    this.pendingLen += c.length;
  }

  /** The line being held is over the cap: count it, report it, drop what was held. */
  private tooLong(): void {
    this.onTooLong(++this.lines);
    this.pending = [];
    this.pendingLen = 0;
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Call `onLine(start, end, n)` for each line of a piece (`end` excludes the newline). */
export function eachLine(piece: LinePiece, onLine: (start: number, end: number, n: number) => void): void {
  const buf = piece.buf;
  let n = piece.first;
  let start = 0;
  while (start < buf.length) {
    let nl = buf.indexOf(10, start);
    if (nl === -1) nl = buf.length;
    onLine(start, nl, n++);
    start = nl + 1;
  }
}

/** Lines up to this size are parsed without looking at their structure first (JSON.parse then needs a few MB at most). */
const SCAN_FROM = 1 << 20;

/**
 * Longer lines are parsed only with at most this many JSON values (array elements, object members, nested
 * containers). JSON.parse needs tens of bytes per value, so a 32 MiB line of `[[[[...` or `[{},{},...` would take
 * gigabytes; a raw record is an object of eight values however large its text.
 */
export const MAX_JSON_VALUES = 1_000_000;

/**
 * Number of JSON values in `buf[start..end)` by its structural characters outside strings (`[`, `{`, `,` and `:`),
 * stopping once it passes `limit`. Not a validator: JSON.parse comes after.
 */
export function countJsonValues(buf: Buffer, start: number, end: number, limit: number): number {
  let n = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b || c === 0x2c || c === 0x3a) {
      if (++n > limit) return n;
    }
  }
  return n;
}

/**
 * Lines of one member that fail to parse before the rest of the member is no longer parsed: a failed JSON.parse costs
 * microseconds (an exception), so a member of millions of garbage lines would otherwise take minutes. One such line
 * already fails the bundle.
 */
export const MAX_BAD_LINES = 100;

/**
 * Parses the lines of one NDJSON member, refusing lines whose structure would make JSON.parse allocate without bound
 * and giving up on a member after {@link MAX_BAD_LINES} lines that are not JSON. Every line irctl writes is a JSON
 * object, so a line that does not start with `{` and end with `}` is not parsed at all.
 */
export class JsonLines {
  /** First line that is not JSON, if any. */
  firstBad: number | null = null;
  private bad = 0;
  private readonly name: string;
  private readonly report: (line: number, text: string) => void;

  /** `report` receives the lines that are over the limits (one sentence each). */
  constructor(name: string, report: (line: number, text: string) => void) {
    this.name = name;
    this.report = report;
  }

  /** The value of line `n` (`buf[start..end)`), or undefined when it is not parsed. */
  parse(buf: Buffer, start: number, end: number, n: number): { value: unknown } | undefined {
    if (this.bad >= MAX_BAD_LINES) return undefined;
    if (end - start > SCAN_FROM && countJsonValues(buf, start, end, MAX_JSON_VALUES) > MAX_JSON_VALUES) {
      this.report(n, `${this.name} line ${n} holds more than ${MAX_JSON_VALUES} JSON values: not parsed`);
      return undefined;
    }
    if (end > start && buf[start] === 0x7b && buf[end - 1] === 0x7d) {
      try {
        return { value: JSON.parse(buf.toString('utf8', start, end)) as unknown };
      } catch {
        // counted below
      }
    }
    this.firstBad ??= n;
    if (++this.bad === MAX_BAD_LINES) this.report(n, `${this.name}: ${MAX_BAD_LINES} lines are not valid JSON; the rest of the member is not parsed`);
    return undefined;
  }
}
