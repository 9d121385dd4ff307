/**
 * Derived data checked against evidence (issue 11): every stored event (and its entity rows) is compared with what
 * the adapter of its data type makes of its raw record today. Each event records the normalizer that made it
 * (`events.normalizer`, `<source id>@<version>`):
 *
 * - same normalizer, different row: the derived row was altered (tampering, exit 5), named by event and column;
 * - another normalizer (an older version, or none recorded): stale derived data (exit 6): `irctl case rebuild`.
 *
 * Cost: one JSON.parse and one normalization per event. The stored columns and entity rows come from SQLite as one
 * JSON array each and are compared as strings with the JSON of the expected values; only a row whose strings differ
 * is parsed and compared column by column (escaping differences are not reported). On a compiled build, cases of
 * {@link THREAD_MIN_EVENTS} events or more are split over worker threads (derived-check-worker.ts), each reading
 * its own rowid range on its own read-only connection, while the caller's thread goes on with its own checks.
 */
import { Worker } from 'node:worker_threads';
import { adapterByDataType, normalizerTag, normalizeStored } from '../sources/index.js';
import { DERIVED_EVENT_COLUMNS, derivedEventValues, entityRowsOf, type ColumnValue } from '../store/ingest-repo.js';
import type { Db } from '../store/db.js';
import { derivedRangeReader, derivedReadPlan, derivedRowidReader, normalizerCounts, type DerivedReadPlan, type DerivedRow } from '../store/verify-repo.js';
import { IntegrityError, IrctlError, ExitCode } from '../errors.js';
import { workerItems } from '../util/worker-stream.js';

/** Problems listed per check (the counts are always complete). */
const MAX_LISTED = 50;
/** Events read per query (about 3 KB each: raw record, columns and entity rows). */
const CHUNK = 2_000;
/** From this many events a compiled build checks on worker threads. */
export const THREAD_MIN_EVENTS = 50_000;

/** What the check found. Plain data (posted between threads). */
export interface DerivedTally {
  /** Events compared. */
  events: number;
  /** Events made by another normalizer than this irctl's, by `stored -> current` (stored `none`: not recorded). */
  stale: Record<string, number>;
  /** A few stale event ids, to name. */
  staleExamples: string[];
  /** Events whose stored row or entity rows differ from their raw record's normalization under the same normalizer. */
  altered: number;
  /** Events whose raw record no longer normalizes. */
  unnormalizable: number;
  /** Events whose entity rows are not indexed yet (a write was cut short). */
  unindexed: number;
  /** The per-event entity index is missing (a bulk load was cut short), so entity rows were not compared. */
  entityIndexMissing: boolean;
  /** Named problems (altered and unnormalizable events), at most {@link MAX_LISTED}. */
  problems: string[];
}

/** An empty tally. */
export function emptyTally(): DerivedTally {
  return { events: 0, stale: {}, staleExamples: [], altered: 0, unnormalizable: 0, unindexed: 0, entityIndexMissing: false, problems: [] };
}

/** Add `b` into `a`. */
export function mergeTally(a: DerivedTally, b: DerivedTally): DerivedTally {
  a.events += b.events;
  for (const [k, v] of Object.entries(b.stale)) a.stale[k] = (a.stale[k] ?? 0) + v;
  for (const x of b.staleExamples) if (a.staleExamples.length < 5) a.staleExamples.push(x);
  a.altered += b.altered;
  a.unnormalizable += b.unnormalizable;
  a.unindexed += b.unindexed;
  a.entityIndexMissing ||= b.entityIndexMissing;
  for (const p of b.problems) if (a.problems.length < MAX_LISTED) a.problems.push(p);
  return a;
}

const currentTags = new Map<string, string | null>();
function currentTag(dataType: string): string | null {
  let t = currentTags.get(dataType);
  if (t === undefined) {
    const a = adapterByDataType(dataType);
    t = a ? normalizerTag(a) : null;
    currentTags.set(dataType, t);
  }
  return t;
}

/** A value for a message: JSON, cut at 80 characters. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A string as SQLite stores it (lone surrogates become U+FFFD on the way in). */
function asStored(v: ColumnValue): ColumnValue {
  return typeof v === 'string' ? Buffer.from(v, 'utf8').toString('utf8') : v;
}

/** Compare one batch of rows, adding to `t`. Pure over its input (the adapters are pure). */
export function checkRows(rows: readonly DerivedRow[], t: DerivedTally): void {
  const problem = (msg: string): void => {
    if (t.problems.length < MAX_LISTED) t.problems.push(msg);
  };
  for (const [, rawId, raw, sha256, dataType, rawEventId, stored, columns, entities] of rows) {
    t.events++;
    const current = currentTag(dataType);
    if (stored === null || stored !== current) {
      const key = `${stored ?? 'none'} -> ${current ?? `no adapter for ${dataType}`}`;
      t.stale[key] = (t.stale[key] ?? 0) + 1;
      if (t.staleExamples.length < 5) t.staleExamples.push(rawEventId);
      continue;
    }
    const n = normalizeStored(dataType, raw, sha256);
    if (!n.ok) {
      t.unnormalizable++;
      problem(`event ${rawEventId}: its raw record ${rawId} no longer normalizes with ${current} (${n.reason}): the event cannot have been derived from it`);
      continue;
    }
    const expected = derivedEventValues(n.event, rawId);
    // The id is the raw record's (evidence): the event row must carry it.
    expected[0] = rawEventId;
    const altered: string[] = [];
    if (JSON.stringify(expected) !== columns) {
      const got = JSON.parse(columns) as ColumnValue[];
      DERIVED_EVENT_COLUMNS.forEach((c, i) => {
        const want = asStored(expected[i] ?? null);
        if (got[i] !== want) altered.push(`${c} is ${show(got[i])} in the store but ${show(want)} from its raw record`);
      });
    }
    if (entities !== null) {
      const want = entityRowsOf(expected, n.event.resources);
      if (JSON.stringify(want) !== entities) {
        const key = (e: readonly unknown[]): string => JSON.stringify([e[0], asStored((e[1] ?? null) as ColumnValue)]);
        const have = (JSON.parse(entities) as unknown[][]).map(key).sort();
        const need = want.map(key).sort();
        if (have.join('\n') !== need.join('\n')) {
          const extra = have.filter((x) => !need.includes(x));
          const missing = need.filter((x) => !have.includes(x));
          altered.push(
            `entity rows differ (${have.length} stored, ${need.length} expected${extra.length > 0 ? `; not from its record: ${extra.slice(0, 2).join(', ')}` : ''}${missing.length > 0 ? `; missing: ${missing.slice(0, 2).join(', ')}` : ''})`,
          );
        }
      }
    }
    if (altered.length > 0) {
      t.altered++;
      problem(`event ${rawEventId}: ${altered.slice(0, 3).join('; ')}${altered.length > 3 ? `; and ${altered.length - 3} more` : ''} (raw record ${rawId}, ${current}): the stored event does not match its raw record`);
    }
  }
}

/** Check the events with rowids `from..to` (inclusive) on this connection. */
export function checkRange(db: Db, plan: DerivedReadPlan, from: number, to: number, t: DerivedTally = emptyTally()): DerivedTally {
  const read = derivedRangeReader(db, plan);
  for (let a = from; a <= to; a += CHUNK) checkRows(read(a, Math.min(to, a + CHUNK - 1)), t);
  countUnindexed(plan, from, to, t);
  if (!plan.entityIndex && to >= from) t.entityIndexMissing = true;
  return t;
}

/** Events above `entities_upto` have no entity rows yet: stale, not altered. */
function countUnindexed(plan: DerivedReadPlan, from: number, to: number, t: DerivedTally): void {
  if (plan.entitiesUpto < to) t.unindexed += to - Math.max(from - 1, plan.entitiesUpto);
}

/** Options of {@link checkDerived}. */
export interface DerivedCheckOptions {
  /** Only these event rowids (a threat's events; checked on this thread). Default: every event. */
  rowids?: readonly number[] | undefined;
  /** Use worker threads for large cases when running compiled. @default 'auto' */
  threads?: boolean | 'auto' | undefined;
}

/** A check under way: `result` settles when every thread is done; `cancel` ends them. */
export interface DerivedCheckJob {
  result: Promise<DerivedTally>;
  cancel(): Promise<void>;
}

/**
 * Start checking derived rows against evidence. On worker threads the work runs while the caller's thread goes on;
 * in-thread (sources, small cases, a threat's events) it runs now and `result` is already settled.
 */
export function startDerivedCheck(db: Db, opts: DerivedCheckOptions = {}): DerivedCheckJob {
  const plan = derivedReadPlan(db);
  if (opts.rowids !== undefined) {
    const t = emptyTally();
    const read = derivedRowidReader(db, plan);
    for (let i = 0; i < opts.rowids.length; i += 500) checkRows(read(opts.rowids.slice(i, i + 500)), t);
    for (const r of opts.rowids) if (r > plan.entitiesUpto) t.unindexed++;
    if (!plan.entityIndex && opts.rowids.length > 0) t.entityIndexMissing = true;
    return settled(t);
  }
  const compiled = import.meta.url.endsWith('.js');
  const threads = opts.threads ?? 'auto';
  const want = threads === true || (threads === 'auto' && plan.maxRowid >= THREAD_MIN_EVENTS);
  if (!compiled || !want || plan.maxRowid === 0) return settled(checkRange(db, plan, 1, plan.maxRowid));
  const n = 2;
  const per = Math.ceil(plan.maxRowid / n);
  const workers = Array.from({ length: n }, (_, i) => {
    const from = i * per + 1;
    const to = Math.min(plan.maxRowid, (i + 1) * per);
    return new Worker(new URL('./derived-check-worker.js', import.meta.url), { workerData: { file: db.name, plan, from, to } });
  });
  const result = Promise.all(
    workers.map(async (w) => {
      let out: DerivedTally | undefined;
      for await (const m of workerItems<{ kind: 'tally'; tally: DerivedTally }>(w, 'derived-data check thread')) out = m.tally;
      if (!out) throw new Error('derived-data check thread ended without its result');
      return out;
    }),
  ).then((ts) => ts.reduce(mergeTally, emptyTally()));
  result.catch(() => undefined);
  return {
    result,
    cancel: async () => {
      await Promise.all(workers.map((w) => w.terminate().catch(() => undefined)));
      await result.catch(() => undefined);
    },
  };
}

function settled(t: DerivedTally): DerivedCheckJob {
  return { result: Promise.resolve(t), cancel: () => Promise.resolve() };
}

/** The check as findings: integrity problems (exit 5) and stale or incomplete derived data (exit 6). */
export function derivedFindings(t: DerivedTally): { problems: string[]; stale: string[] } {
  const problems = [...t.problems];
  const listed = t.problems.length;
  const total = t.altered + t.unnormalizable;
  if (total > listed) problems.push(`... ${total - listed} more event(s) whose derived rows differ from their raw records`);
  const stale: string[] = [];
  const staleCount = Object.values(t.stale).reduce((a, b) => a + b, 0);
  if (staleCount > 0) {
    const by = Object.entries(t.stale)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${v} made by ${k.replace(/^none ->/, 'an unrecorded normalizer ->')}`)
      .join(', ');
    stale.push(
      `${staleCount} event(s) were derived by another normalizer than this irctl's (${by}${t.staleExamples.length > 0 ? `; e.g. ${t.staleExamples.join(', ')}` : ''}): stale derived data, run \`irctl case rebuild\``,
    );
  }
  if (t.entityIndexMissing) stale.push('entity rows were not compared: the entity index is missing (a bulk load was cut short): run `irctl case rebuild`');
  if (t.unindexed > 0) stale.push(`${t.unindexed} event(s) have no entity rows yet (a write was cut short): derived data incomplete, run \`irctl case rebuild\``);
  return { problems, stale };
}

/**
 * Stale derived data, by counting stored normalizers per data type (one scan, no re-normalization): what
 * {@link derivedFindings} would call stale, for a quick refusal before long work.
 */
export function staleQuick(db: Db): DerivedTally {
  const t = emptyTally();
  for (const r of normalizerCounts(db)) {
    const current = currentTag(r.data_type);
    if (r.normalizer !== null && r.normalizer === current) continue;
    const key = `${r.normalizer ?? 'none'} -> ${current ?? `no adapter for ${r.data_type}`}`;
    t.stale[key] = (t.stale[key] ?? 0) + r.events;
  }
  return t;
}

/**
 * Throw when derived data may not be signed: altered (exit 5) or stale / incomplete (exit 6). `what` names the
 * refused action.
 */
export function refuseUnlessCurrent(t: DerivedTally, what: string): void {
  const f = derivedFindings(t);
  if (f.problems.length > 0) {
    throw new IntegrityError(`${what}: ${t.altered + t.unnormalizable} event(s) do not match their raw records, e.g. ${f.problems[0] ?? ''}`, {
      hint: 'Derived data was altered behind irctl\'s back. `irctl case verify` lists every difference; `irctl case rebuild` re-derives the events from the evidence (then run `irctl detect` again) before you export.',
    });
  }
  if (f.stale.length > 0) {
    throw new IrctlError(`${what}: ${f.stale.join('; ')}`, {
      exitCode: ExitCode.Partial,
      source: 'user',
      hint: 'Run `irctl case rebuild` (and `irctl detect` again), then export.',
    });
  }
}
