/**
 * What every collector of one run shares.
 */
import type { Db } from '../../store/db.js';
import type { CollectStore } from '../../store/collect-repo.js';
import type { AwsPorts } from './ports.js';
import type { Timer } from '../rate-limit.js';

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
