/**
 * `irctl collect okta`: the run. Reads the Okta System Log (`GET /api/v1/logs`, oldest first) for the window's
 * gaps not yet collected, follows `Link: rel="next"` pages, paces itself by `X-Rate-Limit-Remaining` /
 * `X-Rate-Limit-Reset`, waits out 429s, stores each page (its exact bytes hashed; each event's raw record is its byte
 * slice of the page) together with the checkpoint it advances, and records `collect.start` / `collect.end` in the
 * custody log. The credential (an API token, or an OAuth service app's key: auth.ts) comes from the environment
 * only and is never stored. What was collected before a failure or
 * Ctrl-C stays in the case; the checkpoint makes the next run resume.
 */
import { randomUUID } from 'node:crypto';
import type { CaseHandle } from '../../case/case.js';
import { SourceAccessError, UsageError } from '../../errors.js';
import { rowFromItem } from '../../ingest/records.js';
import { RecordSplitter, type SplitItem } from '../../ingest/json-split.js';
import type { IoHost } from '../../io/io-host.js';
import { oktaSystemLog } from '../../sources/okta/system-log.js';
import { CollectStore, loadCheckpoint } from '../../store/collect-repo.js';
import { appendCustody, type ChainHead } from '../../store/custody.js';
import { indexEntities, type IngestRow } from '../../store/ingest-repo.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import { addCovered, gapsIn, parseRanges } from '../checkpoints.js';
import { AbortedError, backoffMs, runPacing, type CollectRunDeps } from '../rate-limit.js';
import { parseDuration, resolveWindow } from '../window.js';
import { explainTokenError, oktaAuthFromEnv, OktaTokenError } from './auth.js';
import { explainOktaError, fetchPage, OktaApiError, orgBaseUrl, type OktaPage } from './client.js';
import { pageHashesDetail } from '../custody-detail.js';

/** API name used in locators, checkpoints and custody. */
export const OKTA_LOGS_API = 'okta:/api/v1/logs';
/** Largest page the System Log API serves. */
export const OKTA_PAGE_LIMIT = 1000;
/** The System Log keeps events this long. */
export const OKTA_RETENTION_MS = 90 * 86_400_000;
/** Longest wait for a rate-limit reset (Okta's windows are one minute). */
const MAX_RESET_WAIT_MS = 120_000;

/** What to collect. */
export interface CollectOktaOptions {
  /** `--org`: the org URL or host. */
  org: string;
  /** `--since`. @default '24h' */
  since: string;
  /** `--until`. @default now */
  until?: string | undefined;
  /** `--overlap` re-scanned next run (events reach the System Log a little late). @default '5m' */
  overlap: string;
  /** Retries per page after 429, 5xx or network errors. @default 8 */
  maxRetries: number;
}

/** Injection points (tests). */
export type CollectOktaDeps = CollectRunDeps;

/** Summary printed at the end (`--json` prints it as one line). */
export interface CollectOktaSummary {
  run_id: string;
  api: string;
  /** The org as collected from (its https origin). */
  org: string;
  window: { since: string; until: string };
  status: 'ok' | 'failed' | 'interrupted';
  events: number;
  duplicates: number;
  quarantined: number;
  /** Events kept apart under a derived id: their uuid was already stored for an event they disagree with (exit 6). */
  conflicts: number;
  pages: number;
  /** Waits after 429 answers. */
  throttled: number;
  /** Waits because `X-Rate-Limit-Remaining` ran low. */
  paced: number;
  /** Retries after 5xx / network errors. */
  retried: number;
  /** Gaps queried this run (ranges not covered by earlier runs). */
  queried: Array<[string, string]>;
  interrupted: boolean;
  error?: { message: string; hint: string } | undefined;
  elapsed_ms: number;
  custody_head: ChainHead;
}

/** Checkpoint key of an org's System Log. */
function checkpointKey(org: string): string {
  return sha256Hex(canonicalJson({ account: org, scope: 'logs', api: OKTA_LOGS_API, filters: {} }));
}

/** Split a page body into rows (each event's raw record is its exact byte slice of the body). */
export function rowsOfPage(body: Buffer): { rows: IngestRow[]; latestMs: number | undefined } {
  const splitter = new RecordSplitter({ kind: 'array' });
  const items: SplitItem[] = [];
  splitter.push(body, items);
  splitter.end(items);
  const rows: IngestRow[] = [];
  let latestMs: number | undefined;
  for (const it of items) {
    if (it.type === 'note') continue;
    const row = rowFromItem(it, 'array', [oktaSystemLog]);
    if (row.kind === 'accepted') latestMs = Math.max(latestMs ?? -Infinity, row.event.timeMs);
    rows.push(row);
  }
  return { rows, latestMs };
}

/** Run a collection into an open case. */
export async function collectOkta(kase: CaseHandle, opts: CollectOktaOptions, io: IoHost, deps: CollectOktaDeps): Promise<CollectOktaSummary> {
  const now = deps.now;
  const org = orgBaseUrl(opts.org);
  const override = deps.env.IRCTL_OKTA_ENDPOINT;
  let base = org;
  if (override !== undefined && override !== '') {
    try {
      base = new URL(override).origin;
    } catch {
      throw new UsageError(`IRCTL_OKTA_ENDPOINT ${JSON.stringify(override)} is not a URL`, { hint: 'e.g. IRCTL_OKTA_ENDPOINT=http://127.0.0.1:8080 (tests and proxies only)' });
    }
  }
  const auth = oktaAuthFromEnv(org, base, { env: deps.env, nowMs: () => now().getTime() });
  const window = resolveWindow(opts.since, opts.until, now(), 's3');
  const overlapMs = parseDuration(opts.overlap, '--overlap');
  if (window[0] < now().getTime() - OKTA_RETENTION_MS) {
    io.notify({ level: 'warn', code: 'IRCTL_COLLECT_W3001', message: `--since ${new Date(window[0]).toISOString()} is more than 90 days ago: the Okta System Log keeps 90 days, earlier events come only from an export (irctl import)` });
  }
  const { timer, random, retryBaseMs } = runPacing(deps, 500);
  const runId = randomUUID();
  const db = kase.db;
  const windowIso = { since: new Date(window[0]).toISOString(), until: new Date(window[1]).toISOString() };
  const source = `okta ${org} System Log`;
  db.transaction(() =>
    appendCustody(
      db,
      {
        action: 'collect.start',
        run_id: runId,
        details: {
          source,
          api: OKTA_LOGS_API,
          org,
          window: windowIso,
          // Where the token came from, never the token.
          parameters: { overlap_ms: overlapMs, page_limit: OKTA_PAGE_LIMIT, sort_order: 'ASCENDING', token_from: auth.from, ...(auth.clientId !== undefined ? { client_id: auth.clientId } : {}), endpoint_override: base !== org ? base : null },
        },
      },
      kase.provenance,
      now(),
    ),
  )();

  const store = new CollectStore(db);
  const key = checkpointKey(org);
  let covered = parseRanges(loadCheckpoint(db, key)?.covered ?? '[]');
  const started = timer.now();
  const res = { status: 'ok' as CollectOktaSummary['status'], events: 0, duplicates: 0, quarantined: 0, conflicts: 0, pages: 0, throttled: 0, paced: 0, retried: 0 };
  const queried: Array<[string, string]> = [];
  const pageHashes: string[] = [];
  let error: SourceAccessError | undefined;
  const progress = io.progress(`collecting the Okta System Log of ${org}`);
  const debug = (message: string): void => io.notify({ level: 'debug', code: 'IRCTL_COLLECT_D0001', message });

  /** Fetch one URL with 429 / 5xx / network retries. */
  const get = async (url: string): Promise<OktaPage> => {
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetchPage(url, auth, deps.signal, () => Date.now());
      } catch (err) {
        if (deps.signal.aborted) throw new AbortedError();
        // An OAuth access token can expire or be revoked mid-run: get a fresh one once per page.
        if (err instanceof OktaApiError && err.status === 401 && !refreshed && auth.invalidate()) {
          refreshed = true;
          debug(`${err.message} from the System Log API: getting a new access token`);
          continue;
        }
        if (!(err instanceof OktaApiError) || err.retryClass === 'fatal' || attempt >= opts.maxRetries) throw err;
        let wait: number;
        if (err.retryClass === 'throttle') {
          res.throttled++;
          // Okta says when the window resets; without the header, back off like any throttled API.
          wait = err.resetInMs !== undefined ? Math.min(MAX_RESET_WAIT_MS, err.resetInMs + 250) : backoffMs(attempt, random, retryBaseMs * 2);
        } else {
          res.retried++;
          wait = backoffMs(attempt, random, retryBaseMs);
        }
        debug(`${err.message} from the System Log API, retrying in ${wait} ms`);
        await timer.sleep(wait, deps.signal);
      }
    }
  };

  try {
    for (const [from, to] of gapsIn(window, covered)) {
      queried.push([new Date(from).toISOString(), new Date(to).toISOString()]);
      const q = new URLSearchParams({ since: new Date(from).toISOString(), until: new Date(to).toISOString(), limit: String(OKTA_PAGE_LIMIT), sortOrder: 'ASCENDING' });
      let url: string | undefined = `${base}/api/v1/logs?${q.toString()}`;
      while (url !== undefined) {
        if (deps.signal.aborted) throw new AbortedError();
        const page = await get(url);
        const { rows, latestMs } = rowsOfPage(page.body);
        const records = rows.length;
        let next = page.next;
        // The Link header is followed only to the org it came from: the token must not go anywhere else.
        if (next !== undefined && new URL(next, base).origin !== base) {
          throw new OktaApiError(`the System Log API sent a next link to another host (${new URL(next, base).origin})`, { status: 0 });
        }
        // An empty page ends the gap (Okta sends `next` on every page of a polling query), as does an event at or
        // past `until` or a next link that points back at this page.
        const done = next === undefined || records === 0 || (latestMs !== undefined && latestMs >= to) || next === url;
        if (done) next = undefined;
        const collectedAt = now().getTime();
        if (done) covered = addCovered(covered, from, to, collectedAt, overlapMs);
        else if (latestMs !== undefined) covered = addCovered(covered, from, latestMs, collectedAt, overlapMs);
        const pageSha = sha256Hex(page.body);
        const u = new URL(url, base);
        const c = store.storePage(
          {
            runId,
            kind: 'api_page',
            locator: `${OKTA_LOGS_API} ${org}`,
            params: { org, path: u.pathname, query: Object.fromEntries(u.searchParams), rate_limit_remaining: page.remaining ?? null },
            sha256: pageSha,
            size: page.body.length,
            status: 'ok',
            records,
            rows,
            receivedAt: now().toISOString(),
          },
          { key, account: org, region: 'logs', api: OKTA_LOGS_API, filters: '{}', covered: JSON.stringify(covered), run_id: runId, updated_at: now().toISOString() },
        );
        res.pages++;
        pageHashes.push(pageSha);
        res.events += c.events;
        res.duplicates += c.duplicates;
        res.quarantined += c.quarantined;
        res.conflicts += c.conflicts;
        const secs = Math.max(0.001, (timer.now() - started) / 1000);
        progress.update(`okta ${org}: ${res.events} new, ${res.duplicates} dup, ${res.pages} pages, ${((res.events + res.duplicates) / secs).toFixed(0)} events/s`);
        url = next;
        // Pacing: leave a tenth of the limit to the org's other integrations; wait for the reset when it runs low.
        if (url !== undefined && page.remaining !== undefined && page.remaining <= Math.max(1, Math.floor((page.limit ?? 0) / 10)) && page.resetInMs !== undefined) {
          res.paced++;
          const wait = Math.min(MAX_RESET_WAIT_MS, page.resetInMs + 250);
          debug(`X-Rate-Limit-Remaining ${page.remaining}: waiting ${wait} ms for the rate-limit window to reset`);
          await timer.sleep(wait, deps.signal);
        }
      }
    }
  } catch (err) {
    if (err instanceof AbortedError || deps.signal.aborted || (err instanceof Error && err.name === 'AbortError')) res.status = 'interrupted';
    else {
      res.status = 'failed';
      error = err instanceof OktaTokenError ? explainTokenError(err, org, auth) : explainOktaError(err, org, auth.from);
    }
  } finally {
    progress.stop();
  }

  indexEntities(db);
  const interrupted = res.status === 'interrupted';
  const elapsed = Math.round(timer.now() - started);
  const counts = { window: windowIso, ...res, interrupted, queried };
  const hashes = pageHashesDetail(pageHashes);
  const details = { source, api: OKTA_LOGS_API, org, ...counts, ...hashes, ...(error ? { error: error.message } : {}) };
  const commitment = store.commitment.digest();
  const head = db.transaction(() => appendCustody(db, { action: 'collect.end', run_id: runId, details: { ...details, commitment } }, kase.provenance, now()))();
  return {
    run_id: runId,
    api: OKTA_LOGS_API,
    org,
    ...counts,
    error: error ? { message: error.message, hint: error.hint ?? '' } : undefined,
    elapsed_ms: elapsed,
    custody_head: head,
  };
}

/** Exit decision (pure): the error to throw, or the exit code. */
export function oktaOutcome(s: CollectOktaSummary): { error?: SourceAccessError; code: number } {
  if (s.interrupted) return { code: 130 };
  if (s.status === 'failed') return { code: 4, error: new SourceAccessError(s.error?.message ?? 'collection failed', { hint: s.error?.hint ?? 'Run again with --debug.' }) };
  if (s.quarantined > 0 || s.conflicts > 0) return { code: 6 };
  return { code: 0 };
}

