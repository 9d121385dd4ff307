/**
 * Entra ID Protection: risk detections and risky users, in the shapes they are exported in:
 * - Microsoft Graph `riskDetection` objects (`/identityProtection/riskDetections` pages, beta `servicePrincipalRiskDetections`):
 *   `id`, `riskEventType`, `riskLevel`, `riskState`, `riskDetail`, `activity`, `activityDateTime`, `detectedDateTime`,
 *   `lastUpdatedDateTime`, `ipAddress`, `location`, `userPrincipalName`, `userId`, `source`, `additionalInfo`;
 *   `riskyUser` objects (`/identityProtection/riskyUsers`): `id` (the user's object id), `riskLevel`, `riskState`,
 *   `riskDetail`, `riskLastUpdatedDateTime`, `userPrincipalName`;
 * - diagnostic settings (`UserRiskEvents`, `ServicePrincipalRiskEvents`, `RiskyUsers` categories): the object in
 *   `properties`;
 * - Log Analytics rows of `AADUserRiskEvents`, `AADServicePrincipalRiskEvents` and `AADRiskyUsers` (the same fields in
 *   PascalCase).
 *
 * Identity: a risk detection is a mutable object (its `riskState` moves from atRisk to remediated or dismissed, and
 * `lastUpdatedDateTime` moves with it), so each version is an event: `<id>@<lastUpdatedDateTime ms>`. The Graph object
 * and the Log Analytics row of one version are one event; a later version is another event of the same detection.
 * Pure.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { RecordOrigin, SourceAdapter, TableHeader } from '../types.js';
import { firstString, ipOf, isDiagnosticRecord, principalForm, ruleView } from './common.js';
import { rowObject, rowOrigin } from './tables.js';

const DETECTION_CATEGORIES = new Set(['userriskevents', 'serviceprincipalriskevents']);
const RISKY_USER_CATEGORIES = new Set(['riskyusers']);

function pick(record: unknown, categories: ReadonlySet<string>, isApi: (o: Record<string, unknown>) => boolean): { r: Record<string, unknown>; api: Record<string, unknown> } | undefined {
  const r = asObject(record);
  if (!r) return undefined;
  if (isDiagnosticRecord(r)) {
    const cat = asString(r.category)?.toLowerCase();
    const p = asObject(r.properties);
    return cat !== undefined && categories.has(cat) && p ? { r, api: p } : undefined;
  }
  return isApi(r) ? { r, api: r } : undefined;
}

const isGraphDetection = (o: Record<string, unknown>): boolean => typeof o.riskEventType === 'string' && ('detectedDateTime' in o || 'activityDateTime' in o);
const isGraphRiskyUser = (o: Record<string, unknown>): boolean => 'riskLastUpdatedDateTime' in o && 'riskState' in o && !('riskEventType' in o);

/** The version suffix of a mutable object's id: its last-update time in ms (or nothing when it has none). */
function versioned(id: string, updated: string | undefined): string {
  const t = updated === undefined ? undefined : normalizeTime(updated);
  return t ? `${id}@${t.ms}` : id;
}

/** Pure mapping of one risk detection (either shape) to the common schema. */
export function normalizeRiskDetection(record: unknown, rawSha256: string): NormalizeResult {
  const s = pick(record, DETECTION_CATEGORIES, isGraphDetection);
  if (!s) return { ok: false, reason: 'not an Entra ID Protection risk detection (no riskEventType/detectedDateTime, nor a UserRiskEvents diagnostic record)' };
  const { r, api } = s;
  const type = firstString(api.riskEventType, api.riskEventTypes);
  if (type === undefined) return { ok: false, reason: 'Entra ID risk detection has no riskEventType' };
  const timeText = firstString(api.activityDateTime, api.detectedDateTime, r.time);
  if (timeText === undefined) return { ok: false, reason: 'Entra ID risk detection has no activityDateTime / detectedDateTime' };
  const t = normalizeTime(timeText);
  if (!t) return { ok: false, reason: `Entra ID risk detection time ${JSON.stringify(timeText).slice(0, 60)} is not an ISO 8601 time` };
  const upn = principalForm(asString(api.userPrincipalName));
  const spId = asString(api.servicePrincipalId)?.toLowerCase();
  const appId = asString(api.appId)?.toLowerCase();
  const isSp = upn === undefined && (spId !== undefined || appId !== undefined);
  const id = asString(api.id);
  return {
    ok: true,
    event: {
      id: id === undefined ? `sha256:${rawSha256}` : versioned(id, asString(api.lastUpdatedDateTime)),
      dataType: 'azure:riskdetection:entry',
      class: 'authentication',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'identity',
      // Only the diagnostic record names the tenant (Graph objects do not): table rows leave it out too, so copies agree.
      account: r !== api ? asString(r.tenantId)?.toLowerCase() : undefined,
      region: asString(asObject(api.location)?.countryOrRegion),
      service: 'identityprotection',
      action: type,
      actor: isSp
        ? { principal: appId ?? spId, type: 'ServicePrincipal', name: asString(api.servicePrincipalDisplayName), principalId: spId }
        : { principal: upn ?? asString(api.userId)?.toLowerCase(), type: 'User', name: asString(api.userDisplayName), principalId: asString(api.userId)?.toLowerCase() },
      srcIp: ipOf(api.ipAddress) ?? ipOf(r.callerIpAddress),
      // Not an action that succeeded or failed: a finding about one.
      outcome: 'unknown',
      readOnly: false,
      resources: [],
    },
  };
}

/** Pure mapping of one risky-user record (either shape) to the common schema. */
export function normalizeRiskyUser(record: unknown, rawSha256: string): NormalizeResult {
  const s = pick(record, RISKY_USER_CATEGORIES, isGraphRiskyUser);
  if (!s) return { ok: false, reason: 'not an Entra ID Protection risky user (no riskLastUpdatedDateTime/riskState)' };
  const { r, api } = s;
  const timeText = firstString(api.riskLastUpdatedDateTime, r.time);
  if (timeText === undefined) return { ok: false, reason: 'Entra ID risky user has no riskLastUpdatedDateTime' };
  const t = normalizeTime(timeText);
  if (!t) return { ok: false, reason: `Entra ID risky user time ${JSON.stringify(timeText).slice(0, 60)} is not an ISO 8601 time` };
  const state = asString(api.riskState) ?? 'unknown';
  const id = asString(api.id);
  const oid = id?.toLowerCase();
  return {
    ok: true,
    event: {
      id: id === undefined ? `sha256:${rawSha256}` : versioned(`riskyUser:${oid ?? ''}`, timeText),
      dataType: 'azure:riskyuser:entry',
      class: 'account_change',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'identity',
      account: r !== api ? asString(r.tenantId)?.toLowerCase() : undefined,
      service: 'identityprotection',
      action: `riskyUser/${state}`,
      // The user the state is about (Identity Protection, not the user, wrote the record).
      actor: { principal: principalForm(asString(api.userPrincipalName)) ?? oid, type: 'User', name: asString(api.userDisplayName), principalId: oid },
      outcome: 'unknown',
      readOnly: false,
      resources: [],
    },
  };
}

/** Log Analytics tables of these records, by the `Type` column (or the shape of the columns). */
function riskRow(header: TableHeader, row: readonly unknown[], kind: 'detection' | 'user'): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = new Set(header.columns.map((c) => c.replace(/\s*\[(?:UTC|Local Time)\]$/i, '').trim().toLowerCase()));
  const shape = kind === 'detection' ? cols.has('riskeventtype') && (cols.has('detecteddatetime') || cols.has('activitydatetime')) : cols.has('risklastupdateddatetime') && cols.has('riskstate') && !cols.has('riskeventtype');
  if (!shape) return undefined;
  const o = rowObject(header, row);
  const type = asString(o.Type)?.toLowerCase();
  if (type !== undefined && !(kind === 'detection' ? ['aaduserriskevents', 'aadserviceprincipalriskevents'] : ['aadriskyusers']).includes(type)) return undefined;
  const record: Record<string, unknown> = { ...o };
  for (const [k, v] of Object.entries(o)) {
    const c = k.charAt(0).toLowerCase() + k.slice(1);
    if (!Object.hasOwn(record, c)) record[c] = v;
  }
  // `time` would make the row look like a diagnostic record.
  delete record.time;
  if (kind === 'user') record.riskLastUpdatedDateTime ??= o.TimeGenerated ?? null;
  else record.detectedDateTime ??= o.TimeGenerated ?? null;
  return { record, origin: rowOrigin(header) };
}

/** What rules see: the Graph names, the diagnostic names (`properties.*`) and the Log Analytics column names. */
function riskRuleBody(categories: ReadonlySet<string>, isApi: (o: Record<string, unknown>) => boolean): (record: unknown) => unknown {
  return (record) => {
    const s = pick(record, categories, isApi);
    return s ? ruleView(s.r, s.api, {}) : record;
  };
}

/** Risk detections (users and service principals). */
export const azureRiskDetection: SourceAdapter = {
  id: 'azure-riskdetection',
  dataType: 'azure:riskdetection:entry',
  provider: 'azure',
  description: 'Entra ID Protection risk detections (Graph riskDetection objects, UserRiskEvents diagnostic records, AADUserRiskEvents rows)',
  version: 1,
  matches: (record) => pick(record, DETECTION_CATEGORIES, isGraphDetection) !== undefined,
  normalize: normalizeRiskDetection,
  fromRow: (header, row) => riskRow(header, row, 'detection'),
  ruleBody: riskRuleBody(DETECTION_CATEGORIES, isGraphDetection),
  logSources: [{ product: 'azure', service: 'riskdetection', description: 'Entra ID Protection risk detections (either shape)' }],
  detailPaths: {
    // Graph names (table rows carry camelCase copies of their columns): the same paths in every shape, so copies compare.
    request: ['$.riskEventType', '$.properties.riskEventType', '$.source', '$.properties.source', '$.detectionTimingType', '$.properties.detectionTimingType'],
    error: ['$.riskDetail', '$.properties.riskDetail'],
    response: ['$.riskLevel', '$.riskState', '$.properties.riskLevel', '$.properties.riskState'],
  },
};

/** Risky users (state snapshots). */
export const azureRiskyUser: SourceAdapter = {
  id: 'azure-riskyuser',
  dataType: 'azure:riskyuser:entry',
  provider: 'azure',
  description: 'Entra ID Protection risky users (Graph riskyUser objects, RiskyUsers diagnostic records, AADRiskyUsers rows)',
  version: 1,
  matches: (record) => pick(record, RISKY_USER_CATEGORIES, isGraphRiskyUser) !== undefined,
  normalize: normalizeRiskyUser,
  fromRow: (header, row) => riskRow(header, row, 'user'),
  ruleBody: riskRuleBody(RISKY_USER_CATEGORIES, isGraphRiskyUser),
  detailPaths: {
    request: ['$.riskDetail', '$.properties.riskDetail'],
    error: [],
    response: ['$.riskLevel', '$.riskState', '$.properties.riskLevel', '$.properties.riskState'],
  },
};
