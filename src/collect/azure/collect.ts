/**
 * `irctl collect azure`: the run. Gets a token for each API it needs (which names the caller: tenant and object id),
 * records `collect.start` in the custody log, collects each subscription's Activity Log and each tenant's sign-ins
 * and directory audits, and records `collect.end` with counts and the SHA-256 of every page. What was collected
 * before a failure or Ctrl-C stays in the case; the checkpoints make the next run resume.
 */
import { randomUUID } from 'node:crypto';
import type { CaseHandle } from '../../case/case.js';
import { SourceAccessError, UsageError } from '../../errors.js';
import type { IoHost, Progress } from '../../io/io-host.js';
import { CollectStore } from '../../store/collect-repo.js';
import { appendCustody, type ChainHead } from '../../store/custody.js';
import { indexEntities } from '../../store/ingest-repo.js';
import { parseTimeArg } from '../../util/time.js';
import type { Range } from '../checkpoints.js';
import { runPacing, TokenBucket, type CollectRunDeps } from '../rate-limit.js';
import { parseDuration } from '../window.js';
import { azureEndpoints, type AzureEndpoints } from './cloud.js';
import { azureAuth, callerFromToken, type AzureAuth, type AzureCaller } from './credential.js';
import { toAzureAccessError } from './errors.js';
import { AzureHttp } from './http.js';
import { collectPaged, SlidingWindow } from './paged.js';
import type { AzureRunContext, AzureScopeResult } from './run-context.js';
import type { AzureContextResult } from './resource-graph.js';
import { ACTIVITY_MAX_AGE_MS, activitySource, GRAPH_MAX_AGE_MS, graphSource, riskDetectionSource, signInSource, type SignInType } from './sources.js';
import { contextSnapshotDetail, pageHashesDetail, tallyScopes } from '../custody-detail.js';

/** What to collect. */
export interface CollectAzureOptions {
  /** `--since`. @default '24h' */
  since: string;
  /** `--until`. @default now */
  until?: string | undefined;
  /** `--subscription a,b`: Activity Log through ARM. */
  subscriptions: string[];
  /** `--tenant a`: Entra sign-ins and directory audits through Graph. */
  tenants: string[];
  /** `--workspace a,b`: Log Analytics workspace ids. */
  workspaces: string[];
  /** `--tables A,B` (default: the tables irctl normalizes). */
  tables?: string[] | undefined;
  /** `--slice`: longest time slice of one Log Analytics query. @default '24h' */
  slice: string;
  /** `--cloud`. @default AzureCloud */
  cloud?: string | undefined;
  /** `--overlap`. @default '15m' */
  overlap: string;
  /** `--context`: Resource Graph snapshot of the subscriptions. @default false */
  context: boolean;
  /** `--graph-rate N/Ds`: Graph requests per window per tenant. @default '5/10s' */
  graphRate: string;
  /** Retries per call. @default 8 */
  maxRetries: number;
  /** `--signin-types`: kinds of sign-in read through Graph (all but `interactive` through beta). @default ['interactive'] */
  signInTypes?: SignInType[] | undefined;
  /** `--no-risk-detections`: skip Entra ID Protection risk detections with `--tenant`. @default true */
  riskDetections?: boolean | undefined;
}

/** Injection points (tests). */
export interface CollectAzureDeps extends CollectRunDeps {
  /** A credential to use instead of the environment's (embedding, tests). */
  auth?: AzureAuth;
}

/** Summary printed at the end (`--json` prints it as one line). */
export interface CollectAzureSummary {
  run_id: string;
  cloud: string;
  caller: AzureCaller;
  credential: AzureAuth['source'];
  window: { since: string; until: string };
  subscriptions: string[];
  tenants: string[];
  workspaces: string[];
  events: number;
  duplicates: number;
  quarantined: number;
  pages: number;
  throttled: number;
  retried: number;
  expired_tokens: number;
  failed: string[];
  notes: string[];
  interrupted: boolean;
  results: AzureScopeResult[];
  /** The `--context` snapshot, when asked for. */
  context: AzureContextResult | null;
  custody_head: ChainHead;
}

/** `--graph-rate 5/10s` -> at most `limit` requests per `periodMs`. */
export function parseRate(v: string): { limit: number; periodMs: number } {
  const m = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m)?$/i.exec(v.trim());
  const n = Number(m?.[1]);
  const d = Number(m?.[2] ?? '1');
  const unitMs = { ms: 1, s: 1000, m: 60_000 }[(m?.[3] ?? 's').toLowerCase() as 'ms' | 's' | 'm'];
  if (!m || !(n > 0) || !(d > 0)) throw new UsageError(`--graph-rate ${JSON.stringify(v)} is not a rate`, { hint: 'Use requests/period, e.g. 5/10s (the Graph audit-log limit).' });
  if (!Number.isInteger(n)) throw new UsageError(`--graph-rate ${JSON.stringify(v)}: the number of requests must be whole`, { hint: 'e.g. 5/10s' });
  return { limit: n, periodMs: d * unitMs };
}

/** Resolve the window; the Activity Log keeps 90 days. */
export function azureWindow(since: string, until: string | undefined, now: Date, hasSubscriptions: boolean): Range {
  const from = Math.floor(parseTimeArg(since, now, '--since') / 1000) * 1000;
  let to = until === undefined ? now.getTime() : parseTimeArg(until, now, '--until');
  to = Math.ceil(Math.min(to, now.getTime()) / 1000) * 1000;
  if (from > to) throw new UsageError(`--since ${new Date(from).toISOString()} is after --until ${new Date(to).toISOString()}`, { hint: 'Give --since earlier than --until.' });
  if (hasSubscriptions && from < now.getTime() - ACTIVITY_MAX_AGE_MS) {
    throw new UsageError(`--since ${new Date(from).toISOString()} is more than 90 days ago: the Activity Log keeps 90 days`, {
      hint: 'Older entries exist only where a diagnostic setting sent them (a storage account: `irctl import` the insights-activity-logs blobs; a workspace: --workspace).',
    });
  }
  return [from, to];
}

const uniq = (xs: string[]): string[] => [...new Set(xs.map((x) => x.trim()).filter((x) => x !== ''))];

/** Run a collection into an open case. */
export async function collectAzure(kase: CaseHandle, opts: CollectAzureOptions, io: IoHost, deps: CollectAzureDeps): Promise<CollectAzureSummary> {
  const subscriptions = uniq(opts.subscriptions);
  const tenants = uniq(opts.tenants);
  const workspaces = uniq(opts.workspaces);
  if (subscriptions.length === 0 && tenants.length === 0 && workspaces.length === 0) {
    throw new UsageError('nothing to collect', { hint: 'Pass --subscription ID[,ID] (Activity Log), --tenant ID (Entra sign-ins and audits) and/or --workspace ID[,ID] (Log Analytics).' });
  }
  const { DEFAULT_TABLES, checkTableName } = await import('./logs.js');
  const tables = opts.tables !== undefined ? uniq(opts.tables) : [...DEFAULT_TABLES];
  if (opts.tables !== undefined && workspaces.length === 0) throw new UsageError('--tables needs --workspace ID', { hint: 'Tables are read from Log Analytics workspaces.' });
  const badTable = tables.find((t) => !checkTableName(t));
  if (badTable !== undefined) throw new UsageError(`--tables: ${JSON.stringify(badTable)} is not a table name`, { hint: 'Table names are letters, digits and underscores, e.g. SigninLogs,AuditLogs.' });
  const sliceMs = parseDuration(opts.slice, '--slice');
  if (sliceMs < 60_000) throw new UsageError('--slice must be at least 1m', { hint: 'Slices that are too large are split automatically; --slice only sets the first size.' });
  if (opts.context && subscriptions.length === 0) throw new UsageError('--context needs --subscription ID[,ID]', { hint: 'Resource Graph answers for the subscriptions it is given.' });
  if (tenants.length > 1) throw new UsageError('--tenant takes one tenant per run', { hint: 'A credential belongs to one tenant: run once per tenant, with that tenant\'s AZURE_TENANT_ID.' });
  const now = deps.now;
  const window = azureWindow(opts.since, opts.until, now(), subscriptions.length > 0);
  const overlapMs = parseDuration(opts.overlap, '--overlap');
  const graphRate = parseRate(opts.graphRate);
  const endpoints = azureEndpoints(opts.cloud, deps.env);
  const { timer, random, retryBaseMs } = runPacing(deps, 500);
  const auth = deps.auth ?? (await azureAuth(deps.env, endpoints));
  const http = new AzureHttp({
    credential: auth.credential,
    tlsOptions: auth.tlsOptions,
    timer,
    random,
    signal: deps.signal,
    maxRetries: opts.maxRetries,
    retryBaseMs,
    debug: (message) => io.notify({ level: 'debug', code: 'IRCTL_COLLECT_D0101', message }),
  });

  // A token for each API before the case records anything: no credentials, no run (and no empty case).
  const caller = await firstCaller(http, endpoints, subscriptions.length > 0, tenants.length > 0, workspaces.length > 0);
  const tenant = tenants[0];
  if (tenant !== undefined && caller.tenant !== 'unknown' && caller.tenant.toLowerCase() !== tenant.toLowerCase()) {
    throw new SourceAccessError(`the credentials are for tenant ${caller.tenant}, not --tenant ${tenant}`, {
      hint: `Microsoft Graph answers for the tenant the token was issued in: set AZURE_TENANT_ID=${tenant} (or \`az login --tenant ${tenant}\`).`,
    });
  }
  if (tenant !== undefined && window[0] < now().getTime() - GRAPH_MAX_AGE_MS) {
    io.notify({ level: 'warn', code: 'IRCTL_COLLECT_W3102', message: 'Entra ID keeps sign-ins and audits 30 days (7 without P1/P2): older ones are only where a diagnostic setting sent them.' });
  }

  const runId = randomUUID();
  const db = kase.db;
  const windowIso = { since: new Date(window[0]).toISOString(), until: new Date(window[1]).toISOString() };
  db.transaction(() =>
    appendCustody(
      db,
      {
        action: 'collect.start',
        run_id: runId,
        details: {
          source: `azure ${[...subscriptions.map((s) => `subscription ${s}`), ...tenants.map((t) => `tenant ${t}`), ...workspaces.map((w) => `workspace ${w}`)].join(', ')}`,
          api: 'azure',
          cloud: endpoints.cloud,
          caller,
          credential: auth.source,
          subscriptions,
          tenants,
          workspaces,
          tables: workspaces.length > 0 ? tables : [],
          window: windowIso,
          parameters: { overlap_ms: overlapMs, slice_ms: sliceMs, graph_rate: opts.graphRate, max_retries: opts.maxRetries, endpoints: { arm: endpoints.arm, graph: endpoints.graph, logs: endpoints.logs, authority: endpoints.authority } },
        },
      },
      kase.provenance,
      now(),
    ),
  )();

  const ctx: AzureRunContext = {
    runId,
    db,
    store: new CollectStore(db),
    http,
    endpoints,
    signal: deps.signal,
    now,
    timer,
    debug: (message) => io.notify({ level: 'debug', code: 'IRCTL_COLLECT_D0101', message }),
    warn: (code, message) => io.notify({ level: 'warn', code, message }),
  };
  const lines = new Map<string, string>();
  const progress = io.progress(`collecting from Azure`);
  const scopeProgress = (scope: string): Progress => ({
    update: (t: string) => {
      lines.set(scope, t);
      progress.update([...lines.values()].join('\n'));
    },
    succeed: () => undefined,
    fail: () => undefined,
    stop: () => undefined,
  });
  const results: AzureScopeResult[] = [];
  let context: AzureContextResult | null = null;
  try {
    // ARM reads are limited per subscription and principal (thousands per hour): a modest pace per subscription.
    const armRuns = subscriptions.map((s) => collectPaged(ctx, activitySource(endpoints, s, new TokenBucket(10, 10, timer)), window, overlapMs, scopeProgress(s)));
    // Graph allows 5 audit-log requests per 10 s per app and tenant: one bucket shared by both logs of the tenant.
    const graphRun = async (): Promise<AzureScopeResult[]> => {
      if (tenant === undefined) return [];
      const bucket = new SlidingWindow(graphRate.limit, graphRate.periodMs, timer);
      const out: AzureScopeResult[] = [];
      const sources = [
        ...(opts.signInTypes ?? ['interactive']).map((t) => signInSource(endpoints, tenant, t, bucket)),
        graphSource(endpoints, tenant, 'directoryAudits', bucket),
        ...(opts.riskDetections === false ? [] : [riskDetectionSource(endpoints, tenant, bucket)]),
      ];
      for (const src of sources) {
        if (deps.signal.aborted) break;
        out.push(await collectPaged(ctx, src, window, overlapMs, scopeProgress(`${tenant}:${src.api}`)));
      }
      return out;
    };
    const logsRun = async (): Promise<AzureScopeResult[]> => {
      if (workspaces.length === 0) return [];
      const { collectWorkspaces } = await import('./logs.js');
      return collectWorkspaces(
        ctx,
        { workspaces, tables, named: opts.tables !== undefined, window, overlapMs, sliceMs, credential: auth.credential, tlsOptions: auth.tlsOptions, maxRetries: opts.maxRetries, retryBaseMs, random },
        scopeProgress,
      );
    };
    const [arm, graph, logs] = await Promise.all([Promise.all(armRuns), graphRun(), logsRun()]);
    results.push(...arm, ...graph, ...logs);
    if (opts.context && !deps.signal.aborted) {
      lines.set('context', 'Resource Graph context snapshot');
      progress.update([...lines.values()].join('\n'));
      const { collectAzureContext } = await import('./resource-graph.js');
      context = await collectAzureContext(ctx, subscriptions);
    }
  } finally {
    progress.stop();
  }

  indexEntities(db);
  const { sums, failed, interrupted } = tallyScopes(results, ['events', 'duplicates', 'quarantined', 'pages', 'throttled', 'retried', 'expired_tokens'], {
    aborted: deps.signal.aborted,
    contextStatus: context?.status,
  });
  const notes = results.flatMap((r) => (r.note !== undefined ? [r.note] : []));
  const details = {
    cloud: endpoints.cloud,
    subscriptions,
    tenants,
    workspaces,
    window: windowIso,
    ...sums,
    interrupted,
    failed,
    notes,
    results: results.map((r) => ({
      scope: r.scope,
      api: r.api,
      status: r.status,
      events: r.events,
      duplicates: r.duplicates,
      pages: r.pages,
      queried: r.queried,
      ...pageHashesDetail(r.page_hashes),
      ...(r.error ? { error: r.error.message } : {}),
      ...(r.note !== undefined ? { note: r.note } : {}),
    })),
    context: context ? contextSnapshotDetail(context) : null,
  };
  const commitment = ctx.store.commitment.digest();
  const head = db.transaction(() => appendCustody(db, { action: 'collect.end', run_id: runId, details: { ...details, commitment } }, kase.provenance, now()))();
  return {
    run_id: runId,
    cloud: endpoints.cloud,
    caller,
    credential: auth.source,
    window: windowIso,
    subscriptions,
    tenants,
    workspaces,
    events: details.events,
    duplicates: details.duplicates,
    quarantined: details.quarantined,
    pages: details.pages,
    throttled: details.throttled,
    retried: details.retried,
    expired_tokens: details.expired_tokens,
    failed,
    notes,
    interrupted,
    results,
    context,
    custody_head: head,
  };
}

async function firstCaller(http: AzureHttp, e: AzureEndpoints, arm: boolean, graph: boolean, logs: boolean): Promise<AzureCaller> {
  let caller: AzureCaller | undefined;
  for (const [need, audience, what] of [
    [arm, e.armAudience, 'Azure Resource Manager'],
    [graph, e.graphAudience, 'Microsoft Graph'],
    [logs, e.logsAudience, 'Log Analytics'],
  ] as const) {
    if (!need) continue;
    try {
      caller ??= callerFromToken(await http.token(audience));
    } catch (err) {
      throw toAzureAccessError(err, `a token for ${what}`, e.authority);
    }
  }
  return caller ?? { tenant: 'unknown', object_id: 'unknown', app_id: null, upn: null };
}


/** Exit decision (pure): the error to throw, or the exit code. */
export function azureOutcome(s: CollectAzureSummary): { error?: SourceAccessError; code: number } {
  if (s.interrupted) return { code: 130 };
  const failures = s.results.filter((r) => r.status === 'failed');
  const ctxFailed = s.context !== null && s.context.status !== 'ok';
  const allFailed = s.results.length > 0 ? failures.length === s.results.length && (s.context === null || s.context.status === 'failed') : s.context?.status === 'failed';
  if (allFailed) {
    const first = failures[0]?.error ?? s.context?.errors[0];
    return {
      code: 4,
      error: new SourceAccessError(failures.length === 1 ? (first?.message ?? 'collection failed') : `every source failed: ${failures.map((r) => r.error?.message ?? r.scope).join('; ')}`, {
        hint: first?.hint ?? 'Run again with --debug.',
      }),
    };
  }
  if (failures.length > 0 || ctxFailed || s.quarantined > 0) return { code: 6 };
  return { code: 0 };
}
