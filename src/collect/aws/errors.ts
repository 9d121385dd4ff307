/**
 * From a failed AWS call to a message an operator can act on (pure). Each names the call, the region and what to do.
 */
import { SourceAccessError } from '../../errors.js';
import { AwsApiError } from './ports.js';
import { AbortedError } from '../rate-limit.js';

/** Broad reason of a failure, for summaries and tests. */
export type FailureKind = 'no_credentials' | 'expired_token' | 'access_denied' | 'region_disabled' | 'network' | 'throttled' | 'api_error';

/** A failure explained. */
export interface Explained {
  kind: FailureKind;
  message: string;
  hint: string;
}

const POLICY_HINT = 'docs/collect.md lists every permission irctl needs, as an IAM policy document.';

/** True when the error is an abort (Ctrl-C). */
export function isAbort(err: unknown): boolean {
  if (err instanceof AbortedError) return true;
  if (err instanceof AwsApiError) return err.code === 'AbortError';
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/** Explain any failure of an AWS call. */
export function explainAwsError(err: unknown, endpoint?: string): Explained {
  if (!(err instanceof AwsApiError)) {
    const m = err instanceof Error ? err.message : String(err);
    return { kind: 'api_error', message: m, hint: 'Run again with --debug for details.' };
  }
  const { code, action, region } = err;
  // eslint-disable-next-line no-control-regex -- strip terminal control characters from a cloud-provided message
  const msg = err.message.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  if (code === 'CredentialsProviderError' || /could not load credentials|credential.*not.*found|unable to locate credentials/i.test(msg)) {
    return {
      kind: 'no_credentials',
      message: `no AWS credentials found (${msg})`,
      hint: 'Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), pass --profile NAME (after `aws sso login` or `aws configure`), or run where an instance/container role is available.',
    };
  }
  if (/^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/.test(code) || /token.*expired|expired.*token/i.test(msg)) {
    return {
      kind: 'expired_token',
      message: `the AWS session token has expired (${action} in ${region})`,
      hint: 'Refresh the credentials (`aws sso login --profile NAME`, or new temporary credentials) and run the same command again: it resumes where it stopped.',
    };
  }
  if (/AccessDenied|UnauthorizedOperation|AuthorizationError|Forbidden/i.test(code) || err.httpStatus === 403) {
    return {
      kind: 'access_denied',
      message: `access denied: the caller may not perform ${action} in ${region} (missing IAM permission ${action})`,
      hint: `Grant ${action} to the identity irctl runs as; ${POLICY_HINT}`,
    };
  }
  if (/^(UnrecognizedClientException|InvalidClientTokenId|AuthFailure|OptInRequired|InvalidAccessKeyId|SignatureDoesNotMatch)$/.test(code)) {
    const optIn = code !== 'SignatureDoesNotMatch' && code !== 'InvalidAccessKeyId';
    return {
      kind: optIn ? 'region_disabled' : 'no_credentials',
      message: optIn
        ? `${region} rejected the credentials (${code}): it is probably an opt-in region that is not enabled for this account, or the access key is not valid`
        : `the access key was rejected (${code}) calling ${action} in ${region}`,
      hint: optIn
        ? `Enable ${region} in the account's settings, or leave it out of --region (--all-regions only uses enabled regions).`
        : 'Check the access key and secret (or the profile) irctl is using.',
    };
  }
  if (err.retryClass === 'throttle') {
    return {
      kind: 'throttled',
      message: `${action} in ${region} stayed throttled (${code}) after every retry`,
      hint: 'Another tool may be using the same API limit; run again later (the collection resumes), or use --lake / --s3 for large windows.',
    };
  }
  if (err.retryClass === 'transient' && err.httpStatus === undefined) {
    return {
      kind: 'network',
      message: `cannot reach AWS for ${action} in ${region}${endpoint ? ` at ${endpoint}` : ''} (${code}: ${msg})`,
      hint: 'Check the network, proxy and AWS_ENDPOINT_URL* settings, then run again: it resumes where it stopped.',
    };
  }
  return { kind: 'api_error', message: `${action} in ${region} failed: ${code}${err.httpStatus !== undefined ? ` (HTTP ${err.httpStatus})` : ''}: ${msg}`, hint: 'Run again (it resumes); with --debug for details.' };
}

/** The explanation as a SourceAccessError (exit 4). */
export function toSourceAccessError(err: unknown, endpoint?: string): SourceAccessError {
  const e = explainAwsError(err, endpoint);
  return new SourceAccessError(e.message, { hint: e.hint, cause: err });
}
