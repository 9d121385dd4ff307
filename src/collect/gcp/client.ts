/**
 * The Google Cloud adapter of `irctl collect gcp`: the only module that imports google-auth-library. It finds the
 * credentials (Application Default Credentials, a key file, `--impersonate-service-account`), and calls the REST
 * APIs with `fetch` and a bearer token, so that each response body is kept byte for byte as received
 * (`@google-cloud/logging` cannot decode AuditLog `protoPayload`: docs/gcp.md, "Collecting").
 *
 * Everything is read from the environment irctl was given (`ctx.env`), not from `process.env`:
 * - `GOOGLE_APPLICATION_CREDENTIALS`: a service-account key file (or any credential file ADC accepts);
 * - else the gcloud ADC file (`$CLOUDSDK_CONFIG/application_default_credentials.json`, default
 *   `~/.config/gcloud/`), written by `gcloud auth application-default login`;
 * - else the metadata server (on Google Cloud), unless `METADATA_SERVER_DETECTION=none`.
 * Endpoint overrides (tests, proxies, private endpoints): `IRCTL_GCP_LOGGING_ENDPOINT`, `IRCTL_GCP_ASSET_ENDPOINT`, `IRCTL_GCP_RESOURCEMANAGER_ENDPOINT`,
 * `IRCTL_GCP_OAUTH2_ENDPOINT` (token and tokeninfo of user credentials), `IRCTL_GCP_IAMCREDENTIALS_ENDPOINT`
 * (impersonation).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GoogleAuth, Impersonated, JWT, UserRefreshClient, type AuthClient } from 'google-auth-library';
import { logConfigOf } from './coverage.js';
import { GcpApiError, type GcpErrorClass, type GcpIdentity, type GcpPorts, type GcpRawPage } from './ports.js';

/** Read-only scope: irctl never changes anything in the project. */
export const GCP_SCOPES = ['https://www.googleapis.com/auth/cloud-platform.read-only'];
const LOGGING = 'https://logging.googleapis.com';
const CLOUDASSET = 'https://cloudasset.googleapis.com';
const RESOURCEMANAGER = 'https://cloudresourcemanager.googleapis.com';

/** How to reach Google Cloud. */
export interface GcpConnectOptions {
  env: NodeJS.ProcessEnv;
  /** `--impersonate-service-account`. */
  impersonate?: string | undefined;
  /** Per-request timeout. @default 60000 */
  requestTimeoutMs?: number;
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}

/** Where credentials come from, decided from the environment alone (pure apart from file existence). */
export type CredentialSource = { kind: 'file'; path: string; via: 'GOOGLE_APPLICATION_CREDENTIALS' | 'gcloud ADC file' } | { kind: 'metadata' } | { kind: 'none'; looked: string[] };

/** Find the credential source the way ADC does, reading only `env`. */
export function credentialSource(env: NodeJS.ProcessEnv): CredentialSource {
  const looked: string[] = [];
  if (nonEmpty(env.GOOGLE_APPLICATION_CREDENTIALS)) return { kind: 'file', path: env.GOOGLE_APPLICATION_CREDENTIALS, via: 'GOOGLE_APPLICATION_CREDENTIALS' };
  looked.push('GOOGLE_APPLICATION_CREDENTIALS (not set)');
  const configDir = nonEmpty(env.CLOUDSDK_CONFIG)
    ? env.CLOUDSDK_CONFIG
    : process.platform === 'win32'
      ? join(env.APPDATA ?? '', 'gcloud')
      : join(nonEmpty(env.HOME) ? env.HOME : homedir(), '.config', 'gcloud');
  const adc = join(configDir, 'application_default_credentials.json');
  if (existsSync(adc)) return { kind: 'file', path: adc, via: 'gcloud ADC file' };
  looked.push(`${adc} (no such file)`);
  if ((env.METADATA_SERVER_DETECTION ?? '').toLowerCase() === 'none') {
    looked.push('the metadata server (METADATA_SERVER_DETECTION=none)');
    return { kind: 'none', looked };
  }
  return { kind: 'metadata' };
}

const noCredentials = (message: string): GcpApiError => new GcpApiError(message, 'auth', 'NO_CREDENTIALS', undefined, 'fatal');

interface Built {
  client: AuthClient;
  identity: Omit<GcpIdentity, 'email'> & { email?: string | undefined };
}

/** Build the auth client for the credential source. */
async function buildClient(opts: GcpConnectOptions): Promise<Built> {
  const env = opts.env;
  const src = credentialSource(env);
  const oauth2 = nonEmpty(env.IRCTL_GCP_OAUTH2_ENDPOINT) ? trimSlash(env.IRCTL_GCP_OAUTH2_ENDPOINT) : undefined;
  const endpoints = oauth2 ? { endpoints: { oauth2TokenUrl: `${oauth2}/token`, tokenInfoUrl: `${oauth2}/tokeninfo` } } : {};
  let built: Built;
  if (src.kind === 'none') throw noCredentials(`no Google Cloud credentials found (looked at ${src.looked.join('; ')})`);
  if (src.kind === 'file') {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(src.path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw noCredentials(`cannot read the credential file ${src.path} (from ${src.via}): ${why}`);
    }
    const type = typeof json.type === 'string' ? json.type : 'unknown';
    const where = `${src.via} ${src.path}`;
    if (type === 'service_account') {
      const email = typeof json.client_email === 'string' ? json.client_email : undefined;
      const key = typeof json.private_key === 'string' ? json.private_key : undefined;
      if (email === undefined || key === undefined) throw noCredentials(`the service-account key file ${src.path} has no client_email or private_key`);
      const jwt = new JWT({ email, key, ...(typeof json.private_key_id === 'string' ? { keyId: json.private_key_id } : {}), scopes: GCP_SCOPES });
      // A self-signed JWT carrying the scope (AIP-4111): no round trip to the token endpoint, what Google's own
      // client libraries do for service-account keys.
      jwt.useJWTAccessWithScope = true;
      if (typeof json.quota_project_id === 'string') jwt.quotaProjectId = json.quota_project_id;
      built = { client: jwt, identity: { email, credentialType: 'service_account_key', source: where } };
    } else if (type === 'authorized_user') {
      const c = new UserRefreshClient({
        clientId: typeof json.client_id === 'string' ? json.client_id : '',
        clientSecret: typeof json.client_secret === 'string' ? json.client_secret : '',
        refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : '',
        ...endpoints,
      });
      if (typeof json.quota_project_id === 'string') c.quotaProjectId = json.quota_project_id;
      built = { client: c, identity: { credentialType: 'authorized_user', source: where } };
    } else {
      // external_account (workload identity federation), impersonated_service_account, ...: the library's own reader.
      const auth = new GoogleAuth({ credentials: json, scopes: GCP_SCOPES });
      built = { client: await auth.getClient(), identity: { credentialType: type, source: where } };
    }
  } else {
    const auth = new GoogleAuth({ scopes: GCP_SCOPES });
    let client: AuthClient;
    try {
      client = await auth.getClient();
    } catch (err) {
      throw noCredentials(`no Google Cloud credentials found (no GOOGLE_APPLICATION_CREDENTIALS, no gcloud ADC file, no metadata server): ${err instanceof Error ? err.message : String(err)}`);
    }
    let email: string | undefined;
    try {
      email = (await auth.getCredentials()).client_email;
    } catch {
      email = undefined;
    }
    built = { client, identity: { email, credentialType: 'metadata', source: 'metadata server' } };
  }
  if (opts.impersonate !== undefined) {
    const iam = nonEmpty(env.IRCTL_GCP_IAMCREDENTIALS_ENDPOINT) ? { endpoint: trimSlash(env.IRCTL_GCP_IAMCREDENTIALS_ENDPOINT) } : {};
    const source = built.client;
    // The source credentials call iamcredentials generateAccessToken (they need roles/iam.serviceAccountTokenCreator
    // on the target); the target's token is what every later call carries.
    const client = new Impersonated({ sourceClient: source, targetPrincipal: opts.impersonate, targetScopes: GCP_SCOPES, delegates: [], lifetime: 3600, ...iam });
    return { client, identity: { ...built.identity, email: opts.impersonate, impersonated: opts.impersonate, credentialType: `impersonated (${built.identity.credentialType})` } };
  }
  return built;
}

/** The token of a client as a header map (also proves the credentials work). */
async function authHeaders(client: AuthClient, audienceUrl: string): Promise<Headers> {
  try {
    return await client.getRequestHeaders(audienceUrl);
  } catch (err) {
    throw fromAuthError(err);
  }
}

/** Turn a credential failure (refresh refused, impersonation denied, network) into a {@link GcpApiError}. */
function fromAuthError(err: unknown): GcpApiError {
  if (err instanceof GcpApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; status?: unknown; code?: unknown; response?: { status?: unknown; data?: unknown } };
  const status = typeof e.response?.status === 'number' ? e.response.status : typeof e.status === 'number' ? e.status : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && NETWORK.test(code)) return new GcpApiError(`cannot reach the token service: ${message}`, 'auth', code, undefined, 'transient', { cause: err });
  if (status === 403) return new GcpApiError(message, 'iam.serviceAccounts.getAccessToken', 'PERMISSION_DENIED', status, 'fatal', { cause: err });
  if (status !== undefined && status >= 500) return new GcpApiError(message, 'auth', 'UNAVAILABLE', status, 'transient', { cause: err });
  return new GcpApiError(message, 'auth', 'UNAUTHENTICATED', status, 'fatal', { cause: err });
}

const NETWORK = /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|ENOTFOUND|ECONNABORTED|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+)$/;

/** Classify a Google API error body: `{"error":{"code","message","status","details"}}`. */
export function errorFromResponse(method: string, httpStatus: number, body: Buffer): GcpApiError {
  let status = `HTTP_${httpStatus}`;
  let message = body.toString('utf8').slice(0, 500);
  try {
    const v = JSON.parse(body.toString('utf8')) as { error?: { status?: unknown; message?: unknown } };
    if (typeof v.error?.status === 'string') status = v.error.status;
    if (typeof v.error?.message === 'string') message = v.error.message;
  } catch {
    // Not JSON (a proxy's HTML page): keep the start of the text.
  }
  let cls: GcpErrorClass = 'fatal';
  if (status === 'RESOURCE_EXHAUSTED' || httpStatus === 429) cls = 'throttle';
  else if (httpStatus >= 500 || status === 'UNAVAILABLE' || status === 'DEADLINE_EXCEEDED' || status === 'INTERNAL') cls = 'transient';
  return new GcpApiError(message, method, status, httpStatus, cls);
}

/** Connect (lazily: credentials are read on the first call). */
export function connectGcp(opts: GcpConnectOptions): GcpPorts {
  const env = opts.env;
  const logging = nonEmpty(env.IRCTL_GCP_LOGGING_ENDPOINT) ? trimSlash(env.IRCTL_GCP_LOGGING_ENDPOINT) : LOGGING;
  const cloudasset = nonEmpty(env.IRCTL_GCP_ASSET_ENDPOINT) ? trimSlash(env.IRCTL_GCP_ASSET_ENDPOINT) : CLOUDASSET;
  const resourcemanager = nonEmpty(env.IRCTL_GCP_RESOURCEMANAGER_ENDPOINT) ? trimSlash(env.IRCTL_GCP_RESOURCEMANAGER_ENDPOINT) : RESOURCEMANAGER;
  const timeoutMs = opts.requestTimeoutMs ?? 60_000;
  let built: Promise<Built> | undefined;
  const client = async (): Promise<Built> => {
    built ??= buildClient(opts);
    try {
      return await built;
    } catch (err) {
      built = undefined;
      throw err instanceof GcpApiError ? err : fromAuthError(err);
    }
  };

  const call = async (method: string, url: string, audience: string, init: { method: 'GET' | 'POST'; body?: string }, signal?: AbortSignal): Promise<GcpRawPage> => {
    const b = await client();
    const headers = await authHeaders(b.client, audience);
    headers.set('accept', 'application/json');
    if (init.body !== undefined) headers.set('content-type', 'application/json');
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let body: Buffer;
    try {
      res = await fetch(url, { method: init.method, headers, ...(init.body !== undefined ? { body: init.body } : {}), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      body = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      if (signal?.aborted === true) throw new GcpApiError('aborted', method, 'AbortError', undefined, 'fatal', { cause: err });
      const cause = (err as { cause?: { code?: unknown } }).cause;
      const code = typeof cause?.code === 'string' ? cause.code : timeout.aborted ? 'ETIMEDOUT' : 'NETWORK';
      return Promise.reject(new GcpApiError(`${err instanceof Error ? err.message : String(err)} (${code})`, method, code, undefined, 'transient', { cause: err }));
    }
    if (!res.ok) throw errorFromResponse(method, res.status, body);
    return { body, sha256: createHash('sha256').update(body).digest('hex') };
  };

  return {
    endpoints: { logging, cloudasset, resourcemanager },
    identify: async (signal) => {
      const b = await client();
      // Prove the credentials now (a refused refresh token or impersonation fails here, before anything is recorded).
      const headers = await authHeaders(b.client, `${LOGGING}/`);
      let email = b.identity.email;
      if (email === undefined && b.client instanceof UserRefreshClient) {
        const token = /^Bearer (.+)$/i.exec(headers.get('authorization') ?? '')?.[1];
        try {
          if (token !== undefined && signal?.aborted !== true) email = (await b.client.getTokenInfo(token)).email;
        } catch {
          email = undefined;
        }
      }
      return { ...b.identity, email: email ?? `unknown (${b.identity.credentialType} credentials)` };
    },
    listEntries: (req, signal) =>
      call('logging.entries.list', `${logging}/v2/entries:list`, `${LOGGING}/`, { method: 'POST', body: JSON.stringify(req) }, signal),
    assetSearch: (scope, method, query, signal) =>
      call(`cloudasset.assets.${method}`, `${cloudasset}/v1/${scope}:${method}?${query.toString()}`, `${CLOUDASSET}/`, { method: 'GET' }, signal),
    // The permission of the call is `<service>.<resource kind>.getIamPolicy`.
    iamPolicy: (resource, signal) =>
      call(
        `resourcemanager.${resource.split('/')[0] ?? 'projects'}.getIamPolicy`,
        `${resourcemanager}/v3/${resource}:getIamPolicy`,
        `${RESOURCEMANAGER}/`,
        { method: 'POST', body: JSON.stringify({ options: { requestedPolicyVersion: 3 } }) },
        signal,
      ),
    logConfig: async (parent, signal) => {
      const b = await client();
      // @google-cloud/logging serves the configuration API (its REST fallback decodes these messages; it is the
      // AuditLog payload of entries it cannot decode). Loaded only here: it takes about a second to import.
      const { Logging } = await import('@google-cloud/logging');
      const u = new URL(logging);
      const custom = logging !== LOGGING ? { apiEndpoint: u.hostname, port: Number(u.port || (u.protocol === 'http:' ? 80 : 443)), protocol: u.protocol.replace(':', '') } : {};
      const project = /^projects\/([^/]+)$/.exec(parent)?.[1] ?? 'unused';
      type LoggingOptions = NonNullable<ConstructorParameters<typeof Logging>[0]>;
      // The same credentials as every other call (google-gax bundles its own google-auth-library typings).
      // `fallback`, `port` and `protocol` are client options google-gax reads; LoggingOptions does not list them.
      const options: LoggingOptions & { fallback: 'rest'; port?: number; protocol?: string } = {
        projectId: project,
        authClient: b.client as unknown as NonNullable<LoggingOptions['authClient']>,
        fallback: 'rest',
        ...custom,
      };
      const l = new Logging(options);
      const cfg = l.configService as unknown as ConfigClient;
      // google-gax calls take no AbortSignal: Ctrl-C is honoured between the three calls.
      const opts = { autoPaginate: true, timeout: timeoutMs };
      const check = (): void => {
        if (signal?.aborted === true) throw new GcpApiError('aborted', 'logging.sinks.list', 'AbortError', undefined, 'fatal');
      };
      try {
        check();
        const [sinks] = await cfg.listSinks({ parent }, opts);
        check();
        const [exclusions] = await cfg.listExclusions({ parent }, opts);
        check();
        const [buckets] = await cfg.listBuckets({ parent: `${parent}/locations/-` }, opts);
        return logConfigOf(parent, sinks, exclusions, buckets);
      } catch (err) {
        if (err instanceof GcpApiError) throw err;
        const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
        const message = typeof e.message === 'string' ? e.message : String(err);
        const code = typeof e.code === 'number' ? e.code : undefined;
        // google-gax REST errors carry the google.rpc code (7 = PERMISSION_DENIED, 16 = UNAUTHENTICATED).
        const status = code === 7 || code === 403 ? 'PERMISSION_DENIED' : code === 16 || code === 401 ? 'UNAUTHENTICATED' : 'CONFIG_ERROR';
        throw new GcpApiError(message, 'logging.sinks.list', status, undefined, 'fatal', { cause: err });
      }
    },
    close: () => undefined,
  };
}

/** The part of @google-cloud/logging's ConfigServiceV2 client irctl calls (the package leaves this client untyped). */
interface ConfigClient {
  listSinks(req: { parent: string }, opts: object): Promise<[unknown[], ...unknown[]]>;
  listExclusions(req: { parent: string }, opts: object): Promise<[unknown[], ...unknown[]]>;
  listBuckets(req: { parent: string }, opts: object): Promise<[unknown[], ...unknown[]]>;
}
