/**
 * The detect stage's read of the case: every event in time order (ties by event id), in compact batches.
 *
 * A reader steps the SQLite statement, orders ties, and encodes rows into batches: the columns whose values repeat
 * from event to event (actor, action, source IP, user agent, region...) travel as codes into per-column dictionaries,
 * so the rule-evaluating thread builds each event from shared strings instead of creating ~25 new strings per event.
 * The raw record's text is read only for the events whose action a raw-reading rule is indexed on (`prefetch`); any
 * other event's raw text is fetched by id when a rule asks for it (see `rawText`).
 *
 * When irctl runs compiled (dist/) the reader runs on a worker thread with its own read-only connection, so SQLite
 * work overlaps rule evaluation on the other core; from TypeScript sources (in-process tests), with `thread: false`
 * or IRCTL_DETECT_THREADS=0 the same reader runs on the calling thread. The batches, their order and so the detections
 * are identical either way (the integration tests run both).
 */
import { Worker } from 'node:worker_threads';
import { workerItems } from '../util/worker-stream.js';
import { openDatabase, type Db } from './db.js';
import { migratedRecordTextSql, recordTextSql } from './record-text.js';
import type { DetectEvent } from './query-repo.js';

/** Raw text to read with the event: for events of `dataType` whose lower-cased action is listed (`prefix*` entries allowed). */
export interface RawPrefetch {
  dataType: string;
  actions: string[];
}

/** One event for rule evaluation: the normalized row, its raw text when prefetched, and the raw record's id. */
export interface DetectRow {
  event: DetectEvent;
  /** The raw record's exact text when it was prefetched; undefined otherwise (fetch it with `rawText`). */
  raw: string | undefined;
  /** raw_records.id of the event's first raw record. */
  rawId: number;
}

/**
 * Columns that travel as dictionary codes, in two groups: the action's context (few distinct combinations) and who
 * acted from where (one combination per session and address, roughly). SQLite packs each group into one JSON array
 * per row, so the reader makes three JS values per event for 19 columns (creating a JS value per column per row is
 * what a full scan mostly spends its time on), and a group's JSON text is parsed once per distinct combination.
 */
const GROUP_A = ['provider', 'layer', 'class', 'account', 'region', 'service', 'action', 'actor_type', 'outcome', 'error_code', 'data_type'] as const;
const GROUP_B = ['actor', 'actor_name', 'access_key', 'session', 'assumed_from', 'src_ip', 'src_host', 'user_agent'] as const;
/** Dictionary keys per row: group A's JSON, group B's JSON, resources. */
const NDICT = 3;
/** Numbers per row in `nums`: rowid, time_ms, read_only (NaN = null), raw_id. */
const NNUM = 4;
/** A dictionary larger than this is cleared (both sides, at a batch boundary): bounds memory on high-cardinality columns. */
const DICT_MAX = 200_000;

/** One batch as it crosses threads (structured-clone friendly). */
export interface EncodedBatch {
  n: number;
  /** Dictionaries cleared before this batch's additions. */
  resets: number[];
  /** Per dictionary, the entries added by this batch, in code order. */
  adds: string[][];
  /** n * NDICT codes; -1 is SQL NULL. */
  codes: Int32Array;
  nums: Float64Array;
  ids: string[];
  times: string[];
  raws: Array<string | null>;
}

/** Positions in the SELECT below. */
const C = {
  rowid: 0,
  id: 1,
  time: 2,
  time_ms: 3,
  read_only: 4,
  raw_id: 5,
  raw: 6,
  dict: 7,
} as const;

/** The stream's SELECT; `rawExpr` decides per row whether the raw text is read. */
function streamSql(rawExpr: string): string {
  return `SELECT e.rowid, e.id, e.time, e.time_ms, e.read_only, e.raw_id, ${rawExpr},
    json_array(${GROUP_A.map((c) => `e.${c}`).join(', ')}), json_array(${GROUP_B.map((c) => `e.${c}`).join(', ')}), e.resources
    FROM events e ORDER BY e.time_ms`;
}

/** SQL expression (and its parameters) giving the raw text for prefetched events and NULL for the others. */
export function prefetchExpr(prefetch: readonly RawPrefetch[]): { expr: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const p of prefetch) {
    const exact = p.actions.filter((a) => !a.endsWith('*'));
    const prefixes = p.actions.filter((a) => a.endsWith('*')).map((a) => a.slice(0, -1));
    if (exact.length === 0 && prefixes.length === 0) continue;
    const alts: string[] = [];
    params.push(p.dataType);
    if (exact.length > 0) {
      alts.push('lower(e.action) IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(exact));
    }
    for (const pre of prefixes) {
      alts.push(`substr(lower(e.action), 1, ${pre.length}) = ?`);
      params.push(pre);
    }
    parts.push(`(e.data_type = ? AND (${alts.join(' OR ')}))`);
  }
  if (parts.length === 0) return { expr: 'NULL', params: [] };
  // A subquery, not a join: raw_records pages are touched only for the events whose text is wanted.
  return { expr: `CASE WHEN ${parts.join(' OR ')} THEN (SELECT ${migratedRecordTextSql('r')} FROM raw_records r WHERE r.id = e.raw_id) END`, params };
}

/** Reader side: turns positional rows into EncodedBatches, keeping the per-column dictionaries. */
class BatchEncoder {
  private readonly dictMax: number;

  constructor(dictMax: number) {
    this.dictMax = dictMax;
  }

  private readonly dicts: Array<Map<string, number>> = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  /** Per dictionary, the last value encoded and its code. */
  private readonly prev: Array<string | undefined> = [undefined, undefined, undefined];
  private readonly prevCode = new Int32Array(NDICT);

  encode(rows: readonly unknown[][]): EncodedBatch {
    const n = rows.length;
    const resets: number[] = [];
    for (let c = 0; c < NDICT; c++) {
      const d = this.dicts[c] as Map<string, number>;
      if (d.size > this.dictMax) {
        d.clear();
        resets.push(c);
        this.prev[c] = undefined;
      }
    }
    const adds: string[][] = [[], [], []];
    const { prev, prevCode } = this;
    const codes = new Int32Array(n * NDICT);
    const nums = new Float64Array(n * NNUM);
    const ids = new Array<string>(n);
    const times = new Array<string>(n);
    const raws = new Array<string | null>(n);
    for (let i = 0; i < n; i++) {
      const a = rows[i] as unknown[];
      ids[i] = a[C.id] as string;
      times[i] = a[C.time] as string;
      raws[i] = (a[C.raw] as string | null) ?? null;
      const o = i * NNUM;
      nums[o] = a[C.rowid] as number;
      nums[o + 1] = a[C.time_ms] as number;
      const ro = a[C.read_only];
      nums[o + 2] = ro === null || ro === undefined ? Number.NaN : (ro as number);
      nums[o + 3] = a[C.raw_id] as number;
      const base = i * NDICT;
      for (let c = 0; c < NDICT; c++) {
        const v = a[C.dict + c];
        if (v === null || v === undefined) {
          codes[base + c] = -1;
          continue;
        }
        const s = typeof v === 'string' ? v : JSON.stringify(v);
        // Many columns repeat the previous event's value: a string compare is cheaper than hashing for the lookup.
        if (s === prev[c]) {
          codes[base + c] = prevCode[c] as number;
          continue;
        }
        const d = this.dicts[c] as Map<string, number>;
        let code = d.get(s);
        if (code === undefined) {
          code = d.size;
          d.set(s, code);
          (adds[c] as string[]).push(s);
        }
        codes[base + c] = code;
        prev[c] = s;
        prevCode[c] = code;
      }
    }
    return { n, resets, adds, codes, nums, ids, times, raws };
  }
}

const byId = (x: unknown[], y: unknown[]): number => {
  const a = x[C.id] as string;
  const b = y[C.id] as string;
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * The reader: steps the statement on `db` (a connection of its own: it stays busy until the generator ends) and yields
 * encoded batches of about `batchRows` events in time order, ties by event id. Events of the same millisecond are
 * ordered in a small buffer, so SQLite walks the time index instead of sorting the whole table.
 */
export function* encodedBatches(
  db: Db,
  prefetch: readonly RawPrefetch[],
  batchRows: number,
  dictMax = DICT_MAX,
): Generator<EncodedBatch, void, undefined> {
  // No mmap: with the reader on its own thread it gained nothing measurable, and mapped pages count as resident
  // memory (1.9 GB peak RSS on the 1M-event bench case with it, 0.3 GB without).
  const { expr, params } = prefetchExpr(prefetch);
  const it = db
    .prepare(streamSql(expr))
    .raw(true)
    .iterate(...params) as IterableIterator<unknown[]>;
  const enc = new BatchEncoder(dictMax);
  let out: unknown[][] = [];
  let tie: unknown[][] = [];
  const flushTie = (): void => {
    if (tie.length > 1) tie.sort(byId);
    for (const r of tie) out.push(r);
    tie = [];
  };
  for (const a of it) {
    const head = tie[0];
    if (head !== undefined && head[C.time_ms] !== a[C.time_ms]) {
      flushTie();
      if (out.length >= batchRows) {
        yield enc.encode(out);
        out = [];
      }
    }
    tie.push(a);
  }
  flushTie();
  if (out.length > 0) yield enc.encode(out);
}

type Group = Array<string | null>;

/** Consumer side: rebuilds DetectRows from EncodedBatches (the dictionaries mirror the encoder's). */
export class BatchDecoder {
  private a: Group[] = [];
  private b: Group[] = [];
  private r: string[] = [];
  /** One string object per distinct value, shared by every event (cached hashes, less memory). */
  private readonly intern = new Map<string, string>();

  private group(json: string, width: number): Group {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed) || parsed.length !== width) throw new Error(`detect reader: malformed column group ${json.slice(0, 200)}`);
    return (parsed as unknown[]).map((v) => {
      if (v === null) return null;
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      let k = this.intern.get(s);
      if (k === undefined) {
        if (this.intern.size >= DICT_MAX) this.intern.clear();
        this.intern.set(s, s);
        k = s;
      }
      return k;
    });
  }

  decode(b: EncodedBatch): DetectRow[] {
    for (const c of b.resets) {
      if (c === 0) this.a = [];
      else if (c === 1) this.b = [];
      else this.r = [];
    }
    for (const j of b.adds[0] as string[]) this.a.push(this.group(j, GROUP_A.length));
    for (const j of b.adds[1] as string[]) this.b.push(this.group(j, GROUP_B.length));
    for (const x of b.adds[2] as string[]) this.r.push(x);
    const { codes, nums } = b;
    const none: Group = [];
    const rows = new Array<DetectRow>(b.n);
    for (let i = 0; i < b.n; i++) {
      const base = i * NDICT;
      const o = i * NNUM;
      const ro = nums[o + 2] as number;
      const ka = codes[base] as number;
      const kb = codes[base + 1] as number;
      const kr = codes[base + 2] as number;
      const ga = ka < 0 ? none : (this.a[ka] as Group);
      const gb = kb < 0 ? none : (this.b[kb] as Group);
      const event: DetectEvent = {
        rowid: nums[o] as number,
        id: b.ids[i] as string,
        time: b.times[i] as string,
        time_ms: nums[o + 1] as number,
        provider: ga[0] as string,
        layer: ga[1] as string,
        class: ga[2] as string,
        account: ga[3] ?? null,
        region: ga[4] ?? null,
        service: ga[5] ?? null,
        action: ga[6] as string,
        actor: gb[0] ?? null,
        actor_type: ga[7] ?? null,
        actor_name: gb[1] ?? null,
        access_key: gb[2] ?? null,
        session: gb[3] ?? null,
        assumed_from: gb[4] ?? null,
        src_ip: gb[5] ?? null,
        src_host: gb[6] ?? null,
        user_agent: gb[7] ?? null,
        outcome: ga[8] as string,
        error_code: ga[9] ?? null,
        read_only: Number.isNaN(ro) ? null : ro,
        resources: kr < 0 ? '[]' : (this.r[kr] as string),
        data_type: ga[10] as string,
      };
      rows[i] = { event, raw: b.raws[i] ?? undefined, rawId: nums[o + 3] as number };
    }
    return rows;
  }
}

/** Options of {@link eventBatches}. */
export interface EventBatchOptions {
  /** Which events' raw text to read with them. */
  prefetch: readonly RawPrefetch[];
  /** Read on a worker thread when irctl runs compiled. @default true */
  thread?: boolean | undefined;
  /** Events per batch. @default 2000 */
  batchRows?: number | undefined;
}

/** Batches the worker may run ahead of the consumer. */
const WINDOW = 4;

/** Items of the reader thread (see util/worker-stream.ts for the rest of its messages). */
export type ReaderMessage = { kind: 'batch'; batch: EncodedBatch };

/**
 * Every event of the case database `file` in time order (ties by id), as batches of DetectRows. Stop early with
 * `.return()` (a `break` out of `for await`): the reader stops and its connection closes. Between batches the
 * generator gives the event loop a turn, so Ctrl-C is noticed while rules run.
 */
export function eventBatches(
  file: string,
  opts: EventBatchOptions,
): { reader: 'thread' | 'inline'; batches: AsyncGenerator<DetectRow[], void, undefined> } {
  const batchRows = opts.batchRows ?? 2000;
  // The worker is the compiled .js next to this module: from TypeScript sources (tests in-process) read in-thread.
  const compiled = import.meta.url.endsWith('.js');
  if (opts.thread !== false && compiled) return { reader: 'thread', batches: workerBatches(file, opts.prefetch, batchRows) };
  return { reader: 'inline', batches: inThreadBatches(file, opts.prefetch, batchRows) };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function* inThreadBatches(file: string, prefetch: readonly RawPrefetch[], batchRows: number): AsyncGenerator<DetectRow[], void, undefined> {
  const db = openDatabase(file, { readonly: true });
  try {
    const dec = new BatchDecoder();
    for (const b of encodedBatches(db, prefetch, batchRows)) {
      yield dec.decode(b);
      await turn();
    }
  } finally {
    db.close();
  }
}

async function* workerBatches(file: string, prefetch: readonly RawPrefetch[], batchRows: number): AsyncGenerator<DetectRow[], void, undefined> {
  const worker = new Worker(new URL('./event-reader-worker.js', import.meta.url), {
    workerData: { file, prefetch: [...prefetch], batchRows, window: WINDOW },
  });
  const dec = new BatchDecoder();
  for await (const m of workerItems<ReaderMessage>(worker, 'detect reader thread')) {
    worker.postMessage({ kind: 'credit' });
    yield dec.decode(m.batch);
    // Give the event loop a turn (Ctrl-C) even when batches are already queued.
    await turn();
  }
}

/** One prepared look-up statement per connection. */
const rawStmts = new WeakMap<Db, ReturnType<Db['prepare']>>();

/** Record text of one raw record by id (for events whose raw text was not prefetched; table rows come with their header). Undefined when absent. */
export function rawText(db: Db, rawId: number): string | undefined {
  let st = rawStmts.get(db);
  if (!st) {
    st = db.prepare(`SELECT ${recordTextSql(db)} FROM raw_records r WHERE r.id = ?`).pluck();
    rawStmts.set(db, st);
  }
  return st.get(rawId) as string | undefined;
}
