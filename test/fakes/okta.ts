/**
 * A fake Okta System Log API for tests. Behaviour spec (Okta "System Log API" and "Rate limits"):
 *
 * - `GET /api/v1/logs?since&until&limit&sortOrder=ASCENDING[&after]` with `Authorization: SSWS <token>`; a wrong or
 *   missing token answers 401 `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`.
 * - Events are held as exact JSON texts; a page body is `[` + the texts joined by `,` + `]`, so the bytes each event
 *   occupies in the page are known. Events with `since <= published < until`, oldest first (ties by uuid), at most
 *   `min(limit, pageSize)` per page (pageSize 5 by default, so paging always runs).
 * - `Link: <...>; rel="self"` on every page, and `rel="next"` (an opaque `after` cursor) while events remain. Like
 *   Okta, a query without `until` (a polling query) gets a `next` link on every page, empty ones included;
 *   `alwaysNext` does the same for bounded queries.
 * - Rate limit: `limit` requests per `windowMs` window, reported as `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`
 *   and `X-Rate-Limit-Reset` (epoch seconds of the window's end) on every answer; beyond it 429
 *   `{"errorCode":"E0000047"}` with the same headers. `throttle(n)` answers the next n requests with 429 regardless.
 * - Faults: `fail(n, 500)` answers the next n requests with that status.
 * - Records every request (url, status, time) and the SHA-256 of every page body it sent.
 * - OAuth service apps (option `oauth`): `POST /oauth2/v1/token` with the client-credentials grant and a
 *   `private_key_jwt` client assertion, verified against the app's public key (iss = sub = client id, aud = the org's
 *   token endpoint, not expired); a missing okta.logs.read scope is 400 `invalid_scope`. With `requireDpop`, as Okta
 *   does for new service apps: no `DPoP` header is 400 `invalid_dpop_proof`, a proof without the server nonce is 400
 *   `use_dpop_nonce` with a `DPoP-Nonce` header, and the token issued is DPoP-bound: API requests must send
 *   `Authorization: DPoP <token>` and a proof signed by the same key with `htm`, `htu` and `ath` (RFC 9449).
 *   Tokens expire after `expiresIn` seconds; `revokeTokens()` makes every issued token invalid (401).
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One event the fake holds. */
export interface FakeOktaEvent {
  uuid: string;
  /** Epoch ms of `published`. */
  ms: number;
  /** The event's exact JSON text. */
  raw: string;
}

/** Options. */
export interface FakeOktaOptions {
  token?: string;
  pageSize?: number;
  /** Requests per rate-limit window. @default 1000 */
  rateLimit?: number;
  /** Window length. @default 60000 (Okta's one minute) */
  windowMs?: number;
  /** Send `rel="next"` on every page (Okta's polling behaviour) even for bounded queries. */
  alwaysNext?: boolean;
  /** Accept OAuth access tokens of this service app too. */
  oauth?: { clientId: string; publicKey: KeyObject; audience: string; requireDpop?: boolean; expiresIn?: number };
}

const b64uJson = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Verify a compact JWS with `key` (RS256 or ES256); returns the header and payload, or undefined. */
function verifyJws(jws: string, key: KeyObject): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = b64uJson(parts[0]!);
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(parts[2]!, 'base64url'));
    return ok ? { header, payload: b64uJson(parts[1]!) } : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 7638 thumbprint of an EC public JWK. */
function thumbprint(jwk: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
}

/** One request seen. */
export interface SeenOktaRequest {
  url: string;
  status: number;
  at: number;
}

/** Build a System Log event (published at `ms`) as compact JSON text. */
export function makeOktaEvent(o: { ms: number; uuid?: string; user?: string; ip?: string; eventType?: string; result?: string }): FakeOktaEvent {
  const uuid = o.uuid ?? createHash('sha256').update(`${o.ms}:${o.user ?? ''}:${o.eventType ?? ''}`).digest('hex').slice(0, 32);
  const user = o.user ?? 'alice@acme.example';
  const ev = {
    actor: { id: '00u1a2b3c4d5e6f7g8h9', type: 'User', alternateId: user, displayName: user.split('@')[0], detailEntry: null },
    client: {
      userAgent: { rawUserAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)', os: 'Mac OS X', browser: 'CHROME' },
      zone: 'null',
      device: 'Computer',
      id: null,
      ipAddress: o.ip ?? '203.0.113.10',
      geographicalContext: { city: 'Seattle', state: 'Washington', country: 'United States', postalCode: '98101', geolocation: { lat: 47.6, lon: -122.3 } },
    },
    authenticationContext: { authenticationStep: 0, externalSessionId: 'unknown' },
    displayMessage: 'User login to Okta',
    eventType: o.eventType ?? 'user.session.start',
    outcome: { result: o.result ?? 'SUCCESS', reason: null },
    published: new Date(o.ms).toISOString(),
    securityContext: { asNumber: 7922, asOrg: 'comcast', isp: 'comcast', domain: 'comcast.net', isProxy: false },
    severity: 'INFO',
    debugContext: { debugData: { requestUri: '/idp/idx/identify' } },
    legacyEventType: 'core.user_auth.login_success',
    transaction: { type: 'WEB', id: `W${uuid.slice(0, 12)}`, detail: {} },
    uuid,
    version: '0',
    request: { ipChain: [{ ip: o.ip ?? '203.0.113.10', version: 'V4', source: null }] },
    target: [],
  };
  return { uuid, ms: o.ms, raw: JSON.stringify(ev) };
}

/** The fake server. */
export class FakeOkta {
  readonly events: FakeOktaEvent[] = [];
  readonly seen: SeenOktaRequest[] = [];
  /** SHA-256 of every 200 page body sent, in order. */
  readonly pageHashes: string[] = [];
  private readonly opts: Required<Omit<FakeOktaOptions, 'oauth'>> & Pick<FakeOktaOptions, 'oauth'>;
  /** Token endpoint calls: the error or `issued` of each. */
  readonly tokenCalls: string[] = [];
  private readonly tokens = new Map<string, { type: 'Bearer' | 'DPoP'; jkt: string | undefined; expiresAt: number }>();
  private nonceValue = 'n-0';
  private issued = 0;
  private revokeAt: number | undefined;
  private server: Server | undefined;
  private base = '';
  private readonly sockets = new Set<Socket>();
  private windowStart = 0;
  private used = 0;
  private throttleLeft = 0;
  private failLeft = 0;
  private failStatus = 500;
  private hold: { after: number; onHold: () => void } | undefined;

  constructor(opts: FakeOktaOptions = {}) {
    this.opts = { token: 'test-token-00aBcD', pageSize: 5, rateLimit: 1000, windowMs: 60_000, alwaysNext: false, ...opts };
  }

  /** Add events (kept sorted by time, then uuid). */
  add(evs: readonly FakeOktaEvent[]): void {
    this.events.push(...evs);
    this.events.sort((a, b) => a.ms - b.ms || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
  }

  /** Answer the next `n` requests with 429. */
  throttle(n: number): void {
    this.throttleLeft = n;
  }

  /** Answer the next `n` requests with `status`. */
  fail(n: number, status = 500): void {
    this.failLeft = n;
    this.failStatus = status;
  }

  /**
   * After `after` answered requests, hold every further request unanswered (until the client gives up or the fake
   * closes) and call `onHold` once: a test interrupts a run at an exact point, however fast the machine is.
   */
  holdAfter(after: number, onHold: () => void): void {
    this.hold = { after, onHold };
  }

  /** Requests to /api/v1/logs. */
  requests(): SeenOktaRequest[] {
    return this.seen;
  }

  /** Start on 127.0.0.1; returns the base URL (IRCTL_OKTA_ENDPOINT). */
  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private rateHeaders(): Record<string, string> {
    return {
      'x-rate-limit-limit': String(this.opts.rateLimit),
      'x-rate-limit-remaining': String(Math.max(0, this.opts.rateLimit - this.used)),
      'x-rate-limit-reset': String(Math.ceil((this.windowStart + this.opts.windowMs) / 1000)),
    };
  }

  private send(res: ServerResponse, url: string, status: number, body: string, headers: Record<string, string>): void {
    this.seen.push({ url, status, at: Date.now() });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    if (this.hold !== undefined && this.seen.length >= this.hold.after) {
      const h = this.hold;
      this.hold = undefined;
      h.onHold();
      return;
    }
    const now = Date.now();
    if (now >= this.windowStart + this.opts.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (url.pathname === '/oauth2/v1/token' && req.method === 'POST') {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => this.token(req, res, url, new URLSearchParams(text)));
      return;
    }
    if (url.pathname !== '/api/v1/logs') {
      this.send(res, url.href, 404, '{"errorCode":"E0000022","errorSummary":"The endpoint does not support the provided HTTP method"}', {});
      return;
    }
    if (this.revokeAt !== undefined && this.seen.length >= this.revokeAt) {
      this.revokeAt = undefined;
      this.revokeTokens();
    }
    if (req.headers.authorization !== `SSWS ${this.opts.token}` && !this.oauthOk(req, url)) {
      this.send(res, url.href, 401, '{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae1","errorCauses":[]}', {});
      return;
    }
    this.used++;
    if (this.throttleLeft > 0 || this.used > this.opts.rateLimit) {
      if (this.throttleLeft > 0) this.throttleLeft--;
      // A throttled answer during an injected burst resets one second from now, as a short Okta window would.
      const headers = this.rateHeaders();
      if (this.used <= this.opts.rateLimit) headers['x-rate-limit-reset'] = String(Math.ceil((now + 1000) / 1000));
      headers['x-rate-limit-remaining'] = '0';
      this.send(res, url.href, 429, '{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}', headers);
      return;
    }
    if (this.failLeft > 0) {
      this.failLeft--;
      this.send(res, url.href, this.failStatus, '{"errorCode":"E0000009","errorSummary":"Internal Server Error"}', this.rateHeaders());
      return;
    }
    const since = Date.parse(url.searchParams.get('since') ?? '1970-01-01T00:00:00Z');
    const untilText = url.searchParams.get('until');
    const until = untilText === null ? Infinity : Date.parse(untilText);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? '100'), this.opts.pageSize);
    const after = url.searchParams.get('after');
    const all = this.events.filter((e) => e.ms >= since && e.ms < until);
    const start = after === null ? 0 : Number(Buffer.from(after, 'base64url').toString('utf8'));
    const page = all.slice(start, start + limit);
    const body = `[${page.map((e) => e.raw).join(',')}]`;
    this.pageHashes.push(createHash('sha256').update(body, 'utf8').digest('hex'));
    const self = `<${url.href}>; rel="self"`;
    const more = start + page.length < all.length;
    let link = self;
    if (more || untilText === null || this.opts.alwaysNext) {
      const next = new URL(url.href);
      next.searchParams.set('after', Buffer.from(String(start + page.length), 'utf8').toString('base64url'));
      link += `, <${next.href}>; rel="next"`;
    }
    this.send(res, url.href, 200, body, { ...this.rateHeaders(), link });
  }

  /** After `n` answered log requests, make every issued OAuth token invalid (a revoked or expired token mid-run). */
  revokeAfter(n: number): void {
    this.revokeAt = n;
  }

  /** Make every issued OAuth token invalid (the next API request with one gets 401). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** A new DPoP nonce (as the server rotates them). */
  rotateNonce(): void {
    this.nonceValue = `n-${this.issued + 1}-${Date.now()}`;
  }

  private tokenError(res: ServerResponse, url: URL, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
    this.tokenCalls.push(error);
    this.send(res, url.href, status, JSON.stringify({ error, error_description: description }), headers);
  }

  /** Verify a DPoP proof for `method url`; returns its key thumbprint or an error text. */
  private checkProof(proof: string | undefined, method: string, url: URL, accessToken?: string): { jkt: string } | { error: string } {
    if (proof === undefined) return { error: 'missing' };
    const [h] = proof.split('.');
    let jwk: Record<string, unknown>;
    try {
      jwk = b64uJson(h ?? '').jwk as Record<string, unknown>;
    } catch {
      return { error: 'malformed' };
    }
    const ok = verifyJws(proof, createPublicKey({ key: jwk as never, format: 'jwk' }));
    if (ok === undefined || ok.header.typ !== 'dpop+jwt') return { error: 'bad signature' };
    const p = ok.payload;
    if (p.htm !== method || p.htu !== `${url.origin}${url.pathname}`) return { error: 'htm/htu mismatch' };
    if (accessToken !== undefined && p.ath !== createHash('sha256').update(accessToken).digest('base64url')) return { error: 'ath mismatch' };
    if (accessToken === undefined && p.nonce !== this.nonceValue) return { error: 'nonce' };
    return { jkt: thumbprint(jwk) };
  }

  private token(req: IncomingMessage, res: ServerResponse, url: URL, form: URLSearchParams): void {
    const o = this.opts.oauth;
    if (o === undefined) return this.tokenError(res, url, 400, 'invalid_client', 'Client authentication failed.');
    if (form.get('grant_type') !== 'client_credentials') return this.tokenError(res, url, 400, 'unsupported_grant_type', 'The authorization grant type is not supported.');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return this.tokenError(res, url, 401, 'invalid_client', 'Client authentication failed.');
    const jwt = verifyJws(form.get('client_assertion') ?? '', o.publicKey);
    const p = jwt?.payload;
    if (p === undefined || p.iss !== o.clientId || p.sub !== o.clientId || p.aud !== o.audience || typeof p.exp !== 'number' || p.exp * 1000 < Date.now()) {
      return this.tokenError(res, url, 401, 'invalid_client', 'The client_assertion signature is invalid.');
    }
    if (!(form.get('scope') ?? '').split(' ').includes('okta.logs.read')) return this.tokenError(res, url, 400, 'invalid_scope', 'The requested scope is invalid, unknown, or malformed.');
    let jkt: string | undefined;
    if (o.requireDpop === true) {
      const proof = req.headers.dpop;
      const c = this.checkProof(typeof proof === 'string' ? proof : undefined, 'POST', url);
      if ('error' in c && c.error === 'missing') return this.tokenError(res, url, 400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.');
      if ('error' in c && c.error === 'nonce') return this.tokenError(res, url, 400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.', { 'dpop-nonce': this.nonceValue });
      if ('error' in c) return this.tokenError(res, url, 400, 'invalid_dpop_proof', `The DPoP proof is invalid (${c.error}).`);
      jkt = c.jkt;
    }
    this.issued++;
    const value = `eyFakeAccess.${this.issued}.${createHash('sha256').update(`${Date.now()}:${this.issued}`).digest('hex').slice(0, 16)}`;
    const expiresIn = o.expiresIn ?? 3600;
    this.tokens.set(value, { type: jkt === undefined ? 'Bearer' : 'DPoP', jkt, expiresAt: Date.now() + expiresIn * 1000 });
    this.tokenCalls.push('issued');
    this.send(res, url.href, 200, JSON.stringify({ token_type: jkt === undefined ? 'Bearer' : 'DPoP', expires_in: expiresIn, access_token: value, scope: 'okta.logs.read' }), {});
  }

  /** An API request carrying a valid OAuth access token (and, when bound, a valid DPoP proof). */
  private oauthOk(req: IncomingMessage, url: URL): boolean {
    const m = /^(Bearer|DPoP) (.+)$/.exec(req.headers.authorization ?? '');
    if (m === null) return false;
    const t = this.tokens.get(m[2]!);
    if (t === undefined || t.expiresAt < Date.now() || t.type !== m[1]) return false;
    if (t.type === 'Bearer') return true;
    const c = this.checkProof(typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined, 'GET', url, m[2]);
    return 'jkt' in c && c.jkt === t.jkt;
  }
}
