/**
 * Client-side pacing and retry for cloud APIs (pure: clock, sleep and randomness are injected).
 *
 * CloudTrail allows LookupEvents 2 requests per second per account per region. Pacing each region with a token
 * bucket keeps irctl under the limit instead of bouncing off it; throttling that still happens (another tool using
 * the same account, a stricter limit) is retried with full-jitter exponential backoff.
 */

/** Clock and sleep, injected so tests and benchmarks control time. */
export interface Timer {
  /** Milliseconds, monotonic enough for pacing. */
  now(): number;
  /** Resolve after `ms`, or reject when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Real-time timer. */
export const realTimer: Timer = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortReason(signal));
        return;
      }
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = (): void => {
        clearTimeout(t);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** The error a sleep rejects with when aborted. */
export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

function abortReason(_signal: AbortSignal | undefined): Error {
  return new AbortedError();
}

/**
 * Token bucket: `ratePerSec` tokens per second, at most `burst` stored. `take()` waits until a token is available.
 * Waiters are served in order, so concurrent callers on one bucket share the rate fairly.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();
  private readonly ratePerSec: number;
  private readonly burst: number;
  private readonly timer: Timer;

  constructor(ratePerSec: number, burst: number, timer: Timer = realTimer) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.timer = timer;
    this.tokens = burst;
    this.last = timer.now();
  }

  /** Wait for one token. */
  take(signal?: AbortSignal): Promise<void> {
    if (!(this.ratePerSec > 0) || !Number.isFinite(this.ratePerSec)) return Promise.resolve();
    const next = this.queue.then(() => this.takeNow(signal));
    // A rejected (aborted) take must not poison the queue for the next caller.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async takeNow(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.timer.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec);
      await this.timer.sleep(waitMs, signal);
    }
  }
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)] (AWS Architecture Blog). */
export function backoffMs(attempt: number, random: () => number, baseMs = 500, capMs = 20_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/** How a failed call should be treated. */
export type RetryClass = 'throttle' | 'transient' | 'fatal';

/** Options of {@link withRetries}. */
export interface RetryOptions {
  /** Classify an error. */
  classify: (err: unknown) => RetryClass;
  /** Retries after the first attempt. @default 8 */
  maxRetries?: number;
  /** Timer. */
  timer?: Timer;
  /** Random in [0,1). */
  random?: () => number;
  /** Stop waiting on abort. */
  signal?: AbortSignal | undefined;
  /** Called before each retry (for counting and progress). */
  onRetry?: (info: { attempt: number; kind: RetryClass; delayMs: number; error: unknown }) => void;
  /** Backoff base in ms. @default 500 */
  baseMs?: number;
}

/**
 * Run `fn`, retrying throttling and transient failures with jittered backoff. Throttling backs off from a higher
 * base than 5xx/network errors, because hammering a throttled API prolongs the throttling.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const timer = opts.timer ?? realTimer;
  const random = opts.random ?? Math.random;
  const max = opts.maxRetries ?? 8;
  const base = opts.baseMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted === true) throw err;
      const kind = opts.classify(err);
      if (kind === 'fatal' || attempt >= max) throw err;
      const delayMs = backoffMs(attempt, random, kind === 'throttle' ? base * 2 : base);
      opts.onRetry?.({ attempt: attempt + 1, kind, delayMs, error: err });
      await timer.sleep(delayMs, opts.signal);
    }
  }
}

/** What every collector takes from its caller besides its options (tests inject time and randomness). */
export interface CollectRunDeps {
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  now: () => Date;
  timer?: Timer;
  random?: () => number;
  /** Backoff base in ms (IRCTL_RETRY_BASE_MS in the environment overrides the collector's default). */
  retryBaseMs?: number;
}

/** A run's clock, randomness and backoff base: the injected ones, else real time, Math.random and the default. */
export function runPacing(deps: CollectRunDeps, defaultBaseMs: number): { timer: Timer; random: () => number; retryBaseMs: number } {
  const envBase = Number(deps.env.IRCTL_RETRY_BASE_MS);
  return {
    timer: deps.timer ?? realTimer,
    random: deps.random ?? Math.random,
    retryBaseMs: deps.retryBaseMs ?? (Number.isFinite(envBase) && envBase > 0 ? envBase : defaultBaseMs),
  };
}
