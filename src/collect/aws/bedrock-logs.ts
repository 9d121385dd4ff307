/**
 * `collect aws --bedrock-logs <log-group>[,...]`: Amazon Bedrock model invocation logs read from CloudWatch Logs with
 * FilterLogEvents, one log group at a time: paced by a token bucket, retried with jittered backoff after throttling
 * and 5xx, stored page by page (each page an input row with the SHA-256 of its body as received, its parameters in
 * the custody record), and checkpointed so that a re-run resumes. The raw record of each log event is its `message`
 * string (the invocation log JSON), exactly as `import --format cwlogs` stores `aws logs filter-log-events` output.
 *
 * FilterLogEvents interleaves the group's streams but does not promise time order across pages (moto returns them
 * stream by stream), so no page says "everything before T is collected". The window is read in slices of
 * {@link SLICE_MS}, oldest first; a slice counts as covered when its last page is stored (in the same transaction),
 * so an interrupted run resumes at the first incomplete slice and never skips an event.
 */
import { rowFromItem } from '../../ingest/records.js';
import type { Progress } from '../../io/io-host.js';
import { loadCheckpoint } from '../../store/collect-repo.js';
import type { IngestRow } from '../../store/ingest-repo.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import { addCovered, gapsIn, parseRanges, type Range } from '../checkpoints.js';
import { tallyPage } from '../custody-detail.js';
import { TokenBucket } from '../rate-limit.js';
import { explainAwsError, isAbort } from './errors.js';
import { checkpointKey, type RegionResult } from './lookup.js';
import { AwsApiError, type LogEvent } from './ports.js';
import { pacedCall, type RunContext } from './run-context.js';

/** API name used in locators, checkpoints and custody. */
export const BEDROCK_LOGS_API = 'logs:FilterLogEvents';
/** Events per page asked for (the API returns at most 10,000 or 1 MB). */
export const LOG_PAGE_SIZE = 1000;
/** Length of one slice of the window: the unit of resumption. */
export const SLICE_MS = 3_600_000;

/** The slices of a closed range, oldest first. */
export function slicesOf(from: number, to: number, sliceMs = SLICE_MS): Range[] {
  const out: Range[] = [];
  for (let s = from; s <= to; s += sliceMs) out.push([s, Math.min(s + sliceMs - 1, to)]);
  return out;
}

/** Options of a log group collection. */
export interface BedrockLogsOptions {
  /** Closed window in epoch ms. */
  window: Range;
  /** Late-delivery overlap re-scanned on the next run. */
  overlapMs: number;
  /** Requests per second. CloudWatch Logs allows 5 FilterLogEvents per second per account and region. */
  ratePerSec: number;
  /** Retries per call. */
  maxRetries: number;
  /** Region of log groups given by name. */
  region: string;
}

/** A log group as given (`name` or `arn:aws:logs:<region>:<account>:log-group:<name>[:*]`): its name and region. */
export function parseLogGroup(spec: string, defaultRegion: string): { name: string; region: string } | undefined {
  const s = spec.trim();
  if (s === '') return undefined;
  const arn = /^arn:aws[a-z-]*:logs:([a-z0-9-]+):\d{12}:log-group:(.+?)(?::\*)?$/.exec(s);
  if (arn) return { name: arn[2] as string, region: arn[1] as string };
  if (s.startsWith('arn:')) return undefined;
  // Log group names: 1-512 characters of [.\-_/#A-Za-z0-9].
  return /^[.\-_/#A-Za-z0-9]{1,512}$/.test(s) ? { name: s, region: defaultRegion } : undefined;
}

/** Collect one log group. Never throws for AWS failures: they are reported in the result (`region` is the scope). */
export async function collectLogGroup(ctx: RunContext, group: { name: string; region: string }, opts: BedrockLogsOptions, progress: Progress): Promise<RegionResult> {
  const started = ctx.timer.now();
  const scope = `${group.region}:${group.name}`;
  const res: RegionResult = { region: scope, status: 'ok', events: 0, duplicates: 0, filtered_out: 0, quarantined: 0, pages: 0, throttled: 0, retried: 0, queried: [], page_hashes: [], elapsed_ms: 0 };
  const logs = ctx.ports.logs;
  if (!logs) throw new Error('the AWS ports have no CloudWatch Logs client');
  const key = checkpointKey(ctx.account, scope, BEDROCK_LOGS_API, {});
  let covered = parseRanges(loadCheckpoint(ctx.db, key)?.covered ?? '[]');
  const gaps = gapsIn(opts.window, covered);
  const bucket = new TokenBucket(opts.ratePerSec, 1, ctx.timer);
  const show = (): void => {
    const secs = Math.max(0.001, (ctx.timer.now() - started) / 1000);
    progress.update(`${group.name}: ${res.events} new, ${res.duplicates} dup, ${res.pages} pages, ${((res.events + res.duplicates) / secs).toFixed(0)} events/s`);
  };
  try {
    for (const [gapFrom, gapTo] of gaps) res.queried.push([new Date(gapFrom).toISOString(), new Date(gapTo).toISOString()]);
    // Long windows get longer slices (at most ~48 per gap): an empty group must not cost thousands of requests.
    for (const [from, to] of gaps.flatMap(([a, b]) => slicesOf(a, b, Math.max(SLICE_MS, Math.ceil((b - a + 1) / 48))))) {
      let nextToken: string | undefined;
      for (;;) {
        if (ctx.signal.aborted) {
          res.status = 'interrupted';
          return res;
        }
        const request = { logGroupName: group.name, startTime: from, endTime: to, nextToken, limit: LOG_PAGE_SIZE };
        const page = await pacedCall(ctx, res, bucket, opts.maxRetries, { scope: group.name, operation: 'FilterLogEvents' }, () =>
          logs.filterLogEvents(group.region, request, ctx.signal),
        );
        const rows = page.events.map((e, i) => rowForLogEvent(e, i, group.name));
        if (page.nextToken === undefined) covered = addCovered(covered, from, to, ctx.now().getTime(), opts.overlapMs);
        const c = ctx.store.storePage(
          {
            runId: ctx.runId,
            kind: 'api_page',
            locator: `${BEDROCK_LOGS_API} ${group.region} ${group.name}`,
            params: {
              region: group.region,
              logGroupName: group.name,
              startTime: new Date(from).toISOString(),
              endTime: new Date(to).toISOString(),
              limit: LOG_PAGE_SIZE,
              ...(nextToken !== undefined ? { nextToken_sha256: sha256Hex(nextToken) } : {}),
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
            region: group.region,
            api: BEDROCK_LOGS_API,
            filters: canonicalJson({ logGroupName: group.name }),
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
    if (isAbort(err) || ctx.signal.aborted) res.status = 'interrupted';
    else {
      res.status = 'failed';
      res.error =
        err instanceof AwsApiError && err.code === 'ResourceNotFoundException'
          ? {
              kind: 'api_error',
              message: `log group ${group.name} does not exist in ${group.region} (or the caller cannot see it)`,
              hint: 'Check the name and region: `aws logs describe-log-groups --region <region>`; Bedrock names its group in `aws bedrock get-model-invocation-logging-configuration`. Give an ARN for a group in another region.',
            }
          : explainAwsError(err, ctx.endpoints.logs);
    }
  } finally {
    res.elapsed_ms = Math.round(ctx.timer.now() - started);
  }
  return res;
}

/** The stored row of one log event: its message string, parsed and normalized like an imported record. */
function rowForLogEvent(e: LogEvent, index: number, group: string): IngestRow {
  if (e.message === undefined) {
    const bytes = Buffer.from(JSON.stringify({ logStreamName: e.logStreamName, timestamp: e.timestamp, eventId: e.eventId }), 'utf8');
    return { kind: 'rejected', bytes, sha256: sha256Hex(bytes), index, offset: null, reason: `record ${index}: log event ${e.eventId ?? '?'} of ${group} has no message` };
  }
  const row = rowFromItem({ type: 'record', bytes: Buffer.from(e.message, 'utf8'), index, offset: 0 }, 'jsonl');
  return { ...row, offset: null };
}
