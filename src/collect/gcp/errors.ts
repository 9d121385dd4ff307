/**
 * From a failed Google Cloud call to a message an operator can act on (pure): each names the call, the resource
 * and the permission or step that is missing.
 */
import { SourceAccessError } from '../../errors.js';
import { AbortedError } from '../rate-limit.js';
import { GcpApiError } from './ports.js';

/** Broad reason of a failure, for summaries and tests. */
export type GcpFailureKind = 'no_credentials' | 'unauthenticated' | 'access_denied' | 'not_found' | 'quota' | 'network' | 'bad_request' | 'api_error';

/** A failure explained. */
export interface GcpExplained {
  kind: GcpFailureKind;
  message: string;
  hint: string;
}

const PERMISSIONS: Record<string, string> = {
  'logging.entries.list': 'logging.logEntries.list (roles/logging.viewer; Data Access logs need logging.privateLogEntries.list, roles/logging.privateLogViewer)',
  'cloudasset.assets.searchAllResources': 'cloudasset.assets.searchAllResources (roles/cloudasset.viewer)',
  'cloudasset.assets.searchAllIamPolicies': 'cloudasset.assets.searchAllIamPolicies (roles/cloudasset.viewer)',
  'resourcemanager.projects.getIamPolicy': 'resourcemanager.projects.getIamPolicy (roles/iam.securityReviewer or roles/viewer)',
  'resourcemanager.folders.getIamPolicy': 'resourcemanager.folders.getIamPolicy (roles/iam.securityReviewer or roles/resourcemanager.folderViewer)',
  'resourcemanager.organizations.getIamPolicy': 'resourcemanager.organizations.getIamPolicy (roles/iam.securityReviewer or roles/resourcemanager.organizationViewer)',
  'iam.serviceAccounts.getAccessToken': 'iam.serviceAccounts.getAccessToken on the impersonated service account (roles/iam.serviceAccountTokenCreator)',
};

/** True when the error is an abort (Ctrl-C). */
export function isGcpAbort(err: unknown): boolean {
  if (err instanceof AbortedError) return true;
  if (err instanceof GcpApiError) return err.status === 'AbortError';
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/** Strip terminal control characters from a cloud-provided message. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex -- the message came from the network
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
}

/** Explain any failure of a Google Cloud call (`scope`: the resource names of the request). */
export function explainGcpError(err: unknown, scope: string, endpoint?: string): GcpExplained {
  if (!(err instanceof GcpApiError)) {
    return { kind: 'api_error', message: err instanceof Error ? clean(err.message) : String(err), hint: 'Run again with --debug for details.' };
  }
  const msg = clean(err.message);
  const { method, status } = err;
  if (status === 'NO_CREDENTIALS') {
    return {
      kind: 'no_credentials',
      message: msg,
      hint: 'Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run on Google Cloud with an attached service account; add --impersonate-service-account SA to act as a read-only IR account.',
    };
  }
  if (status === 'UNAUTHENTICATED' || err.httpStatus === 401) {
    return {
      kind: 'unauthenticated',
      message: `the credentials were refused (${method}${err.httpStatus !== undefined ? `, HTTP ${err.httpStatus}` : ''}): ${msg}`,
      hint: 'Refresh them (`gcloud auth application-default login`, or a new key) and run the same command again: it resumes where it stopped.',
    };
  }
  if (status === 'PERMISSION_DENIED' || err.httpStatus === 403) {
    const perm = PERMISSIONS[method] ?? method;
    return {
      kind: 'access_denied',
      message: `permission denied: the caller may not call ${method} on ${scope} (missing IAM permission ${perm}): ${msg}`,
      hint: `Grant ${perm} to the identity irctl runs as on ${scope} (docs/gcp.md "Collecting" lists every permission).`,
    };
  }
  if (status === 'NOT_FOUND' || err.httpStatus === 404) {
    return { kind: 'not_found', message: `${scope} was not found by ${method}: ${msg}`, hint: 'Check the project, folder or organization id (projects may be given by id; folders and organizations by number).' };
  }
  if (err.retryClass === 'throttle') {
    return {
      kind: 'quota',
      message: `${method} on ${scope} stayed over quota (${status}) after every retry: ${msg}`,
      hint: 'Another reader may share the project\'s read quota (60 requests per minute by default); run the same command again later (it resumes from the last stored entry), or lower --reads-per-minute.',
    };
  }
  if (err.retryClass === 'transient' && err.httpStatus === undefined) {
    return {
      kind: 'network',
      message: `cannot reach Google Cloud for ${method}${endpoint ? ` at ${endpoint}` : ''} (${status}: ${msg})`,
      hint: 'Check the network, proxy and IRCTL_GCP_*_ENDPOINT settings, then run again: it resumes where it stopped.',
    };
  }
  if (status === 'INVALID_ARGUMENT' || err.httpStatus === 400) {
    return { kind: 'bad_request', message: `${method} refused the request on ${scope}: ${msg}`, hint: 'Check --filter (Logging query language) and the resource ids.' };
  }
  return { kind: 'api_error', message: `${method} on ${scope} failed: ${status}${err.httpStatus !== undefined ? ` (HTTP ${err.httpStatus})` : ''}: ${msg}`, hint: 'Run again (it resumes); with --debug for details.' };
}

/** The explanation as a SourceAccessError (exit 4). */
export function toGcpAccessError(err: unknown, scope: string, endpoint?: string): SourceAccessError {
  const e = explainGcpError(err, scope, endpoint);
  return new SourceAccessError(e.message, { hint: e.hint, cause: err });
}
