/**
 * `irctl collect aws`: the run. Identifies the caller (STS), resolves regions, records `collect.start` in the
 * custody log, collects each region in parallel (LookupEvents), or runs a Lake query, or streams S3-exported trail
 * files, snapshots EC2 context, and records `collect.end` with counts and page hashes. What was collected before a
 * failure or Ctrl-C stays in the case; the checkpoint makes the next run resume.
 */
import { randomUUID } from 'node:crypto';
import type { CaseHandle } from '../../case/case.js';
import { SourceAccessError, UsageError } from '../../errors.js';
import type { IoHost } from '../../io/io-host.js';
import { CollectStore } from '../../store/collect-repo.js';
import { appendCustody, type ChainHead } from '../../store/custody.js';
import { indexEntities } from '../../store/ingest-repo.js';
import { explainAwsError, toSourceAccessError, type Explained } from './errors.js';
import { collectEc2Context, type ContextResult } from './ec2-context.js';
import { filterObject, noFilters, type CollectFilters } from './filters.js';
import { collectLookupRegion, LOOKUP_API, type RegionResult } from './lookup.js';
import { BEDROCK_LOGS_API, collectLogGroup, parseLogGroup } from './bedrock-logs.js';
import { AwsApiError, type AwsPorts, type CallerIdentity } from './ports.js';
import { pageHashesDetail } from '../custody-detail.js';
import { scopedProgress } from '../progress.js';
import { runPacing, withRetries, type CollectRunDeps } from '../rate-limit.js';
import type { RunContext } from './run-context.js';
import { parseDuration, resolveWindow } from '../window.js';

/** What to collect. */
export interface CollectAwsOptions {
  /** `--since` (duration back from now or ISO time). @default '24h' */
  since: string;
  /** `--until`. @default now */
  until?: string | undefined;
  /** `--region a,b`. */
  regions: string[];
  /** `--all-regions`: every region enabled for the account. */
  allRegions: boolean;
  filters: CollectFilters;
  /** `--lake EVENT_DATA_STORE` (id or ARN). */
  lake?: string | undefined;
  /** `--query SQL` (with --lake). */
  query?: string | undefined;
  /** `--s3 s3://bucket/prefix`. */
  s3?: string | undefined;
  /** `--bedrock-logs group[,group]`: CloudWatch Logs log groups holding Bedrock model invocation logs (names or ARNs). */
  bedrockLogs?: string[] | undefined;
  /** `--overlap` re-scanned for late delivery. @default '15m' */
  overlap: string;
  /** Snapshot EC2 context for the regions collected. @default true */
  context: boolean;
  /** Only snapshot EC2 context (no CloudTrail). */
  contextOnly: boolean;
  /** `--profile`. */
  profile?: string | undefined;
  /** `--role-arn`. */
  roleArn?: string | undefined;
  /** `--external-id`. */
  externalId?: string | undefined;
  /** Requests per second per region. @default 2 (the LookupEvents limit) */
  rate: number;
  /** Retries per call. @default 8 */
  maxRetries: number;
}

/** Injection points (tests, benchmark). */
export interface CollectDeps extends CollectRunDeps {
  /** Build the ports (default: the AWS SDK adapter). */
  connect?: (homeRegion: string) => Promise<AwsPorts>;
}

/** Per-scope result in the summary. */
export type ScopeResult = RegionResult;

/** Summary printed at the end (`--json` prints it as one line). */
export interface CollectSummary {
  run_id: string;
  api: string;
  caller: CallerIdentity;
  account: string;
  window: { since: string; until: string };
  regions: string[];
  filters: Record<string, string>;
  events: number;
  duplicates: number;
  filtered_out: number;
  quarantined: number;
  pages: number;
  throttled: number;
  retried: number;
  failed_regions: string[];
  interrupted: boolean;
  results: ScopeResult[];
  context: ContextResult[] | null;
  exposed: Array<{ instance_id: string; region: string; public_ips: string[]; open: string[] }>;
  /** Extra counts of the S3 mode. */
  s3?: S3Counts | undefined;
  custody_head: ChainHead;
}

/** Counts of the S3 mode. */
export interface S3Counts {
  objects: number;
  skipped_already_stored: number;
  digests: number;
  validated: number;
  unvalidated: number;
  digest_mismatches: string[];
}

/** Run a collection into an open case. */
export async function collectAws(kase: CaseHandle, opts: CollectAwsOptions, io: IoHost, deps: CollectDeps): Promise<CollectSummary> {
  const now = deps.now;
  const bedrockLogs = opts.bedrockLogs ?? [];
  const mode: 'lookup' | 'lake' | 's3' | 'logs' = bedrockLogs.length > 0 ? 'logs' : opts.lake !== undefined ? 'lake' : opts.s3 !== undefined ? 's3' : 'lookup';
  if (opts.lake !== undefined && opts.s3 !== undefined) throw new UsageError('--lake and --s3 cannot be used together', { hint: 'Run one collection per source.' });
  if (mode === 'logs' && (opts.lake !== undefined || opts.s3 !== undefined || opts.contextOnly))
    throw new UsageError(`--bedrock-logs cannot be used with ${opts.lake !== undefined ? '--lake' : opts.s3 !== undefined ? '--s3' : '--context-only'}`, { hint: 'Run one collection per source.' });
  if (opts.query !== undefined && opts.lake === undefined) throw new UsageError('--query needs --lake EVENT_DATA_STORE', { hint: 'A Lake query runs against one event data store.' });
  if (opts.allRegions && opts.regions.length > 0) throw new UsageError('--region and --all-regions cannot be used together');
  if (!(opts.rate > 0)) throw new UsageError('--rate must be a positive number of requests per second');
  // Filters that would be silently ignored are refused: a responder must not believe a collection was narrowed.
  if (!noFilters(opts.filters)) {
    const hint = 'Collect without filters and narrow later with `irctl events --actor ... --action ...` (same flags).';
    if (opts.s3 !== undefined) throw new UsageError('--s3 stores whole log files (each file is one piece of evidence): filters cannot be applied to it', { hint });
    if (opts.contextOnly) throw new UsageError('--context-only snapshots EC2 context: event filters do not apply to it', { hint });
    if (opts.query !== undefined) throw new UsageError('--query runs your SQL as given: put the filters in its WHERE clause', { hint: 'Or leave out --query: irctl then writes the query with the filters.' });
    if (mode === 'logs') throw new UsageError('--bedrock-logs stores every invocation log record of the window: event filters do not apply to it', { hint });
  }
  const window = resolveWindow(opts.since, opts.until, now(), mode === 'logs' ? 'lake' : mode);
  const overlapMs = parseDuration(opts.overlap, '--overlap');
  const envRegion = deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION;
  const homeRegion = opts.regions[0] ?? (envRegion !== undefined && envRegion !== '' ? envRegion : 'us-east-1');
  const groups = bedrockLogs.map((g) => {
    const parsed = parseLogGroup(g, homeRegion);
    if (!parsed) throw new UsageError(`--bedrock-logs: ${JSON.stringify(g.slice(0, 200))} is not a log group name or ARN`, { hint: 'Give names such as /aws/bedrock/modelinvocations, or arn:aws:logs:<region>:<account>:log-group:<name>, separated by commas.' });
    return parsed;
  });
  if (mode === 'logs' && opts.regions.length > 1) throw new UsageError('--bedrock-logs reads log groups in one region: give at most one --region', { hint: 'Give an ARN for a group in another region.' });
  if (mode === 'logs' && opts.allRegions) throw new UsageError('--bedrock-logs cannot be used with --all-regions', { hint: 'Give an ARN for each group in another region.' });
  const needsRegion = mode === 'lookup' || (mode === 'logs' && bedrockLogs.some((g) => !g.trim().startsWith('arn:')));
  if (!opts.allRegions && opts.regions.length === 0 && (envRegion === undefined || envRegion === '') && needsRegion) {
    throw new UsageError('no region to collect from', { hint: 'Pass --region us-east-1[,eu-west-1...] or --all-regions, or set AWS_REGION.' });
  }

  const ports = deps.connect ? await deps.connect(homeRegion) : await defaultConnect(opts, deps.env, homeRegion);
  const { timer, random, retryBaseMs } = runPacing(deps, 500);
  try {
    const retry = <T>(fn: () => Promise<T>): Promise<T> =>
      withRetries(fn, { classify: (e) => (e instanceof AwsApiError ? e.retryClass : 'fatal'), maxRetries: 3, timer, random, baseMs: retryBaseMs, signal: deps.signal });
    let caller: CallerIdentity;
    try {
      caller = await retry(() => ports.sts.callerIdentity(deps.signal));
    } catch (err) {
      throw toSourceAccessError(err);
    }
    let regions = opts.regions.length > 0 ? [...new Set(opts.regions)] : [homeRegion];
    if (opts.allRegions) {
      try {
        regions = await retry(() => ports.ec2.describeRegions(deps.signal)).then((rs) => rs.map((r) => r.name));
      } catch (err) {
        const e = explainAwsError(err);
        throw new SourceAccessError(`cannot list the account's enabled regions for --all-regions: ${e.message}`, { hint: `Pass --region explicitly, or: ${e.hint}`, cause: err });
      }
    }

    const runId = randomUUID();
    const db = kase.db;
    const filters = filterObject(opts.filters);
    const api = mode === 'lookup' ? LOOKUP_API : mode === 'lake' ? 'cloudtrail:Lake' : mode === 'logs' ? BEDROCK_LOGS_API : 's3:GetObject';
    const windowIso = { since: new Date(window[0]).toISOString(), until: new Date(window[1]).toISOString() };
    const source =
      mode === 'lookup'
        ? `aws cloudtrail LookupEvents ${regions.join(',')}`
        : mode === 'lake'
          ? `aws cloudtrail lake ${opts.lake ?? ''}`
          : mode === 'logs'
            ? `aws logs ${groups.map((g) => `${g.region}:${g.name}`).join(',')}`
            : `aws s3 ${opts.s3 ?? ''}`;
    db.transaction(() =>
      appendCustody(
        db,
        {
          action: 'collect.start',
          run_id: runId,
          details: {
            source,
            api,
            caller: { arn: caller.arn, account: caller.account, user_id: caller.userId },
            account: caller.account,
            regions,
            window: windowIso,
            filters,
            parameters: {
              overlap_ms: overlapMs,
              rate_per_region: opts.rate,
              lake: opts.lake ?? null,
              query: opts.query ?? null,
              s3: opts.s3 ?? null,
              ...(mode === 'logs' ? { bedrock_logs: groups.map((g) => ({ region: g.region, log_group: g.name })) } : {}),
              profile: opts.profile ?? null,
              role_arn: opts.roleArn ?? null,
              context: opts.context,
              context_only: opts.contextOnly,
            },
          },
        },
        kase.provenance,
        now(),
      ),
    )();

    const ctx: RunContext = {
      runId,
      account: caller.account,
      db,
      store: new CollectStore(db),
      ports,
      signal: deps.signal,
      now,
      timer,
      random,
      retryBaseMs,
      endpoints: { cloudtrail: deps.env.AWS_ENDPOINT_URL_CLOUDTRAIL ?? deps.env.AWS_ENDPOINT_URL, ec2: deps.env.AWS_ENDPOINT_URL_EC2 ?? deps.env.AWS_ENDPOINT_URL, s3: deps.env.AWS_ENDPOINT_URL_S3 ?? deps.env.AWS_ENDPOINT_URL, logs: deps.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? deps.env.AWS_ENDPOINT_URL },
      debug: (message) => io.notify({ level: 'debug', code: 'IRCTL_COLLECT_D0001', message }),
      warn: (code, message) => io.notify({ level: 'warn', code, message }),
    };

    const progress = scopedProgress(io, `collecting from ${regions.length} region(s)`);
    let results: ScopeResult[] = [];
    let s3Counts: S3Counts | undefined;
    let context: ContextResult[] | null = null;
    try {
      if (!opts.contextOnly) {
        if (mode === 'lookup') {
          results = await Promise.all(
            regions.map((r) => collectLookupRegion(ctx, r, { window, filters: opts.filters, overlapMs, ratePerSec: opts.rate, maxRetries: opts.maxRetries }, progress.scope(r))),
          );
        } else if (mode === 'logs') {
          // One group at a time: CloudWatch Logs' FilterLogEvents quota (5 per second) is per account and region.
          for (const g of groups) {
            if (deps.signal.aborted) break;
            results.push(await collectLogGroup(ctx, g, { window, overlapMs, ratePerSec: Math.min(opts.rate, 5), maxRetries: opts.maxRetries, region: homeRegion }, progress.scope(g.name)));
          }
        } else if (mode === 'lake') {
          const { collectLake } = await import('./lake.js');
          results = [await collectLake(ctx, { eventDataStore: opts.lake ?? '', query: opts.query, window, filters: opts.filters, overlapMs, ratePerSec: opts.rate, maxRetries: opts.maxRetries, region: homeRegion }, progress.scope('lake'))];
        } else {
          const { collectS3 } = await import('./s3.js');
          const r = await collectS3(ctx, { url: opts.s3 ?? '', window, regions: opts.regions, filters: opts.filters, maxRetries: opts.maxRetries }, progress.scope('s3'));
          results = [r.result];
          s3Counts = r.counts;
        }
      }
      if ((opts.context || opts.contextOnly) && !deps.signal.aborted && (mode === 'lookup' || opts.contextOnly || opts.regions.length > 0 || opts.allRegions)) {
        context = [];
        const okRegions = opts.contextOnly ? regions : mode === 'lookup' ? results.filter((r) => r.status === 'ok').map((r) => r.region) : regions;
        for (const r of okRegions) {
          progress.note(`ctx:${r}`, `${r}: EC2 context snapshot`);
          context.push(await collectEc2Context(ctx, r));
        }
      }
    } finally {
      progress.stop();
    }

    indexEntities(db);
    const interrupted = deps.signal.aborted || results.some((r) => r.status === 'interrupted') || (context ?? []).some((c) => c.status === 'interrupted');
    const sum = (k: 'events' | 'duplicates' | 'filtered_out' | 'quarantined' | 'pages' | 'throttled' | 'retried'): number => results.reduce((a, r) => a + r[k], 0);
    const failed = results.filter((r) => r.status === 'failed').map((r) => r.region);
    const exposed = (context ?? []).flatMap((c) =>
      c.exposure
        .filter((x) => x.exposed)
        .map((x) => ({
          instance_id: x.instance_id,
          region: x.region,
          public_ips: x.public_ips,
          open: [...new Set(x.open_ingress.map((o) => `${o.protocol}${o.from_port === null ? '' : `:${o.from_port === o.to_port ? o.from_port : `${o.from_port}-${o.to_port}`}`} from ${o.cidr} (${o.group_id})`))],
        })),
    );
    const details = {
      source,
      api,
      account: caller.account,
      regions,
      window: windowIso,
      events: sum('events'),
      duplicates: sum('duplicates'),
      filtered_out: sum('filtered_out'),
      quarantined: sum('quarantined'),
      pages: sum('pages'),
      throttled: sum('throttled'),
      retried: sum('retried'),
      interrupted,
      failed_regions: failed,
      results: results.map((r) => ({
        scope: r.region,
        status: r.status,
        events: r.events,
        duplicates: r.duplicates,
        pages: r.pages,
        queried: r.queried,
        ...pageHashesDetail(r.page_hashes),
        ...(r.error ? { error: r.error.message } : {}),
      })),
      ...(s3Counts ? { s3: s3Counts } : {}),
      context: (context ?? []).map((c) => ({
        region: c.region,
        status: c.status,
        counts: c.counts,
        pages: c.pages,
        ...pageHashesDetail(c.page_hashes),
        exposed: c.exposure.filter((x) => x.exposed).map((x) => x.instance_id),
        errors: c.errors.map((e) => e.message),
      })),
    };
    // What this run added to the evidence tables, row by row (store/commitment.ts): `case verify` recomputes it.
    const commitment = ctx.store.commitment.digest();
    const head = db.transaction(() => appendCustody(db, { action: 'collect.end', run_id: runId, details: { ...details, commitment } }, kase.provenance, now()))();
    return {
      run_id: runId,
      api,
      caller,
      account: caller.account,
      window: windowIso,
      regions,
      filters,
      events: details.events,
      duplicates: details.duplicates,
      filtered_out: details.filtered_out,
      quarantined: details.quarantined,
      pages: details.pages,
      throttled: details.throttled,
      retried: details.retried,
      failed_regions: failed,
      interrupted,
      results,
      context,
      exposed,
      s3: s3Counts,
      custody_head: head,
    };
  } finally {
    ports.close();
  }
}

async function defaultConnect(opts: CollectAwsOptions, env: NodeJS.ProcessEnv, homeRegion: string): Promise<AwsPorts> {
  const { connectAws } = await import('./client.js');
  return connectAws({ env, profile: opts.profile, roleArn: opts.roleArn, externalId: opts.externalId, homeRegion });
}

/** Exit decision (pure): the error to throw, or the exit code. */
export function outcomeOf(s: CollectSummary): { error?: SourceAccessError; code: number; failures: Explained[] } {
  const failures = s.results.flatMap((r) => (r.error ? [r.error] : []));
  if (s.interrupted) return { code: 130, failures };
  const allFailed = s.results.length > 0 && s.results.every((r) => r.status === 'failed');
  if (allFailed) {
    const first = failures[0];
    return {
      code: 4,
      failures,
      error: new SourceAccessError(
        s.results.length === 1 ? (first?.message ?? 'collection failed') : `every region failed: ${s.results.map((r) => `${r.region}: ${r.error?.message ?? '?'}`).join('; ')}`,
        { hint: first?.hint ?? 'Run again with --debug.' },
      ),
    };
  }
  // A log file that does not match its CloudTrail digest is an integrity failure at the source (exit 5).
  if ((s.s3?.digest_mismatches.length ?? 0) > 0) return { code: 5, failures };
  const ctxFailed = (s.context ?? []).some((c) => c.status !== 'ok');
  if (s.failed_regions.length > 0 || ctxFailed || s.quarantined > 0) return { code: 6, failures };
  return { code: 0, failures };
}

