/**
 * A fake of the Azure services `irctl collect azure` talks to, on one local HTTPS server (bearer tokens are refused
 * over plain http by the Azure SDKs, as by the services): the Entra ID token endpoint, Azure Resource Manager (the
 * Activity Log) and Microsoft Graph (sign-ins and directory audits). Behaviour spec:
 *
 * - TLS with a self-signed certificate for 127.0.0.1 made with openssl at start; `caFile` is its PEM (pass it as
 *   IRCTL_AZURE_CA_FILE).
 * - Token endpoint (`/{tenant}/v2.0/.well-known/openid-configuration`, `POST /{tenant}/oauth2/v2.0/token`,
 *   client-credentials grant): checks the client id and secret (401 `invalid_client` otherwise) and issues a JWT whose
 *   `aud` is the scope's resource, with `tid`, `oid` and `appid` claims.
 * - Every API call needs `Authorization: Bearer` with a token this fake issued for that API's audience: a token for
 *   another audience gets 401 `InvalidAuthenticationTokenAudience`, as ARM and Graph answer.
 * - ARM `GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01
 *   &$filter=eventTimestamp ge '...' and eventTimestamp le '...'`: entries in the (inclusive) range newest first,
 *   `pageSize` per page, `{"value":[...],"nextLink":"...&$skiptoken=..."}`. Unknown subscriptions 404
 *   `SubscriptionNotFound`, denied ones 403 `AuthorizationFailed`.
 * - Graph `GET /v1.0/auditLogs/signIns|directoryAudits?$filter=createdDateTime|activityDateTime ge X and ... le Y
 *   &$top=N`: newest first, `min($top, pageSize)` per page, `@odata.nextLink` with `$skiptoken`. A tenant without P1/P2
 *   gets 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant` on sign-ins (audits still answer). v1.0 sign-ins
 *   are the interactive ones only (a record whose `signInEventTypes` lacks `interactiveUser` is not served there).
 * - Graph beta `GET /beta/auditLogs/signIns?$filter=createdDateTime ge X and ... le Y and signInEventTypes/any(t: t eq
 *   'nonInteractiveUser')`: the sign-ins whose `signInEventTypes` holds that type (without the clause: interactive
 *   ones, as the service does); an unknown type answers 400.
 * - Graph `GET /v1.0/identityProtection/riskDetections?$filter=detectedDateTime ge X and detectedDateTime le Y&$top=N`
 *   (N <= 500): `riskDetections` detected in the range, **oldest first** (the API promises no order); a tenant without
 *   Entra ID P2 (`noP2`) gets 403 Forbidden "Your tenant is not licensed for this feature.".
 * - Skip tokens are bound to their query; `expireTokens(n)` makes the next n continuation requests answer 400
 *   "$skiptoken has expired", as a token that outlived its lifetime does.
 * - Resource Graph `POST /providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01` with `{subscriptions,
 *   query, options: {$top, $skipToken}}`: the resources of the table and `type =~ '...'` the KQL names, in the
 *   subscriptions given, `{"totalRecords","count","data":[...],"facets":[],"resultTruncated":"false","$skipToken"}`.
 * - Log Analytics `POST /v1/workspaces/{id}/query` `{query, timespan: "start/end"}`: the rows of the table the KQL
 *   names (its first token) with start <= TimeGenerated < end, `{"tables":[{"name":"PrimaryResult","columns","rows"}]}`.
 *   More than `maxRows` rows (or `maxBytes` of rows) answer the first ones with the service's partial-error body
 *   (HTTP 200, `error.code` PartialError, innermost `E_QUERY_RESULT_SET_TOO_LARGE`), which the SDK reports as
 *   `PartialFailure`. A table the workspace lacks answers 400 SemanticError "Failed to resolve table or column
 *   expression named 'X'". An unknown workspace answers 404 WorkspaceNotFoundError. Queries spanning more than
 *   `logsTimeoutOverMs` answer 504 GatewayTimeout (a query that ran out of server time).
 * - Rate limits: Graph `graphLimit` requests per `graphWindowMs` per tenant (default 5 per 10 s), then 429 with
 *   Retry-After; `throttle(n)` answers the next n API calls 429 Retry-After: 1.
 * - Records are served as the exact strings they were added as; `bodies` keeps every response body sent.
 * - `imdsUrl`: a plain-http instance metadata service of a machine with no managed identity (400 "Identity not
 *   found"), for AZURE_POD_IDENTITY_AUTHORITY_HOST, so a credential chain never probes the real IMDS address.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A record the fake serves: its exact text and its time (epoch ms). */
export interface FakeRecord {
  id: string;
  time: number;
  text: string;
}

/** One request the fake saw. */
export interface SeenAzureRequest {
  api: 'token' | 'arm' | 'graph' | 'logs' | 'other';
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
}

export const ARM_AUDIENCE = 'https://management.azure.com';
export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
export const LOGS_AUDIENCE = 'https://api.loganalytics.io';

/** Columns of the sign-in tables as Log Analytics returns them (a subset). */
export const SIGNIN_COLUMNS = [
  { name: 'TenantId', type: 'string' },
  { name: 'TimeGenerated', type: 'datetime' },
  { name: 'Id', type: 'string' },
  { name: 'UserPrincipalName', type: 'string' },
  { name: 'AppId', type: 'string' },
  { name: 'AppDisplayName', type: 'string' },
  { name: 'IPAddress', type: 'string' },
  { name: 'ResultType', type: 'string' },
  { name: 'LocationDetails', type: 'dynamic' },
  { name: 'Type', type: 'string' },
];

/** A sign-in table row (cells in SIGNIN_COLUMNS order) and its exact text. */
export function makeSignInRow(o: { time: number; table?: string; id?: string; upn?: string; ip?: string; resultType?: string }): FakeRecord & { cells: unknown[] } {
  const id = o.id ?? randomUUID();
  const cells = ['72f988bf-86f1-41af-91ab-2d7cd011db47', new Date(o.time).toISOString(), id, o.upn ?? 'alice@fabrikam.example', 'de8bc8b5-d9f9-48b1-a8ad-b748da725064', 'Azure Portal', o.ip ?? '203.0.113.9', o.resultType ?? '0', JSON.stringify({ city: 'Amsterdam', countryOrRegion: 'NL' }), o.table ?? 'SigninLogs'];
  return { id, time: o.time, text: JSON.stringify(cells), cells };
}

/** An Activity Log entry in the ARM shape. */
export function makeActivity(o: { time: number; subscription: string; id?: string; caller?: string; operation?: string; ip?: string; status?: string }): FakeRecord {
  const id = o.id ?? randomUUID();
  const caller = o.caller ?? 'alice@fabrikam.example';
  const op = o.operation ?? 'Microsoft.Compute/virtualMachines/write';
  const rid = `/subscriptions/${o.subscription}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm-${id.slice(0, 8)}`;
  const rec = {
    authorization: { action: op, scope: rid },
    caller,
    claims: { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': caller, ipaddr: o.ip ?? '198.51.100.23' },
    correlationId: randomUUID(),
    eventDataId: id,
    eventName: { value: 'EndRequest', localizedValue: 'End request' },
    category: { value: 'Administrative', localizedValue: 'Administrative' },
    eventTimestamp: new Date(o.time).toISOString(),
    httpRequest: { clientIpAddress: o.ip ?? '198.51.100.23', method: 'PUT' },
    id: `${rid}/events/${id}/ticks/1`,
    level: 'Informational',
    operationName: { value: op, localizedValue: op },
    resourceId: rid,
    status: { value: o.status ?? 'Succeeded', localizedValue: o.status ?? 'Succeeded' },
    subStatus: { value: 'OK', localizedValue: 'OK' },
    submissionTimestamp: new Date(o.time + 5000).toISOString(),
    subscriptionId: o.subscription,
  };
  // Pretty-printed with a non-ASCII character and an escaped slash: bytes a re-serialization would change.
  const text = JSON.stringify(rec, null, 1).replace('"level": "Informational"', '"level": "Informational", "description": "caf\u00e9 \\/ \\u00e9"');
  return { id, time: o.time, text };
}

/** A resource as Resource Graph answers it (`resultFormat: objectArray`). */
export function makeResource(o: { subscription: string; type: string; name: string; properties?: Record<string, unknown>; table?: string }): { table: string; type: string; subscriptionId: string; record: FakeRecord } {
  const provider = o.type.split('/').slice(0, 2).join('/');
  const id = o.type === 'microsoft.authorization/roleassignments'
    ? `/subscriptions/${o.subscription}/providers/Microsoft.Authorization/roleAssignments/${o.name}`
    : `/subscriptions/${o.subscription}/resourceGroups/rg1/providers/${provider}/${o.name}`;
  const rec = { id, name: o.name, type: o.type, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', kind: '', location: 'westeurope', resourceGroup: 'rg1', subscriptionId: o.subscription, properties: o.properties ?? {}, tags: { owner: 'caf\u00e9' } };
  return { table: o.table ?? (o.type === 'microsoft.authorization/roleassignments' ? 'AuthorizationResources' : 'Resources'), type: o.type, subscriptionId: o.subscription, record: { id, time: 0, text: JSON.stringify(rec) } };
}

/** A Graph sign-in. */
export function makeSignIn(o: { time: number; id?: string; upn?: string; ip?: string; errorCode?: number; country?: string; types?: string[] }): FakeRecord {
  const id = o.id ?? randomUUID();
  const rec = {
    id,
    createdDateTime: new Date(o.time).toISOString(),
    userDisplayName: 'Alice',
    userPrincipalName: o.upn ?? 'alice@fabrikam.example',
    userId: '26be570a-ae82-4189-b4e2-a37c6808512d',
    appId: 'de8bc8b5-d9f9-48b1-a8ad-b748da725064',
    appDisplayName: 'Graph explorer',
    ipAddress: o.ip ?? '203.0.113.9',
    clientAppUsed: 'Browser',
    correlationId: randomUUID(),
    isInteractive: true,
    status: { errorCode: o.errorCode ?? 0, failureReason: null, additionalDetails: null },
    location: { city: 'Amsterdam', state: 'NH', countryOrRegion: o.country ?? 'NL' },
    // Beta objects say which kind of sign-in they are.
    ...(o.types !== undefined ? { signInEventTypes: o.types, isInteractive: o.types.includes('interactiveUser') } : {}),
  };
  return { id, time: o.time, text: JSON.stringify(rec) };
}

/** A Graph riskDetection (`time` is its detectedDateTime; the activity was `activityLagMs` earlier). */
export function makeRiskDetection(o: { time: number; id?: string; upn?: string; type?: string; level?: string; activityLagMs?: number }): FakeRecord {
  const id = o.id ?? randomUUID();
  const activity = new Date(o.time - (o.activityLagMs ?? 0)).toISOString();
  const rec = {
    id,
    requestId: randomUUID(),
    correlationId: randomUUID(),
    riskType: o.type ?? 'unfamiliarFeatures',
    riskEventType: o.type ?? 'unfamiliarFeatures',
    riskState: 'atRisk',
    riskLevel: o.level ?? 'medium',
    riskDetail: 'none',
    source: 'IdentityProtection',
    detectionTimingType: o.activityLagMs ? 'offline' : 'realtime',
    activity: 'signin',
    tokenIssuerType: 'AzureAD',
    ipAddress: '203.0.113.9',
    location: { city: 'Amsterdam', state: 'NH', countryOrRegion: 'NL', geoCoordinates: { latitude: 52.37, longitude: 4.89 } },
    activityDateTime: activity,
    detectedDateTime: new Date(o.time).toISOString(),
    lastUpdatedDateTime: new Date(o.time).toISOString(),
    userId: '26be570a-ae82-4189-b4e2-a37c6808512d',
    userDisplayName: 'Alice',
    userPrincipalName: o.upn ?? 'alice@fabrikam.example',
    additionalInfo: '[{"Key":"userAgent","Value":"Mozilla/5.0"}]',
  };
  return { id, time: o.time, text: JSON.stringify(rec) };
}

/** A Graph directory audit. */
export function makeAudit(o: { time: number; id?: string; upn?: string; activity?: string }): FakeRecord {
  const id = o.id ?? `Directory_${randomUUID()}`;
  const rec = {
    id,
    category: 'ApplicationManagement',
    correlationId: randomUUID(),
    result: 'success',
    resultReason: '',
    activityDisplayName: o.activity ?? 'Update application \u2013 Certificates and secrets management ',
    activityDateTime: new Date(o.time).toISOString(),
    loggedByService: 'Core Directory',
    operationType: 'Update',
    initiatedBy: { user: { id: '728309ae-1a37-4937-9afe-e35d964db09b', displayName: 'Alice', userPrincipalName: o.upn ?? 'alice@fabrikam.example', ipAddress: '203.0.113.9' }, app: null },
    targetResources: [{ id: 'ef7e527d-6c92-4234-8c6d-cf6fdfb57f95', displayName: 'payroll-app', type: 'Application', modifiedProperties: [] }],
    additionalDetails: [],
  };
  return { id, time: o.time, text: JSON.stringify(rec) };
}

interface PendingQuery {
  key: string;
  records: FakeRecord[];
  offset: number;
}

/** Options. */
export interface FakeAzureOptions {
  tenant?: string;
  clientId?: string;
  clientSecret?: string;
  objectId?: string;
  pageSize?: number;
  graphLimit?: number;
  graphWindowMs?: number;
}

/** The fake. */
export class FakeAzure {
  readonly tenant: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly objectId: string;
  readonly pageSize: number;
  /** Activity Log per subscription. */
  readonly activity = new Map<string, FakeRecord[]>();
  readonly signIns: FakeRecord[] = [];
  readonly audits: FakeRecord[] = [];
  /** Risk detections (`time` = detectedDateTime). */
  readonly riskDetections: FakeRecord[] = [];
  /** Tenant has no Entra ID P2 (risk detections refused). */
  noP2 = false;
  /** Resources for Resource Graph: table name -> records (text must have `id`, `type`, `subscriptionId`). */
  readonly resources: Array<{ table: string; type: string; subscriptionId: string; record: FakeRecord }> = [];
  /** Log Analytics: workspace -> table -> rows. */
  readonly workspaces = new Map<string, Map<string, Array<FakeRecord & { cells: unknown[] }>>>();
  /** Row and byte caps of one query answer (the service's are 500,000 rows and ~64 MB). */
  maxRows = 500_000;
  maxBytes = 64 * 1024 * 1024;
  /** Subscriptions that answer 403. */
  readonly deniedSubscriptions = new Set<string>();
  /** Tenant has no Entra ID P1/P2. */
  nonPremium = false;
  readonly seen: SeenAzureRequest[] = [];
  /** SHA-256 -> body of every 200 API response sent. */
  readonly bodies = new Map<string, Buffer>();
  caFile = '';
  /** Base URL of the fake instance metadata service. */
  imdsUrl = '';
  /** Requests the metadata service got. */
  imdsRequests = 0;
  private readonly dir: string;
  private server: Server | undefined;
  private imds: HttpServer | undefined;
  private base = '';
  private readonly tokens = new Map<string, string>();
  private readonly skip = new Map<string, PendingQuery>();
  private expireNext = 0;
  private throttleNext = 0;
  private readonly graphLimit: number;
  private readonly graphWindowMs: number;
  private readonly graphCalls: number[] = [];
  /** Requests answered 429. */
  throttled = 0;
  /**
   * Extra routes (e.g. the containment fake, test/fakes/azure-contain.ts): called for every authenticated ARM and
   * Graph request before the built-in routes; an answer is sent as is, undefined falls through.
   */
  route: ((r: { method: string; api: SeenAzureRequest['api']; path: string; query: Record<string, string>; body: string; url: URL }) => { status: number; body?: string; headers?: Record<string, string> } | undefined) | undefined;

  constructor(o: FakeAzureOptions = {}) {
    this.tenant = o.tenant ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
    this.clientId = o.clientId ?? '0c0e6a4e-1111-4a0e-9a0e-1234567890ab';
    this.clientSecret = o.clientSecret ?? 'fake-secret';
    this.objectId = o.objectId ?? '5b8e1a3c-2222-4c4c-8c8c-abcdefabcdef';
    this.pageSize = o.pageSize ?? 5;
    this.graphLimit = o.graphLimit ?? 5;
    this.graphWindowMs = o.graphWindowMs ?? 10_000;
    this.dir = mkdtempSync(join(tmpdir(), 'irctl-fake-azure-'));
  }

  /** Start; returns the base URL (`https://127.0.0.1:PORT`). */
  async start(): Promise<string> {
    const key = join(this.dir, 'key.pem');
    this.caFile = join(this.dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', this.caFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    this.server = createServer({ key: readFileSync(key), cert: readFileSync(this.caFile) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.base = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.imds = createHttpServer((_req, res) => {
      this.imdsRequests++;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_request', error_description: 'Identity not found' }));
    });
    await new Promise<void>((r) => this.imds?.listen(0, '127.0.0.1', r));
    this.imdsUrl = `http://127.0.0.1:${(this.imds.address() as AddressInfo).port}`;
    return this.base;
  }

  /** Environment pointing irctl at this fake with a service principal. */
  env(): NodeJS.ProcessEnv {
    return {
      AZURE_TENANT_ID: this.tenant,
      AZURE_CLIENT_ID: this.clientId,
      AZURE_CLIENT_SECRET: this.clientSecret,
      IRCTL_AZURE_AUTHORITY_HOST: this.base,
      IRCTL_AZURE_ARM_ENDPOINT: this.base,
      IRCTL_AZURE_GRAPH_ENDPOINT: this.base,
      IRCTL_AZURE_LOGS_ENDPOINT: `${this.base}/v1`,
      IRCTL_AZURE_CA_FILE: this.caFile,
      IRCTL_RETRY_BASE_MS: '5',
    };
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    this.imds?.closeAllConnections();
    await new Promise<void>((r) => (this.imds ? this.imds.close(() => r()) : r()));
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The next `n` continuation requests answer "skip token expired". */
  expireTokens(n: number): void {
    this.expireNext += n;
  }
  /** Log Analytics queries spanning more than this (ms) time out with 504 GatewayTimeout, as a slow query does. */
  logsTimeoutOverMs = Infinity;
  /** The next `n` API calls answer 429 with Retry-After: 1. */
  throttle(n: number): void {
    this.throttleNext += n;
  }
  /** Requests to one API answered with `status` (all statuses when absent). */
  requests(api: SeenAzureRequest['api'], status?: number): SeenAzureRequest[] {
    return this.seen.filter((s) => s.api === api && (status === undefined || s.status === status));
  }

  private send(res: ServerResponse, seen: SeenAzureRequest, status: number, body: string, headers: Record<string, string> = {}): void {
    seen.status = status;
    this.seen.push(seen);
    const buf = Buffer.from(body, 'utf8');
    if (status === 200 && seen.api !== 'token') this.bodies.set(createHash('sha256').update(buf).digest('hex'), buf);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(buf.length), 'x-ms-request-id': randomUUID(), ...headers });
    res.end(buf);
  }

  private error(res: ServerResponse, seen: SeenAzureRequest, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    this.send(res, seen, status, JSON.stringify({ error: { code, message } }), headers);
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.base);
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = v));
    const path = url.pathname;
    const api: SeenAzureRequest['api'] = /\/oauth2\/|openid-configuration/.test(path) ? 'token' : path.startsWith('/subscriptions/') || path.startsWith('/providers/') ? 'arm' : path.startsWith('/v1.0/') || path.startsWith('/beta/') ? 'graph' : path.startsWith('/v1/') ? 'logs' : 'other';
    const seen: SeenAzureRequest = { api, path, query, status: 0, at: Date.now() };
    if (api === 'token') return this.token(res, seen, path, body);
    const audience = api === 'arm' ? ARM_AUDIENCE : api === 'logs' ? LOGS_AUDIENCE : GRAPH_AUDIENCE;
    const auth = req.headers.authorization ?? '';
    const got = this.tokens.get(auth.replace(/^Bearer /, ''));
    if (got === undefined) return this.error(res, seen, 401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    if (got !== audience) return this.error(res, seen, 401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${got}'. It should exactly match with one of the allowed audiences '${audience}'.`);
    if (this.throttleNext > 0) {
      this.throttleNext--;
      this.throttled++;
      return this.error(res, seen, 429, 'TooManyRequests', 'Too many requests.', { 'retry-after': '1' });
    }
    const routed = this.route?.({ method: req.method ?? 'GET', api, path, query, body, url });
    if (routed) return this.send(res, seen, routed.status, routed.body ?? '', routed.headers);
    if (api === 'graph') {
      const now = Date.now();
      while (this.graphCalls.length > 0 && (this.graphCalls[0] ?? 0) <= now - this.graphWindowMs) this.graphCalls.shift();
      if (this.graphCalls.length >= this.graphLimit) {
        this.throttled++;
        const wait = Math.max(1, Math.ceil(((this.graphCalls[0] ?? now) + this.graphWindowMs - now) / 1000));
        return this.error(res, seen, 429, 'TooManyRequests', 'Too many requests.', { 'retry-after': String(wait) });
      }
      this.graphCalls.push(now);
      return this.graph(res, seen, path, query);
    }
    if (api === 'logs') return this.logs(res, seen, path, body);
    if (api === 'arm' && path.toLowerCase() === '/providers/microsoft.resourcegraph/resources') return this.resourceGraph(res, seen, query, body);
    if (api === 'arm') return this.arm(res, seen, path, query);
    return this.error(res, seen, 404, 'NotFound', `no route ${path}`);
  }

  private token(res: ServerResponse, seen: SeenAzureRequest, path: string, body: string): void {
    const tenant = path.split('/')[1] ?? '';
    if (path.endsWith('openid-configuration')) {
      return this.send(res, seen, 200, JSON.stringify({ token_endpoint: `${this.base}/${tenant}/oauth2/v2.0/token`, issuer: `${this.base}/${tenant}/v2.0`, authorization_endpoint: `${this.base}/${tenant}/oauth2/v2.0/authorize`, jwks_uri: `${this.base}/${tenant}/discovery/v2.0/keys` }));
    }
    const form = new URLSearchParams(body);
    if (tenant !== this.tenant || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      seen.status = 401;
      this.seen.push(seen);
      const b = JSON.stringify({ error: 'invalid_client', error_description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + (form.get('client_id') ?? '') + "'.", error_codes: [7000215] });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(b);
      return;
    }
    const aud = (form.get('scope') ?? '').replace(/\/\.default$/, '');
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ typ: 'JWT', alg: 'none' })}.${b64({ aud, tid: this.tenant, oid: this.objectId, appid: this.clientId, iss: `${this.base}/${this.tenant}/v2.0` })}.${randomUUID()}`;
    this.tokens.set(token, aud);
    this.send(res, seen, 200, JSON.stringify({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: token }));
  }

  /** Serve a page of `records` (already filtered, newest first) or continue a skip token. */
  private page(res: ServerResponse, seen: SeenAzureRequest, queryKey: string, records: () => FakeRecord[], skiptoken: string | undefined, size: number, linkKey: string, linkBase: string, prefix: string): void {
    let q: PendingQuery;
    if (skiptoken !== undefined) {
      const p = this.skip.get(skiptoken);
      if (this.expireNext > 0 || p === undefined || p.key !== queryKey) {
        if (this.expireNext > 0) this.expireNext--;
        this.skip.delete(skiptoken);
        return this.error(res, seen, 400, 'Request_BadRequest', 'The $skiptoken has expired or is invalid. Start the query again.');
      }
      this.skip.delete(skiptoken);
      q = p;
    } else {
      q = { key: queryKey, records: records(), offset: 0 };
    }
    const slice = q.records.slice(q.offset, q.offset + size);
    const rest = q.offset + size < q.records.length;
    let next = '';
    if (rest) {
      const tok = randomUUID().replace(/-/g, '');
      this.skip.set(tok, { ...q, offset: q.offset + size });
      next = `,"${linkKey}":${JSON.stringify(`${linkBase}${linkBase.includes('?') ? '&' : '?'}$skiptoken=${tok}`)}`;
    }
    // Records as their exact text, separated the way the services do (newline and spaces).
    this.send(res, seen, 200, `{${prefix}"value": [\n${slice.map((r) => r.text).join(',\n  ')}\n]${next}}`);
  }

  private arm(res: ServerResponse, seen: SeenAzureRequest, path: string, query: Record<string, string>): void {
    const m = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Insights\/eventtypes\/management\/values$/i.exec(path);
    if (!m) return this.error(res, seen, 404, 'InvalidResourceType', `no route ${path}`);
    const sub = decodeURIComponent(m[1] ?? '');
    if (query['api-version'] !== '2015-04-01') return this.error(res, seen, 400, 'InvalidApiVersionParameter', `api-version ${query['api-version'] ?? ''} not supported`);
    if (this.deniedSubscriptions.has(sub)) {
      return this.error(res, seen, 403, 'AuthorizationFailed', `The client '${this.objectId}' with object id '${this.objectId}' does not have authorization to perform action 'Microsoft.Insights/eventtypes/values/Read' over scope '/subscriptions/${sub}' or the scope is invalid.`);
    }
    const recs = this.activity.get(sub);
    if (recs === undefined) return this.error(res, seen, 404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    const filter = query.$filter ?? '';
    const ge = /eventTimestamp ge '([^']+)'/.exec(filter)?.[1];
    const le = /eventTimestamp le '([^']+)'/.exec(filter)?.[1];
    if (ge === undefined || le === undefined) return this.error(res, seen, 400, 'BadRequest', 'The $filter must include eventTimestamp ge and le.');
    const from = Date.parse(ge);
    const to = Date.parse(le);
    if (to - from > 90 * 86_400_000 + 1000) return this.error(res, seen, 400, 'BadRequest', 'The time range exceeds 90 days.');
    const linkBase = `${this.base}${path}?api-version=2015-04-01&$filter=${encodeURIComponent(filter)}`;
    this.page(res, seen, `arm ${sub} ${filter}`, () => inRange(recs, from, to), query.$skiptoken, this.pageSize, 'nextLink', linkBase, '');
  }

  private logs(res: ServerResponse, seen: SeenAzureRequest, path: string, body: string): void {
    const m = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(path);
    if (!m) return this.error(res, seen, 404, 'PathNotFoundError', `no route ${path}`);
    const ws = this.workspaces.get(decodeURIComponent(m[1] ?? ''));
    if (!ws) return this.error(res, seen, 404, 'WorkspaceNotFoundError', `Workspace ${m[1] ?? ''} not found`);
    let req: { query?: string; timespan?: string };
    try {
      req = JSON.parse(body) as typeof req;
    } catch {
      return this.error(res, seen, 400, 'BadArgumentError', 'The request had some invalid properties');
    }
    const table = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(req.query ?? '')?.[1] ?? '';
    const rows = ws.get(table);
    if (!rows) {
      return this.send(res, seen, 400, JSON.stringify({ error: { message: 'The request had some invalid properties', code: 'BadArgumentError', correlationId: randomUUID(), innererror: { code: 'SemanticError', message: 'A semantic error occurred.', innererror: { code: 'SEM0100', message: `'${table}' operator: Failed to resolve table or column expression named '${table}'` } } } }));
    }
    const [a, b] = (req.timespan ?? '').split('/');
    const from = Date.parse(a ?? '');
    const to = Date.parse(b ?? '');
    if (!Number.isFinite(from) || !Number.isFinite(to)) return this.error(res, seen, 400, 'BadArgumentError', `invalid timespan ${req.timespan ?? ''}`);
    if (to - from > this.logsTimeoutOverMs) return this.error(res, seen, 504, 'GatewayTimeout', 'The query was cancelled: it exceeded the server timeout (serverTimeoutInSeconds).');
    const all = rows.filter((r) => r.time >= from && r.time < to).sort((x, y) => x.time - y.time || x.id.localeCompare(y.id));
    const out: string[] = [];
    let bytes = 0;
    let cut = false;
    for (const r of all) {
      if (out.length >= this.maxRows || bytes + r.text.length > this.maxBytes) {
        cut = true;
        break;
      }
      out.push(r.text);
      bytes += r.text.length;
    }
    const tables = `{"tables":[{"name":"PrimaryResult","columns":${JSON.stringify(SIGNIN_COLUMNS)},"rows":[${out.join(',')}]}]`;
    const partial = cut
      ? `,"error":${JSON.stringify({ message: 'There were some errors when processing your query.', code: 'PartialError', correlationId: randomUUID(), details: [{ code: 'EngineError', message: 'Something went wrong processing your query on the server.', innererror: { code: '-2133196797', message: 'Query result set has exceeded the internal record count limit (E_QUERY_RESULT_SET_TOO_LARGE)', severity: 2, severityName: 'Error' } }] })}`
      : '';
    this.send(res, seen, 200, `${tables}${partial}}`);
  }

  private resourceGraph(res: ServerResponse, seen: SeenAzureRequest, query: Record<string, string>, body: string): void {
    if (query['api-version'] !== '2022-10-01') return this.error(res, seen, 400, 'InvalidApiVersionParameter', `api-version ${query['api-version'] ?? ''} not supported`);
    let req: { subscriptions?: string[]; query?: string; options?: { $top?: number; $skipToken?: string } };
    try {
      req = JSON.parse(body) as typeof req;
    } catch {
      return this.error(res, seen, 400, 'BadRequest', 'The request body is not valid JSON.');
    }
    const kql = req.query ?? '';
    const table = /^\s*(\w+)/.exec(kql)?.[1] ?? '';
    const type = /type =~ '([^']+)'/.exec(kql)?.[1]?.toLowerCase();
    const subs = new Set(req.subscriptions ?? []);
    for (const sub of subs) if (this.deniedSubscriptions.has(sub)) return this.error(res, seen, 403, 'AuthorizationFailed', `The client does not have authorization over scope '/subscriptions/${sub}'.`);
    const all = this.resources.filter((r) => r.table.toLowerCase() === table.toLowerCase() && (type === undefined || r.type === type) && subs.has(r.subscriptionId)).map((r) => r.record);
    all.sort((a, b) => a.id.localeCompare(b.id));
    const top = Math.min(req.options?.$top ?? 1000, 1000, this.pageSize);
    const offset = req.options?.$skipToken !== undefined ? Number(Buffer.from(req.options.$skipToken, 'base64url').toString('utf8').split(':').pop()) : 0;
    const slice = all.slice(offset, offset + top);
    const next = offset + top < all.length ? `,"$skipToken":${JSON.stringify(Buffer.from(`${kql}:${offset + top}`).toString('base64url'))}` : '';
    this.send(res, seen, 200, `{"totalRecords":${all.length},"count":${slice.length},"data":[${slice.map((r) => r.text).join(',')}],"facets":[],"resultTruncated":"false"${next}}`);
  }

  private graph(res: ServerResponse, seen: SeenAzureRequest, path: string, query: Record<string, string>): void {
    if (path === '/v1.0/identityProtection/riskDetections') return this.risk(res, seen, query);
    const beta = path === '/beta/auditLogs/signIns';
    const log = path === '/v1.0/auditLogs/signIns' || beta ? 'signIns' : path === '/v1.0/auditLogs/directoryAudits' ? 'directoryAudits' : undefined;
    if (log === undefined) return this.error(res, seen, 400, 'BadRequest', `Resource not found for the segment '${path}'.`);
    if (log === 'signIns' && this.nonPremium) {
      return this.error(res, seen, 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', 'Neither tenant is B2C or tenant doesn\'t have premium license');
    }
    const field = log === 'signIns' ? 'createdDateTime' : 'activityDateTime';
    const filter = query.$filter ?? '';
    const ge = new RegExp(`${field} ge (\\S+)`).exec(filter)?.[1];
    const le = new RegExp(`${field} le (\\S+)`).exec(filter)?.[1];
    const from = ge === undefined ? -Infinity : Date.parse(ge);
    const to = le === undefined ? Infinity : Date.parse(le);
    const top = Math.min(Number(query.$top ?? '1000'), log === 'signIns' ? 1000 : 999);
    const linkBase = `${this.base}${path}?$filter=${encodeURIComponent(filter)}&$top=${top}`;
    let recs = log === 'signIns' ? this.signIns : this.audits;
    if (log === 'signIns') {
      const m = /signInEventTypes\/any\(t: ?t eq '([^']*)'\)/.exec(filter);
      if (m && !beta) return this.error(res, seen, 400, 'BadRequest', "Invalid filter clause: property 'signInEventTypes' is not available in v1.0.");
      const type = m?.[1] ?? 'interactiveUser';
      if (!['interactiveUser', 'nonInteractiveUser', 'servicePrincipal', 'managedIdentity'].includes(type)) return this.error(res, seen, 400, 'BadRequest', `Invalid filter clause: unknown signInEventType '${type}'.`);
      recs = recs.filter((r) => signInTypesOf(r).includes(type));
    }
    const context = `"@odata.context": "${this.base}/${beta ? 'beta' : 'v1.0'}/$metadata#auditLogs/${log}",\n`;
    this.page(res, seen, `graph ${path} ${filter}`, () => inRange(recs, from, to), query.$skiptoken, Math.min(top, this.pageSize), '@odata.nextLink', linkBase, context);
  }

  private risk(res: ServerResponse, seen: SeenAzureRequest, query: Record<string, string>): void {
    if (this.noP2 || this.nonPremium) return this.error(res, seen, 403, 'Forbidden', 'Your tenant is not licensed for this feature.');
    const filter = query.$filter ?? '';
    const ge = /detectedDateTime ge (\S+)/.exec(filter)?.[1];
    const le = /detectedDateTime le (\S+)/.exec(filter)?.[1];
    const from = ge === undefined ? -Infinity : Date.parse(ge);
    const to = le === undefined ? Infinity : Date.parse(le);
    const top = Number(query.$top ?? '500');
    if (!(top >= 1 && top <= 500)) return this.error(res, seen, 400, 'BadRequest', `Invalid page size specified: '${query.$top ?? ''}'. Must be between 1 and 500 inclusive.`);
    const linkBase = `${this.base}/v1.0/identityProtection/riskDetections?$filter=${encodeURIComponent(filter)}&$top=${top}`;
    const context = `"@odata.context": "${this.base}/v1.0/$metadata#identityProtection/riskDetections",\n`;
    this.page(res, seen, `graph risk ${filter}`, () => inRange(this.riskDetections, from, to).reverse(), query.$skiptoken, Math.min(top, this.pageSize), '@odata.nextLink', linkBase, context);
  }
}

/** A sign-in record's `signInEventTypes` (interactive when it has none, as v1.0 records do not). */
function signInTypesOf(r: FakeRecord): string[] {
  const t = (JSON.parse(r.text) as { signInEventTypes?: unknown }).signInEventTypes;
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : ['interactiveUser'];
}

function inRange(recs: readonly FakeRecord[], from: number, to: number): FakeRecord[] {
  return recs.filter((r) => r.time >= from && r.time <= to).sort((a, b) => b.time - a.time || a.id.localeCompare(b.id));
}
