/**
 * What every collector of one `collect gcp` run shares.
 */
import type { Db } from '../../store/db.js';
import type { CollectStore } from '../../store/collect-repo.js';
import { withRetries, type TokenBucket, type Timer } from '../rate-limit.js';
import { GcpApiError, type GcpPorts } from './ports.js';

/** Shared state of one run. */
export interface GcpRunContext {
  runId: string;
  /** Caller email (custody, checkpoint keys). */
  caller: string;
  db: Db;
  store: CollectStore;
  ports: GcpPorts;
  signal: AbortSignal;
  now: () => Date;
  timer: Timer;
  random: () => number;
  /** Paces every read of the run below the read quota (one bucket: the quota is per project per minute). */
  bucket: TokenBucket;
  /** Backoff base for retries in ms. */
  retryBaseMs: number;
  /** Retries per call. */
  maxRetries: number;
  debug: (message: string) => void;
  warn: (code: string, message: string) => void;
}

/** A call of the run retried as its error says (quota and transient failures), with the run's backoff. */
export function withGcpRetries<T>(ctx: GcpRunContext, call: () => Promise<T>, maxRetries: number): Promise<T> {
  return withRetries(call, {
    classify: (e) => (e instanceof GcpApiError ? e.retryClass : 'fatal'),
    maxRetries,
    timer: ctx.timer,
    random: ctx.random,
    baseMs: ctx.retryBaseMs,
    signal: ctx.signal,
  });
}
