/**
 * Shapes shared by the Google Cloud adapters and knowledge: principals (users, service accounts, Google service
 * agents, federated subjects), audit log kinds, resource names, `google.rpc.Code` names. Pure.
 */
import { createHash } from 'node:crypto';
import { asObject, asString } from '../../normalize/event.js';

/** First 32 hex characters of the SHA-256 of a text (event identity keys). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

/** The audit log kinds of Cloud Audit Logs, by the log id's last part. */
export const AUDIT_LOG_KINDS = ['activity', 'data_access', 'system_event', 'policy'] as const;
/** One audit log kind. */
export type AuditLogKind = (typeof AUDIT_LOG_KINDS)[number];

/** What each kind holds (docs, `case info`, log coverage). */
export const AUDIT_LOG_KIND_NAMES: Readonly<Record<AuditLogKind, string>> = {
  activity: 'Admin Activity',
  data_access: 'Data Access',
  system_event: 'System Event',
  policy: 'Policy Denied',
};

/**
 * The log id of a `logName` (`projects/p/logs/cloudaudit.googleapis.com%2Factivity` ->
 * `cloudaudit.googleapis.com/activity`), URL-decoded: exports write it encoded, some tools decoded.
 */
export function logIdOf(logName: string | undefined): string | undefined {
  if (logName === undefined) return undefined;
  const i = logName.indexOf('/logs/');
  const id = i >= 0 ? logName.slice(i + 6) : logName;
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

/** `projects/p/logs/x%2Fy` with its log id decoded: one form of the same log name for identity keys. */
export function canonicalLogName(logName: string): string {
  const i = logName.indexOf('/logs/');
  if (i < 0) return logName;
  return `${logName.slice(0, i)}/logs/${logIdOf(logName) ?? ''}`;
}

/** The audit log kind of a log name (`activity`, `data_access`, ...), or undefined for other logs. */
export function auditKindOf(logName: string | undefined): AuditLogKind | undefined {
  const id = logIdOf(logName);
  const m = /^cloudaudit\.googleapis\.com\/(activity|data_access|system_event|policy)$/.exec(id ?? '');
  return m ? (m[1] as AuditLogKind) : undefined;
}

/**
 * The container a log belongs to (`projects/p`, `organizations/1`, `folders/2`, `billingAccounts/X`), from the
 * log name.
 */
export function logParentOf(logName: string | undefined): string | undefined {
  const m = /^((?:projects|organizations|folders|billingAccounts)\/[^/]+)\/logs\//.exec(logName ?? '');
  return m?.[1];
}

/** A service account e-mail (`name@project.iam.gserviceaccount.com`, default and Google-managed ones). */
export const SA_EMAIL_RE = /^[a-z0-9._-]+@[a-z0-9.-]+\.gserviceaccount\.com$/i;

/**
 * Google-managed identities that act for the platform, not for a person: service agents
 * (`service-123@gcp-sa-*.iam.gserviceaccount.com`, `123@cloudservices.gserviceaccount.com`, `*@container-engine-robot`,
 * `*@compute-system`, ...) and Google itself (`system@google.com`, `*.google.com`). Conservative on purpose: default
 * service accounts a customer's code runs as (`123-compute@developer`, `p@appspot`, `123@cloudbuild`) are NOT
 * listed: attackers act through them.
 */
export function isGoogleManagedIdentity(v: string): boolean {
  const s = v.toLowerCase().replace(/^(serviceaccount|user):/, '');
  if (s === 'system@google.com' || s.endsWith('.google.com') || s.endsWith('@google.com')) return true;
  if (/^service-\d+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/.test(s)) return true;
  if (/^\d+@cloudservices\.gserviceaccount\.com$/.test(s)) return true;
  if (/^service-\d+@(?:container-engine-robot|compute-system|containerregistry|dataflow-service-producer-prod|gcf-admin-robot|serverless-robot-prod|gs-project-accounts|cloud-ml|cloud-redis|dataproc-accounts|gcp-gae-service|sourcerepo-service-accounts)\.iam\.gserviceaccount\.com$/.test(s)) {
    return true;
  }
  return /@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/.test(s) && s.startsWith('service-');
}

/** Principal type of an acting identity (stored as `actor_type`). */
export function principalTypeOf(v: string): string {
  const s = v.toLowerCase();
  if (isGoogleManagedIdentity(s)) return 'GoogleManaged';
  if (s.startsWith('principal://') || s.startsWith('principalset://')) return 'FederatedPrincipal';
  if (SA_EMAIL_RE.test(s)) return 'ServiceAccount';
  if (s.includes('@')) return 'User';
  return 'Unknown';
}

/** `google.rpc.Code` names by number (the `status.code` of an audit entry). */
export const RPC_CODES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** The status code of an entry as a number (exports write it as a number or a numeric string), or undefined. */
export function statusCodeOf(status: unknown): number | undefined {
  const o = asObject(status);
  if (!o) return undefined;
  const c = o.code;
  if (typeof c === 'number' && Number.isInteger(c)) return c;
  const s = asString(c);
  if (s !== undefined && /^\d+$/.test(s)) return Number(s);
  return undefined;
}

/** The e-mail of a service account named by a resource name (`projects/-/serviceAccounts/<email>[/keys/<id>]`). */
export function saEmailOfName(name: string | undefined): string | undefined {
  const m = /serviceAccounts\/([^/]+@[^/]+)/.exec(name ?? '');
  return m?.[1]?.toLowerCase();
}

/** The key id at the end of a service-account key name (`.../serviceAccounts/<sa>/keys/<id>`). */
export function keyIdOfName(name: string | undefined): string | undefined {
  const m = /\/keys\/([^/]+)$/.exec(name ?? '');
  return m?.[1];
}

/** Region of a location or zone label (`us-central1-a` -> `us-central1`); undefined for `global`. */
export function regionOfLocation(loc: string | undefined): string | undefined {
  if (loc === undefined || loc === '' || loc === 'global') return undefined;
  const zone = /^([a-z]+-[a-z]+\d+)-[a-z]$/.exec(loc);
  return zone?.[1] ?? loc;
}
