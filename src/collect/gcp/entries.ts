/**
 * Cloud Logging `entries.list` for one slice (up to 100 resource names): paced below the read quota, retried with
 * backoff on RESOURCE_EXHAUSTED / 429 / 5xx, stored page by page (each page an input with the SHA-256 of its body as
 * received, each entry its byte slice of that body), checkpointed as it goes. Entries come oldest first
 * (`orderBy: timestamp asc`), so after each page everything before its last entry's timestamp is collected: the
 * checkpoint advances with the page, in the same transaction. Page tokens are bound to the request and expire (24
 * hours): a refused token restarts the query from the last stored timestamp; entries at that timestamp are read
 * again and de-duplicated by their identity (insertId + logName).
 */
import { rowFromItem } from '../../ingest/records.js';
import type { Progress } from '../../io/io-host.js';
import { loadCheckpoint } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import { addCovered, gapsIn, parseRanges, type Range } from '../checkpoints.js';
import { withRetries } from '../rate-limit.js';
import { explainGcpError, isGcpAbort, type GcpExplained } from './errors.js';
import { buildFilter, MAX_PAGE_SIZE, parsePage, type AuditLogKind } from './filter.js';
import { GcpApiError, type ListEntriesRequest } from './ports.js';
import type { GcpRunContext } from './run-context.js';
import { tallyPage } from '../custody-detail.js';

/** API name used in locators, checkpoints and custody. */
export const ENTRIES_API = 'logging:entries.list';

/** Options of one slice. */
export interface EntriesOptions {
  /** Closed window in epoch ms. */
  window: Range;
  kinds: readonly AuditLogKind[];
  /** `--filter` clause. */
  extraFilter?: string | undefined;
  /** Late-delivery overlap re-scanned on the next run. */
  overlapMs: number;
  /** Page size asked for. @default 1000 */
  pageSize?: number;
}

/** Where a stopped slice resumes: the last stored entry. */
export interface ResumePoint {
  timestamp: string;
  insertId: string | null;
}

/** Outcome of one slice. */
export interface SliceResult {
  /** The resource names of the slice, comma-separated. */
  scope: string;
  resource_names: string[];
  status: 'ok' | 'failed' | 'interrupted';
  events: number;
  duplicates: number;
  quarantined: number;
  pages: number;
  /** Retries after RESOURCE_EXHAUSTED / 429. */
  throttled: number;
  /** Retries after 5xx / network errors. */
  retried: number;
  /** Queries restarted from the checkpoint because a page token was refused (expired). */
  token_restarts: number;
  /** Entries received per audit log kind (new and duplicate). */
  by_log: Partial<Record<AuditLogKind, number>>;
  /** Ranges queried this run. */
  queried: Array<[string, string]>;
  page_hashes: string[];
  /** Last stored entry: where the next run resumes (with the overlap). */
  resume_point: ResumePoint | null;
  elapsed_ms: number;
  error?: GcpExplained;
}

/** Checkpoint key of a slice. */
export function sliceKey(names: readonly string[], kinds: readonly AuditLogKind[], extraFilter: string | undefined): { key: string; filters: Record<string, unknown> } {
  const filters = { logs: [...kinds].sort(), filter: extraFilter ?? null };
  return { key: sha256Hex(canonicalJson({ scope: [...names].sort(), api: ENTRIES_API, filters })), filters };
}

/** A refused page token (expired, or no longer matching): the query restarts without it. */
function isTokenRefused(err: unknown, hadToken: boolean): boolean {
  return hadToken && err instanceof GcpApiError && err.status === 'INVALID_ARGUMENT' && /page.?token/i.test(err.message);
}

/** Collect one slice. Never throws for API failures: they are reported in the result. */
export async function collectEntriesSlice(ctx: GcpRunContext, names: string[], opts: EntriesOptions, progress: Progress): Promise<SliceResult> {
  const started = ctx.timer.now();
  const scope = names.join(',');
  const res: SliceResult = {
    scope,
    resource_names: names,
    status: 'ok',
    events: 0,
    duplicates: 0,
    quarantined: 0,
    pages: 0,
    throttled: 0,
    retried: 0,
    token_restarts: 0,
    by_log: {},
    queried: [],
    page_hashes: [],
    resume_point: null,
    elapsed_ms: 0,
  };
  const { key, filters } = sliceKey(names, opts.kinds, opts.extraFilter);
  let covered = parseRanges(loadCheckpoint(ctx.db, key)?.covered ?? '[]');
  const gaps = gapsIn(opts.window, covered); // oldest first: entries come in ascending time
  const label = names.length === 1 ? (names[0] ?? '') : `${names[0] ?? ''} +${names.length - 1}`;
  const show = (): void => {
    const secs = Math.max(0.001, (ctx.timer.now() - started) / 1000);
    progress.update(`${label}: ${res.events} new, ${res.duplicates} dup, ${res.pages} pages, ${((res.events + res.duplicates) / secs).toFixed(0)} entries/s${res.throttled > 0 ? `, ${res.throttled} quota waits` : ''}`);
  };
  try {
    for (const [from, to] of gaps) {
      res.queried.push([new Date(from).toISOString(), new Date(to).toISOString()]);
      // The start of the current query (a page token is bound to it), and where a restart would begin: the last
      // stored timestamp. The query moves there only when a page token is refused.
      let queryFrom = from;
      let restartFrom = from;
      let pageToken: string | undefined;
      let restartsWithoutProgress = 0;
      for (;;) {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const request: ListEntriesRequest = {
          resourceNames: names,
          filter: buildFilter(opts.kinds, queryFrom, to, opts.extraFilter),
          orderBy: 'timestamp asc',
          pageSize: opts.pageSize ?? MAX_PAGE_SIZE,
          ...(pageToken !== undefined ? { pageToken } : {}),
        };
        let page;
        try {
          page = await withRetries(
            async () => {
              await ctx.bucket.take(ctx.signal);
              return ctx.ports.listEntries(request, ctx.signal);
            },
            {
              classify: (e) => (e instanceof GcpApiError ? e.retryClass : 'fatal'),
              maxRetries: ctx.maxRetries,
              timer: ctx.timer,
              random: ctx.random,
              baseMs: ctx.retryBaseMs,
              signal: ctx.signal,
              onRetry: ({ kind, delayMs, error }) => {
                if (kind === 'throttle') res.throttled++;
                else res.retried++;
                ctx.debug(`${label}: ${error instanceof GcpApiError ? error.status : 'error'} on entries.list, retrying in ${delayMs} ms`);
              },
            },
          );
        } catch (err) {
          if (!isTokenRefused(err, pageToken !== undefined)) throw err;
          // Page tokens live 24 hours and are bound to their request: continue from the last stored entry.
          res.token_restarts++;
          if (++restartsWithoutProgress > 2) throw err;
          ctx.warn('IRCTL_COLLECT_W3101', `${label}: the page token was refused (${err instanceof Error ? err.message : String(err)}); continuing from ${res.resume_point?.timestamp ?? new Date(restartFrom).toISOString()}`);
          pageToken = undefined;
          queryFrom = restartFrom;
          continue;
        }
        let parsed;
        try {
          parsed = parsePage(page.body);
        } catch (err) {
          // Not an entries.list response (a proxy's page, a truncated body): kept in quarantine as received.
          const reason = err instanceof Error ? err.message : String(err);
          ctx.store.storePage({
            runId: ctx.runId,
            kind: 'api_page',
            locator: `${ENTRIES_API} ${scope}`,
            params: { resourceNames: names, filter: request.filter, body_hash_of: 'body' },
            sha256: page.sha256,
            size: page.body.length,
            status: 'failed',
            records: 1,
            rows: [{ kind: 'rejected', bytes: page.body, sha256: page.sha256, index: null, offset: 0, reason }],
            receivedAt: ctx.now().toISOString(),
          });
          res.quarantined++;
          res.page_hashes.push(page.sha256);
          throw new GcpApiError(reason, 'logging.entries.list', 'BAD_RESPONSE', undefined, 'fatal', { cause: err });
        }
        const rows: IngestRow[] = [];
        let last: { ms: number; timestamp: string; insertId: string | undefined } | undefined;
        for (const e of parsed.entries) {
          rows.push(rowFromItem(e.item, 'entries'));
          if (e.kind !== undefined) res.by_log[e.kind] = (res.by_log[e.kind] ?? 0) + 1;
          if (e.timeMs !== undefined && e.timestamp !== undefined && (last === undefined || e.timeMs >= last.ms)) last = { ms: e.timeMs, timestamp: e.timestamp, insertId: e.insertId };
        }
        const nowMs = ctx.now().getTime();
        if (parsed.nextPageToken === undefined) covered = addCovered(covered, from, to, nowMs, opts.overlapMs);
        // Entries of the last timestamp may continue on the next page: trust up to just before it.
        else if (last !== undefined && last.ms - 1 >= from) covered = addCovered(covered, from, last.ms - 1, nowMs, opts.overlapMs);
        const c = ctx.store.storePage(
          {
            runId: ctx.runId,
            kind: 'api_page',
            locator: `${ENTRIES_API} ${scope}`,
            params: {
              resourceNames: names,
              filter: request.filter,
              orderBy: request.orderBy,
              pageSize: request.pageSize,
              ...(pageToken !== undefined ? { pageToken_sha256: sha256Hex(pageToken) } : {}),
              ...(last !== undefined ? { last_timestamp: last.timestamp, last_insert_id: last.insertId ?? null } : {}),
              body_hash_of: 'body',
            },
            sha256: page.sha256,
            size: page.body.length,
            status: 'ok',
            records: rows.length,
            rows,
            receivedAt: ctx.now().toISOString(),
          },
          {
            key,
            account: ctx.caller,
            region: scope,
            api: ENTRIES_API,
            filters: canonicalJson(filters),
            covered: JSON.stringify(covered),
            run_id: ctx.runId,
            updated_at: ctx.now().toISOString(),
          },
        );
        tallyPage(res, page.sha256, c);
        if (last !== undefined) {
          res.resume_point = { timestamp: last.timestamp, insertId: last.insertId ?? null };
          if (last.ms > restartFrom) restartsWithoutProgress = 0;
          restartFrom = Math.max(restartFrom, last.ms);
        }
        show();
        if (parsed.nextPageToken === undefined) break;
        pageToken = parsed.nextPageToken;
      }
    }
  } catch (err) {
    if (isGcpAbort(err) || ctx.signal.aborted) {
      res.status = 'interrupted';
    } else {
      res.status = 'failed';
      res.error = explainGcpError(err, scope, ctx.ports.endpoints.logging);
    }
  } finally {
    res.elapsed_ms = Math.round(ctx.timer.now() - started);
  }
  return res;
}
