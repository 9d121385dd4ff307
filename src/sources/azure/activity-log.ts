/**
 * Azure Activity Log entries (the subscription's control plane), in the two shapes they are exported in:
 * - ARM REST / `az monitor activity-log list` (camelCase objects): `operationName.value`, `eventTimestamp`, `caller`,
 *   `claims`, `httpRequest.clientIpAddress`, `status.value`, `resourceId`, `correlationId`, `eventDataId`;
 * - diagnostic settings (storage account `insights-activity-logs/.../PT1H.json`, Event Hub `records[]`): `time`,
 *   `operationName` (a string), `resultType`, `callerIpAddress`, `identity.claims`, `properties`.
 * Field meanings: Microsoft Learn "Azure Activity Log event schema". Pure.
 */
import { asObject, asString, normalizeTime, type NormalizeResult, type Outcome } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';
import { activityFromRow } from './tables.js';
import { firstString, ipOf, isDiagnosticRecord, isGuid, principalForm, shortHash } from './common.js';

/** Diagnostic-record categories of the Activity Log (Entra logs use other categories and `/tenants/` resource ids). */
const ACTIVITY_CATEGORIES = new Set(['administrative', 'security', 'servicehealth', 'alert', 'recommendation', 'policy', 'autoscale', 'resourcehealth']);

const CLAIM_UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const CLAIM_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
const CLAIM_EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const CLAIM_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const CLAIM_TENANT = 'http://schemas.microsoft.com/identity/claims/tenantid';

/** The two shapes, told apart. */
type Shape = { kind: 'arm'; r: Record<string, unknown> } | { kind: 'diagnostic'; r: Record<string, unknown> };

function shapeOf(record: unknown): Shape | undefined {
  const r = asObject(record);
  if (!r) return undefined;
  const op = asObject(r.operationName);
  if (op && ('eventDataId' in r || 'eventTimestamp' in r) && ('resourceId' in r || 'authorization' in r || 'caller' in r)) return { kind: 'arm', r };
  if (isDiagnosticRecord(r)) {
    const cat = asString(r.category)?.toLowerCase();
    const rid = asString(r.resourceId)?.toLowerCase() ?? '';
    if (cat !== undefined && ACTIVITY_CATEGORIES.has(cat) && !rid.startsWith('/tenants/')) return { kind: 'diagnostic', r };
  }
  return undefined;
}

/** `value` of an ARM `{value, localizedValue}` pair, or the string itself. */
function valueOf(v: unknown): string | undefined {
  return asString(v) ?? asString(asObject(v)?.value);
}

/**
 * Status in one vocabulary: ARM writes `Succeeded`/`Failed`/`Started`/`Accepted`, diagnostic records
 * `Success`/`Failure`/`Start`/`Accept`. The content key and the outcome use this form.
 */
export function canonicalStatus(s: string | undefined): string {
  const v = (s ?? '').trim().toLowerCase();
  const map: Record<string, string> = { succeeded: 'success', failed: 'failure', started: 'start', accepted: 'accept' };
  return map[v] ?? v;
}

function outcomeOf(status: string): Outcome {
  if (status === 'success') return 'success';
  if (status === 'failure') return 'failure';
  return 'unknown';
}

/** The fields both shapes carry, read once. */
export interface ActivityFields {
  time: string | undefined;
  operation: string | undefined;
  status: string;
  correlationId: string | undefined;
  resourceId: string | undefined;
  claims: Record<string, unknown>;
  caller: string | undefined;
  ip: string | undefined;
  category: string | undefined;
  subStatus: string | undefined;
  evidence: Record<string, unknown> | undefined;
  location: string | undefined;
}

/** Read the shared fields of either shape. */
export function activityFields(record: unknown): ActivityFields | undefined {
  const s = shapeOf(record);
  if (!s) return undefined;
  const r = s.r;
  if (s.kind === 'arm') {
    const auth = asObject(r.authorization);
    return {
      time: asString(r.eventTimestamp),
      operation: valueOf(r.operationName),
      status: canonicalStatus(valueOf(r.status)),
      correlationId: asString(r.correlationId),
      resourceId: asString(r.resourceId),
      claims: asObject(r.claims) ?? {},
      caller: asString(r.caller),
      ip: ipOf(asObject(r.httpRequest)?.clientIpAddress),
      category: valueOf(r.category),
      subStatus: valueOf(r.subStatus) ?? asString(asObject(r.properties)?.statusCode),
      evidence: asObject(auth?.evidence),
      location: undefined,
    };
  }
  const identity = asObject(r.identity);
  const props = asObject(r.properties);
  return {
    time: asString(r.time),
    operation: asString(r.operationName),
    status: canonicalStatus(asString(r.resultType)),
    correlationId: asString(r.correlationId),
    resourceId: asString(r.resourceId),
    claims: asObject(identity?.claims) ?? {},
    caller: asString(r.caller) ?? asString(r.Caller),
    ip: ipOf(r.callerIpAddress),
    category: asString(r.category),
    subStatus: asString(r.resultSignature) ?? asString(props?.statusCode),
    evidence: asObject(asObject(identity?.authorization)?.evidence),
    location: asString(r.location),
  };
}

/** Subscription id of an ARM resource id (lower case). */
export function subscriptionOf(resourceId: string | undefined): string | undefined {
  const m = /^\/subscriptions\/([0-9a-f-]{36})(?:\/|$)/i.exec(resourceId ?? '');
  return m?.[1]?.toLowerCase();
}

/**
 * Who acted: the UPN for users (lower case), the application id for service principals, else the caller as written
 * (an object id), so the same caller is one principal in both shapes (the diagnostic shape carries only the claims).
 */
function actorOf(f: ActivityFields): { principal?: string | undefined; type?: string | undefined; name?: string | undefined; principalId?: string | undefined } {
  const c = f.claims;
  const upn = firstString(c[CLAIM_UPN], c[CLAIM_EMAIL], c.upn);
  const nameClaim = asString(c[CLAIM_NAME]);
  const oid = firstString(c[CLAIM_OID], c.oid);
  const appid = asString(c.appid);
  const idtyp = asString(c.idtyp);
  const evType = asString(f.evidence?.principalType);
  const callerIsUser = f.caller?.includes('@') === true;
  let principal: string | undefined;
  let type: string | undefined;
  if (upn !== undefined || callerIsUser || nameClaim?.includes('@') === true) {
    principal = principalForm(upn ?? (callerIsUser ? f.caller : nameClaim));
    type = evType ?? 'User';
  } else if (appid !== undefined) {
    // An application token (`idtyp: app`): the service principal is known by its application id.
    principal = appid.toLowerCase();
    type = evType ?? (idtyp === 'app' ? 'ServicePrincipal' : 'Application');
  } else if (f.caller !== undefined) {
    // No claims: an object id, or a resource provider acting for the platform (`Microsoft.Advisor`).
    principal = isGuid(f.caller) ? f.caller.toLowerCase() : f.caller;
    type = evType ?? (/^Microsoft\.[A-Za-z.]+$/.test(f.caller) ? 'Platform' : undefined);
  }
  return { principal, type, name: asString(c.name), principalId: oid?.toLowerCase() };
}

/** Pure mapping of one Activity Log entry (either shape) to the common schema. */
export function normalizeActivity(record: unknown, _rawSha256: string): NormalizeResult {
  const f = activityFields(record);
  if (!f) return { ok: false, reason: 'not an Azure Activity Log entry (no operationName with eventTimestamp, nor a diagnostic record of an Activity Log category)' };
  if (!f.operation) return { ok: false, reason: 'Azure Activity Log entry has no operationName' };
  if (f.time === undefined) return { ok: false, reason: 'Azure Activity Log entry has no time (eventTimestamp / time)' };
  const t = normalizeTime(f.time);
  if (!t) return { ok: false, reason: `Azure Activity Log time ${JSON.stringify(f.time).slice(0, 60)} is not an ISO 8601 time` };
  const action = f.operation.toLowerCase();
  const resourceId = f.resourceId?.toLowerCase();
  // The storage-account and Event Hub shape has no eventDataId: identity is a content key both shapes produce, so
  // one entry read through ARM and through an export is one event (design.md "Record identity").
  const key = [f.correlationId?.toLowerCase() ?? '', action, resourceId ?? '', t.iso, f.status].join('|');
  const actor = actorOf(f);
  const tenant = asString(f.claims[CLAIM_TENANT]);
  return {
    ok: true,
    event: {
      id: `azure-activity:${shortHash(key)}`,
      dataType: 'azure:activity:entry',
      class: 'api_activity',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'control_plane',
      account: subscriptionOf(f.resourceId) ?? tenant?.toLowerCase(),
      region: f.location !== undefined && f.location !== '' && f.location.toLowerCase() !== 'global' ? f.location.toLowerCase() : undefined,
      service: action.split('/')[0],
      action,
      actor,
      srcIp: f.ip ?? ipOf(f.claims.ipaddr),
      outcome: outcomeOf(f.status),
      errorCode: f.status === 'failure' ? f.subStatus : undefined,
      readOnly: action.endsWith('/read'),
      resources: resourceId ? [resourceId] : [],
    },
  };
}

/**
 * What rules see: the entry plus the Log Analytics `AzureActivity` column names (`OperationNameValue`,
 * `CategoryValue`, `ResourceProviderValue`, `ActivityStatusValue`, `Caller`, `CallerIpAddress`), so rules written
 * for either table match both shapes. `operationName` itself is answered from the action column (field alias).
 */
export function activityRuleBody(record: unknown): unknown {
  const f = activityFields(record);
  const r = asObject(record);
  if (!f || !r) return record;
  const add: Record<string, unknown> = {
    OperationNameValue: f.operation,
    CategoryValue: f.category,
    ResourceProviderValue: f.operation?.split('/')[0],
    ActivityStatusValue: f.status,
    Caller: f.caller ?? actorOf(f).principal,
    CallerIpAddress: f.ip,
  };
  const out: Record<string, unknown> = { ...r };
  for (const [k, v] of Object.entries(add)) if (v !== undefined && !Object.hasOwn(out, k)) out[k] = v;
  return out;
}

/** The Activity Log adapter. */
export const azureActivity: SourceAdapter = {
  id: 'azure-activity',
  dataType: 'azure:activity:entry',
  provider: 'azure',
  description: 'Azure Activity Log entries (ARM REST / az monitor activity-log list, diagnostic-settings records)',
  version: 1,
  matches: (record) => shapeOf(record) !== undefined,
  normalize: normalizeActivity,
  fromRow: activityFromRow,
  ruleBody: activityRuleBody,
  logSources: [{ product: 'azure', service: 'activitylogs', description: 'Azure Activity Log entries (either shape)' }],
  // The action column holds the operation name in lower case; Sigma matching is case-insensitive, and the two
  // shapes write the same operation in different cases (`Microsoft.Authorization/...` vs `MICROSOFT.AUTHORIZATION/...`).
  fieldAliases: { operationName: { column: 'action' }, OperationNameValue: { column: 'action' }, 'operationName.value': { column: 'action' } },
  detailPaths: {
    request: ['$.properties.requestbody', '$.properties.requestBody', '$.httpRequest'],
    error: ['$.properties.statusMessage', '$.properties.statusCode', '$.subStatus.value', '$.resultSignature'],
    response: ['$.properties.responseBody'],
  },
};
