/**
 * Write-scoped Google Cloud credentials for `irctl contain` (collection is read-only: src/collect/gcp/client.ts asks
 * for `cloud-platform.read-only`; containment changes IAM policies, keys, firewalls and instances, which needs
 * `cloud-platform`). Found from the same sources, in the same order, as collection (`credentialSource`): a key file
 * (`GOOGLE_APPLICATION_CREDENTIALS`), the gcloud ADC file, the metadata server; then `--impersonate-service-account`
 * through IAM credentials. The endpoint overrides `IRCTL_GCP_OAUTH2_ENDPOINT` and `IRCTL_GCP_IAMCREDENTIALS_ENDPOINT`
 * apply as for collection.
 */
import { readFileSync } from 'node:fs';
import { GoogleAuth, Impersonated, JWT, UserRefreshClient, type AuthClient } from 'google-auth-library';
import { credentialSource } from '../../collect/gcp/client.js';
import { GcpApiError } from '../../collect/gcp/ports.js';

/** Read and write: every containment step changes something. */
export const GCP_WRITE_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
const trim = (u: string): string => u.replace(/\/+$/, '');
const none = (message: string): GcpApiError => new GcpApiError(message, 'auth', 'NO_CREDENTIALS', undefined, 'fatal');

/** The auth client and a description of who it is (custody, messages). */
export interface GcpWriteCredentials {
  client: AuthClient;
  /** e.g. `service_account_key GOOGLE_APPLICATION_CREDENTIALS /path`, `impersonated ir-responder@...`. */
  describe: string;
}

/** Build the write-scoped client. */
export async function gcpWriteCredentials(env: NodeJS.ProcessEnv, impersonate: string | undefined): Promise<GcpWriteCredentials> {
  const src = credentialSource(env);
  const oauth2 = set(env.IRCTL_GCP_OAUTH2_ENDPOINT) ? trim(env.IRCTL_GCP_OAUTH2_ENDPOINT) : undefined;
  let client: AuthClient;
  let describe: string;
  if (src.kind === 'none') throw none(`no Google Cloud credentials found (looked at ${src.looked.join('; ')})`);
  if (src.kind === 'file') {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(src.path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw none(`cannot read the credential file ${src.path} (from ${src.via}): ${err instanceof Error ? err.message : String(err)}`);
    }
    const s = (k: string): string | undefined => (typeof json[k] === 'string' ? json[k] : undefined);
    describe = `${s('type') ?? 'unknown'} ${src.via} ${src.path}`;
    if (json.type === 'service_account') {
      const email = s('client_email');
      const key = s('private_key');
      if (email === undefined || key === undefined) throw none(`the service-account key file ${src.path} has no client_email or private_key`);
      const keyId = s('private_key_id');
      const jwt = new JWT({ email, key, ...(keyId !== undefined ? { keyId } : {}), scopes: GCP_WRITE_SCOPES });
      jwt.useJWTAccessWithScope = true; // a self-signed JWT carrying the scope, as for collection
      client = jwt;
    } else if (json.type === 'authorized_user') {
      client = new UserRefreshClient({ clientId: s('client_id') ?? '', clientSecret: s('client_secret') ?? '', refreshToken: s('refresh_token') ?? '', ...(oauth2 ? { endpoints: { oauth2TokenUrl: `${oauth2}/token`, tokenInfoUrl: `${oauth2}/tokeninfo` } } : {}) });
    } else {
      client = await new GoogleAuth({ credentials: json, scopes: GCP_WRITE_SCOPES }).getClient();
    }
  } else {
    try {
      client = await new GoogleAuth({ scopes: GCP_WRITE_SCOPES }).getClient();
    } catch (err) {
      throw none(`no Google Cloud credentials found (no GOOGLE_APPLICATION_CREDENTIALS, no gcloud ADC file, no metadata server): ${err instanceof Error ? err.message : String(err)}`);
    }
    describe = 'metadata server';
  }
  if (impersonate !== undefined) {
    const iam = set(env.IRCTL_GCP_IAMCREDENTIALS_ENDPOINT) ? { endpoint: trim(env.IRCTL_GCP_IAMCREDENTIALS_ENDPOINT) } : {};
    client = new Impersonated({ sourceClient: client, targetPrincipal: impersonate, targetScopes: GCP_WRITE_SCOPES, delegates: [], lifetime: 3600, ...iam });
    describe = `impersonated ${impersonate} (from ${describe})`;
  }
  return { client, describe };
}

const NETWORK = /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|ENOTFOUND|ECONNABORTED|EHOSTUNREACH|ENETUNREACH|UND_ERR_\w+)$/;

/** A failure to get a token (refresh refused, impersonation denied, network) as a {@link GcpApiError}. */
export function tokenError(err: unknown): GcpApiError {
  if (err instanceof GcpApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; status?: unknown; code?: unknown; response?: { status?: unknown } };
  const status = typeof e.response?.status === 'number' ? e.response.status : typeof e.status === 'number' ? e.status : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && NETWORK.test(code)) return new GcpApiError(`cannot reach the token service: ${message}`, 'auth', code, undefined, 'transient', { cause: err });
  if (status === 403) return new GcpApiError(message, 'iam.serviceAccounts.getAccessToken', 'PERMISSION_DENIED', status, 'fatal', { cause: err });
  return new GcpApiError(message, 'auth', 'UNAUTHENTICATED', status, 'fatal', { cause: err });
}
