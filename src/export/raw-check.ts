/**
 * Checking the raw-records member of a bundle: every line parses, and every record's raw text hashes to the SHA-256
 * it states. This is most of a verification's work on a large bundle (a JSON.parse and a SHA-256 per record), so
 * when irctl runs compiled and the member is large, the member is cut into pieces of whole lines and a worker thread
 * (raw-check-worker.ts) checks pieces while it keeps up, the main thread the others, beside gunzipping and hashing
 * the archive; otherwise every piece is checked in-thread. Either way the results are identical.
 */
import { Worker } from 'node:worker_threads';
import { sha256Hex } from '../util/hash.js';

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
  /** The first 20 hex digits of every record's stated SHA-256, concatenated (to cross-check events). */
  prefixes: string;
}

/** What checking the whole member found, ready for the report. */
export interface RawMemberResult {
  lines: number;
  checked: number;
  problems: Array<{ kind: string; messages: string[]; total: number }>;
  prefixes: string;
}

/** Keep this many messages per kind (the totals are always exact). */
const CAP = 25;

/** Checks whole lines handed to it with their line numbers (pure apart from hashing). */
export class RawRecordChecker {
  private checked = 0;
  private badJsonLine: number | null = null;
  private readonly groups = new Map<string, ProblemGroup>();
  private prefixes: string[] = [];
  private joined: string[] = [];
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** Check `buf`, which holds whole lines (the last one may lack its newline), the first being line `first`. */
  feedLines(buf: Buffer, first: number): void {
    let n = first;
    let start = 0;
    while (start < buf.length) {
      let nl = buf.indexOf(10, start);
      if (nl === -1) nl = buf.length;
      this.line(buf.toString('utf8', start, nl), n++);
      start = nl + 1;
    }
  }

  end(): RawCheckResult {
    this.joined.push(this.prefixes.join(''));
    this.prefixes = [];
    return { checked: this.checked, problems: [...this.groups.values()], badJsonLine: this.badJsonLine, prefixes: this.joined.join('') };
  }

  private add(kind: string, line: number, text: string): void {
    let g = this.groups.get(kind);
    if (!g) this.groups.set(kind, (g = { kind, messages: [], total: 0 }));
    g.total++;
    if (g.messages.length < CAP) g.messages.push({ line, text });
  }

  private line(text: string, n: number): void {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      if (this.badJsonLine === null) this.badJsonLine = n;
      return;
    }
    const r = (v ?? {}) as { raw?: unknown; sha256?: unknown; id?: unknown; event_id?: unknown };
    if (typeof r.raw !== 'string' || typeof r.sha256 !== 'string') {
      this.add('raw-record', n, `${this.name} line ${n}: no raw text or sha256`);
      return;
    }
    this.checked++;
    const actual = sha256Hex(r.raw);
    if (actual !== r.sha256) {
      this.add('raw-record', n, `${this.name} line ${n} (raw record ${String(r.id)}, event ${String(r.event_id)}): the raw bytes hash to ${actual}, the record says ${r.sha256}`);
    }
    this.prefixes.push(r.sha256.slice(0, 20).padEnd(20, ' '));
    if (this.prefixes.length >= 65_536) {
      this.joined.push(this.prefixes.join(''));
      this.prefixes = [];
    }
  }
}

/** Merge the results of the checkers that shared a member. */
export function mergeResults(name: string, lines: number, parts: readonly RawCheckResult[]): RawMemberResult {
  const kinds = new Map<string, { messages: Array<{ line: number; text: string }>; total: number }>();
  for (const p of parts) {
    for (const g of p.problems) {
      const k = kinds.get(g.kind) ?? { messages: [], total: 0 };
      k.messages.push(...g.messages);
      k.total += g.total;
      kinds.set(g.kind, k);
    }
  }
  const problems = [...kinds.entries()].map(([kind, k]) => ({
    kind,
    messages: k.messages
      .sort((a, b) => a.line - b.line)
      .slice(0, CAP)
      .map((m) => m.text),
    total: k.total,
  }));
  const bad = parts.map((p) => p.badJsonLine).filter((x): x is number => x !== null);
  // A broken member would repeat this a million times: one message per member.
  if (bad.length > 0) problems.unshift({ kind: 'format', messages: [`${name} line ${Math.min(...bad)} is not valid JSON`], total: 1 });
  return { lines, checked: parts.reduce((a, p) => a + p.checked, 0), problems, prefixes: parts.map((p) => p.prefixes).join('') };
}

/** Cuts a byte stream into pieces of whole lines, numbering them. */
class LinePieces {
  private rest: Buffer | undefined;
  private lines = 0;

  /** Pieces of whole lines in `chunk` (with what was left over), each with its first line number. */
  take(chunk: Buffer): { buf: Buffer; first: number } | undefined {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const last = buf.lastIndexOf(10);
    if (last === -1) {
      this.rest = buf;
      return undefined;
    }
    this.rest = last + 1 < buf.length ? buf.subarray(last + 1) : undefined;
    const piece = buf.subarray(0, last + 1);
    const first = this.lines + 1;
    for (let i = piece.indexOf(10); i !== -1; i = piece.indexOf(10, i + 1)) this.lines++;
    return { buf: piece, first };
  }

  /** The last line when the member does not end with a newline. */
  finish(): { buf: Buffer; first: number } | undefined {
    const r = this.rest;
    this.rest = undefined;
    if (!r || r.length === 0) return undefined;
    this.lines++;
    return { buf: r, first: this.lines };
  }

  get count(): number {
    return this.lines;
  }
}

/** Messages to the checker thread. */
export type ToChecker = { kind: 'lines'; bytes: Uint8Array; first: number } | { kind: 'end' };
/** Messages from the checker thread. */
export type FromChecker = { kind: 'credit' } | { kind: 'result'; result: RawCheckResult } | { kind: 'error'; message: string };

/** Pieces in flight to the checker thread (bounds memory to a few MB); beyond that the main thread checks them. */
const WINDOW = 8;

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
  const pieces = new LinePieces();
  const local = new RawRecordChecker(name);
  const compiled = import.meta.url.endsWith('.js');
  if (!thread || !compiled) {
    return {
      feed: (chunk) => {
        const p = pieces.take(chunk);
        if (p) local.feedLines(p.buf, p.first);
        return Promise.resolve();
      },
      end: () => {
        const p = pieces.finish();
        if (p) local.feedLines(p.buf, p.first);
        return Promise.resolve(mergeResults(name, pieces.count, [local.end()]));
      },
      close: () => Promise.resolve(),
    };
  }
  const worker = new Worker(new URL('./raw-check-worker.js', import.meta.url), { workerData: { name } });
  let inFlight = 0;
  let failure: Error | undefined;
  let result: RawCheckResult | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: FromChecker) => {
    if (m.kind === 'credit') inFlight--;
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
  const route = (p: { buf: Buffer; first: number }): void => {
    if (failure !== undefined) throw failure;
    if (inFlight < WINDOW) {
      // Copy into memory of its own, then move it (a chunk may share its memory with others).
      const bytes = new Uint8Array(p.buf);
      worker.postMessage({ kind: 'lines', bytes, first: p.first } satisfies ToChecker, [bytes.buffer]);
      inFlight++;
    } else local.feedLines(p.buf, p.first);
  };
  return {
    feed: (chunk) => {
      const p = pieces.take(chunk);
      if (p) route(p);
      return Promise.resolve();
    },
    end: async () => {
      const p = pieces.finish();
      if (p) local.feedLines(p.buf, p.first);
      worker.postMessage({ kind: 'end' } satisfies ToChecker);
      try {
        await wait(() => result !== undefined);
        return mergeResults(name, pieces.count, [result as RawCheckResult, local.end()]);
      } finally {
        await worker.terminate().catch(() => undefined);
      }
    },
    close: async () => {
      await worker.terminate().catch(() => undefined);
    },
  };
}
