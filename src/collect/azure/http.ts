/**
 * HTTP to Azure (ARM, Microsoft Graph) through `@azure/core-rest-pipeline` with a bearer token per audience. The body
 * of every response is read as bytes (the evidence is what was received, not a re-serialization) and hashed. Retries
 * are irctl's own, not the pipeline's, so each is counted and `Retry-After` is honoured: 429 and 503 wait what the
 * service asks (else jittered backoff), other 5xx and network errors back off.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient, Pipeline, TlsSettings } from '@azure/core-rest-pipeline';
import type * as CoreRest from '@azure/core-rest-pipeline';
import { sha256Hex } from '../../util/hash.js';
import { backoffMs, type Timer } from '../rate-limit.js';

/** A response as received. */
export interface AzureResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Body bytes as received (after transfer decompression). */
  body: Buffer;
  sha256: string;
}

/** How a failure is treated. */
export type AzureRetryClass = 'throttle' | 'transient' | 'fatal';

/** A failed call, normalized (the stage never depends on SDK error shapes). */
export class AzureApiError extends Error {
  /** What was called, e.g. `GET /auditLogs/signIns`. */
  readonly operation: string;
  /** HTTP status; undefined for network errors. */
  readonly status: number | undefined;
  /** Service error code (`AuthorizationFailed`, `Authentication_RequestFromNonPremiumTenantOrB2CTenant`...) or a network code. */
  readonly code: string;
  readonly retryClass: AzureRetryClass;
  /** `Retry-After` in ms, when the service sent one. */
  readonly retryAfterMs: number | undefined;
  /** The error body as received (for custody of failed pages). */
  readonly body: Buffer | undefined;
  constructor(message: string, f: { operation: string; status: number | undefined; code: string; retryClass: AzureRetryClass; retryAfterMs?: number | undefined; body?: Buffer | undefined; cause?: unknown }) {
    super(message, f.cause === undefined ? undefined : { cause: f.cause });
    this.name = 'AzureApiError';
    this.operation = f.operation;
    this.status = f.status;
    this.code = f.code;
    this.retryClass = f.retryClass;
    this.retryAfterMs = f.retryAfterMs;
    this.body = f.body;
  }
}

/** Counters of one client, for summaries. */
export interface CallCounters {
  throttled: number;
  retried: number;
}

/** Options of {@link AzureHttp}. */
export interface AzureHttpOptions {
  credential: TokenCredential;
  tlsOptions: TlsSettings | undefined;
  timer: Timer;
  random: () => number;
  signal: AbortSignal;
  /** Retries per call. */
  maxRetries: number;
  /** Backoff base in ms. */
  retryBaseMs: number;
  /** Longest `Retry-After` honoured before the call counts as throttled out. @default 120000 */
  maxRetryAfterMs?: number;
  debug?: (message: string) => void;
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in ms. */
export function retryAfterMs(headers: Record<string, string>, nowMs: number): number | undefined {
  const ms = headers['retry-after-ms'] ?? headers['x-ms-retry-after-ms'];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const ra = headers['retry-after'];
  if (ra === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.ceil(Number(ra) * 1000);
  const t = Date.parse(ra);
  return Number.isFinite(t) ? Math.max(0, t - nowMs) : undefined;
}

/** The `error.code` / `error.message` of an Azure error body (ARM, Graph and Log Analytics all use `{"error": {...}}`). */
export function errorOfBody(body: Buffer): { code: string | undefined; message: string | undefined; inner: string | undefined } {
  try {
    const v = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown; innererror?: { code?: unknown } | undefined } };
    const e = v.error;
    if (e === undefined || e === null || typeof e !== 'object') return { code: undefined, message: undefined, inner: undefined };
    return {
      code: typeof e.code === 'string' ? e.code : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
      inner: typeof e.innererror?.code === 'string' ? e.innererror.code : undefined,
    };
  } catch {
    return { code: undefined, message: undefined, inner: undefined };
  }
}

/** One bearer-token pipeline per audience over one HTTP client. */
export class AzureHttp {
  readonly counters: CallCounters = { throttled: 0, retried: 0 };
  private readonly opts: AzureHttpOptions;
  private readonly pipelines = new Map<string, Pipeline>();
  private client: HttpClient | undefined;
  private core: typeof CoreRest | undefined;

  constructor(opts: AzureHttpOptions) {
    this.opts = opts;
  }

  private async pipeline(audience: string): Promise<{ pipeline: Pipeline; client: HttpClient; core: typeof CoreRest }> {
    this.core ??= await import('@azure/core-rest-pipeline');
    const core = this.core;
    this.client ??= core.createDefaultHttpClient();
    let p = this.pipelines.get(audience);
    if (!p) {
      // An empty pipeline: no retry policies of its own (irctl counts and paces retries), TLS settings, a user agent,
      // and the bearer token (which refuses plain http, as Azure's SDKs do).
      p = core.createEmptyPipeline();
      if (this.opts.tlsOptions) p.addPolicy(core.tlsPolicy(this.opts.tlsOptions));
      p.addPolicy(core.userAgentPolicy({ userAgentPrefix: 'irctl' }));
      p.addPolicy(core.bearerTokenAuthenticationPolicy({ credential: this.opts.credential, scopes: `${audience}/.default` }));
      this.pipelines.set(audience, p);
    }
    return { pipeline: p, client: this.client, core };
  }

  /** One call, retried; resolves with a 2xx response or throws {@link AzureApiError}. */
  async call(audience: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: string, counters?: CallCounters): Promise<AzureResponse> {
    const { pipeline, client, core } = await this.pipeline(audience);
    const operation = `${method} ${operationPath(url)}`;
    for (let attempt = 0; ; attempt++) {
      let err: AzureApiError;
      try {
        const req = core.createPipelineRequest({
          url,
          method,
          abortSignal: this.opts.signal,
          headers: core.createHttpHeaders({ accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }),
          ...(body !== undefined ? { body } : {}),
          // Every status streamed: the bytes are read here, never decoded and re-encoded by the pipeline.
          streamResponseStatusCodes: new Set(Array.from({ length: 500 }, (_, i) => i + 100)),
          timeout: 11 * 60_000,
        });
        const res = await pipeline.sendRequest(client, req);
        const bytes = await readAll(res.readableStreamBody);
        const headers: Record<string, string> = {};
        for (const [k, v] of res.headers) headers[k.toLowerCase()] = v;
        if (res.status >= 200 && res.status < 300) return { status: res.status, headers, body: bytes, sha256: sha256Hex(bytes) };
        err = httpError(operation, res.status, headers, bytes, this.opts.timer.now());
      } catch (e) {
        if (e instanceof AzureApiError) throw e;
        if (this.opts.signal.aborted) throw e;
        err = networkOrAuthError(operation, e);
      }
      if (err.retryClass === 'fatal' || attempt >= this.opts.maxRetries) throw err;
      const wait = err.retryAfterMs ?? backoffMs(attempt, this.opts.random, err.retryClass === 'throttle' ? this.opts.retryBaseMs * 2 : this.opts.retryBaseMs);
      if (err.retryAfterMs !== undefined && err.retryAfterMs > (this.opts.maxRetryAfterMs ?? 120_000)) throw err;
      for (const c of counters ? [this.counters, counters] : [this.counters]) {
        if (err.retryClass === 'throttle') c.throttled++;
        else c.retried++;
      }
      this.opts.debug?.(`${operation}: ${err.status ?? err.code}, retrying in ${wait} ms`);
      await this.opts.timer.sleep(wait, this.opts.signal);
    }
  }

  /** A token for `audience` (fails early, before any case change, when there are no credentials). */
  async token(audience: string): Promise<string> {
    try {
      const t = await this.opts.credential.getToken(`${audience}/.default`, { abortSignal: this.opts.signal });
      if (!t) throw new Error('the credential returned no token');
      return t.token;
    } catch (e) {
      throw networkOrAuthError(`token for ${audience}`, e);
    }
  }
}

function operationPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));
  return Buffer.concat(parts);
}

function httpError(operation: string, status: number, headers: Record<string, string>, body: Buffer, nowMs: number): AzureApiError {
  const e = errorOfBody(body);
  const code = e.code ?? `HTTP${status}`;
  const retryClass: AzureRetryClass = status === 429 ? 'throttle' : status === 503 && headers['retry-after'] !== undefined ? 'throttle' : status >= 500 || status === 408 ? 'transient' : 'fatal';
  // eslint-disable-next-line no-control-regex -- a cloud-provided message may carry terminal control characters
  const msg = (e.message ?? body.subarray(0, 300).toString('utf8')).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  return new AzureApiError(msg, { operation, status, code: e.inner !== undefined && code === 'BadRequest' ? e.inner : code, retryClass, retryAfterMs: retryAfterMs(headers, nowMs), body });
}

/** A thrown error (credential, network) as an {@link AzureApiError}. */
export function networkOrAuthError(operation: string, e: unknown): AzureApiError {
  const name = typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  if (/CredentialUnavailableError|AggregateAuthenticationError/.test(name)) {
    return new AzureApiError(message, { operation, status: undefined, code: 'CredentialUnavailable', retryClass: 'fatal', cause: e });
  }
  if (name === 'AuthenticationError' || name === 'AuthenticationRequiredError' || /AADSTS\d+|invalid_client|unauthorized_client/.test(message)) {
    const status = typeof e === 'object' && e !== null && 'statusCode' in e && typeof e.statusCode === 'number' ? e.statusCode : undefined;
    return new AzureApiError(message, { operation, status, code: 'AuthenticationFailed', retryClass: status !== undefined && status >= 500 ? 'transient' : 'fatal', cause: e });
  }
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : name;
  if (name === 'AbortError') return new AzureApiError(message, { operation, status: undefined, code: 'AbortError', retryClass: 'fatal', cause: e });
  return new AzureApiError(message, { operation, status: undefined, code, retryClass: 'transient', cause: e });
}
