/**
 * Entra ID directory audits, in the two shapes they are exported in:
 * - Microsoft Graph `directoryAudit` objects (`/auditLogs/directoryAudits` pages, portal JSON downloads): `id`,
 *   `activityDisplayName`, `activityDateTime`, `category`, `initiatedBy.user|app`, `targetResources`, `result`,
 *   `resultReason`, `loggedByService`, `correlationId`;
 * - diagnostic settings (`insights-logs-auditlogs/.../PT1H.json`, Event Hub `records[]`): `time`, `operationName`
 *   (the activity), `callerIpAddress`, `tenantId`, and the directoryAudit object in `properties`.
 * Field meanings: Microsoft Graph "directoryAudit resource type". Pure.
 */
import { asObject, asString, normalizeTime, type EventClass, type NormalizeResult, type Outcome } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';
import { auditFromRow, PORTAL_TARGETS } from './tables.js';
import { firstString, ipOf, isDiagnosticRecord, principalForm, ruleView } from './common.js';

function auditObject(record: unknown): { r: Record<string, unknown>; api: Record<string, unknown> } | undefined {
  const r = asObject(record);
  if (!r) return undefined;
  if (isDiagnosticRecord(r)) {
    const p = asObject(r.properties);
    const rid = asString(r.resourceId)?.toLowerCase() ?? '';
    const cat = asString(r.category)?.toLowerCase();
    // Entra's audit records sit under `/tenants/.../providers/Microsoft.aadiam` and carry the directoryAudit object.
    if (p && ('activityDisplayName' in p || 'activityDateTime' in p) && (rid.startsWith('/tenants/') || cat === 'auditlogs')) return { r, api: p };
    return undefined;
  }
  return 'activityDisplayName' in r && 'activityDateTime' in r ? { r, api: r } : undefined;
}

const ACCOUNT_CATEGORIES = new Set(['usermanagement', 'rolemanagement', 'groupmanagement']);
const ACCOUNT_ACTIVITY = /\b(user|member|role|password|authentication method|security info|credential|owner)\b/i;

function classOf(category: string | undefined, activity: string): EventClass {
  return (category !== undefined && ACCOUNT_CATEGORIES.has(category.toLowerCase())) || ACCOUNT_ACTIVITY.test(activity) ? 'account_change' : 'api_activity';
}

function outcomeOf(result: string | undefined): Outcome {
  const v = result?.toLowerCase();
  if (v === 'success') return 'success';
  if (v === 'failure' || v === 'timeout') return 'failure';
  return 'unknown';
}

/** Who initiated an audit: the user (UPN, else object id) or the application (app id, else service principal id). */
export function initiatorOf(api: Record<string, unknown>): { principal?: string | undefined; type?: string | undefined; name?: string | undefined; principalId?: string | undefined; ip?: string | undefined } {
  const by = asObject(api.initiatedBy);
  const user = asObject(by?.user);
  const app = asObject(by?.app);
  const upn = principalForm(asString(user?.userPrincipalName));
  const uid = asString(user?.id)?.toLowerCase();
  if (upn !== undefined || uid !== undefined) {
    return { principal: upn ?? uid, type: 'User', name: asString(user?.displayName), principalId: uid, ip: ipOf(user?.ipAddress) };
  }
  if (app) {
    const appId = asString(app.appId)?.toLowerCase();
    const spId = asString(app.servicePrincipalId)?.toLowerCase();
    const name = asString(app.displayName);
    return { principal: appId ?? spId ?? name, type: 'ServicePrincipal', name, principalId: spId };
  }
  return {};
}

/** The target resources of an audit: `targetResources`, or those an Entra portal CSV row names. */
export function auditTargets(api: Record<string, unknown>): unknown[] {
  const list = api.targetResources ?? api[PORTAL_TARGETS];
  return Array.isArray(list) ? (list as unknown[]) : [];
}

/** Target resources as identifiers: a user's UPN (lower case), else the display name, else the object id. */
export function targetsOf(api: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const list = auditTargets(api);
  for (const t of list) {
    const o = asObject(t);
    if (!o) continue;
    const v = principalForm(asString(o.userPrincipalName)) ?? asString(o.displayName) ?? asString(o.id)?.toLowerCase();
    if (v !== undefined && v.length < 2048) out.add(v);
  }
  return [...out].sort();
}

/** Pure mapping of one directory audit (either shape) to the common schema. */
export function normalizeAudit(record: unknown, rawSha256: string): NormalizeResult {
  const s = auditObject(record);
  if (!s) return { ok: false, reason: 'not an Entra ID directory audit (no activityDisplayName/activityDateTime)' };
  const { r, api } = s;
  const activity = firstString(api.activityDisplayName, r.operationName);
  if (activity === undefined) return { ok: false, reason: 'Entra ID directory audit has no activityDisplayName' };
  const timeText = firstString(api.activityDateTime, r.time);
  if (timeText === undefined) return { ok: false, reason: 'Entra ID directory audit has no activityDateTime' };
  const t = normalizeTime(timeText);
  if (!t) return { ok: false, reason: `Entra ID directory audit time ${JSON.stringify(timeText).slice(0, 60)} is not an ISO 8601 time` };
  const who = initiatorOf(api);
  const outcome = outcomeOf(firstString(api.result, r.resultType));
  return {
    ok: true,
    event: {
      id: asString(api.id) ?? `sha256:${rawSha256}`,
      dataType: 'azure:audit:entry',
      class: classOf(asString(api.category), activity),
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'identity',
      account: asString(r.tenantId)?.toLowerCase(),
      service: 'entra',
      action: activity,
      actor: { principal: who.principal, type: who.type, name: who.name, principalId: who.principalId },
      srcIp: who.ip ?? ipOf(r.callerIpAddress),
      outcome,
      errorCode: outcome === 'failure' ? firstString(api.resultReason, r.resultDescription) : undefined,
      readOnly: false,
      resources: targetsOf(api),
    },
  };
}

/**
 * What rules see: either shape answers to the Graph names, the diagnostic names (`properties.*`,
 * `operationName`) and the Log Analytics `AuditLogs` columns (`OperationName`, `ActivityDisplayName`, `Category`,
 * `LoggedByService`, `Result`, `TargetResources`, `InitiatedBy`).
 */
export function auditRuleBody(record: unknown): unknown {
  const s = auditObject(record);
  if (!s) return record;
  const activity = firstString(s.api.activityDisplayName, s.r.operationName);
  const targets = s.api.targetResources === undefined && s.api[PORTAL_TARGETS] !== undefined ? auditTargets(s.api) : undefined;
  return ruleView(s.r, s.api, { OperationName: activity, operationName: activity, targetResources: targets, TargetResources: targets });
}

/** The directory audit adapter. */
export const azureAudit: SourceAdapter = {
  id: 'azure-audit',
  dataType: 'azure:audit:entry',
  provider: 'azure',
  description: 'Entra ID directory audits (Graph directoryAudit objects, AuditLogs diagnostic records)',
  version: 1,
  matches: (record) => auditObject(record) !== undefined,
  normalize: normalizeAudit,
  fromRow: auditFromRow,
  ruleBody: auditRuleBody,
  logSources: [{ product: 'azure', service: 'auditlogs', description: 'Entra ID directory audits (either shape)' }],
  fieldAliases: {
    activityDisplayName: { column: 'action' },
    ActivityDisplayName: { column: 'action' },
    // Not `operationName`: a diagnostic record's operationName may differ from its activityDisplayName.
  },
  detailPaths: {
    request: ['$.targetResources', '$.properties.targetResources'],
    error: ['$.resultReason', '$.properties.resultReason'],
    response: ['$.additionalDetails', '$.properties.additionalDetails'],
  },
};
