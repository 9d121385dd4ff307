/**
 * From a failed Azure call to a message an operator can act on (pure): what was called, why it failed, what to do.
 */
import { SourceAccessError } from '../../errors.js';
import { AbortedError } from '../rate-limit.js';
import { AzureApiError } from './http.js';

/** Broad reason of a failure. */
export type AzureFailureKind = 'no_credentials' | 'auth_failed' | 'access_denied' | 'not_found' | 'licence' | 'network' | 'throttled' | 'api_error';

/** A failure explained. */
export interface AzureExplained {
  kind: AzureFailureKind;
  message: string;
  hint: string;
}

/** The Graph error of a tenant without Entra ID P1/P2 reading sign-ins. */
export const NON_PREMIUM_CODE = 'Authentication_RequestFromNonPremiumTenantOrB2CTenant';

const PERMS = 'docs/azure.md lists the roles and Graph permissions irctl needs.';

/** True when the error is an abort (Ctrl-C). */
export function isAzureAbort(err: unknown): boolean {
  if (err instanceof AbortedError) return true;
  if (err instanceof AzureApiError) return err.code === 'AbortError';
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/** Explain a failure of `what` (e.g. `the Activity Log of subscription X`). */
export function explainAzureError(err: unknown, what: string, endpoint?: string): AzureExplained {
  if (!(err instanceof AzureApiError)) {
    return { kind: 'api_error', message: `${what}: ${err instanceof Error ? err.message : String(err)}`, hint: 'Run again with --debug for details.' };
  }
  // eslint-disable-next-line no-control-regex -- strip terminal control characters from a cloud-provided message
  const msg = err.message.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?').split('\n')[0] ?? '';
  if (err.code === 'CredentialUnavailable') {
    return {
      kind: 'no_credentials',
      message: `no Azure credentials found (${msg.slice(0, 400)})`,
      hint:
        'Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal; or AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE for workload identity), run `az login`, or run where a managed identity is available.',
    };
  }
  if (err.code === 'AuthenticationFailed' || (err.status === 401 && /token/i.test(err.code + msg))) {
    return {
      kind: 'auth_failed',
      message: `Entra ID did not accept the credentials for ${what} (${err.status ?? ''} ${err.code}: ${msg.slice(0, 300)})`,
      hint: 'Check the tenant, client id and secret or certificate (an expired secret is the usual cause), and --cloud for sovereign clouds.',
    };
  }
  if (err.code === NON_PREMIUM_CODE) {
    return {
      kind: 'licence',
      message: `${what}: the tenant has no Microsoft Entra ID P1 or P2 licence, which Microsoft Graph requires to read sign-in logs (${NON_PREMIUM_CODE})`,
      hint:
        'Collect sign-ins another way: send them with a diagnostic setting (Entra ID > Diagnostic settings) to a Log Analytics workspace and run `irctl collect azure --workspace ID`, or download them from the portal and `irctl import` the file. Directory audits are still readable without P1/P2.',
    };
  }
  if (err.status === 403 || /AuthorizationFailed|Authorization_RequestDenied|Forbidden|InsufficientAccountPermissions/i.test(err.code)) {
    return {
      kind: 'access_denied',
      message: `access denied to ${what} (${err.status ?? ''} ${err.code}: ${msg.slice(0, 300)})`,
      hint: `Grant the identity irctl runs as the role or permission it needs (Reader on subscriptions; AuditLog.Read.All and Directory.Read.All for Graph; Log Analytics Reader on workspaces). ${PERMS}`,
    };
  }
  if (err.status === 404 || /NotFound/i.test(err.code)) {
    return { kind: 'not_found', message: `${what} was not found (${err.code}: ${msg.slice(0, 300)})`, hint: 'Check the id (subscription, tenant, workspace) and --cloud.' };
  }
  if (err.retryClass === 'throttle') {
    return { kind: 'throttled', message: `${what} stayed throttled (${err.status ?? ''} ${err.code}) after every retry`, hint: 'Another tool may share the limit; run again later: the collection resumes where it stopped.' };
  }
  if (err.status === undefined) {
    return {
      kind: 'network',
      message: `cannot reach Azure for ${what}${endpoint !== undefined ? ` at ${endpoint}` : ''} (${err.code}: ${msg.slice(0, 300)})`,
      hint: 'Check the network, proxy, --cloud and IRCTL_AZURE_*_ENDPOINT settings, then run again: it resumes where it stopped.',
    };
  }
  return { kind: 'api_error', message: `${what} failed: ${err.status} ${err.code}: ${msg.slice(0, 300)}`, hint: 'Run again (it resumes); with --debug for details.' };
}

/** The explanation as a SourceAccessError (exit 4). */
export function toAzureAccessError(err: unknown, what: string, endpoint?: string): SourceAccessError {
  const e = explainAzureError(err, what, endpoint);
  return new SourceAccessError(e.message, { hint: e.hint, cause: err });
}
