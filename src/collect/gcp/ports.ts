/**
 * Ports of `irctl collect gcp`: what the collect stage needs from Google Cloud, as plain data. The one
 * implementation (google-auth-library for credentials, REST over `fetch` for the calls) is `client.ts`.
 */

import type { LogConfig } from './coverage.js';

/** The HTTP response body of one API call, exactly as received. */
export interface GcpRawPage {
  /** The body bytes (what is hashed and split into records). */
  body: Buffer;
  /** SHA-256 of {@link body}. */
  sha256: string;
}

/** One `entries.list` request (the REST body, field for field). */
export interface ListEntriesRequest {
  /** `projects/P`, `folders/F`, `organizations/O` (at most 100). */
  resourceNames: string[];
  /** Logging query language filter. */
  filter: string;
  /** Always `timestamp asc`: checkpoints advance with the entries. */
  orderBy: string;
  /** At most 1,000. */
  pageSize: number;
  pageToken?: string | undefined;
}

/** Who the credentials belong to, and where they came from. */
export interface GcpIdentity {
  /** Caller email (service account or user), or a description when it cannot be learned. */
  email: string;
  /** `service_account_key`, `authorized_user` (gcloud ADC), `impersonated`, `metadata`, `external_account`, ... */
  credentialType: string;
  /** Where the credentials were found: the key file path, `gcloud ADC file`, `metadata server`. */
  source: string;
  /** Service account impersonated (`--impersonate-service-account`), if any. */
  impersonated?: string | undefined;
}

/** Everything the collect stage talks to. */
export interface GcpPorts {
  /** Obtain a token and learn the caller (fails early on bad credentials). */
  identify(signal?: AbortSignal): Promise<GcpIdentity>;
  /** `POST {logging}/v2/entries:list`. */
  listEntries(req: ListEntriesRequest, signal?: AbortSignal): Promise<GcpRawPage>;
  /** `GET {cloudasset}/v1/{scope}:searchAllResources` or `:searchAllIamPolicies` with query parameters. */
  assetSearch(scope: string, method: 'searchAllResources' | 'searchAllIamPolicies', query: URLSearchParams, signal?: AbortSignal): Promise<GcpRawPage>;
  /**
   * `POST {resourcemanager}/v3/{resource}:getIamPolicy` (policy version 3) of `projects/P`, `folders/F` or
   * `organizations/O`: the body as received (its `auditConfigs` say which services write Data Access logs).
   */
  iamPolicy(resource: string, signal?: AbortSignal): Promise<GcpRawPage>;
  /** Sinks, exclusions and buckets of `projects/P`, `folders/F` or `organizations/O` (configuration API). */
  logConfig(parent: string, signal?: AbortSignal): Promise<LogConfig>;
  /** Endpoints in use (for messages and custody). */
  endpoints: { logging: string; cloudasset: string; resourcemanager: string };
  close(): void;
}

/** How a failed call should be treated. */
export type GcpErrorClass = 'throttle' | 'transient' | 'fatal';

/**
 * A failed Google API call, normalized: the canonical status (`RESOURCE_EXHAUSTED`, `PERMISSION_DENIED`...), the
 * HTTP status, the method (`logging.entries.list`, also the start of the IAM permission name) and the retry class.
 */
export class GcpApiError extends Error {
  /** API method, e.g. `logging.entries.list`. */
  readonly method: string;
  /** Canonical status (google.rpc.Code name) or a network code (ECONNREFUSED), or `NO_CREDENTIALS`. */
  readonly status: string;
  /** HTTP status when a response came back. */
  readonly httpStatus: number | undefined;
  readonly retryClass: GcpErrorClass;

  constructor(message: string, method: string, status: string, httpStatus: number | undefined, retryClass: GcpErrorClass, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GcpApiError';
    this.method = method;
    this.status = status;
    this.httpStatus = httpStatus;
    this.retryClass = retryClass;
  }
}
