/**
 * `--workspace`: Log Analytics tables through `@azure/monitor-query-logs` (LogsQueryClient), the maintained successor
 * of `@azure/monitor-query`. The only import of that package.
 *
 * Per workspace and table, the gaps of the window (checkpoints, re-reading `overlap` for ingestion delay) are cut
 * into slices; each slice is one query whose response is stored as an input (SHA-256 of the body as received; the
 * body is captured beneath the SDK, so the bytes are the service's, not a re-serialization) and whose rows become
 * records through the JSON-tables import. A `PartialFailure` answer (row or size cap) or a too-large / timed-out
 * query halves the slice and runs both halves again (the partial answer is kept as a partial input: it is what the
 * service said). At most 5 queries run at once; 429 waits for `Retry-After`. A table the workspace does not have is a
 * note when it was a default table, a failure when it was named in `--tables`.
 */
import { randomUUID } from 'node:crypto';
import type { TlsSettings } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/core-auth';
import type { LogsQueryClient } from '@azure/monitor-query-logs';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { rowsOfTableResponse } from '../../ingest/records.js';
import type { Progress } from '../../io/io-host.js';
import { loadCheckpoint } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { sha256Hex } from '../../util/hash.js';
import { addCovered, gapsIn, parseRanges, type Range } from '../checkpoints.js';
import { backoffMs } from '../rate-limit.js';
import { explainAzureError, isAzureAbort } from './errors.js';
import { AzureApiError, errorOfBody, retryAfterMs } from './http.js';
import { azureCheckpointKey, iso } from './paged.js';
import { newScopeResult, type AzureRunContext, type AzureScopeResult } from './run-context.js';

/** Tables collected when `--tables` is not given: the ones irctl normalizes. */
export const DEFAULT_TABLES = ['AzureActivity', 'SigninLogs', 'AADNonInteractiveUserSignInLogs', 'AADServicePrincipalSignInLogs', 'AADManagedIdentitySignInLogs', 'AuditLogs'] as const;
/** Tables `--tables` also knows (stored; their rows are kept in quarantine until irctl normalizes them). */
export const OTHER_TABLES = ['MicrosoftGraphActivityLogs', 'AzureDiagnostics', 'StorageBlobLogs'] as const;
/** At most this many queries at once (the service allows 5 concurrent queries per user). */
export const MAX_CONCURRENT_QUERIES = 5;
/** The longest first slice. */
export const DEFAULT_SLICE_MS = 86_400_000;
/** Slices are not split below this. */
export const MIN_SLICE_MS = 1000;
/** Server-side timeout asked for (the service's maximum is 10 minutes). */
export const SERVER_TIMEOUT_S = 600;

/** A table name as KQL accepts it (letters, digits, underscore: nothing to inject). */
export function checkTableName(t: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(t);
}

/** Options of a workspace collection. */
export interface LogsOptions {
  workspaces: string[];
  tables: string[];
  /** True when the tables were named by `--tables` (absent ones fail). */
  named: boolean;
  window: Range;
  overlapMs: number;
  sliceMs: number;
  credential: TokenCredential;
  tlsOptions: TlsSettings | undefined;
  maxRetries: number;
  retryBaseMs: number;
  random: () => number;
}

/** One query's answer as received. */
interface QueryAnswer {
  status: 'Success' | 'PartialFailure';
  body: Buffer;
  sha256: string;
  /** The partial error's code and message, for PartialFailure. */
  partial?: string | undefined;
}

/** Marks a request so its captured body can be found (the SDK's request objects are not the caller's). */
const CAPTURE_HEADER = 'x-irctl-capture-id';

type Capture = Map<string, { status: number; headers: Record<string, string>; body: Buffer }>;

/** An HTTP client that keeps the bytes of each response (by client request id) before the SDK parses them. */
async function capturingClient(capture: Capture): Promise<HttpClient> {
  const core = await import('@azure/core-rest-pipeline');
  const inner = core.createDefaultHttpClient();
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      request.streamResponseStatusCodes = new Set(Array.from({ length: 500 }, (_, i) => i + 100));
      const res = await inner.sendRequest(request);
      const parts: Buffer[] = [];
      if (res.readableStreamBody) for await (const c of res.readableStreamBody) parts.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));
      const body = Buffer.concat(parts);
      const headers: Record<string, string> = {};
      for (const [k, v] of res.headers) headers[k.toLowerCase()] = v;
      capture.set(request.headers.get(CAPTURE_HEADER) ?? request.requestId, { status: res.status, headers, body });
      const { readableStreamBody: _consumed, ...rest } = res;
      return { ...rest, bodyAsText: body.toString('utf8') };
    },
  };
}

/** Collect every (workspace, table). Never throws for Azure failures. */
export async function collectWorkspaces(ctx: AzureRunContext, o: LogsOptions, progress: (scope: string) => Progress): Promise<AzureScopeResult[]> {
  const { LogsQueryClient: Logs } = await import('@azure/monitor-query-logs');
  const capture: Capture = new Map();
  const client = new Logs(o.credential, {
    endpoint: ctx.endpoints.logs,
    credentials: { scopes: [`${ctx.endpoints.logsAudience}/.default`] },
    httpClient: await capturingClient(capture),
    // irctl retries itself, so that each retry is counted and Retry-After honoured.
    retryOptions: { maxRetries: 0 },
    ...(o.tlsOptions ? { tlsOptions: o.tlsOptions } : {}),
  });
  const tasks = o.workspaces.flatMap((w) => o.tables.map((t) => ({ w, t })));
  const results: AzureScopeResult[] = new Array<AzureScopeResult>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const task = tasks[i];
      if (task === undefined) return;
      results[i] = await collectTable(ctx, client, capture, o, task.w, task.t, progress(`${task.w}:${task.t}`));
    }
  };
  // Tables run MAX_CONCURRENT_QUERIES at a time; each table's slices run one after another (checkpoint order).
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_QUERIES, tasks.length) }, () => worker()));
  return results;
}

type Client = LogsQueryClient;

async function query(ctx: AzureRunContext, client: Client, capture: Capture, o: LogsOptions, workspace: string, table: string, from: number, to: number, res: AzureScopeResult): Promise<QueryAnswer> {
  const operation = `POST /workspaces/${workspace}/query`;
  for (let attempt = 0; ; attempt++) {
    const requestId = randomUUID();
    let err: AzureApiError;
    try {
      const r = await client.queryWorkspace(workspace, table, { startTime: new Date(from), endTime: new Date(to) }, {
        serverTimeoutInSeconds: SERVER_TIMEOUT_S,
        abortSignal: ctx.signal,
        requestOptions: { headers: { [CAPTURE_HEADER]: requestId } },
      });
      const got = capture.get(requestId);
      capture.delete(requestId);
      if (!got) throw new Error('the response body was not captured');
      if ('partialError' in r) {
        const b = errorOfBody(got.body);
        return { status: 'PartialFailure', body: got.body, sha256: sha256Hex(got.body), partial: `${b.code ?? 'PartialError'}: ${innermost(got.body) ?? b.message ?? ''}` };
      }
      return { status: 'Success', body: got.body, sha256: sha256Hex(got.body) };
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      const got = capture.get(requestId);
      capture.delete(requestId);
      if (got && got.status >= 400) {
        const b = errorOfBody(got.body);
        const inner = innermost(got.body);
        const status = got.status;
        err = new AzureApiError(inner ?? b.message ?? `HTTP ${status}`, {
          operation,
          status,
          code: b.code ?? `HTTP${status}`,
          retryClass: status === 429 ? 'throttle' : status >= 500 || status === 408 ? 'transient' : 'fatal',
          retryAfterMs: retryAfterMs(got.headers, ctx.timer.now()),
          body: got.body,
        });
      } else {
        const msg = e instanceof Error ? e.message : String(e);
        const name = typeof e === 'object' && e !== null && 'name' in e ? String(e.name) : 'Error';
        err = new AzureApiError(msg, { operation, status: undefined, code: /Credential|Authentication/.test(name) ? 'CredentialUnavailable' : name, retryClass: /Credential|Authentication/.test(name) ? 'fatal' : 'transient', cause: e });
      }
    }
    // A query too big or too slow for one answer is split by the caller, not repeated as it is.
    if (err.retryClass === 'fatal' || isTooLarge(err) || attempt >= o.maxRetries) throw err;
    const wait = err.retryAfterMs ?? backoffMs(attempt, o.random, err.retryClass === 'throttle' ? o.retryBaseMs * 2 : o.retryBaseMs);
    if (err.retryClass === 'throttle') res.throttled++;
    else res.retried++;
    ctx.debug(`${operation} ${table}: ${err.status ?? err.code}, retrying in ${wait} ms`);
    await ctx.timer.sleep(wait, ctx.signal);
  }
}

/** The innermost error message of a Log Analytics error body (`error.innererror.innererror.message`). */
function innermost(body: Buffer): string | undefined {
  try {
    type E = { message?: unknown; innererror?: unknown; details?: unknown } | undefined;
    let e = (JSON.parse(body.toString('utf8')) as { error?: unknown }).error as E;
    let msg: string | undefined;
    while (e !== undefined && e !== null && typeof e === 'object') {
      if (typeof e.message === 'string') msg = e.message;
      // A partial error lists its causes in `details[]`, a semantic error nests them in `innererror`.
      e = (e.innererror ?? (Array.isArray(e.details) ? (e.details[0] as E) : undefined));
    }
    return msg;
  } catch {
    return undefined;
  }
}

/** The service's answer for a table the workspace does not have. */
function isAbsentTable(err: unknown, table: string): boolean {
  return err instanceof AzureApiError && err.status === 400 && new RegExp(`Failed to resolve table or column expression named '${table}'`, 'i').test(err.message);
}

/** A query that is too big or too slow for one answer: split its slice. */
function isTooLarge(err: unknown): boolean {
  return err instanceof AzureApiError && (err.status === 504 || /ResponseSizeError|QueryExecutionResultSizeLimitExceeded|E_QUERY_RESULT_SET_TOO_LARGE|timeout|GatewayTimeout/i.test(`${err.code} ${err.message}`));
}

async function collectTable(ctx: AzureRunContext, client: Client, capture: Capture, o: LogsOptions, workspace: string, table: string, progress: Progress): Promise<AzureScopeResult> {
  const started = ctx.timer.now();
  const api = `logs:${table}`;
  const res = newScopeResult(`workspace ${workspace} ${table}`, api);
  const key = azureCheckpointKey(workspace, api);
  let covered = parseRanges(loadCheckpoint(ctx.db, key)?.covered ?? '[]');
  try {
    for (const [gFrom, gTo] of gapsIn(o.window, covered)) {
      res.queried.push([iso(gFrom), iso(gTo)]);
      // Oldest first, so the checkpoint grows from the start of the gap.
      const stack: Range[] = [];
      for (let a = gTo; a > gFrom; a -= o.sliceMs) stack.push([Math.max(gFrom, a - o.sliceMs), a]);
      if (stack.length === 0) stack.push([gFrom, gTo]);
      while (stack.length > 0) {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const [from, to] = stack.pop() as Range;
        let answer: QueryAnswer;
        try {
          answer = await query(ctx, client, capture, o, workspace, table, from, to, res);
        } catch (err) {
          if (isAbsentTable(err, table)) {
            if (o.named) throw err;
            res.status = 'absent';
            res.note = `table ${table} does not exist in workspace ${workspace} (nothing sends it there)`;
            return res;
          }
          if (isTooLarge(err) && to - from > MIN_SLICE_MS) {
            const mid = from + Math.floor((to - from) / 2);
            stack.push([mid, to], [from, mid]);
            ctx.debug(`${table} ${iso(from)}..${iso(to)}: too large, split in two`);
            continue;
          }
          throw err;
        }
        const rows: IngestRow[] = rowsOfTableResponse(answer.body);
        const records = rows.filter((r) => r.kind !== 'header').length;
        const partial = answer.status === 'PartialFailure';
        const complete = !partial || to - from <= MIN_SLICE_MS;
        if (complete && !partial) covered = addCovered(covered, from, to, ctx.now().getTime(), o.overlapMs);
        const c = ctx.store.storePage(
          {
            runId: ctx.runId,
            kind: 'api_page',
            locator: `${api} ${workspace}`,
            params: { request: `POST ${ctx.endpoints.logs}/workspaces/${workspace}/query`, query: table, timespan: `${iso(from)}/${iso(to)}`, server_timeout_s: SERVER_TIMEOUT_S, ...(partial ? { partial_error: answer.partial } : {}) },
            sha256: answer.sha256,
            size: answer.body.length,
            status: partial ? 'partial' : 'ok',
            records,
            rows,
            receivedAt: ctx.now().toISOString(),
          },
          complete && !partial ? { key, account: workspace, region: ctx.endpoints.cloud, api, filters: '{}', covered: JSON.stringify(covered), run_id: ctx.runId, updated_at: ctx.now().toISOString() } : null,
        );
        res.pages++;
        res.page_hashes.push(answer.sha256);
        res.events += c.events;
        res.duplicates += c.duplicates;
        res.quarantined += c.quarantined;
        if (partial) {
          if (to - from > MIN_SLICE_MS) {
            const mid = from + Math.floor((to - from) / 2);
            stack.push([mid, to], [from, mid]);
            ctx.debug(`${table} ${iso(from)}..${iso(to)}: partial answer (${answer.partial ?? ''}), split in two`);
          } else {
            throw new AzureApiError(`${table} ${iso(from)}..${iso(to)} is still cut short in a one-second slice: ${answer.partial ?? ''}`, { operation: 'query', status: 200, code: 'PartialFailure', retryClass: 'fatal' });
          }
        }
        progress.update(`${workspace} ${table}: ${res.events} new, ${res.duplicates} dup, ${res.pages} queries`);
      }
    }
  } catch (err) {
    if (isAzureAbort(err) || ctx.signal.aborted) res.status = 'interrupted';
    else {
      res.status = 'failed';
      res.error = explainAzureError(err, `table ${table} of workspace ${workspace}`, ctx.endpoints.logs);
    }
  } finally {
    res.elapsed_ms = Math.round(ctx.timer.now() - started);
  }
  return res;
}
