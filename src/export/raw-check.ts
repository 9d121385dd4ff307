/**
 * Checking the raw-records member of a bundle: every line parses, and every record's raw text hashes to the SHA-256
 * it states. This is most of a verification's work on a large bundle (a JSON.parse and a SHA-256 per record), so
 * when irctl runs compiled and the member is large it runs on a worker thread (raw-check-worker.ts) while the main
 * thread goes on gunzipping and hashing the archive; otherwise the same checker runs in-thread. Either way the
 * results are identical.
 */
import { Worker } from 'node:worker_threads';
import { sha256Hex } from '../util/hash.js';

/** Problems of one kind: the first few messages and how many there were in all. */
export interface ProblemGroup {
  kind: string;
  messages: string[];
  total: number;
}

/** What checking the member found. */
export interface RawCheckResult {
  /** Lines in the member. */
  lines: number;
  /** Records whose hash was checked. */
  checked: number;
  problems: ProblemGroup[];
  /** The first 20 hex digits of every record's stated SHA-256, concatenated (to cross-check events). */
  prefixes: string;
}

/** Keep this many messages per kind (the totals are always exact). */
const CAP = 25;

/** The line-by-line checker (pure apart from hashing). Feed the member's bytes in order, then `end()`. */
export class RawRecordChecker {
  private rest: Buffer | undefined;
  private n = 0;
  private checked = 0;
  private badJson = 0;
  private readonly groups = new Map<string, ProblemGroup>();
  private prefixes: string[] = [];
  private joined: string[] = [];
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  feed(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    let nl = buf.indexOf(10, start);
    while (nl !== -1) {
      this.line(buf.toString('utf8', start, nl));
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    this.rest = start < buf.length ? buf.subarray(start) : undefined;
  }

  end(): RawCheckResult {
    if (this.rest && this.rest.length > 0) this.line(this.rest.toString('utf8'));
    this.rest = undefined;
    this.joined.push(this.prefixes.join(''));
    this.prefixes = [];
    return { lines: this.n, checked: this.checked, problems: [...this.groups.values()], prefixes: this.joined.join('') };
  }

  private add(kind: string, msg: string): void {
    let g = this.groups.get(kind);
    if (!g) this.groups.set(kind, (g = { kind, messages: [], total: 0 }));
    g.total++;
    if (g.messages.length < CAP) g.messages.push(msg);
  }

  private line(text: string): void {
    const n = ++this.n;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      // One message per member: a broken member would otherwise repeat it a million times.
      if (++this.badJson <= 1) this.add('format', `${this.name} line ${n} is not valid JSON`);
      return;
    }
    const r = (v ?? {}) as { raw?: unknown; sha256?: unknown; id?: unknown; event_id?: unknown };
    if (typeof r.raw !== 'string' || typeof r.sha256 !== 'string') {
      this.add('raw-record', `${this.name} line ${n}: no raw text or sha256`);
      return;
    }
    this.checked++;
    const actual = sha256Hex(r.raw);
    if (actual !== r.sha256) {
      this.add('raw-record', `${this.name} line ${n} (raw record ${String(r.id)}, event ${String(r.event_id)}): the raw bytes hash to ${actual}, the record says ${r.sha256}`);
    }
    this.prefixes.push(r.sha256.slice(0, 20).padEnd(20, ' '));
    if (this.prefixes.length >= 65_536) {
      this.joined.push(this.prefixes.join(''));
      this.prefixes = [];
    }
  }
}

/** Messages to the checker thread. */
export type ToChecker = { kind: 'chunk'; bytes: Uint8Array } | { kind: 'end' };
/** Messages from the checker thread. */
export type FromChecker = { kind: 'credit' } | { kind: 'result'; result: RawCheckResult } | { kind: 'error'; message: string };

/** Chunks in flight to the checker thread (bounds memory to a few MB). */
const WINDOW = 16;

/** A checker fed asynchronously: in-thread, or on a worker thread. */
export interface RawChecking {
  feed(chunk: Buffer): Promise<void>;
  end(): Promise<RawCheckResult>;
  /** Stop early (the archive could not be read to the end). */
  close(): Promise<void>;
}

/** Start checking a raw-records member; `thread` asks for a worker thread (used only when irctl runs compiled). */
export function startRawCheck(name: string, thread: boolean): RawChecking {
  const compiled = import.meta.url.endsWith('.js');
  if (!thread || !compiled) {
    const c = new RawRecordChecker(name);
    return {
      feed: (chunk) => {
        c.feed(chunk);
        return Promise.resolve();
      },
      end: () => Promise.resolve(c.end()),
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
  return {
    feed: async (chunk) => {
      // Copy into a buffer of its own, then move it (a chunk may share its memory with others).
      const bytes = new Uint8Array(chunk);
      worker.postMessage({ kind: 'chunk', bytes } satisfies ToChecker, [bytes.buffer]);
      inFlight++;
      if (inFlight >= WINDOW) await wait(() => inFlight < WINDOW);
    },
    end: async () => {
      worker.postMessage({ kind: 'end' } satisfies ToChecker);
      try {
        await wait(() => result !== undefined);
        return result as RawCheckResult;
      } finally {
        await worker.terminate().catch(() => undefined);
      }
    },
    close: async () => {
      await worker.terminate().catch(() => undefined);
    },
  };
}
