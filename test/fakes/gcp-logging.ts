/**
 * A fake Google Cloud for `irctl collect gcp` tests. Behaviour spec:
 *
 * - Logging `POST /v2/entries:list` with the REST body `{resourceNames, filter, orderBy, pageSize, pageToken}`:
 *   - evaluates the filter irctl sends: `log_id("...")`, `logName`, `timestamp` comparisons, and field comparisons
 *     (`protoPayload.methodName="..."`, `:` for "has"), joined by AND / OR / NOT with parentheses; anything it cannot
 *     parse is a 400 INVALID_ARGUMENT, as the service answers an unparseable filter;
 *   - a resource name returns only the logs written at that level: `organizations/O` returns `organizations/O/logs/...`
 *     entries, not its projects' (as the service does); more than 100 resource names is a 400;
 *   - `orderBy` `timestamp asc` (the default) or `timestamp desc`; `pageSize` capped at the fake's page size (default
 *     5, so paging always runs); the body is pretty-printed with 2-space indentation, as the service sends it, and
 *     each body sent is kept in `sentPages`;
 *   - page tokens are bound to the request (another filter with the token is a 400 "page_token doesn't match
 *     arguments from the request") and expire (`tokenTtlMs`, or `expireTokens()`: a 400 INVALID_ARGUMENT);
 *   - read quota: `readsPerMinute` per `quotaWindowMs` (default 60 per 60 s); over it, 429 RESOURCE_EXHAUSTED with a
 *     google.rpc error body and no rate-limit headers.
 * - Credentials: bearer tokens are self-signed service-account JWTs (RS256, checked against the key the fake made with
 *   `serviceAccountKey`), or tokens it issued from `POST /token` (a refresh token of an `authorized_user` file made
 *   with `userCredentials`) or from IAM credentials `generateAccessToken` (impersonation, allowed with `allowImpersonation`).
 *   `GET|POST /tokeninfo` answers the email of a token it issued. A missing or unknown token is a 401 UNAUTHENTICATED.
 * - Permissions: `deny(resourceName)` answers 403 PERMISSION_DENIED for it.
 * - Cloud Asset `GET /v1/{scope}:searchAllResources|searchAllIamPolicies` with `assetTypes` and paging.
 * - Logging configuration `GET /v2/{parent}/sinks`, `/exclusions`, `/locations/-/buckets` (what @google-cloud/logging's
 *   REST fallback asks), from `logConfig`; `deny('config:' + parent)` refuses them.
 * - Resource Manager `POST /v3/{projects|folders|organizations}/X:getIamPolicy` (what irctl reads the IAM audit
 *   configuration with): the policy set in `iamPolicies` (bindings, `auditConfigs`), else an empty version-1 policy
 *   with an etag, as the service answers; `deny('iam:' + resource)` refuses it.
 * - Faults on the next requests: `inject({kind: 'quota' | '500' | 'drop' | 'expireToken', times, after})`.
 */
import { createHash, createVerify, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Audit log ids by kind. */
export const LOG_IDS = {
  activity: 'cloudaudit.googleapis.com/activity',
  data_access: 'cloudaudit.googleapis.com/data_access',
  system_event: 'cloudaudit.googleapis.com/system_event',
  policy: 'cloudaudit.googleapis.com/policy',
} as const;

/** Build an AuditLog LogEntry as Cloud Logging returns it. */
export function makeAuditEntry(o: {
  /** `projects/P` or `organizations/O` or `folders/F`. */
  parent?: string;
  /** Epoch ms. */
  time: number;
  /** Sub-millisecond digits (Cloud Logging timestamps carry nanoseconds). @default random */
  nanos?: number;
  kind?: keyof typeof LOG_IDS;
  insertId?: string;
  principal?: string;
  method?: string;
  service?: string;
  resourceName?: string;
  callerIp?: string;
  /** A log that is not an audit log (e.g. `run.googleapis.com/requests`). */
  logId?: string;
}): Record<string, unknown> {
  const parent = o.parent ?? 'projects/prod-123';
  const logId = o.logId ?? LOG_IDS[o.kind ?? 'activity'];
  const nanos = o.nanos ?? Math.floor(Math.random() * 1_000_000);
  const iso = new Date(o.time).toISOString().replace('Z', '');
  const timestamp = `${iso}${String(nanos).padStart(6, '0')}Z`;
  const service = o.service ?? 'iam.googleapis.com';
  const project = parent.startsWith('projects/') ? parent.slice('projects/'.length) : undefined;
  return {
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      status: {},
      authenticationInfo: { principalEmail: o.principal ?? 'alice@example.com' },
      requestMetadata: { callerIp: o.callerIp ?? '203.0.113.10', callerSuppliedUserAgent: 'google-cloud-sdk gcloud/500.0.0 command/gcloud.iam.service-accounts.keys.create', requestAttributes: { time: timestamp, auth: {} }, destinationAttributes: {} },
      serviceName: service,
      methodName: o.method ?? 'google.iam.admin.v1.CreateServiceAccountKey',
      authorizationInfo: [{ resource: o.resourceName ?? `${parent}/serviceAccounts/deployer@example.iam.gserviceaccount.com`, permission: 'iam.serviceAccountKeys.create', granted: true, resourceAttributes: {} }],
      resourceName: o.resourceName ?? `${parent}/serviceAccounts/deployer@example.iam.gserviceaccount.com`,
      request: { '@type': 'type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest', name: `${parent}/serviceAccounts/deployer@example.iam.gserviceaccount.com`, private_key_type: 2 },
      response: { '@type': 'type.googleapis.com/google.iam.admin.v1.ServiceAccountKey', name: `${parent}/serviceAccounts/deployer@example.iam.gserviceaccount.com/keys/1234567890abcdef`, valid_after_time: { seconds: Math.floor(o.time / 1000) } },
    },
    insertId: o.insertId ?? randomUUID().replace(/-/g, '').slice(0, 12),
    resource: { type: project ? 'service_account' : 'organization', labels: project ? { project_id: project, email_id: 'deployer@example.iam.gserviceaccount.com', unique_id: '104512345678901234567' } : { organization_id: parent.split('/')[1] ?? '' } },
    timestamp,
    severity: 'NOTICE',
    logName: `${parent}/logs/${encodeURIComponent(logId)}`,
    receiveTimestamp: new Date(o.time + 250).toISOString().replace('Z', '123456Z'),
  };
}

/** One request the fake saw. */
export interface SeenGcpRequest {
  path: string;
  at: number;
  status: number;
  body: Record<string, unknown>;
  caller: string | undefined;
}

/** An injected fault. */
export interface GcpFault {
  kind: 'quota' | '500' | 'drop' | 'expireToken';
  /** How many entries.list requests it hits. @default 1 */
  times?: number;
  /** entries.list requests let through before it hits. @default 0 */
  after?: number;
}

/** Options. */
export interface FakeGcpOptions {
  pageSize?: number;
  /** Reads allowed per quota window (all callers). @default 60 */
  readsPerMinute?: number;
  /** Length of the quota window. @default 60000 */
  quotaWindowMs?: number;
  /** Page tokens expire after this long. @default 24 h */
  tokenTtlMs?: number;
  /** Asset search page size. @default 3 */
  assetPageSize?: number;
}

interface PageTokenState {
  bound: string;
  offset: number;
  created: number;
  expired: boolean;
}

/** The fake server. */
export class FakeGcp {
  /** Every entry the service holds (any parent), serialized on the way out. */
  readonly entries: Array<Record<string, unknown>> = [];
  /** Asset search results by scope. */
  readonly assets = new Map<string, Array<Record<string, unknown>>>();
  readonly iamPolicies = new Map<string, Array<Record<string, unknown>>>();
  /** Resource Manager IAM policies by resource (`projects/P`), returned by getIamPolicy. */
  readonly resourcePolicies = new Map<string, Record<string, unknown>>();
  /** Logging configuration by parent (`projects/P`): sinks, exclusions, buckets (empty lists when absent). */
  readonly logConfig = new Map<string, { sinks?: unknown[]; exclusions?: unknown[]; buckets?: unknown[] }>();
  readonly seen: SeenGcpRequest[] = [];
  /** Bodies of the entries.list pages sent, exactly as sent. */
  readonly sentPages: Buffer[] = [];
  readonly faults: GcpFault[] = [];
  readonly denied = new Set<string>();
  url = '';
  opts: Required<FakeGcpOptions>;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly keys = new Map<string, KeyObject>();
  private readonly issued = new Map<string, { email: string; expires: number }>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly impersonation = new Map<string, Set<string>>();
  private readonly tokens = new Map<string, PageTokenState>();
  private readonly reads: number[] = [];
  /**
   * Extra routes (e.g. the containment fake, test/fakes/gcp-contain.ts): called for every authenticated request before
   * the built-in routes; an answer is sent as JSON, undefined falls through.
   */
  route: ((r: { method: string; path: string; url: URL; body: string; caller: string; token: string }) => { status: number; body: unknown } | undefined) | undefined;

  constructor(opts: FakeGcpOptions = {}) {
    this.opts = { pageSize: 5, readsPerMinute: 60, quotaWindowMs: 60_000, tokenTtlMs: 24 * 3_600_000, assetPageSize: 3, ...opts };
  }

  /** Forget entries, requests, faults, denials, page tokens and quota use (keys and issued tokens stay). */
  reset(opts: FakeGcpOptions = {}): void {
    this.entries.length = 0;
    this.seen.length = 0;
    this.sentPages.length = 0;
    this.faults.length = 0;
    this.denied.clear();
    this.tokens.clear();
    this.reads.length = 0;
    this.assets.clear();
    this.iamPolicies.clear();
    this.resourcePolicies.clear();
    this.logConfig.clear();
    this.opts = { pageSize: 5, readsPerMinute: 60, quotaWindowMs: 60_000, tokenTtlMs: 24 * 3_600_000, assetPageSize: 3, ...opts };
  }

  /** Add entries. */
  add(...entries: Array<Record<string, unknown>>): void {
    this.entries.push(...entries);
  }

  /** A service-account key file (JSON object) whose public key the fake trusts. */
  serviceAccountKey(email: string): Record<string, unknown> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.keys.set(email, publicKey);
    return {
      type: 'service_account',
      project_id: email.split('@')[1]?.split('.')[0] ?? 'sec-tools',
      private_key_id: createHash('sha1').update(email).digest('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: '100000000000000000001',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${this.url}/token`,
    };
  }

  /** An `authorized_user` ADC file (as `gcloud auth application-default login` writes) for `email`. */
  userCredentials(email: string): Record<string, unknown> {
    const refresh = `1//refresh-${randomUUID()}`;
    this.refreshTokens.set(refresh, email);
    return { client_id: '764086051850-test.apps.googleusercontent.com', client_secret: 'd-FL95Q19q7MQmFpd7hHD0Ty', refresh_token: refresh, type: 'authorized_user' };
  }

  /** Let `caller` impersonate `target`. */
  allowImpersonation(caller: string, target: string): void {
    const s = this.impersonation.get(target) ?? new Set<string>();
    s.add(caller);
    this.impersonation.set(target, s);
  }

  /** Answer PERMISSION_DENIED for a resource name. */
  deny(resourceName: string): void {
    this.denied.add(resourceName);
  }

  inject(f: GcpFault): void {
    this.faults.push({ ...f, times: f.times ?? 1 });
  }

  /** Expire every page token handed out so far (as 24 hours passing would). */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expired = true;
  }

  /** entries.list requests seen. */
  listRequests(): SeenGcpRequest[] {
    return this.seen.filter((r) => r.path === '/v2/entries:list');
  }

  /** Most entries.list requests in any `windowMs`. */
  maxInWindow(windowMs: number): number {
    const at = this.listRequests().map((r) => r.at);
    let best = 0;
    for (let i = 0; i < at.length; i++) {
      let n = 0;
      for (let j = i; j < at.length && at[j]! - at[i]! < windowMs; j++) n++;
      best = Math.max(best, n);
    }
    return best;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const seen: SeenGcpRequest = { path, at: Date.now(), status: 200, body: {}, caller: undefined };
    this.seen.push(seen);
    const send = (status: number, body: unknown, raw?: Buffer): void => {
      seen.status = status;
      const buf = raw ?? Buffer.from(JSON.stringify(body, null, 2));
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(buf);
    };
    const fail = (code: number, status: string, message: string): void => send(code, { error: { code, message, status } });
    try {
      if (path === '/token') return this.token(raw, send, fail);
      if (path === '/tokeninfo') {
        const t = this.issued.get(bearer(req) ?? url.searchParams.get('access_token') ?? '');
        if (!t) return fail(400, 'INVALID_ARGUMENT', 'Invalid Value');
        return send(200, { email: t.email, email_verified: 'true', scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/cloud-platform', expires_in: Math.floor((t.expires - Date.now()) / 1000), access_type: 'offline' });
      }
      const caller = this.authenticate(req);
      seen.caller = caller;
      const gen = /^\/v1\/projects\/-\/serviceAccounts\/([^:]+):generateAccessToken$/.exec(path);
      if (gen) {
        if (!caller) return fail(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
        const target = decodeURIComponent(gen[1]!);
        if (!this.impersonation.get(target)?.has(caller)) return fail(403, 'PERMISSION_DENIED', "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).");
        const token = `ya29.imp-${randomUUID()}`;
        this.issued.set(token, { email: target, expires: Date.now() + 3_600_000 });
        return send(200, { accessToken: token, expireTime: new Date(Date.now() + 3_600_000).toISOString() });
      }
      if (!caller) return fail(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      const routed = this.route?.({ method: req.method ?? 'GET', path, url, body: raw, caller, token: bearer(req) ?? '' });
      if (routed) return send(routed.status, routed.body);
      if (path === '/v2/entries:list' && req.method === 'POST') {
        const body = JSON.parse(raw || '{}') as Record<string, unknown>;
        seen.body = body;
        return this.list(body, res, send, fail, seen);
      }
      const config = /^\/v2\/((?:projects|folders|organizations)\/[^/]+)(?:\/locations\/-)?\/(sinks|exclusions|buckets)$/.exec(path);
      if (config && req.method === 'GET') {
        if (this.denied.has(`config:${config[1]!}`)) return fail(403, 'PERMISSION_DENIED', `Permission 'logging.${config[2]!}.list' denied on resource (or it may not exist).`);
        const c = this.logConfig.get(config[1]!) ?? {};
        return send(200, { [config[2]!]: c[config[2]! as 'sinks' | 'exclusions' | 'buckets'] ?? [] });
      }
      const policy = /^\/v3\/((projects|folders|organizations)\/[^/:]+):getIamPolicy$/.exec(path);
      if (policy && req.method === 'POST') {
        const resource = policy[1]!;
        if (this.denied.has(`iam:${resource}`)) return fail(403, 'PERMISSION_DENIED', `The caller does not have permission resourcemanager.${policy[2]!}.getIamPolicy on ${resource}`);
        return send(200, this.resourcePolicies.get(resource) ?? { version: 1, etag: 'BwXhqDNkRV0=' });
      }
      const asset = /^\/v1\/(.+):(searchAllResources|searchAllIamPolicies)$/.exec(path);
      if (asset && req.method === 'GET') return this.assetSearch(asset[1]!, asset[2]!, url.searchParams, send, fail);
      return fail(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${path}`);
    } catch (err) {
      return fail(500, 'INTERNAL', err instanceof Error ? err.message : String(err));
    }
  }

  private token(raw: string, send: (s: number, b: unknown) => void, fail: (c: number, s: string, m: string) => void): void {
    const p = new URLSearchParams(raw);
    let email: string | undefined;
    if (p.get('grant_type') === 'refresh_token') email = this.refreshTokens.get(p.get('refresh_token') ?? '');
    else if (p.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer') email = this.verifyJwt(p.get('assertion') ?? '');
    if (!email) return send(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    void fail;
    const token = `ya29.fake-${randomUUID()}`;
    this.issued.set(token, { email, expires: Date.now() + 3_600_000 });
    send(200, { access_token: token, expires_in: 3599, scope: 'https://www.googleapis.com/auth/cloud-platform.read-only', token_type: 'Bearer' });
  }

  /** The email of the caller, or undefined when the bearer token is missing or not valid. */
  private authenticate(req: IncomingMessage): string | undefined {
    const t = bearer(req);
    if (t === undefined) return undefined;
    const issued = this.issued.get(t);
    if (issued) return issued.expires > Date.now() ? issued.email : undefined;
    return this.verifyJwt(t);
  }

  private verifyJwt(jwt: string): string | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: string; exp?: number; scope?: string; aud?: string };
      const key = payload.iss !== undefined ? this.keys.get(payload.iss) : undefined;
      if (!key) return undefined;
      const ok = createVerify('RSA-SHA256').update(`${parts[0]!}.${parts[1]!}`).verify(key, Buffer.from(parts[2]!, 'base64url'));
      if (!ok || (payload.exp ?? 0) * 1000 < Date.now()) return undefined;
      if (payload.scope === undefined && payload.aud === undefined) return undefined;
      return payload.iss;
    } catch {
      return undefined;
    }
  }

  private list(body: Record<string, unknown>, res: ServerResponse, send: (s: number, b: unknown, raw?: Buffer) => void, fail: (c: number, s: string, m: string) => void, seen: SeenGcpRequest): void {
    const fault = this.faults.find((f) => (f.times ?? 0) > 0);
    if (fault && (fault.after ?? 0) > 0) fault.after = (fault.after ?? 0) - 1;
    else if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.kind === 'drop') {
        seen.status = 0;
        res.socket?.destroy();
        return;
      }
      if (fault.kind === '500') return fail(503, 'UNAVAILABLE', 'The service is currently unavailable.');
      if (fault.kind === 'quota') return this.quotaError(fail);
      if (fault.kind === 'expireToken') this.expireTokens();
    }
    // Quota: reads in the sliding window.
    const now = Date.now();
    while (this.reads.length > 0 && this.reads[0]! <= now - this.opts.quotaWindowMs) this.reads.shift();
    if (this.reads.length >= this.opts.readsPerMinute) return this.quotaError(fail);
    this.reads.push(now);
    const names = Array.isArray(body.resourceNames) ? (body.resourceNames as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    if (names.length === 0) return fail(400, 'INVALID_ARGUMENT', 'resource_names must not be empty');
    if (names.length > 100) return fail(400, 'INVALID_ARGUMENT', 'Request contains too many resource names: at most 100 are allowed');
    for (const n of names) {
      if (!/^(projects|folders|organizations|billingAccounts)\/[^/]+$/.test(n)) return fail(400, 'INVALID_ARGUMENT', `Invalid resource name: ${n}`);
      if (this.denied.has(n)) return fail(403, 'PERMISSION_DENIED', `Permission 'logging.logEntries.list' denied on resource (or it may not exist).`);
    }
    const filter = typeof body.filter === 'string' ? body.filter : '';
    let pred: (e: Record<string, unknown>) => boolean;
    try {
      pred = compileFilter(filter);
    } catch (err) {
      return fail(400, 'INVALID_ARGUMENT', `Unparseable filter: ${err instanceof Error ? err.message : String(err)}`);
    }
    const orderBy = typeof body.orderBy === 'string' && body.orderBy !== '' ? body.orderBy : 'timestamp asc';
    if (orderBy !== 'timestamp asc' && orderBy !== 'timestamp desc') return fail(400, 'INVALID_ARGUMENT', `Invalid order_by: ${orderBy}`);
    const want = typeof body.pageSize === 'number' ? body.pageSize : 50;
    if (want > 1000 || want < 0) return fail(400, 'INVALID_ARGUMENT', 'page_size must be at most 1000');
    const size = Math.min(want || 50, this.opts.pageSize);
    const bound = JSON.stringify([names, filter, orderBy]);
    let offset = 0;
    if (typeof body.pageToken === 'string' && body.pageToken !== '') {
      const t = this.tokens.get(body.pageToken);
      if (!t) return fail(400, 'INVALID_ARGUMENT', 'Invalid page_token');
      if (t.expired || now - t.created > this.opts.tokenTtlMs) return fail(400, 'INVALID_ARGUMENT', 'The page_token has expired: page tokens are valid for 24 hours');
      if (t.bound !== bound) return fail(400, 'INVALID_ARGUMENT', "page_token doesn't match arguments from the request");
      offset = t.offset;
    }
    const matching = this.entries
      .filter((e) => names.some((n) => String(e.logName).startsWith(`${n}/logs/`)))
      .filter(pred)
      .sort((a, b) => cmpTime(String(a.timestamp), String(b.timestamp)) || String(a.insertId).localeCompare(String(b.insertId)));
    if (orderBy === 'timestamp desc') matching.reverse();
    const slice = matching.slice(offset, offset + size);
    const out: Record<string, unknown> = {};
    if (slice.length > 0) out.entries = slice;
    if (offset + size < matching.length) {
      const token = `EAA${randomUUID().replace(/-/g, '')}`;
      this.tokens.set(token, { bound, offset: offset + size, created: now, expired: false });
      out.nextPageToken = token;
    }
    const buf = Buffer.from(JSON.stringify(out, null, 2));
    this.sentPages.push(buf);
    send(200, undefined, buf);
  }

  private quotaError(fail: (c: number, s: string, m: string) => void): void {
    fail(
      429,
      'RESOURCE_EXHAUSTED',
      "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com' for consumer 'project_number:123456789012'.",
    );
  }

  private assetSearch(scope: string, method: string, q: URLSearchParams, send: (s: number, b: unknown) => void, fail: (c: number, s: string, m: string) => void): void {
    if (this.denied.has(`asset:${scope}`)) return fail(403, 'PERMISSION_DENIED', `The caller does not have permission cloudasset.assets.${method} on ${scope}`);
    const types = q.getAll('assetTypes');
    const all = (method === 'searchAllResources' ? this.assets.get(scope) : this.iamPolicies.get(scope)) ?? [];
    const matching = all.filter((a) => types.length === 0 || types.includes(String(a.assetType)));
    const offset = Number(q.get('pageToken') ?? '0') || 0;
    const slice = matching.slice(offset, offset + this.opts.assetPageSize);
    send(200, { results: slice, ...(offset + this.opts.assetPageSize < matching.length ? { nextPageToken: String(offset + this.opts.assetPageSize) } : {}) });
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** Compare RFC 3339 times with sub-millisecond digits. */
function cmpTime(a: string, b: string): number {
  const key = (s: string): [number, number] => {
    const ms = Date.parse(s);
    const frac = /\.(\d+)Z$/.exec(s)?.[1] ?? '';
    return [ms, Number(frac.padEnd(9, '0').slice(3, 9))];
  };
  const [am, an] = key(a);
  const [bm, bn] = key(b);
  return am - bm || an - bn;
}

// ---- A small evaluator of the Logging query language (the subset irctl and its users send) ----

type Tok = { t: 'op' | 'word' | 'str' | '(' | ')' | ','; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, v: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\') j++;
        v += s[j] ?? '';
        j++;
      }
      if (j >= s.length) throw new Error('unterminated string');
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (/[<>!=:]/.test(c)) {
      const two = s.slice(i, i + 2);
      const op = ['>=', '<=', '!=', '=~', '!~'].includes(two) ? two : c;
      out.push({ t: 'op', v: op });
      i += op.length;
    } else {
      let j = i;
      while (j < s.length && !/[\s()<>!=:,"]/.test(s[j]!)) j++;
      out.push({ t: 'word', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

type Pred = (e: Record<string, unknown>) => boolean;

function valueAt(e: Record<string, unknown>, path: string): unknown {
  let cur: unknown = e;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k.replace(/^"|"$/g, '')];
  }
  return cur;
}

/** Compile a filter into a predicate; throws on syntax the fake does not know. */
export function compileFilter(filter: string): Pred {
  const toks = tokenize(filter);
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const expect = (t: Tok['t']): Tok => {
    const x = toks[p++];
    if (!x || x.t !== t) throw new Error(`expected ${t} at token ${p}`);
    return x;
  };
  const orExpr = (): Pred => {
    let left = andExpr();
    while (peek()?.t === 'word' && peek()!.v === 'OR') {
      p++;
      const l = left;
      const r = andExpr();
      left = (e) => l(e) || r(e);
    }
    return left;
  };
  const andExpr = (): Pred => {
    let left = unary();
    for (;;) {
      const n = peek();
      if (!n || n.t === ')' || (n.t === 'word' && n.v === 'OR')) return left;
      if (n.t === 'word' && n.v === 'AND') p++;
      const l = left;
      const r = unary();
      left = (e) => l(e) && r(e);
    }
  };
  const unary = (): Pred => {
    const n = peek();
    if (n?.t === 'word' && (n.v === 'NOT' || n.v === '-')) {
      p++;
      const x = unary();
      return (e) => !x(e);
    }
    if (n?.t === '(') {
      p++;
      const x = orExpr();
      expect(')');
      return x;
    }
    return comparison();
  };
  const comparison = (): Pred => {
    const field = expect('word').v;
    if (field === 'log_id' || field === 'LOG_ID') {
      expect('(');
      const id = expect('str').v;
      expect(')');
      const suffix = `/logs/${encodeURIComponent(id)}`;
      return (e) => String(e.logName).endsWith(suffix);
    }
    const op = expect('op').v;
    const vt = toks[p++];
    if (!vt || (vt.t !== 'str' && vt.t !== 'word')) throw new Error(`expected a value after ${field}${op}`);
    const want = vt.v;
    if (field === 'timestamp' || field === 'receiveTimestamp') {
      if (!Number.isFinite(Date.parse(want))) throw new Error(`invalid timestamp ${want}`);
      return (e) => {
        const c = cmpTime(String(valueAt(e, field)), want);
        return op === '>=' ? c >= 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '<' ? c < 0 : op === '=' ? c === 0 : op === '!=' ? c !== 0 : false;
      };
    }
    return (e) => {
      const v = valueAt(e, field);
      const s = v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : typeof v === 'string' ? v : JSON.stringify(v);
      if (op === '=') return s === want;
      if (op === '!=') return s !== want;
      if (op === ':') return s !== undefined && s.toLowerCase().includes(want.toLowerCase());
      if (op === '=~') return s !== undefined && new RegExp(want).test(s);
      throw new Error(`operator ${op} is not supported on ${field}`);
    };
  };
  if (toks.length === 0) return () => true;
  const pred = orExpr();
  if (p !== toks.length) throw new Error(`unexpected ${toks[p]?.v ?? ''} at token ${p}`);
  return pred;
}
