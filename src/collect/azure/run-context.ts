/**
 * What every collector of one `collect azure` run shares.
 */
import type { Db } from '../../store/db.js';
import type { CollectStore } from '../../store/collect-repo.js';
import type { Timer } from '../rate-limit.js';
import type { AzureEndpoints } from './cloud.js';
import type { AzureHttp } from './http.js';

/** Shared state of one run. */
export interface AzureRunContext {
  runId: string;
  db: Db;
  store: CollectStore;
  http: AzureHttp;
  endpoints: AzureEndpoints;
  signal: AbortSignal;
  now: () => Date;
  timer: Timer;
  debug: (message: string) => void;
  warn: (code: string, message: string) => void;
}

/** Outcome of one scope (a subscription's Activity Log, a tenant's sign-ins, a workspace table...). */
export interface AzureScopeResult {
  /** What was collected, e.g. `subscription 0000...` or `tenant 1111... signIns`. */
  scope: string;
  /** API of the scope (locators, checkpoints). */
  api: string;
  status: 'ok' | 'failed' | 'interrupted' | 'absent';
  /** New events stored. */
  events: number;
  /** Records already in the case. */
  duplicates: number;
  quarantined: number;
  pages: number;
  /** Retries after throttling (429 / Retry-After). */
  throttled: number;
  /** Retries after 5xx / network errors. */
  retried: number;
  /** Times an expired continuation token made the scope resume from the last time seen. */
  expired_tokens: number;
  /** Ranges queried this run. */
  queried: Array<[string, string]>;
  /** SHA-256 of each page body, in order. */
  page_hashes: string[];
  elapsed_ms: number;
  error?: { kind: string; message: string; hint: string } | undefined;
  /** Something the operator should know that is not a failure (an absent default table). */
  note?: string | undefined;
}

/** A fresh result. */
export function newScopeResult(scope: string, api: string): AzureScopeResult {
  return { scope, api, status: 'ok', events: 0, duplicates: 0, quarantined: 0, pages: 0, throttled: 0, retried: 0, expired_tokens: 0, queried: [], page_hashes: [], elapsed_ms: 0 };
}
