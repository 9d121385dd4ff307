/**
 * The Okta System Log API over HTTP (`GET /api/v1/logs`), the only place irctl talks to Okta. Pure helpers (Link
 * header, rate-limit headers, error explanations) plus one fetch per page; pacing and retries live in the caller.
 * The credential's headers come from `auth.ts` (an API token or an OAuth service app's access token).
 */
import { SourceAccessError, UsageError } from '../../errors.js';
import type { OktaAuth } from './auth.js';

/** One page as received. */
export interface OktaPage {
  /** The body's exact bytes. */
  body: Buffer;
  /** HTTP status. */
  status: number;
  /** The `rel="next"` URL, if any. */
  next: string | undefined;
  /** `X-Rate-Limit-Remaining`, if sent. */
  remaining: number | undefined;
  /** `X-Rate-Limit-Limit`, if sent. */
  limit: number | undefined;
  /** Milliseconds until `X-Rate-Limit-Reset`, measured against the server's `Date` header (clock skew ignored). */
  resetInMs: number | undefined;
}

/** An HTTP answer that is not a page of events. */
export class OktaApiError extends Error {
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly resetInMs: number | undefined;
  constructor(message: string, o: { status?: number | undefined; errorCode?: string | undefined; resetInMs?: number | undefined; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'OktaApiError';
    this.status = o.status;
    this.errorCode = o.errorCode;
    this.resetInMs = o.resetInMs;
  }
  /** How the caller should treat it. */
  get retryClass(): 'throttle' | 'transient' | 'fatal' {
    if (this.status === 429) return 'throttle';
    if (this.status === undefined || this.status >= 500) return 'transient';
    return 'fatal';
  }
}

/**
 * The org's base URL from `--org`: `acme.okta.com`, `https://acme.okta.com` or `https://acme.okta.com/` all give
 * `https://acme.okta.com`. Plain http is refused (the token would travel in clear).
 */
export function orgBaseUrl(org: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(org) ? org : `https://${org}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--org ${JSON.stringify(org)} is not a URL`, { hint: 'Give the Okta org URL, e.g. --org https://acme.okta.com' });
  }
  if (u.protocol !== 'https:') throw new UsageError(`--org ${JSON.stringify(org)} is not https: the API token must not travel in clear`, { hint: 'Use https://<org>.okta.com' });
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.username !== '' || u.password !== '') {
    throw new UsageError(`--org ${JSON.stringify(org)} must be the org's address only (no path, query or user)`, { hint: 'e.g. --org https://acme.okta.com' });
  }
  return u.origin;
}

/** The `rel="next"` URL of a `Link` header (Okta sends `<url>; rel="self", <url>; rel="next"`, possibly as two headers). */
export function nextLink(link: string | null): string | undefined {
  if (link === null) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

/** Milliseconds until the `X-Rate-Limit-Reset` epoch second, against the server's `Date` (else the local clock). */
export function resetDelayMs(reset: string | null, date: string | null, localNowMs: number): number | undefined {
  if (reset === null || !/^\d+$/.test(reset.trim())) return undefined;
  const serverNow = date !== null && Number.isFinite(Date.parse(date)) ? Date.parse(date) : localNowMs;
  return Math.max(0, Number(reset) * 1000 - serverNow);
}

function intHeader(v: string | null): number | undefined {
  return v !== null && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
}

/** Okta's error body (`{"errorCode": "E0000011", "errorSummary": "Invalid token provided"}`), if it is one. */
function errorBody(body: Buffer): { code?: string; summary?: string } {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return {
        ...(typeof o.errorCode === 'string' ? { code: o.errorCode } : {}),
        ...(typeof o.errorSummary === 'string' ? { summary: o.errorSummary.slice(0, 300) } : {}),
      };
    }
  } catch {
    // not JSON: an HTML error page from a proxy
  }
  return {};
}

/** Fetch one page of `url` (already carrying its query). Throws {@link OktaApiError} for anything but 200. */
export async function fetchPage(url: string, auth: OktaAuth, signal: AbortSignal, nowMs: () => number): Promise<OktaPage> {
  const credential = await auth.headers('GET', url, signal);
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...credential, accept: 'application/json', 'user-agent': 'irctl' }, signal, redirect: 'error' });
  } catch (err) {
    if (signal.aborted) throw err;
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new OktaApiError(`network error${cause || (err instanceof Error ? `: ${err.message}` : '')}`, { cause: err });
  }
  const body = Buffer.from(await res.arrayBuffer());
  auth.nonce(res.headers.get('dpop-nonce'));
  const resetInMs = resetDelayMs(res.headers.get('x-rate-limit-reset'), res.headers.get('date'), nowMs());
  if (res.status !== 200) {
    const e = errorBody(body);
    throw new OktaApiError(`HTTP ${res.status}${e.code !== undefined ? ` ${e.code}` : ''}${e.summary !== undefined ? `: ${e.summary}` : ''}`, {
      status: res.status,
      errorCode: e.code,
      resetInMs,
    });
  }
  return {
    body,
    status: res.status,
    next: nextLink(res.headers.get('link')),
    remaining: intHeader(res.headers.get('x-rate-limit-remaining')),
    limit: intHeader(res.headers.get('x-rate-limit-limit')),
    resetInMs,
  };
}

/** From a failed call to a message an operator can act on (exit 4). */
export function explainOktaError(err: unknown, org: string, from = 'OKTA_API_TOKEN'): SourceAccessError {
  if (!(err instanceof OktaApiError)) return new SourceAccessError(`Okta System Log collection from ${org} failed: ${err instanceof Error ? err.message : String(err)}`, { hint: 'Run again with --debug.', cause: err });
  // eslint-disable-next-line no-control-regex -- strip terminal control characters from a server-provided message
  const msg = err.message.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  if (err.status === 401 && from !== 'OKTA_API_TOKEN') {
    return new SourceAccessError(`Okta rejected the service app's access token for ${org} (${msg})`, {
      hint: 'The token was refreshed once and still refused: check that the app is granted okta.logs.read and the Read-Only Administrator role.',
      cause: err,
    });
  }
  if (err.status === 401) {
    return new SourceAccessError(`Okta rejected the API token for ${org} (${msg})`, {
      hint: 'Check OKTA_API_TOKEN: it must be an API token of this org that is still active (tokens expire after 30 days unused; Security > API > Tokens).',
      cause: err,
    });
  }
  if (err.status === 403) {
    return new SourceAccessError(`the API token may not read the System Log of ${org} (${msg})`, {
      hint: 'Use a token of an administrator with at least the Read-Only Administrator role (or an OAuth service app granted okta.logs.read).',
      cause: err,
    });
  }
  if (err.status === 404) return new SourceAccessError(`${org} has no System Log API (${msg}): is --org the Okta org URL?`, { hint: 'e.g. --org https://acme.okta.com', cause: err });
  if (err.status === 429) return new SourceAccessError(`the System Log API of ${org} stayed rate-limited after every retry (${msg})`, { hint: 'Another integration may share the rate limit; run again later: the collection resumes.', cause: err });
  if (err.status === undefined) return new SourceAccessError(`cannot reach ${org} (${msg})`, { hint: 'Check the network and proxy (and IRCTL_OKTA_ENDPOINT if set), then run again: it resumes.', cause: err });
  return new SourceAccessError(`the System Log API of ${org} answered ${msg}`, { hint: 'Run again (it resumes); with --debug for details.', cause: err });
}
