/**
 * `irctl collect gcp`: the run. Finds the credentials and the caller (before anything is recorded), records
 * `collect.start` in the custody log, reads Cloud Audit Logs with `entries.list` in slices of up to 100 resource
 * names, optionally snapshots Cloud Asset Inventory as context, and records `collect.end` with counts, resume points
 * and page hashes. What was collected before a failure or Ctrl-C stays in the case; the checkpoints make the next
 * run resume.
 */
import { randomUUID } from 'node:crypto';
import type { CaseHandle } from '../../case/case.js';
import { SourceAccessError, UsageError } from '../../errors.js';
import type { IoHost } from '../../io/io-host.js';
import { CollectStore } from '../../store/collect-repo.js';
import { appendCustody, type ChainHead } from '../../store/custody.js';
import { indexEntities } from '../../store/ingest-repo.js';
import { contextSnapshotDetail, pageHashesDetail, tallyScopes } from '../custody-detail.js';
import { scopedProgress } from '../progress.js';
import { runPacing, TokenBucket, withRetries, type CollectRunDeps } from '../rate-limit.js';
import { parseDuration, resolveWindow } from '../window.js';
import { collectAuditConfig, type AuditConfigResult } from './audit-config.js';
import { coverageWarnings, type LogConfig } from './coverage.js';
import { explainGcpError, isGcpAbort, toGcpAccessError } from './errors.js';
import { collectEntriesSlice, ENTRIES_API, type SliceResult } from './entries.js';
import { auditLogKinds, chunks, MAX_PAGE_SIZE, resourceNames } from './filter.js';
import { GcpApiError, type GcpIdentity, type GcpPorts } from './ports.js';
import type { GcpContextResult } from './context.js';
import type { GcpRunContext } from './run-context.js';

/** What to collect. */
export interface CollectGcpOptions {
  /** `--since`. @default '24h' */
  since: string;
  /** `--until`. @default now */
  until?: string | undefined;
  /** `--project a,b`. */
  projects: string[];
  /** `--folder`. */
  folders: string[];
  /** `--organization`. */
  organizations: string[];
  /** `--logs activity,data_access,...`. @default every audit log */
  logs: string[];
  /** `--filter`: an extra Logging query language clause. */
  filter?: string | undefined;
  /** `--overlap` re-scanned for late delivery. @default '15m' */
  overlap: string;
  /** `--context`: snapshot Cloud Asset Inventory. */
  context: boolean;
  /** Read each resource's log configuration (sinks, exclusions, buckets). @default true */
  logConfig?: boolean | undefined;
  /** `--impersonate-service-account`. */
  impersonate?: string | undefined;
  /** Reads per minute for the whole run (below the project's read quota). @default 50 */
  readsPerMinute: number;
  /** Retries per call. @default 8 */
  maxRetries: number;
}

/** Injection points (tests). */
export interface CollectGcpDeps extends CollectRunDeps {
  connect?: () => Promise<GcpPorts>;
}

/** Summary printed at the end (`--json` prints it as one line). */
export interface CollectGcpSummary {
  run_id: string;
  api: string;
  caller: GcpIdentity;
  resource_names: string[];
  window: { since: string; until: string };
  logs: string[];
  filter: string | null;
  events: number;
  duplicates: number;
  quarantined: number;
  pages: number;
  throttled: number;
  retried: number;
  token_restarts: number;
  failed_slices: string[];
  interrupted: boolean;
  /** Entries received per audit log kind. */
  by_log: Record<string, number>;
  /** Audit log kinds asked for that returned nothing in the window (Data Access is off by default: missing evidence). */
  absent_logs: string[];
  results: SliceResult[];
  /** Log configuration read per resource (sinks, exclusions, buckets), or null when not read. */
  log_config: LogConfig[] | null;
  /** What the configuration keeps out of reach, one sentence each. */
  coverage_warnings: string[];
  /** IAM audit configuration per resource (which services write Data Access logs), or null when not read. */
  audit_config: AuditConfigResult[] | null;
  context: GcpContextResult | null;
  custody_head: ChainHead;
}

/** Log configurations read per run (three configuration calls each). */
const LOG_CONFIG_MAX = 20;

/** Run a collection into an open case. */
export async function collectGcp(kase: CaseHandle, opts: CollectGcpOptions, io: IoHost, deps: CollectGcpDeps): Promise<CollectGcpSummary> {
  const now = deps.now;
  const names = resourceNames({ projects: opts.projects, folders: opts.folders, organizations: opts.organizations });
  if (names.length === 0) {
    throw new UsageError('no project, folder or organization to collect from', {
      hint: 'Pass --project ID[,ID...], --folder NUMBER or --organization NUMBER (an organization or folder request returns the logs written at that level, not its projects\').',
    });
  }
  const kinds = auditLogKinds(opts.logs);
  if (!(opts.readsPerMinute > 0)) throw new UsageError('--reads-per-minute must be a positive number');
  if (opts.filter !== undefined && /\btimestamp\b/.test(opts.filter)) {
    throw new UsageError('--filter must not restrict timestamp: the window is --since/--until (checkpoints depend on it)', { hint: 'Give the time window with --since and --until.' });
  }
  // Cloud Logging keeps Admin Activity 400 days and Data Access 30 days by default; the API sets no age limit itself.
  const window = resolveWindow(opts.since, opts.until, now(), 'lake');
  const overlapMs = parseDuration(opts.overlap, '--overlap');
  const ports = deps.connect ? await deps.connect() : await defaultConnect(opts, deps.env);
  const { timer, random, retryBaseMs } = runPacing(deps, 1000);
  try {
    let caller: GcpIdentity;
    try {
      caller = await withRetries(() => ports.identify(deps.signal), {
        classify: (e) => (e instanceof GcpApiError ? e.retryClass : 'fatal'),
        maxRetries: 3,
        timer,
        random,
        baseMs: retryBaseMs,
        signal: deps.signal,
      });
    } catch (err) {
      throw toGcpAccessError(err, names.join(','), ports.endpoints.logging);
    }
    const runId = randomUUID();
    const db = kase.db;
    const windowIso = { since: new Date(window[0]).toISOString(), until: new Date(window[1]).toISOString() };
    const source = `gcp logging entries.list ${names.join(',')}`;
    db.transaction(() =>
      appendCustody(
        db,
        {
          action: 'collect.start',
          run_id: runId,
          details: {
            source,
            api: ENTRIES_API,
            caller: { email: caller.email, credential_type: caller.credentialType, credential_source: caller.source, impersonated: caller.impersonated ?? null },
            resource_names: names,
            window: windowIso,
            filters: { logs: kinds, filter: opts.filter ?? null },
            parameters: {
              endpoint: ports.endpoints.logging,
              order_by: 'timestamp asc',
              page_size: MAX_PAGE_SIZE,
              overlap_ms: overlapMs,
              reads_per_minute: opts.readsPerMinute,
              max_retries: opts.maxRetries,
              context: opts.context,
              log_config: opts.logConfig !== false,
              ...(opts.context ? { asset_endpoint: ports.endpoints.cloudasset } : {}),
            },
          },
        },
        kase.provenance,
        now(),
      ),
    )();

    const ctx: GcpRunContext = {
      runId,
      caller: caller.email,
      db,
      store: new CollectStore(db),
      ports,
      signal: deps.signal,
      now,
      timer,
      random,
      bucket: new TokenBucket(opts.readsPerMinute / 60, 1, timer),
      retryBaseMs,
      maxRetries: opts.maxRetries,
      debug: (message) => io.notify({ level: 'debug', code: 'IRCTL_COLLECT_D0001', message }),
      warn: (code, message) => io.notify({ level: 'warn', code, message }),
    };

    const slices = chunks(names);
    const progress = scopedProgress(io, `collecting Cloud Audit Logs from ${names.length} resource(s)`);
    const results: SliceResult[] = [];
    let context: CollectGcpSummary['context'] = null;
    let logConfig: LogConfig[] | null = null;
    let auditConfig: AuditConfigResult[] | null = null;
    const coverageNotes: string[] = [];
    try {
      for (const s of slices) {
        if (deps.signal.aborted) break;
        results.push(await collectEntriesSlice(ctx, s, { window, kinds, extraFilter: opts.filter, overlapMs }, progress.scope(s.join(','))));
      }
      if (opts.logConfig !== false && !deps.signal.aborted) {
        progress.note('config', 'log configuration (sinks, exclusions, buckets)');
        logConfig = [];
        for (const parent of names.slice(0, LOG_CONFIG_MAX)) {
          if (deps.signal.aborted) break;
          try {
            logConfig.push(await ports.logConfig(parent, deps.signal));
          } catch (err) {
            if (isGcpAbort(err)) break;
            const e = explainGcpError(err, parent, ports.endpoints.logging);
            logConfig.push({ parent, sinks: [], exclusions: [], buckets: [], error: e.message });
            io.notify({ level: 'warn', code: 'IRCTL_COLLECT_W3104', message: `cannot read the log configuration of ${parent} (sinks, exclusions, buckets): ${e.message}` });
          }
        }
        for (const c of logConfig) coverageNotes.push(...coverageWarnings(c, window[0], now().getTime()));
        for (const w of coverageNotes) io.notify({ level: 'warn', code: 'IRCTL_COLLECT_W3105', message: w });
        progress.note('config', 'IAM audit configuration (which services write Data Access logs)');
        auditConfig = await collectAuditConfig(ctx, names.slice(0, LOG_CONFIG_MAX));
      }
      if (opts.context && !deps.signal.aborted) {
        const { collectGcpContext } = await import('./context.js');
        progress.note('context', 'Cloud Asset Inventory snapshot');
        context = await collectGcpContext(ctx, names);
      }
    } finally {
      progress.stop();
    }

    indexEntities(db);
    const { sums, failed, interrupted } = tallyScopes(results, ['events', 'duplicates', 'quarantined', 'pages', 'throttled', 'retried', 'token_restarts'], {
      aborted: deps.signal.aborted,
      contextStatus: context?.status,
    });
    const byLog: Record<string, number> = Object.fromEntries(kinds.map((k) => [k, results.reduce((a, r) => a + (r.by_log[k] ?? 0), 0)]));
    // Only a complete read can say a log is absent.
    const absent = interrupted || failed.length > 0 ? [] : kinds.filter((k) => byLog[k] === 0);
    if (absent.includes('data_access')) {
      const said = (auditConfig ?? []).filter((a) => a.error === undefined).map((a) => a.data_access);
      io.notify({
        level: 'warn',
        code: 'IRCTL_COLLECT_W3103',
        message: `no Data Access audit entries in ${windowIso.since} .. ${windowIso.until} for ${names.join(', ')}: Data Access logs are off by default for most services, so reads of data are missing evidence here, not quiet activity (enable them in the IAM audit configuration)${said.length > 0 ? `. ${said.join('; ')}` : ''}`,
      });
    }
    const details = {
      source,
      api: ENTRIES_API,
      caller: caller.email,
      resource_names: names,
      window: windowIso,
      ...sums,
      interrupted,
      failed_slices: failed,
      by_log: byLog,
      absent_logs: absent,
      results: results.map((r) => ({
        scope: r.scope,
        status: r.status,
        events: r.events,
        duplicates: r.duplicates,
        pages: r.pages,
        queried: r.queried,
        resume_point: r.resume_point,
        ...pageHashesDetail(r.page_hashes),
        ...(r.error ? { error: r.error.message } : {}),
      })),
      ...(logConfig ? { log_config: logConfig, coverage_warnings: coverageNotes } : {}),
      ...(auditConfig ? { audit_config: auditConfig } : {}),
      ...(context ? { context: contextSnapshotDetail(context) } : {}),
    };
    const commitment = ctx.store.commitment.digest();
    const head = db.transaction(() => appendCustody(db, { action: 'collect.end', run_id: runId, details: { ...details, commitment } }, kase.provenance, now()))();
    return {
      run_id: runId,
      api: ENTRIES_API,
      caller,
      resource_names: names,
      window: windowIso,
      logs: kinds,
      filter: opts.filter ?? null,
      events: details.events,
      duplicates: details.duplicates,
      quarantined: details.quarantined,
      pages: details.pages,
      throttled: details.throttled,
      retried: details.retried,
      token_restarts: details.token_restarts,
      failed_slices: failed,
      interrupted,
      by_log: byLog,
      absent_logs: absent,
      results,
      log_config: logConfig,
      coverage_warnings: coverageNotes,
      audit_config: auditConfig,
      context,
      custody_head: head,
    };
  } finally {
    ports.close();
  }
}

async function defaultConnect(opts: CollectGcpOptions, env: NodeJS.ProcessEnv): Promise<GcpPorts> {
  const { connectGcp } = await import('./client.js');
  return connectGcp({ env, impersonate: opts.impersonate });
}

/** Exit decision (pure): the error to throw, or the exit code. */
export function gcpOutcomeOf(s: CollectGcpSummary): { error?: SourceAccessError; code: number } {
  if (s.interrupted) return { code: 130 };
  const failures = s.results.filter((r) => r.status === 'failed');
  // Nothing came back at all (denied, no such project, quota from the first request): a source access error.
  if (s.results.length > 0 && failures.length === s.results.length && s.pages === 0) {
    const first = failures[0]?.error;
    return {
      code: 4,
      error: new SourceAccessError(
        failures.length === 1 ? (first?.message ?? 'collection failed') : `every request failed: ${failures.map((r) => `${r.scope}: ${r.error?.message ?? '?'}`).join('; ')}`,
        { hint: first?.hint ?? 'Run again with --debug.' },
      ),
    };
  }
  // A quota stop or a failure after some pages is a partial result: the summary names the resume point.
  if (failures.length > 0 || s.quarantined > 0 || (s.context !== null && s.context.status !== 'ok')) return { code: 6 };
  return { code: 0 };
}
