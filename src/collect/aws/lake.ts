/**
 * CloudTrail Lake collection: the window and filters become one SQL query that runs inside AWS (or the expert's
 * own `--query`); result pages are stored like LookupEvents pages. The default query selects `eventJson`, the
 * event record as a JSON string, which becomes the raw record (same identity as the S3 and LookupEvents copies).
 * Rows without an event JSON column (an expert query selecting other columns) are kept in quarantine, not lost.
 */
import { rowFromItem } from '../../ingest/records.js';
import type { Progress } from '../../io/io-host.js';
import { loadCheckpoint } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import { addCovered, gapsIn, parseRanges, type Range } from '../checkpoints.js';
import { explainAwsError, isAbort } from './errors.js';
import { filterObject, type CollectFilters } from './filters.js';
import { checkpointKey, type RegionResult } from './lookup.js';
import { AwsApiError, type RawPage } from './ports.js';
import { TokenBucket, withRetries } from '../rate-limit.js';
import type { RunContext } from './run-context.js';
import { tallyPage } from '../custody-detail.js';

/** API name. */
export const LAKE_API = 'cloudtrail:Lake';

/** Options of a Lake collection. */
export interface LakeOptions {
  /** Event data store id or ARN. */
  eventDataStore: string;
  /** Expert SQL; replaces the generated query (no checkpoint then). */
  query?: string | undefined;
  window: Range;
  filters: CollectFilters;
  overlapMs: number;
  ratePerSec: number;
  maxRetries: number;
  /** Region when the store is given by id. */
  region: string;
}

/** Region and id of an event data store given as ARN or id. */
export function parseEventDataStore(v: string, fallbackRegion: string): { id: string; region: string } {
  const m = /^arn:[^:]+:cloudtrail:([^:]+):\d+:eventdatastore\/(.+)$/.exec(v.trim());
  if (m) return { region: m[1] as string, id: m[2] as string };
  return { region: fallbackRegion, id: v.trim() };
}

function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

function sqlTime(ms: number): string {
  return sqlString(new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ''));
}

/** The generated query for a window and filters (pure). */
export function buildLakeQuery(edsId: string, from: number, to: number, f: CollectFilters): string {
  if (!/^[A-Za-z0-9-]+$/.test(edsId)) throw new Error(`event data store id ${JSON.stringify(edsId)} is not an id`);
  const where = [`eventTime >= ${sqlTime(from)}`, `eventTime <= ${sqlTime(to)}`];
  if (f.user !== undefined) {
    where.push(
      f.user.startsWith('arn:')
        ? `(userIdentity.arn = ${sqlString(f.user)} OR userIdentity.sessioncontext.sessionissuer.arn = ${sqlString(f.user)})`
        : `userIdentity.username = ${sqlString(f.user)}`,
    );
  }
  if (f.accessKey !== undefined) where.push(`userIdentity.accesskeyid = ${sqlString(f.accessKey)}`);
  if (f.eventName !== undefined) {
    // `*` is the wildcard of --action; LIKE's own wildcards in the name are escaped.
    where.push(
      f.eventName.includes('*')
        ? `eventName LIKE ${sqlString(f.eventName.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%'))} ESCAPE '\\'`
        : `eventName = ${sqlString(f.eventName)}`,
    );
  }
  if (f.ip !== undefined) where.push(`sourceIPAddress = ${sqlString(f.ip)}`);
  if (f.eventSource !== undefined) where.push(`eventSource = ${sqlString(f.eventSource)}`);
  if (f.resourceName !== undefined) where.push(`any_match(resources, r -> r.arn LIKE ${sqlString(`%${f.resourceName}%`)})`);
  return `SELECT eventJson FROM ${edsId} WHERE ${where.join(' AND ')} ORDER BY eventTime DESC`;
}

/** Run the query (per gap of the checkpoint) and store every result page. */
export async function collectLake(ctx: RunContext, opts: LakeOptions, progress: Progress): Promise<RegionResult> {
  const started = ctx.timer.now();
  const { id, region } = parseEventDataStore(opts.eventDataStore, opts.region);
  const scope = `lake:${id}`;
  const res: RegionResult = { region: scope, status: 'ok', events: 0, duplicates: 0, filtered_out: 0, quarantined: 0, pages: 0, throttled: 0, retried: 0, queried: [], page_hashes: [], elapsed_ms: 0 };
  const filters = filterObject(opts.filters);
  const key = checkpointKey(ctx.account, scope, LAKE_API, filters);
  let covered = parseRanges(loadCheckpoint(ctx.db, key)?.covered ?? '[]');
  const bucket = new TokenBucket(opts.ratePerSec, 1, ctx.timer);
  const call = <T>(fn: () => Promise<T>): Promise<T> =>
    withRetries(
      async () => {
        await bucket.take(ctx.signal);
        return fn();
      },
      {
        classify: (e) => (e instanceof AwsApiError ? e.retryClass : 'fatal'),
        maxRetries: opts.maxRetries,
        timer: ctx.timer,
        random: ctx.random,
        baseMs: ctx.retryBaseMs,
        signal: ctx.signal,
        onRetry: ({ kind }) => (kind === 'throttle' ? res.throttled++ : res.retried++),
      },
    );
  const gaps: Array<Range | null> = opts.query !== undefined ? [null] : gapsIn(opts.window, covered).reverse();
  try {
    for (const gap of gaps) {
      const sql = opts.query ?? buildLakeQuery(id, (gap as Range)[0], (gap as Range)[1], opts.filters);
      if (gap) res.queried.push([new Date(gap[0]).toISOString(), new Date(gap[1]).toISOString()]);
      progress.update(`${scope}: query running inside CloudTrail Lake`);
      const started = await call(() => ctx.ports.cloudtrail.startQuery(region, sql, ctx.signal));
      ctx.store.storePage(pageRow(ctx, `${LAKE_API} ${id} StartQuery`, { region, QueryStatement: sql }, started.raw, []));
      let token: string | undefined;
      let wait = 500;
      for (;;) {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const page = await call(() => ctx.ports.cloudtrail.getQueryResults(region, started.queryId, token, ctx.signal));
        if (page.status === 'QUEUED' || page.status === 'RUNNING') {
          await ctx.timer.sleep(wait, ctx.signal);
          wait = Math.min(5000, wait * 2);
          continue;
        }
        if (page.status !== 'FINISHED') {
          throw new AwsApiError(`Lake query ${started.queryId} ended ${page.status}${page.errorMessage ? `: ${page.errorMessage}` : ''}`, 'cloudtrail:GetQueryResults', region, `Query${page.status}`, undefined, 'fatal');
        }
        const rows: IngestRow[] = page.rows.map((row, i) => rowForLakeRow(row, i));
        const last = page.nextToken === undefined;
        if (last && gap) covered = addCovered(covered, gap[0], gap[1], ctx.now().getTime(), opts.overlapMs);
        const c = ctx.store.storePage(
          pageRow(ctx, `${LAKE_API} ${id}`, { region, QueryId: started.queryId, ...(token !== undefined ? { NextToken_sha256: sha256Hex(token) } : {}) }, page.raw, rows),
          last && gap
            ? { key, account: ctx.account, region: scope, api: LAKE_API, filters: canonicalJson(filters), covered: JSON.stringify(covered), run_id: ctx.runId, updated_at: ctx.now().toISOString() }
            : null,
        );
        tallyPage(res, page.raw.sha256, c);
        progress.update(`${scope}: ${res.events} new, ${res.duplicates} dup, ${res.pages} pages`);
        if (last) break;
        token = page.nextToken;
      }
    }
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) res.status = 'interrupted';
    else {
      res.status = 'failed';
      res.error = explainAwsError(err, ctx.endpoints.cloudtrail);
    }
  } finally {
    res.elapsed_ms = Math.round(ctx.timer.now() - started);
  }
  return res;
}

function pageRow(ctx: RunContext, locator: string, params: Record<string, unknown>, raw: RawPage, rows: IngestRow[]) {
  return {
    runId: ctx.runId,
    kind: 'api_page' as const,
    locator,
    params: { ...params, body_hash_of: raw.hashOf },
    sha256: raw.sha256,
    size: raw.size,
    status: 'ok' as const,
    records: rows.length,
    rows,
    receivedAt: ctx.now().toISOString(),
  };
}

/** A Lake row: its eventJson string is the raw record; a row without one goes to quarantine with the reason. */
function rowForLakeRow(row: Array<Record<string, string>>, index: number): IngestRow {
  let json: string | undefined;
  for (const cell of row) {
    for (const [k, v] of Object.entries(cell)) if (k.toLowerCase() === 'eventjson' && typeof v === 'string') json = v;
  }
  if (json === undefined) {
    const bytes = Buffer.from(JSON.stringify(row), 'utf8');
    return { kind: 'rejected', bytes, sha256: sha256Hex(bytes), index, offset: null, reason: `record ${index}: Lake row has no eventJson column (select eventJson to collect events)` };
  }
  const r = rowFromItem({ type: 'record', bytes: Buffer.from(json, 'utf8'), index, offset: 0 }, 'jsonl');
  return { ...r, offset: null };
}
