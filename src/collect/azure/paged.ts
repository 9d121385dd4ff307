/**
 * Time-window collection over an Azure list API that pages with a continuation link (ARM `nextLink`, Graph
 * `@odata.nextLink`): the Activity Log of a subscription, Entra sign-ins and directory audits of a tenant.
 *
 * Each page is one input (SHA-256 of the body as received); its `value[]` elements are cut out at the byte level and
 * stored verbatim through the Azure adapters. Checkpoints hold the ranges collected completely; the tail of the
 * window (`overlap`) is re-read on the next run because the services deliver late. These APIs answer newest first,
 * so after each page everything newer than its oldest record is known: the checkpoint advances page by page in the
 * page's transaction, and an expired continuation token resumes the query from the last time seen (the boundary
 * re-read and de-duplicated by record id). If a service ever answers out of order, progress is only recorded at the
 * end of a range (nothing is lost, a kill costs a re-read).
 */
import { RecordSplitter, type SplitItem } from '../../ingest/json-split.js';
import { rowFromItem } from '../../ingest/records.js';
import type { Progress } from '../../io/io-host.js';
import { loadCheckpoint } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import { addCovered, gapsIn, parseRanges, type Range } from '../checkpoints.js';
import { explainAzureError, isAzureAbort } from './errors.js';
import { AzureApiError } from './http.js';
import { newScopeResult, type AzureRunContext, type AzureScopeResult } from './run-context.js';
import { tallyPage } from '../custody-detail.js';

/** A list API queried by time. */
export interface PagedSource {
  /** Shown and recorded, e.g. `subscription 0000...`. */
  scope: string;
  /** Subscription or tenant id (checkpoint account). */
  account: string;
  /** e.g. `arm:activitylog`, `graph:auditLogs/signIns`. */
  api: string;
  /** Token audience. */
  audience: string;
  /** The first request of `[from, to]` (inclusive, epoch ms). */
  firstUrl(from: number, to: number): string;
  /** Name of the continuation link in a page. */
  nextKey: string;
  /** True when the error means the continuation token expired. */
  expired(err: AzureApiError): boolean;
  /** Pacing of the API (shared by every scope using the same limit). */
  bucket: { take(signal?: AbortSignal): Promise<void>; done?(): void };
  /** For messages: `the Activity Log of subscription X`. */
  what: string;
  /** Endpoint (for network messages). */
  endpoint: string;
  /**
   * The API promises no order (its records' times are not the filtered time): progress is recorded only when a range
   * is complete, and an expired token restarts the range.
   */
  unordered?: boolean | undefined;
  /**
   * A 403 saying the tenant lacks the licence the API needs is a note (status `absent`, exit 0), not a failure: the
   * API is collected by default where licensed.
   */
  licenceNote?: boolean | undefined;
}

/** Checkpoint key of a scope. */
export function azureCheckpointKey(account: string, api: string): string {
  return sha256Hex(canonicalJson({ account, scope: account, api, filters: {} }));
}

/** ISO time with milliseconds (what every Azure filter accepts). */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** Cut a list page into rows: each element of `value` verbatim, through the Azure adapters. */
export function rowsOfPage(body: Buffer): IngestRow[] {
  const split = new RecordSplitter({ kind: 'key', keys: ['value'] });
  const items: SplitItem[] = [];
  split.push(body, items);
  split.end(items);
  const rows: IngestRow[] = [];
  for (const it of items) if (it.type !== 'note') rows.push(rowFromItem(it, 'value'));
  return rows;
}

/** The continuation link of a page, if any. */
function nextLinkOf(body: Buffer, key: string): string | undefined {
  try {
    const v = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const n = v[key];
    return typeof n === 'string' && n !== '' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Collect `window` from one source. Never throws for Azure failures: they are in the result. */
export async function collectPaged(ctx: AzureRunContext, src: PagedSource, window: Range, overlapMs: number, progress: Progress): Promise<AzureScopeResult> {
  const started = ctx.timer.now();
  const res = newScopeResult(src.scope, src.api);
  const key = azureCheckpointKey(src.account, src.api);
  let covered = parseRanges(loadCheckpoint(ctx.db, key)?.covered ?? '[]');
  const gaps = gapsIn(window, covered).reverse(); // newest first: what a responder needs first
  const checkpoint = () => ({
    key,
    account: src.account,
    region: ctx.endpoints.cloud,
    api: src.api,
    filters: '{}',
    covered: JSON.stringify(covered),
    run_id: ctx.runId,
    updated_at: ctx.now().toISOString(),
  });
  try {
    for (const [from, gapTo] of gaps) {
      let to = gapTo;
      res.queried.push([iso(from), iso(to)]);
      let url: string | undefined = src.firstUrl(from, to);
      let oldest = Infinity;
      let ordered = src.unordered !== true;
      let prev = Infinity;
      while (url !== undefined) {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        let page;
        try {
          await src.bucket.take(ctx.signal);
          try {
            page = await ctx.http.call(src.audience, 'GET', url, undefined, res);
          } finally {
            src.bucket.done?.();
          }
        } catch (err) {
          // A continuation token that expired mid-export: query again from the last time seen (newest-first APIs).
          if (err instanceof AzureApiError && src.expired(err) && res.expired_tokens < 20) {
            res.expired_tokens++;
            if (ordered && Number.isFinite(oldest)) to = oldest;
            ctx.warn('IRCTL_COLLECT_W3101', `${src.what}: the continuation token expired; resuming from ${iso(to)}`);
            res.queried.push([iso(from), iso(to)]);
            url = src.firstUrl(from, to);
            oldest = Infinity;
            prev = Infinity;
            continue;
          }
          throw err;
        }
        const rows = rowsOfPage(page.body);
        for (const r of rows) {
          if (r.kind !== 'accepted') continue;
          const t = r.event.timeMs;
          if (t > prev) ordered = false;
          prev = t;
          oldest = Math.min(oldest, t);
        }
        const next = nextLinkOf(page.body, src.nextKey);
        const now = ctx.now().getTime();
        let advanced = false;
        if (next === undefined) {
          covered = addCovered(covered, from, gapTo, now, overlapMs);
          advanced = true;
        } else if (ordered && Number.isFinite(oldest) && oldest < gapTo) {
          covered = addCovered(covered, oldest + 1, gapTo, now, overlapMs);
          advanced = true;
        }
        const c = ctx.store.storePage(
          {
            runId: ctx.runId,
            kind: 'api_page',
            locator: `${src.api} ${src.account}`,
            params: { request: `GET ${url}`, status: page.status, ...(page.headers['x-ms-request-id'] !== undefined ? { request_id: page.headers['x-ms-request-id'] } : {}), ...(page.headers['request-id'] !== undefined ? { request_id: page.headers['request-id'] } : {}) },
            sha256: page.sha256,
            size: page.body.length,
            status: 'ok',
            records: rows.length,
            rows,
            receivedAt: ctx.now().toISOString(),
          },
          advanced ? checkpoint() : null,
        );
        tallyPage(res, page.sha256, c);
        const secs = Math.max(0.001, (ctx.timer.now() - started) / 1000);
        progress.update(`${src.scope}: ${res.events} new, ${res.duplicates} dup, ${res.pages} pages, ${((res.events + res.duplicates) / secs).toFixed(0)} records/s`);
        url = next;
      }
    }
  } catch (err) {
    if (isAzureAbort(err) || ctx.signal.aborted) {
      res.status = 'interrupted';
    } else if (src.licenceNote === true && isLicenceRefusal(err)) {
      res.status = 'absent';
      res.note = `${src.what} not collected: the tenant is not licensed for it (Microsoft Entra ID P2 is needed; ${(err as AzureApiError).code}: ${(err as AzureApiError).message.slice(0, 160)})`;
    } else {
      res.status = 'failed';
      res.error = explainAzureError(err, src.what, src.endpoint);
    }
  } finally {
    res.elapsed_ms = Math.round(ctx.timer.now() - started);
  }
  return res;
}

/** A 403 whose message says the tenant lacks a licence (`Your tenant is not licensed for this feature.`). */
export function isLicenceRefusal(err: unknown): boolean {
  return err instanceof AzureApiError && err.status === 403 && /licen[cs]|premium|\bP2\b/i.test(`${err.code} ${err.message}`);
}

/**
 * At most `limit` requests in any `periodMs` (Graph's audit-log limit is stated that way: 5 per 10 s per app and
 * tenant). A token bucket with a burst would allow limit + 1 in some windows; this waits until the oldest of the last
 * `limit` requests has left the window.
 */
export class SlidingWindow {
  private readonly stamps: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly limit: number;
  private readonly periodMs: number;
  private readonly timer: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };
  constructor(limit: number, periodMs: number, timer: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> }) {
    this.limit = limit;
    this.periodMs = periodMs;
    this.timer = timer;
  }

  take(signal?: AbortSignal): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.stamps.length >= this.limit) {
        const oldest = this.stamps[this.stamps.length - this.limit] ?? 0;
        // A small margin: the service's clock and network delay are not ours.
        const wait = oldest + this.periodMs + 25 - this.timer.now();
        if (wait > 0) await this.timer.sleep(wait, signal);
      }
      this.stamps.push(this.timer.now());
      if (this.stamps.length > this.limit) this.stamps.splice(0, this.stamps.length - this.limit);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The request taken last has been answered: count it from now (the service counts it from its arrival, which a
   * slow first request, waiting for its token, can put well after `take`). Calls on one window are sequential.
   */
  done(): void {
    if (this.stamps.length > 0) this.stamps[this.stamps.length - 1] = this.timer.now();
  }
}
