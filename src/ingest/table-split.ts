/**
 * Byte-level splitting of tables into rows (issue 10 "Rows from tables"): each row's exact bytes are a record, and
 * the column header is one item of its own, stored once with the input (design.md "What raw means").
 *
 * - {@link CsvSplitter}: RFC 4180 CSV. The first record is the header; a quoted field may hold commas, line breaks
 *   and doubled quotes; CRLF or LF line ends; a UTF-8 byte-order mark is skipped. A row's bytes exclude its line end.
 *   Streams: memory is bounded by the largest row.
 * - {@link TablesSplitter}: JSON table responses, `{"tables":[{"name":..,"columns":[{"name":..,"type":..}],
 *   "rows":[[..],..]}]}` (query APIs that answer in tables). A row's bytes are the row array's bytes as they stand in
 *   the file. Each table object is held whole while its rows are cut out (query services cap a response at tens of
 *   MB; the largest record accepted bounds it here too), so `columns` may come before or after `rows`.
 */
import { isUtf8 } from 'node:buffer';
import type { TableHeader } from '../sources/types.js';
import { parseCsvRecord } from '../util/csv.js';
import { DEFAULT_MAX_RECORD_BYTES, KEEP_HEAD, RecordSplitter, type SplitItem } from './json-split.js';
import { BomSkipper, RecordBytes } from './record-bytes.js';

/** What read-input needs of a splitter. */
export interface Splitter {
  push(chunk: Buffer, out: SplitItem[]): void;
  end(out: SplitItem[]): void;
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CR = 0x0d;

/** Streaming CSV splitter: a header item, then one record per row. */
export class CsvSplitter implements Splitter {
  private readonly maxRecordBytes: number;
  private pos = 0;
  private line = 1;
  private rowLine = 1;
  private index = 0;
  private inQuote = false;
  private readonly rec: RecordBytes;
  private rowStart = 0;
  private inRow = false;
  private header: TableHeader | undefined;
  private headerBroken = false;
  private readonly bom = new BomSkipper();

  constructor(opts: { maxRecordBytes?: number } = {}) {
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.rec = new RecordBytes(this.maxRecordBytes);
  }

  push(data: Buffer, out: SplitItem[]): void {
    const b = this.bom.next(data);
    if (!b) return;
    const { chunk } = b;
    let i = b.skip;
    const n = chunk.length;
    let from = i;
    while (i < n) {
      if (!this.inRow) {
        this.inRow = true;
        this.rowStart = this.pos + i;
        this.rowLine = this.line;
        from = i;
      }
      if (this.inQuote) {
        // Every quote toggles: `""` inside a quoted field closes and reopens it, which keeps line ends inside.
        const q = chunk.indexOf(QUOTE, i);
        if (q === -1) {
          this.countLines(chunk, i, n);
          break;
        }
        this.countLines(chunk, i, q);
        this.inQuote = false;
        i = q + 1;
        continue;
      }
      // Outside quotes: the next quote or line end, whichever comes first.
      let j = i;
      while (j < n) {
        const c = chunk[j];
        if (c === QUOTE || c === NEWLINE) break;
        j++;
      }
      if (j === n) break;
      if (chunk[j] === QUOTE) {
        this.inQuote = true;
        i = j + 1;
        continue;
      }
      // Line end: the row is complete.
      this.line++;
      this.rec.keep(chunk.subarray(from, j));
      this.emitRow(out);
      i = j + 1;
      from = i;
    }
    if (this.inRow) this.rec.keep(chunk.subarray(from, n));
    this.pos += n;
  }

  end(out: SplitItem[]): void {
    // Fewer than 3 bytes in all, a prefix of the BOM: they are the content.
    const held = this.bom.flush();
    if (held) this.push(held, out);
    if (!this.inRow) {
      if (this.header === undefined && !this.headerBroken) out.push({ type: 'issue', reason: 'CSV file has no header line', bytes: Buffer.alloc(0), offset: this.pos });
      return;
    }
    if (this.inQuote) {
      const { bytes } = this.rec.take();
      out.push({
        type: 'issue',
        reason: `${this.where()}: the input ends inside a quoted field (a quote opened and never closed, or a truncated file)`,
        bytes: bytes.length > KEEP_HEAD ? bytes.subarray(0, KEEP_HEAD) : bytes,
        offset: this.rowStart,
        index: this.index++,
      });
      this.inRow = false;
      return;
    }
    this.emitRow(out);
  }

  private countLines(chunk: Buffer, from: number, to: number): void {
    for (let k = chunk.indexOf(NEWLINE, from); k !== -1 && k < to; k = chunk.indexOf(NEWLINE, k + 1)) this.line++;
  }

  private where(): string {
    return `row ${this.index + 1} (line ${this.rowLine})`;
  }

  private emitRow(out: SplitItem[]): void {
    this.inRow = false;
    const taken = this.rec.take();
    let bytes = taken.bytes;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    bytes = bytes.subarray(0, end);
    const oversized = taken.oversized;
    if (this.header === undefined && !this.headerBroken) {
      this.readHeader(bytes, out);
      return;
    }
    if (bytes.length === 0) return; // blank line
    const where = this.where();
    if (oversized) {
      out.push({ type: 'issue', reason: `${where} is larger than ${this.maxRecordBytes} bytes (first ${KEEP_HEAD} bytes kept)`, bytes, offset: this.rowStart, index: this.index++ });
      return;
    }
    if (this.header === undefined) {
      out.push({ type: 'issue', reason: `${where}: the file's header line could not be read, so its cells have no names`, bytes, offset: this.rowStart, index: this.index++ });
      return;
    }
    out.push({ type: 'record', bytes, index: this.index++, offset: this.rowStart, header: this.header, line: this.rowLine });
  }

  private readHeader(bytes: Buffer, out: SplitItem[]): void {
    if (bytes.length === 0) {
      this.headerBroken = true;
      out.push({ type: 'issue', reason: 'line 1 of the CSV file is empty: the first line must name the columns', bytes, offset: this.rowStart });
      return;
    }
    const fail = (why: string): void => {
      this.headerBroken = true;
      out.push({ type: 'issue', reason: `the CSV header (line 1) ${why}; every row is quarantined, as its cells have no names`, bytes: bytes.subarray(0, KEEP_HEAD), offset: this.rowStart });
    };
    if (!isUtf8(bytes)) return fail('contains bytes that are not valid UTF-8 (save the export as UTF-8 and import it again)');
    const parsed = parseCsvRecord(bytes.toString('utf8'));
    if ('error' in parsed) return fail(`is not a CSV record (${parsed.error})`);
    const columns = parsed.cells.map((c) => c.trim());
    this.header = { format: 'csv', columns };
    out.push({ type: 'header', header: this.header, raw: bytes, index: this.index, offset: this.rowStart });
  }
}

/** JSON table responses: a header item per table, then one record per row. */
export class TablesSplitter implements Splitter {
  private readonly inner: RecordSplitter;
  private readonly items: SplitItem[] = [];
  private index = 0;
  private table = 0;

  constructor(opts: { maxRecordBytes?: number } = {}) {
    this.inner = new RecordSplitter({ kind: 'key', keys: ['tables'] }, opts);
  }

  push(chunk: Buffer, out: SplitItem[]): void {
    this.inner.push(chunk, this.items);
    this.expand(out);
  }

  end(out: SplitItem[]): void {
    this.inner.end(this.items);
    this.expand(out);
  }

  private expand(out: SplitItem[]): void {
    for (const it of this.items) {
      if (it.type !== 'record') {
        // Oversized or truncated tables, junk: as the JSON splitter reports them (its numbering counts tables).
        if (it.type === 'issue' && it.index !== undefined) out.push({ ...it, reason: it.reason.replace(/\brecord (\d+)/, (_m, n: string) => `table ${Number(n) + 1}`) });
        else out.push(it);
        continue;
      }
      this.table++;
      this.splitTable(it.bytes, it.offset, out);
    }
    this.items.length = 0;
  }

  private splitTable(buf: Buffer, offset: number, out: SplitItem[]): void {
    const t = this.table;
    const members = objectMembers(buf);
    if (!members) {
      out.push({ type: 'issue', reason: `table ${t} is not a JSON object with "columns" and "rows"`, bytes: buf.subarray(0, KEEP_HEAD), offset });
      return;
    }
    const get = (k: string): { start: number; end: number } | undefined => members.find((m) => m.key === k || m.key.toLowerCase() === k);
    const nameM = get('name');
    const colsM = get('columns');
    const rowsM = get('rows');
    let name: string | undefined;
    if (nameM) {
      try {
        const v = JSON.parse(buf.toString('utf8', nameM.start, nameM.end)) as unknown;
        if (typeof v === 'string') name = v;
      } catch {
        // a malformed name only loses the name
      }
    }
    const label = name === undefined ? `table ${t}` : `table ${t} (${name})`;
    const rows = rowsM ? arrayElements(buf, rowsM.start, rowsM.end) : undefined;
    if (!rows) {
      out.push({ type: 'issue', reason: `${label} has no "rows" array`, bytes: buf.subarray(0, KEEP_HEAD), offset });
      return;
    }
    const columnsRaw = colsM ? buf.subarray(colsM.start, colsM.end) : undefined;
    const header = columnsRaw ? columnsOf(columnsRaw, name) : undefined;
    if (!header) {
      const why = `${label} has no usable "columns" array (a list of {"name", "type"}): its rows have no column names`;
      for (const [s, e] of rows) out.push({ type: 'issue', reason: `row ${this.index + 1} of ${why}`, bytes: buf.subarray(s, e), offset: offset + s, index: this.index++ });
      return;
    }
    out.push({ type: 'header', header, raw: columnsRaw as Buffer, index: this.index, offset: offset + (colsM as { start: number }).start });
    for (const [s, e] of rows) out.push({ type: 'record', bytes: buf.subarray(s, e), index: this.index++, offset: offset + s, header });
  }
}

/** The header of a JSON `columns` array: `[{"name","type"}]` (or plain names). */
function columnsOf(raw: Buffer, name: string | undefined): TableHeader | undefined {
  if (!isUtf8(raw)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const columns: string[] = [];
  const types: string[] = [];
  for (const c of v) {
    if (typeof c === 'string') {
      columns.push(c);
      types.push('');
    } else if (c !== null && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string') {
      columns.push((c as { name: string }).name);
      const ty = (c as { type?: unknown }).type;
      types.push(typeof ty === 'string' ? ty : '');
    } else return undefined;
  }
  const h: TableHeader = { format: 'table', columns, types };
  if (name !== undefined) h.name = name;
  return h;
}

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** End (exclusive) of the JSON value starting at `i` (a string, object, array or scalar), or -1. */
function valueEnd(buf: Buffer, i: number, limit: number): number {
  const c = buf[i];
  if (c === QUOTE) {
    for (let j = i + 1; j < limit; j++) {
      const d = buf[j];
      if (d === 0x5c) j++;
      else if (d === QUOTE) return j + 1;
    }
    return -1;
  }
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let inString = false;
    for (let j = i; j < limit; j++) {
      const d = buf[j];
      if (inString) {
        if (d === 0x5c) j++;
        else if (d === QUOTE) inString = false;
        continue;
      }
      if (d === QUOTE) inString = true;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < limit && buf[j] !== 0x2c && buf[j] !== 0x7d && buf[j] !== 0x5d && !isWs(buf[j])) j++;
  return j > i ? j : -1;
}

/** The members of the JSON object in `buf` (key and value byte range), or undefined when it is not an object. */
function objectMembers(buf: Buffer): Array<{ key: string; start: number; end: number }> | undefined {
  let i = 0;
  const n = buf.length;
  while (i < n && isWs(buf[i])) i++;
  if (buf[i] !== 0x7b) return undefined;
  i++;
  const out: Array<{ key: string; start: number; end: number }> = [];
  for (;;) {
    while (i < n && (isWs(buf[i]) || buf[i] === 0x2c)) i++;
    if (i >= n) return undefined;
    if (buf[i] === 0x7d) return out;
    if (buf[i] !== QUOTE) return undefined;
    const kEnd = valueEnd(buf, i, n);
    if (kEnd < 0) return undefined;
    let key: string;
    try {
      key = JSON.parse(buf.toString('utf8', i, kEnd)) as string;
    } catch {
      return undefined;
    }
    i = kEnd;
    while (i < n && isWs(buf[i])) i++;
    if (buf[i] !== 0x3a) return undefined;
    i++;
    while (i < n && isWs(buf[i])) i++;
    const vEnd = valueEnd(buf, i, n);
    if (vEnd < 0) return undefined;
    out.push({ key, start: i, end: vEnd });
    i = vEnd;
  }
}

/** Byte ranges of the elements of the JSON array at [start, end), or undefined when it is not an array. */
function arrayElements(buf: Buffer, start: number, end: number): Array<[number, number]> | undefined {
  if (buf[start] !== 0x5b) return undefined;
  const out: Array<[number, number]> = [];
  let i = start + 1;
  const limit = end - 1; // the closing bracket
  for (;;) {
    while (i < limit && (isWs(buf[i]) || buf[i] === 0x2c)) i++;
    if (i >= limit) return out;
    const e = valueEnd(buf, i, limit);
    if (e < 0) return out;
    out.push([i, e]);
    i = e;
  }
}
