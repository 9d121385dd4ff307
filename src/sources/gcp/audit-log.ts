/**
 * Google Cloud Audit Logs: LogEntry records whose `protoPayload` is a `google.cloud.audit.AuditLog` (Admin Activity,
 * Data Access, System Event and Policy Denied logs), as `gcloud logging read --format=json`, the Logs Explorer
 * download, Cloud Storage sinks (JSON Lines), `entries:list` pages and Pub/Sub push envelopes hold them.
 * Field meanings: Google Cloud "LogEntry" and "AuditLog" references. Pure.
 */
import { asObject, asString, isIpAddress, normalizeTime, type EventClass, type NormalizeResult } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';
import {
  auditKindOf,
  canonicalLogName,
  isGoogleManagedIdentity,
  keyIdOfName,
  logIdOf,
  logParentOf,
  principalTypeOf,
  regionOfLocation,
  RPC_CODES,
  saEmailOfName,
  shortHash,
  statusCodeOf,
} from './common.js';
import { auditEntryFromCsvRow, auditRecordOrigin, bigQueryAuditEntry } from './reshaped.js';
import { GCP_DERIVED_FIELDS } from './rule-fields.js';

/** An entity an entry hands out or names (`related`). */
type Related = { kind: string; value: string };

const AUDIT_TYPE = 'google.cloud.audit.AuditLog';

/** The audit LogEntry a parsed record is, or undefined. */
export function auditEntryOf(record: unknown): Record<string, unknown> | undefined {
  const o = asObject(record);
  if (!o) return undefined;
  const pp = asObject(o.protoPayload);
  if (!pp) return undefined;
  if (typeof pp.methodName !== 'string' && typeof pp.serviceName !== 'string') return undefined;
  const type = asString(pp['@type']) ?? asString(pp.at_sign_type);
  const isAudit = type?.endsWith(AUDIT_TYPE) === true || auditKindOf(asString(o.logName)) !== undefined;
  return isAudit && (typeof o.logName === 'string' || typeof o.insertId === 'string' || typeof o.timestamp === 'string') ? o : undefined;
}

/** Methods (last dotted part, lower case) that read: `get`, `list`, `search`, ... */
const READ_VERB = /^(get|list|search|lookup|aggregatedlist|batchget|read|query|watch|testiampermissions|getiampolicy|check|export|fetch)/;

/** True when a method only reads (by its verb; GKE's `...pods.list`, `v1.compute.instances.get`, `GetIamPolicy`). */
export function isReadMethod(method: string): boolean {
  const parts = method.split('.');
  const last = (parts[parts.length - 1] ?? '').toLowerCase();
  return READ_VERB.test(last) && !/^(getandset|exportto)/.test(last);
}

/** Service-account and key management: changes to who can act (like IAM user and key changes). */
const ACCOUNT_CHANGE = /^google\.iam\.admin\.v1\.(Create|Delete|Disable|Enable|Undelete|Upload|Patch|Update)ServiceAccount(Key)?$/;
/** Calls that mint credentials for a service account (identity hops). */
export const TOKEN_METHODS = [
  'GenerateAccessToken',
  'GenerateIdToken',
  'SignJwt',
  'SignBlob',
  'google.iam.credentials.v1.IAMCredentials.GenerateAccessToken',
  'google.iam.credentials.v1.IAMCredentials.GenerateIdToken',
  'google.iam.credentials.v1.IAMCredentials.SignJwt',
  'google.iam.credentials.v1.IAMCredentials.SignBlob',
] as const;
const TOKEN_METHOD_SET: ReadonlySet<string> = new Set(TOKEN_METHODS);

function classOf(service: string, method: string): EventClass {
  if (ACCOUNT_CHANGE.test(method)) return 'account_change';
  if (service === 'iamcredentials' || TOKEN_METHOD_SET.has(method) || service === 'sts') return 'authentication';
  return 'api_activity';
}

/** The impersonation chain of an entry: the principals that delegated to the caller, first (the human) to last. */
export function delegationChain(auth: Record<string, unknown> | undefined): string[] {
  const list = Array.isArray(auth?.serviceAccountDelegationInfo) ? (auth.serviceAccountDelegationInfo as unknown[]) : [];
  const out: string[] = [];
  for (const d of list) {
    const o = asObject(d);
    const first = asObject(o?.firstPartyPrincipal);
    const third = asObject(asObject(o?.thirdPartyPrincipal)?.thirdPartyClaims);
    const who = asString(first?.principalEmail) ?? asString(o?.principalSubject) ?? asString(third?.sub) ?? asString(third?.email);
    if (who !== undefined) out.push(who.includes('@') && !who.includes('://') ? who.toLowerCase() : who);
  }
  return out;
}

/** The acting principal: the e-mail, else the federated subject (workforce / workload identity federation). */
function principalOf(auth: Record<string, unknown> | undefined): { principal?: string | undefined; subject?: string | undefined } {
  const email = asString(auth?.principalEmail);
  const subject = asString(auth?.principalSubject);
  if (email !== undefined) return { principal: email.toLowerCase(), subject };
  if (subject !== undefined) {
    // `serviceAccount:x@p.iam.gserviceaccount.com` / `user:x@y`: the e-mail is the principal; federated subjects stay whole.
    const m = /^(?:serviceAccount|user):(.+@.+)$/.exec(subject);
    return { principal: m?.[1]?.toLowerCase() ?? subject, subject };
  }
  return {};
}

/** Resource identifiers of an entry: the resource name plus what the monitored resource's labels name. */
function resourcesOf(entry: Record<string, unknown>, pp: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const rn = asString(pp.resourceName);
  if (rn !== undefined && rn.length < 2048) out.add(rn);
  const res = asObject(entry.resource);
  const labels = asObject(res?.labels) ?? {};
  const project = asString(labels.project_id);
  const email = asString(labels.email_id);
  if (email !== undefined && project !== undefined) out.add(`projects/${project}/serviceAccounts/${email.toLowerCase()}`);
  const bucket = asString(labels.bucket_name);
  if (bucket !== undefined) out.add(`projects/_/buckets/${bucket}`);
  const sink = asString(labels.name) ?? asString(labels.sink_name);
  if (asString(res?.type) === 'logging_sink' && sink !== undefined && project !== undefined) out.add(`projects/${project}/sinks/${sink}`);
  const instance = asString(labels.instance_id);
  const zone = asString(labels.zone);
  if (asString(res?.type) === 'gce_instance' && instance !== undefined && project !== undefined && zone !== undefined) {
    out.add(`projects/${project}/zones/${zone}/instances/${instance}`);
  }
  // The service account a credential call targets is the resource name already; a key name in the request is too.
  const reqName = asString(asObject(pp.request)?.name);
  if (reqName !== undefined && /serviceAccounts\//.test(reqName) && reqName.length < 2048) out.add(reqName);
  return [...out].sort();
}

/** Entities a record hands out or names beyond actor and resources: delegators, issued keys, impersonated SAs. */
function relatedOf(pp: Record<string, unknown>, method: string, ok: boolean, delegators: readonly string[]): Related[] {
  const out: Related[] = [];
  // The people and service accounts behind an impersonated call link the call to them (Google's own agents do not:
  // they are in everyone's chains).
  for (const d of delegators) if (!isGoogleManagedIdentity(d)) out.push({ kind: 'principal', value: d });
  if (!ok) return out;
  if (/CreateServiceAccountKey$|UploadServiceAccountKey$/.test(method)) {
    const key = keyIdOfName(asString(asObject(pp.response)?.name));
    if (key !== undefined) out.push({ kind: 'access_key', value: key });
  }
  if (TOKEN_METHOD_SET.has(method)) {
    const sa = saEmailOfName(asString(pp.resourceName)) ?? saEmailOfName(asString(asObject(pp.request)?.name));
    if (sa !== undefined) out.push({ kind: 'role', value: sa });
  }
  return out;
}

/** Pure mapping of one audit LogEntry to the common schema. */
export function normalizeAuditEntry(record: unknown, rawSha256: string): NormalizeResult {
  const entry = auditEntryOf(record);
  if (!entry) return { ok: false, reason: 'not a Cloud Audit Logs entry (no protoPayload AuditLog with methodName/serviceName)' };
  const pp = asObject(entry.protoPayload) ?? {};
  const method = asString(pp.methodName);
  if (method === undefined) return { ok: false, reason: 'Cloud Audit Logs entry has no protoPayload.methodName' };
  const rawTime = entry.timestamp ?? entry.receiveTimestamp;
  if (rawTime === undefined || rawTime === null) return { ok: false, reason: 'Cloud Audit Logs entry has no timestamp' };
  const t = normalizeTime(rawTime);
  if (!t) return { ok: false, reason: `Cloud Audit Logs timestamp ${JSON.stringify(rawTime).slice(0, 60)} is not an RFC 3339 time` };
  const logName = asString(entry.logName);
  const insertId = asString(entry.insertId);
  // Identity: insertId within its log and timestamp (Logging deduplicates on exactly these: design.md "Record
  // identity"). The log id is decoded so `%2F` and `/` spellings of one log name give one key.
  const id = insertId !== undefined && logName !== undefined ? `gcp:${shortHash([canonicalLogName(logName), t.iso, insertId].join('\n'))}` : `sha256:${rawSha256}`;
  const serviceName = asString(pp.serviceName);
  const service = serviceName?.replace(/\.googleapis\.com$/, '');
  const auth = asObject(pp.authenticationInfo);
  const who = principalOf(auth);
  const delegators = delegationChain(auth);
  const meta = asObject(pp.requestMetadata) ?? {};
  const callerIp = asString(meta.callerIp) ?? asString(meta.callerIP);
  const code = statusCodeOf(pp.status);
  const kind = auditKindOf(logName);
  const ok = (code === undefined || code === 0) && kind !== 'policy';
  const labels = asObject(asObject(entry.resource)?.labels) ?? {};
  const project = asString(labels.project_id);
  const parent = logParentOf(logName);
  const account = parent?.startsWith('projects/') === true ? parent.slice(9) : (project ?? parent);
  const locs = asObject(pp.resourceLocation)?.currentLocations;
  const oneLoc = Array.isArray(locs) && locs.length === 1 ? asString(locs[0]) : undefined;
  const region = regionOfLocation(asString(labels.location) ?? asString(labels.region) ?? asString(labels.zone) ?? oneLoc);
  const keyName = asString(auth?.serviceAccountKeyName);
  const principal = who.principal;
  return {
    ok: true,
    event: {
      id,
      dataType: 'gcp:audit:entry',
      class: classOf(service ?? '', method),
      time: t.iso,
      timeMs: t.ms,
      provider: 'gcp',
      layer: 'control_plane',
      account,
      region,
      service,
      action: method,
      actor: {
        principal,
        type: principal !== undefined ? principalTypeOf(principal) : 'Anonymous',
        name: principal?.includes('@') === true && !principal.includes('://') ? principal.split('@')[0] : principal?.split('/').pop(),
        principalId: who.subject !== undefined && who.subject !== principal ? who.subject : undefined,
        accessKey: keyIdOfName(keyName),
      },
      srcIp: callerIp !== undefined && isIpAddress(callerIp) ? callerIp : undefined,
      // `private` (a VPC caller without an external address), `gce-internal-ip`, a service name.
      srcHost: callerIp !== undefined && !isIpAddress(callerIp) ? callerIp : undefined,
      userAgent: asString(meta.callerSuppliedUserAgent),
      outcome: ok ? 'success' : 'failure',
      errorCode: ok ? undefined : code !== undefined ? (RPC_CODES[code] ?? String(code)) : 'POLICY_DENIED',
      // Data Access entries are the data events of Cloud Audit Logs (like CloudTrail data events): reads by kind,
      // DATA_WRITE entries by their method.
      readOnly: isReadMethod(method) || (kind === 'data_access' && !/\.(create|insert|update|patch|delete|write|put|set\w*)$/i.test(method)),
      resources: resourcesOf(entry, pp),
      related: ((r) => (r.length > 0 ? r : undefined))(relatedOf(pp, method, ok, delegators)),
    },
  };
}

/**
 * What rules see: the entry, plus the names SigmaHQ's GCP rules use for the same fields: `data.protoPayload.*`
 * (the entry under `data`, as a Pub/Sub-fed pipeline nests it) and `gcp.audit.*` (Elastic's GCP integration:
 * `method_name`, `service_name`, `principal_email`, `resource_name`, `log_id`). The log id of `logName` is added as
 * `data.protoPayload.logName` both encoded and decoded: SigmaHQ's rule names the log id there.
 */
export function auditRuleBody(record: unknown): unknown {
  const entry = auditEntryOf(record);
  if (!entry) return record;
  const pp = asObject(entry.protoPayload) ?? {};
  const logId = logIdOf(asString(entry.logName));
  const out: Record<string, unknown> = { ...entry };
  const data: Record<string, unknown> = { ...entry, protoPayload: { ...pp, resource: entry.resource, logName: logId !== undefined ? [logId, logId.replace('/', '%2F')] : undefined } };
  if (!Object.hasOwn(out, 'data')) out.data = data;
  const auth = asObject(pp.authenticationInfo);
  const meta = asObject(pp.requestMetadata);
  out['gcp.audit'] = {
    method_name: pp.methodName,
    service_name: pp.serviceName,
    principal_email: auth?.principalEmail,
    resource_name: pp.resourceName,
    log_id: logId,
    caller_ip: meta?.callerIp,
    status: { code: statusCodeOf(pp.status) ?? 0 },
  };
  return out;
}

/** The LogEntry a record stands for: a BigQuery sink row read back into its entry, else the record itself. */
const entryView = (record: unknown): unknown => bigQueryAuditEntry(record) ?? record;

/** The Cloud Audit Logs adapter. */
export const gcpAudit: SourceAdapter = {
  id: 'gcp-audit',
  dataType: 'gcp:audit:entry',
  provider: 'gcp',
  description:
    'Google Cloud Audit Logs entries (gcloud logging read, Logs Explorer JSON and CSV downloads, Cloud Storage sink JSON Lines, BigQuery sink NDJSON, entries:list pages, Pub/Sub push envelopes)',
  version: 1,
  matches: (record) => auditEntryOf(entryView(record)) !== undefined,
  normalize: (record, rawSha256) => normalizeAuditEntry(entryView(record), rawSha256),
  ruleBody: (record) => auditRuleBody(entryView(record)),
  // BigQuery sink rows (JSON) and Logs Explorer CSV rows are exporters' re-shapings of the entry.
  origin: auditRecordOrigin,
  fromRow: auditEntryFromCsvRow,
  logSources: [{ product: 'gcp', service: 'gcp.audit', description: 'Google Cloud Audit Logs entries (every log kind)' }],
  fieldAliases: {
    'protoPayload.methodName': { column: 'action' },
    'gcp.audit.method_name': { column: 'action' },
    'data.protoPayload.methodName': { column: 'action' },
    // The normalizer stores serviceName without `.googleapis.com`; services outside that domain (`k8s.io`) keep theirs.
    'protoPayload.serviceName': { column: 'service', toRecord: (s) => (s === '' ? undefined : s.includes('.') ? s : `${s}.googleapis.com`) },
  },
  derivedFields: GCP_DERIVED_FIELDS,
  detailPaths: {
    request: ['$.protoPayload.request', '$.protoPayload.serviceData', '$.protoPayload.metadata'],
    error: ['$.protoPayload.status'],
    response: ['$.protoPayload.response'],
  },
};
