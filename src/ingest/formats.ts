/**
 * Container formats of input files, and per-file auto-detection from the first bytes (pure).
 */
import { adapterFor, containerFormats, textFormats } from '../sources/index.js';
import type { SplitMode } from './json-split.js';

/** Container formats every source can come in; providers add their own (`lookup` for AWS LookupEvents output). */
export const GENERIC_FORMATS = ['records', 'array', 'jsonl', 'json', 'csv', 'tables'] as const;
/** A concrete container format: a generic one or a provider's. */
export type ConcreteFormat = string;
/** What `--format` accepts: `auto` or a concrete format. */
export type InputFormat = string;

/** Every format `--format` accepts. */
export function inputFormats(): string[] {
  return ['auto', ...GENERIC_FORMATS, ...containerFormats().map((c) => c.format), ...textFormats().map((t) => t.format)];
}

/** What each generic format is, for help and docs. */
const GENERIC_DESCRIPTIONS: Record<(typeof GENERIC_FORMATS)[number], string> = {
  records: 'an object with a "Records" (or "records") array (provider log files such as trail files in object storage; .json or .json.gz)',
  array: 'a bare JSON array of records',
  jsonl: 'JSON Lines: one record per line',
  json: 'one JSON object, or objects one after another (e.g. a single EventBridge envelope)',
  csv: 'CSV (RFC 4180) with a header line naming the columns: each row is a record (portal downloads, SIEM exports)',
  tables: 'a JSON table response, {"tables":[{"name","columns":[{"name","type"}],"rows":[[...]]}]} (a query API answer in tables): each row is a record',
};

/** What each concrete format is, for help and docs. */
export function formatDescriptions(): Record<string, string> {
  const out: Record<string, string> = { ...GENERIC_DESCRIPTIONS };
  for (const c of containerFormats()) out[c.format] = c.description;
  for (const t of textFormats()) out[t.format] = t.description;
  return out;
}

/** Top-level keys whose array holds the records. */
const RECORD_KEYS = ['Records', 'records'];

/** Splitter mode for a concrete format. */
export function splitModeFor(format: ConcreteFormat): SplitMode {
  switch (format) {
    case 'records':
      return { kind: 'key', keys: RECORD_KEYS };
    case 'array':
      return { kind: 'array' };
    case 'jsonl':
      return { kind: 'lines' };
    case 'json':
      return { kind: 'values' };
    case 'csv':
    case 'tables':
      throw new Error(`${format} is split by ingest/table-split.ts, not the JSON splitter`);
  }
  if (textFormats().some((t) => t.format === format)) throw new Error(`${format} is split by ingest/text-split.ts, not the JSON splitter`);
  const c = containerFormats().find((x) => x.format === format);
  if (!c) throw new Error(`unknown input format ${format}`);
  return { kind: 'key', keys: [...c.keys] };
}

/** Result of detection. */
export type Detection = { format: ConcreteFormat } | { format: 'unknown'; reason: string };

function skipWs(b: Buffer, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i;
}

/**
 * Detect the format from the head of the decompressed input. `complete` is true when `head` is the whole input.
 */
export function detectFormat(head: Buffer, complete: boolean): Detection {
  let i = 0;
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  i = skipWs(head, i);
  if (i >= head.length) return complete ? { format: 'empty' } : { format: 'unknown', reason: 'starts with more than 64 KiB of whitespace' };
  // Binary export formats some sinks write (BigQuery and Cloud Storage Avro, Parquet): named, since they are not read.
  if (head.subarray(0, 4).toString('latin1') === 'Obj\x01') return { format: 'unknown', reason: 'an Avro file (Avro exports are not read: export newline-delimited JSON instead)' };
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return { format: 'unknown', reason: 'a Parquet file (Parquet exports are not read: export newline-delimited JSON instead)' };
  const first = head[i];
  if (first === 0x5b) return { format: 'array' };
  if (first !== 0x7b) {
    const text = textFormatOf(head, i, complete);
    if (text !== undefined) return { format: text };
    if (looksLikeCsvHeader(head, i, complete)) return { format: 'csv' };
    const preview = head.subarray(i, i + 16).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    return { format: 'unknown', reason: `not JSON (starts with "${preview}")` };
  }
  // Walk the first top-level value: a "Records" key (or a provider container's key) holding an array (at any position among the top-level
  // keys: some exporters put other keys first) makes it a container; otherwise find where the value ends.
  let depth = 0;
  let inString = false;
  let escape = false;
  let keyStart = -1;
  let lastKey = '';
  let expectValue = false;
  // A provider container's key can also be a field of a record (a Workspace activity's `events`): decided below,
  // once the first value is read whole.
  let container: string | undefined;
  let j: number;
  for (j = i; j < head.length; j++) {
    const c = head[j];
    if (inString) {
      if (escape) escape = false;
      else if (c === 0x5c) escape = true;
      else if (c === 0x22) {
        inString = false;
        if (keyStart >= 0) lastKey = head.subarray(keyStart, j).toString('utf8');
        keyStart = -1;
      }
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (depth === 1 && !expectValue) keyStart = j + 1;
      else if (depth === 1) expectValue = false;
    } else if (c === 0x3a && depth === 1) expectValue = true;
    else if (c === 0x2c && depth === 1) {
      expectValue = false;
      lastKey = '';
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 1 && expectValue && c === 0x5b) {
        if (RECORD_KEYS.includes(lastKey)) return { format: 'records' };
        if (lastKey === 'tables') return { format: 'tables' };
        const c = containerFormats().find((x) => x.keys.includes(lastKey));
        if (c) container ??= c.format;
      }
      if (depth === 1) expectValue = false;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && expectValue && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) expectValue = false;
  }
  if (container !== undefined) {
    // The key names a container unless the first value is itself a record some adapter recognises.
    if (j >= head.length || !isRecord(head.subarray(i, j + 1))) return { format: container };
  }
  if (j >= head.length) return { format: 'json' }; // first value longer than the head: one big object
  const next = skipWs(head, j + 1);
  if (next >= head.length) return { format: 'json' };
  // JSON Lines: the first value is on one line and a newline separates it from the next. A pretty-printed first
  // value means objects one after another, which the values splitter reads.
  const between = head.subarray(j + 1, next);
  const firstIsOneLine = !head.subarray(i, j + 1).includes(0x0a);
  return firstIsOneLine && between.includes(0x0a) ? { format: 'jsonl' } : { format: 'json' };
}

/**
 * Turn one split element into the raw record it carries: a provider's container (e.g. LookupEvents output) says
 * where the record is; elements of generic formats are the records.
 */
export function unwrapElement(format: ConcreteFormat, bytes: Buffer, parsed: unknown): { bytes: Buffer; parsed: unknown } | { error: string } {
  const c = containerFormats().find((x) => x.format === format);
  return c ? c.unwrap(bytes, parsed) : { bytes, parsed };
}

/**
 * The provider text log format (space-separated lines) whose header line or default fields the first line is, when
 * that line ends within the head (or is the whole input).
 */
function textFormatOf(head: Buffer, start: number, complete: boolean): string | undefined {
  const formats = textFormats();
  if (formats.length === 0) return undefined;
  let end = head.indexOf(0x0a, start);
  if (end === -1) {
    if (!complete) return undefined;
    end = head.length;
  }
  if (end > start && head[end - 1] === 0x0d) end--;
  const line = head.toString('utf8', start, end);
  return formats.find((t) => t.headerOf(line) !== undefined || t.impliedHeader(line) !== undefined)?.format;
}

/**
 * A CSV header line: printable text with at least one comma outside quotes before the first line end, and that line
 * end within the head (or the whole input). Column names never hold control characters.
 */
function looksLikeCsvHeader(head: Buffer, start: number, complete: boolean): boolean {
  let inQuote = false;
  let commas = 0;
  for (let j = start; j < head.length; j++) {
    const c = head[j] as number;
    if (c === 0x22) inQuote = !inQuote;
    else if (inQuote) continue;
    else if (c === 0x2c) commas++;
    else if (c === 0x0a) return commas > 0;
    else if (c === 0x0d) {
      if (head[j + 1] !== 0x0a && j + 1 < head.length) return false;
    } else if (c < 0x20 && c !== 0x09) return false;
  }
  return complete && commas > 0 && !inQuote;
}

/** Whether these bytes are one JSON value that a source adapter recognises as a record. */
function isRecord(bytes: Buffer): boolean {
  try {
    return adapterFor(JSON.parse(bytes.toString('utf8')) as unknown) !== undefined;
  } catch {
    return false;
  }
}
