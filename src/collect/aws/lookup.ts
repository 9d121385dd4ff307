/**
 * CloudTrail LookupEvents collection for one region: paced by a token bucket, retried with jittered backoff,
 * stored page by page (each page an input row with the SHA-256 of its body as received), and checkpointed so that
 * a re-run resumes. Events arrive newest first; after each page everything newer than the page's oldest event is
 * known to be collected, so the checkpoint advances page by page in the same transaction as the page's evidence.
 */
import { rowFromItem } from '../../ingest/records.js';
import type { Progress } from '../../io/io-host.js';
import { loadCheckpoint } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import { addCovered, gapsIn, parseRanges, type Range } from '../checkpoints.js';
import { explainAwsError, isAbort, type FailureKind } from './errors.js';
import { filterObject, passesClientFilters, serverAttribute, type CollectFilters } from './filters.js';
import type { LookupEvent } from './ports.js';
import { TokenBucket } from '../rate-limit.js';
import { pacedCall, type RunContext } from './run-context.js';
import { tallyPage } from '../custody-detail.js';

/** API name used in locators, checkpoints and custody. */
export const LOOKUP_API = 'cloudtrail:LookupEvents';
/** LookupEvents' maximum page size. */
export const LOOKUP_PAGE_SIZE = 50;

/** Options of a LookupEvents collection. */
export interface LookupOptions {
  /** Closed window in epoch ms. */
  window: Range;
  filters: CollectFilters;
  /** Late-delivery overlap re-scanned on the next run. */
  overlapMs: number;
  /** Requests per second per region. @default 2 */
  ratePerSec: number;
  /** Retries per call. */
  maxRetries: number;
}

/** Outcome of one region. */
export interface RegionResult {
  region: string;
  status: 'ok' | 'failed' | 'interrupted';
  /** New events stored. */
  events: number;
  /** Events already in the case (overlap, earlier runs, S3 imports). */
  duplicates: number;
  /** Events dropped by client-side filters. */
  filtered_out: number;
  /** Records quarantined. */
  quarantined: number;
  pages: number;
  /** Retries after throttling. */
  throttled: number;
  /** Retries after 5xx / network errors. */
  retried: number;
  /** Ranges that were queried this run (epoch ms), newest first. */
  queried: Array<[string, string]>;
  /** SHA-256 of each page body, in order. */
  page_hashes: string[];
  elapsed_ms: number;
  error?: { kind: FailureKind; message: string; hint: string };
}

/** Checkpoint key for a source. */
export function checkpointKey(account: string, scope: string, api: string, filters: Record<string, unknown>): string {
  return sha256Hex(canonicalJson({ account, scope, api, filters }));
}

/** Collect one region. Never throws for AWS failures: they are reported in the result. */
export async function collectLookupRegion(ctx: RunContext, region: string, opts: LookupOptions, progress: Progress): Promise<RegionResult> {
  const started = ctx.timer.now();
  const res: RegionResult = {
    region,
    status: 'ok',
    events: 0,
    duplicates: 0,
    filtered_out: 0,
    quarantined: 0,
    pages: 0,
    throttled: 0,
    retried: 0,
    queried: [],
    page_hashes: [],
    elapsed_ms: 0,
  };
  const filters = filterObject(opts.filters);
  const key = checkpointKey(ctx.account, region, LOOKUP_API, filters);
  let covered = parseRanges(loadCheckpoint(ctx.db, key)?.covered ?? '[]');
  const gaps = gapsIn(opts.window, covered).reverse(); // newest first: what a responder needs first
  const bucket = new TokenBucket(opts.ratePerSec, 1, ctx.timer);
  const attribute = serverAttribute(opts.filters);
  const show = (): void => {
    const secs = Math.max(0.001, (ctx.timer.now() - started) / 1000);
    progress.update(`${region}: ${res.events} new, ${res.duplicates} dup, ${res.pages} pages, ${((res.events + res.duplicates) / secs).toFixed(0)} events/s`);
  };
  try {
    for (const [from, to] of gaps) {
      res.queried.push([new Date(from).toISOString(), new Date(to).toISOString()]);
      let nextToken: string | undefined;
      let oldest = Infinity;
      for (;;) {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const request = { startTime: new Date(from), endTime: new Date(to), attribute, nextToken, maxResults: LOOKUP_PAGE_SIZE };
        const page = await pacedCall(ctx, res, bucket, opts.maxRetries, { scope: region, operation: 'LookupEvents' }, () =>
          ctx.ports.cloudtrail.lookupEvents(region, request, ctx.signal),
        );
        const rows: IngestRow[] = [];
        page.events.forEach((e, i) => {
          if (e.eventTime !== undefined) oldest = Math.min(oldest, e.eventTime.getTime());
          const row = rowForEvent(e, i, opts.filters);
          if (row === 'filtered') res.filtered_out++;
          else rows.push(row);
        });
        const now = ctx.now().getTime();
        if (page.nextToken === undefined) covered = addCovered(covered, from, to, now, opts.overlapMs);
        else if (Number.isFinite(oldest)) covered = addCovered(covered, Math.min(oldest + 1, to), to, now, opts.overlapMs);
        const c = ctx.store.storePage(
          {
            runId: ctx.runId,
            kind: 'api_page',
            locator: `${LOOKUP_API} ${region}`,
            params: {
              region,
              StartTime: request.startTime.toISOString(),
              EndTime: request.endTime.toISOString(),
              MaxResults: LOOKUP_PAGE_SIZE,
              ...(attribute ? { LookupAttributes: [{ AttributeKey: attribute.key, AttributeValue: attribute.value }] } : {}),
              ...(nextToken !== undefined ? { NextToken_sha256: sha256Hex(nextToken) } : {}),
              client_filters: filters,
              body_hash_of: page.raw.hashOf,
            },
            sha256: page.raw.sha256,
            size: page.raw.size,
            status: 'ok',
            records: page.events.length,
            rows,
            receivedAt: ctx.now().toISOString(),
          },
          {
            key,
            account: ctx.account,
            region,
            api: LOOKUP_API,
            filters: canonicalJson(filters),
            covered: JSON.stringify(covered),
            run_id: ctx.runId,
            updated_at: ctx.now().toISOString(),
          },
        );
        tallyPage(res, page.raw.sha256, c);
        show();
        if (page.nextToken === undefined) break;
        nextToken = page.nextToken;
      }
    }
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) {
      res.status = 'interrupted';
    } else {
      res.status = 'failed';
      res.error = explainAwsError(err, ctx.endpoints.cloudtrail);
    }
  } finally {
    res.elapsed_ms = Math.round(ctx.timer.now() - started);
  }
  return res;
}

/** The stored row of one LookupEvents event: its CloudTrailEvent string, normalized like an imported record. */
function rowForEvent(e: LookupEvent, index: number, f: CollectFilters): IngestRow | 'filtered' {
  if (!passesClientFilters(e, f)) return 'filtered';
  if (e.cloudTrailEvent === undefined) {
    const bytes = Buffer.from(JSON.stringify({ EventId: e.eventId, EventName: e.eventName }), 'utf8');
    return { kind: 'rejected', bytes, sha256: sha256Hex(bytes), index, offset: null, reason: `record ${index}: LookupEvents event ${e.eventId ?? '?'} has no CloudTrailEvent string` };
  }
  const row = rowFromItem({ type: 'record', bytes: Buffer.from(e.cloudTrailEvent, 'utf8'), index, offset: 0 }, 'jsonl');
  return { ...row, offset: null };
}
