/**
 * Azure credentials: a service principal from the command's environment, else `DefaultAzureCredential` (environment,
 * workload identity, managed identity, Azure CLI, azd, PowerShell). The only `@azure/identity` import.
 *
 * The service principal is built from the command's own environment (not `process.env`) so that in-process runs
 * (tests, embedding) get exactly the credentials they were given; in a real process both are the same.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { TokenCredential } from '@azure/core-auth';
import type { TlsSettings } from '@azure/core-rest-pipeline';
import { ConfigError } from '../../errors.js';
import type { AzureEndpoints } from './cloud.js';

/** What the run authenticates with. */
export interface AzureAuth {
  credential: TokenCredential;
  /** Extra trusted CAs (`IRCTL_AZURE_CA_FILE`), for TLS-inspecting proxies and local test servers. */
  tlsOptions: TlsSettings | undefined;
  /** Which source the credential comes from (custody). */
  source: 'client_secret' | 'client_certificate' | 'workload_identity' | 'default_chain' | 'injected';
}

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/** Trusted CAs: the public roots plus `IRCTL_AZURE_CA_FILE` (PEM), or undefined for Node's defaults. */
export function tlsFromEnv(env: NodeJS.ProcessEnv): TlsSettings | undefined {
  const file = env.IRCTL_AZURE_CA_FILE;
  if (!set(file)) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`IRCTL_AZURE_CA_FILE ${file} cannot be read (${err instanceof Error ? err.message : String(err)})`, {
      hint: 'Point IRCTL_AZURE_CA_FILE at a PEM file of the extra certificate authorities to trust, or unset it.',
    });
  }
  return { ca: [...rootCertificates, pem] };
}

/** Build the credential for `endpoints.authority`. */
export async function azureAuth(env: NodeJS.ProcessEnv, endpoints: AzureEndpoints): Promise<AzureAuth> {
  const id = await import('@azure/identity');
  const tlsOptions = tlsFromEnv(env);
  const common = {
    authorityHost: endpoints.authority,
    // Instance discovery asks the public cloud's login host about the authority: wrong for an overridden authority
    // (a proxy, a test server), right for the real clouds.
    ...(set(env.IRCTL_AZURE_AUTHORITY_HOST) ? { disableInstanceDiscovery: true } : {}),
    ...(tlsOptions ? { tlsOptions } : {}),
  };
  const tenant = env.AZURE_TENANT_ID;
  const client = env.AZURE_CLIENT_ID;
  if (set(tenant) && set(client) && set(env.AZURE_CLIENT_SECRET)) {
    return { credential: new id.ClientSecretCredential(tenant, client, env.AZURE_CLIENT_SECRET, common), tlsOptions, source: 'client_secret' };
  }
  if (set(tenant) && set(client) && set(env.AZURE_CLIENT_CERTIFICATE_PATH)) {
    return {
      credential: new id.ClientCertificateCredential(tenant, client, { certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH, ...(set(env.AZURE_CLIENT_CERTIFICATE_PASSWORD) ? { certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD } : {}) }, common),
      tlsOptions,
      source: 'client_certificate',
    };
  }
  if (set(tenant) && set(client) && set(env.AZURE_FEDERATED_TOKEN_FILE)) {
    return { credential: new id.WorkloadIdentityCredential({ tenantId: tenant, clientId: client, tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE, ...common }), tlsOptions, source: 'workload_identity' };
  }
  return { credential: new id.DefaultAzureCredential(common), tlsOptions, source: 'default_chain' };
}

/** Who the token belongs to, from its claims (custody). */
export interface AzureCaller {
  /** Tenant id (`tid`). */
  tenant: string;
  /** Object id of the user, service principal or managed identity (`oid`). */
  object_id: string;
  /** Application (client) id (`appid` / `azp`), when an app signed in. */
  app_id: string | null;
  /** UPN or unique name, when a user signed in. */
  upn: string | null;
}

/** Caller from an access token (a JWT; the claims are read, not verified: the service verifies them). */
export function callerFromToken(token: string): AzureCaller {
  const part = token.split('.')[1];
  let claims: Record<string, unknown> = {};
  if (part !== undefined) {
    try {
      const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) claims = v as Record<string, unknown>;
    } catch {
      // not a JWT: the caller stays unknown
    }
  }
  const s = (k: string): string | null => {
    const v = claims[k];
    return typeof v === 'string' ? v : null;
  };
  return { tenant: s('tid') ?? 'unknown', object_id: s('oid') ?? 'unknown', app_id: s('appid') ?? s('azp'), upn: s('upn') ?? s('unique_name') };
}
