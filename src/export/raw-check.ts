/**
 * Checking the raw-records member of a bundle: every line parses, and every record's raw text hashes to the SHA-256
 * it states. This is most of a verification's work on a large bundle (a JSON.parse and a SHA-256 per record), so
 * when irctl runs compiled and the member is large, the member is cut into pieces of whole lines and a worker thread
 * (raw-check-worker.ts) checks pieces while it keeps up, the main thread the others, beside gunzipping and hashing
 * the archive; otherwise every piece is checked in-thread. Either way the results are identical. Each checker also
 * keeps, per record, compact keys of its digest, event id and input id for the cross-checks verify makes once every
 * member is read (key-set.ts), and lines are cut with the caps of lines.ts, so a hostile member costs bounded memory.
 */
import { Worker } from 'node:worker_threads';
import { sha256Hex } from '../util/hash.js';
import { hexKey, KeySet, NumberList, stringKey } from './key-set.js';
import { eachLine, JsonLines, LineCutter, MAX_LINE_BYTES, type LinePiece } from './lines.js';

/** Problems of one kind: the first few (by line) and how many there were in all. */
export interface ProblemGroup {
  kind: string;
  messages: Array<{ line: number; text: string }>;
  total: number;
}

/** What checking (part of) the member found. */
export interface RawCheckResult {
  /** Records whose hash was checked. */
  checked: number;
  problems: ProblemGroup[];
  /** First line that is not JSON (reported once per member), if any. */
  badJsonLine: number | null;
}

/**
 * The raw-records side of verify's cross-checks, in compact sets (key-set.ts): the records' stated SHA-256 (what
 * events point to), their event ids (valued by the first line naming each, marked when verify meets the event) and
 * their input ids (id + 1, valued by the first line naming each).
 */
export class RawKeys {
  readonly sha = new KeySet();
  readonly events = new KeySet();
  readonly inputs = new KeySet(64);

  /** Add records as {@link RawRecordChecker.takeKeys} lists them. */
  addRecords(keys: Float64Array): void {
    for (let i = 0; i + 3 < keys.length; i += 4) {
      const line = keys[i + 3] as number;
      this.sha.add(keys[i] as number, line);
      this.events.add(keys[i + 1] as number, line);
      this.inputs.add(keys[i + 2] as number, line);
    }
  }
}

/** What checking the whole member found, ready for the report. */
export interface RawMemberResult {
  lines: number;
  checked: number;
  problems: Array<{ kind: string; messages: string[]; total: number }>;
  keys: RawKeys;
}

/** Keep this many messages per kind (the totals are always exact). */
const CAP = 25;
/**
 * Records whose text does not match their hash that are still kept for the cross-checks (per checker), so that a few
 * altered records are reported once rather than again by every event that points to them.
 */
export const KEEP_MISMATCHED = 10_000;

/** Checks whole lines handed to it with their line numbers (pure apart from hashing). */
export class RawRecordChecker {
  private checked = 0;
  private mismatchedKept = 0;
  private readonly groups = new Map<string, ProblemGroup>();
  private readonly keys = new NumberList(4096);
  private readonly name: string;
  private readonly json: JsonLines;

  constructor(name: string) {
    this.name = name;
    this.json = new JsonLines(name, (n, text) => this.add('format', n, text));
  }

  /** Check `piece`, which holds whole lines (the last one may lack its newline). */
  feedLines(piece: LinePiece): void {
    eachLine(piece, (start, end, n) => this.line(piece.buf, start, end, n));
  }

  /** Report a line that was too long to read (the line cutter dropped it). */
  tooLong(n: number): void {
    this.add('format', n, `${this.name} line ${n} is longer than ${MAX_LINE_BYTES >> 20} MiB: not read (irctl verify reads records up to that size)`);
  }

  /**
   * Keys of the records checked since the last call, four numbers each: the key of the stated SHA-256, of the event
   * id, of the input id (id + 1; 0 if none) and the line.
   */
  takeKeys(): Float64Array {
    return this.keys.take();
  }

  end(): RawCheckResult {
    return { checked: this.checked, problems: [...this.groups.values()], badJsonLine: this.json.firstBad };
  }

  private add(kind: string, line: number, text: string): void {
    let g = this.groups.get(kind);
    if (!g) this.groups.set(kind, (g = { kind, messages: [], total: 0 }));
    g.total++;
    if (g.messages.length < CAP) g.messages.push({ line, text });
  }

  private line(buf: Buffer, start: number, end: number, n: number): void {
    const parsed = this.json.parse(buf, start, end, n);
    if (!parsed) return;
    const r = (parsed.value ?? {}) as { raw?: unknown; sha256?: unknown; id?: unknown; event_id?: unknown; input_id?: unknown };
    if (typeof r.raw !== 'string' || typeof r.sha256 !== 'string') {
      this.add('raw-record', n, `${this.name} line ${n}: no raw text or sha256`);
      return;
    }
    this.checked++;
    const actual = sha256Hex(r.raw);
    const matches = actual === r.sha256;
    if (!matches) {
      this.add('raw-record', n, `${this.name} line ${n} (raw record ${String(r.id)}, event ${String(r.event_id)}): the raw bytes hash to ${actual}, the record says ${r.sha256}`);
    }
    if (typeof r.event_id !== 'string') this.add('raw-record', n, `${this.name} line ${n} (raw record ${String(r.id)}): no event_id`);
    const input = typeof r.input_id === 'number' && Number.isSafeInteger(r.input_id) && r.input_id >= 0 ? r.input_id : undefined;
    if (input === undefined) this.add('raw-record', n, `${this.name} line ${n} (raw record ${String(r.id)}): no input_id`);
    if (matches || this.mismatchedKept++ < KEEP_MISMATCHED) {
      this.keys.push(hexKey(r.sha256));
      this.keys.push(typeof r.event_id === 'string' ? stringKey(r.event_id) : 0);
      this.keys.push(input === undefined ? 0 : input + 1);
      this.keys.push(n);
    }
  }
}

/** Merge the results of the checkers that shared a member. */
export function mergeResults(name: string, lines: number, parts: readonly RawCheckResult[], keys: RawKeys): RawMemberResult {
  const kinds = new Map<string, { messages: Array<{ line: number; text: string }>; total: number }>();
  for (const p of parts) {
    for (const g of p.problems) {
      const k = kinds.get(g.kind) ?? { messages: [], total: 0 };
      k.messages.push(...g.messages);
      k.total += g.total;
      kinds.set(g.kind, k);
    }
  }
  const bad = parts.map((p) => p.badJsonLine).filter((x): x is number => x !== null);
  // A broken member would repeat this a million times: one message per member.
  if (bad.length > 0) {
    const k = kinds.get('format') ?? { messages: [], total: 0 };
    const line = Math.min(...bad);
    k.messages.push({ line, text: `${name} line ${line} is not valid JSON` });
    k.total++;
    kinds.set('format', k);
  }
  const problems = [...kinds.entries()].map(([kind, k]) => ({
    kind,
    messages: k.messages
      .sort((a, b) => a.line - b.line)
      .slice(0, CAP)
      .map((m) => m.text),
    total: k.total,
  }));
  return { lines, checked: parts.reduce((a, p) => a + p.checked, 0), problems, keys };
}

/** Messages to the checker thread. */
export type ToChecker = { kind: 'lines'; bytes: Uint8Array; first: number } | { kind: 'end' };
/** Messages from the checker thread. */
export type FromChecker = { kind: 'credit'; keys: Float64Array } | { kind: 'result'; result: RawCheckResult } | { kind: 'error'; message: string };

/** Pieces in flight to the checker thread; beyond that the main thread checks them. */
const WINDOW = 8;
/**
 * Bytes in flight to the checker thread (a piece is usually one gunzip chunk of 256 KiB; one holding a very long
 * line is checked in-thread rather than copied).
 */
const WINDOW_BYTES = 8 << 20;

/** A member check fed asynchronously. */
export interface RawChecking {
  feed(chunk: Buffer): Promise<void>;
  end(): Promise<RawMemberResult>;
  /** Stop early (the archive could not be read to the end). */
  close(): Promise<void>;
}

/**
 * Start checking a raw-records member. With `thread` (and irctl running compiled) a worker thread takes pieces of
 * whole lines while it keeps up and the calling thread checks the rest, so both cores work; otherwise every piece is
 * checked in-thread.
 */
export function startRawCheck(name: string, thread: boolean): RawChecking {
  const local = new RawRecordChecker(name);
  const keys = new RawKeys();
  const checkLocally = (p: LinePiece): void => {
    local.feedLines(p);
    keys.addRecords(local.takeKeys());
  };
  const pieces = new LineCutter(MAX_LINE_BYTES, (n) => local.tooLong(n));
  const compiled = import.meta.url.endsWith('.js');
  if (!thread || !compiled) {
    return {
      feed: (chunk) => {
        const p = pieces.take(chunk);
        if (p) checkLocally(p);
        return Promise.resolve();
      },
      end: () => {
        const p = pieces.finish();
        if (p) checkLocally(p);
        return Promise.resolve(mergeResults(name, pieces.count, [local.end()], keys));
      },
      close: () => Promise.resolve(),
    };
  }
  const worker = new Worker(new URL('./raw-check-worker.js', import.meta.url), { workerData: { name } });
  const inFlight: number[] = [];
  let inFlightBytes = 0;
  let failure: Error | undefined;
  let result: RawCheckResult | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: FromChecker) => {
    if (m.kind === 'credit') {
      inFlightBytes -= inFlight.shift() ?? 0;
      keys.addRecords(m.keys);
    }
    else if (m.kind === 'result') result = m.result;
    else failure = new Error(`raw record check: ${m.message}`);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', (code) => {
    if (result === undefined && failure === undefined) failure = new Error(`raw record check thread exited with code ${code}`);
    notify();
  });
  const wait = async (until: () => boolean): Promise<void> => {
    while (!until() && failure === undefined) await new Promise<void>((r) => (wake = r));
    if (failure !== undefined) throw failure;
  };
  const route = (p: LinePiece): void => {
    if (failure !== undefined) throw failure;
    if (inFlight.length < WINDOW && inFlightBytes + p.buf.length <= WINDOW_BYTES) {
      // Copy into memory of its own, then move it (a chunk may share its memory with others).
      const bytes = new Uint8Array(p.buf);
      worker.postMessage({ kind: 'lines', bytes, first: p.first } satisfies ToChecker, [bytes.buffer]);
      inFlight.push(bytes.length);
      inFlightBytes += bytes.length;
    } else checkLocally(p);
  };
  return {
    feed: (chunk) => {
      const p = pieces.take(chunk);
      if (p) route(p);
      return Promise.resolve();
    },
    end: async () => {
      const p = pieces.finish();
      if (p) checkLocally(p);
      worker.postMessage({ kind: 'end' } satisfies ToChecker);
      try {
        await wait(() => result !== undefined);
        return mergeResults(name, pieces.count, [result as RawCheckResult, local.end()], keys);
      } finally {
        await worker.terminate().catch(() => undefined);
      }
    },
    close: async () => {
      await worker.terminate().catch(() => undefined);
    },
  };
}
