/**
 * What every collector of one run shares.
 */
import type { Db } from '../../store/db.js';
import type { CollectStore } from '../../store/collect-repo.js';
import type { AwsPorts } from './ports.js';
import { withRetries, type TokenBucket, type Timer } from '../rate-limit.js';
import { AwsApiError } from './ports.js';

/** Shared state of one `collect aws` run. */
export interface RunContext {
  runId: string;
  /** Account of the caller (STS). */
  account: string;
  db: Db;
  store: CollectStore;
  ports: AwsPorts;
  signal: AbortSignal;
  now: () => Date;
  timer: Timer;
  random: () => number;
  /** Backoff base for retries in ms (full jitter, doubling per attempt). */
  retryBaseMs: number;
  /** Endpoint overrides in use (for messages). */
  endpoints: { cloudtrail?: string | undefined; ec2?: string | undefined; s3?: string | undefined; logs?: string | undefined };
  /** Debug diagnostics. */
  debug: (message: string) => void;
  /** Warnings. */
  warn: (code: string, message: string) => void;
}

/**
 * One paced API call of a page loop: waits for the bucket, retries throttling and transient failures with the run's
 * backoff, counts the retries on `tally` and logs each at debug level as `<scope>: <code> on <operation>`.
 */
export function pacedCall<T>(
  ctx: RunContext,
  tally: { throttled: number; retried: number },
  bucket: TokenBucket,
  maxRetries: number,
  what: { scope: string; operation: string },
  call: () => Promise<T>,
): Promise<T> {
  return withRetries(
    async () => {
      await bucket.take(ctx.signal);
      return call();
    },
    {
      classify: (e) => (e instanceof AwsApiError ? e.retryClass : 'fatal'),
      maxRetries,
      timer: ctx.timer,
      random: ctx.random,
      baseMs: ctx.retryBaseMs,
      signal: ctx.signal,
      onRetry: ({ kind, delayMs, error }) => {
        if (kind === 'throttle') tally.throttled++;
        else tally.retried++;
        ctx.debug(`${what.scope}: ${error instanceof AwsApiError ? error.code : 'error'} on ${what.operation}, retrying in ${delayMs} ms`);
      },
    },
  );
}
