/**
 * Entra ID sign-in logs, in the two shapes they are exported in:
 * - Microsoft Graph `signIn` objects (`/auditLogs/signIns` pages, portal JSON downloads): `id`, `createdDateTime`,
 *   `userPrincipalName`, `userId`, `appId`, `appDisplayName`, `ipAddress`, `status.errorCode`, `clientAppUsed`,
 *   `conditionalAccessStatus`, `riskLevelDuringSignIn`, `mfaDetail` / `authenticationDetails`, `location`;
 * - diagnostic settings (`insights-logs-signinlogs/.../PT1H.json`, Event Hub `records[]`): `time`, `resultType`,
 *   `callerIpAddress`, `tenantId`, and the signIn object in `properties`.
 * Field meanings: Microsoft Graph "signIn resource type". Pure.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';
import { signInFromRow } from './tables.js';
import { apiObject, firstString, ipOf, isDiagnosticRecord, principalForm, ruleView } from './common.js';

/** Diagnostic categories of sign-in logs. */
const SIGNIN_CATEGORIES = new Set([
  'signinlogs',
  'noninteractiveusersigninlogs',
  'serviceprincipalsigninlogs',
  'managedidentitysigninlogs',
]);

/** The sign-in action (Log Analytics `OperationName` of every sign-in row). */
export const SIGNIN_ACTION = 'Sign-in activity';

function isGraphSignIn(o: Record<string, unknown>): boolean {
  return 'createdDateTime' in o && ('userPrincipalName' in o || 'servicePrincipalId' in o || 'userId' in o) && ('status' in o || 'appId' in o);
}

function signInObject(record: unknown): { r: Record<string, unknown>; api: Record<string, unknown>; diagnostic: boolean } | undefined {
  const r = asObject(record);
  if (!r) return undefined;
  if (isDiagnosticRecord(r)) {
    const cat = asString(r.category)?.toLowerCase();
    if (cat !== undefined && SIGNIN_CATEGORIES.has(cat)) return { r, api: apiObject(r), diagnostic: true };
    return undefined;
  }
  return isGraphSignIn(r) ? { r, api: r, diagnostic: false } : undefined;
}

/** The sign-in's error code: `status.errorCode` (Graph), else the diagnostic `resultType` (a string). */
function errorCodeOf(r: Record<string, unknown>, api: Record<string, unknown>): number | undefined {
  const code = asObject(api.status)?.errorCode;
  if (typeof code === 'number') return code;
  const s = typeof code === 'string' ? code : asString(r.resultType);
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/** Pure mapping of one sign-in (either shape) to the common schema. */
export function normalizeSignIn(record: unknown, rawSha256: string): NormalizeResult {
  const s = signInObject(record);
  if (!s) return { ok: false, reason: 'not an Entra ID sign-in (no createdDateTime/userPrincipalName/status, nor a SignInLogs diagnostic record)' };
  const { r, api } = s;
  const timeText = firstString(api.createdDateTime, r.time);
  if (timeText === undefined) return { ok: false, reason: 'Entra ID sign-in has no time (createdDateTime / time)' };
  const t = normalizeTime(timeText);
  if (!t) return { ok: false, reason: `Entra ID sign-in time ${JSON.stringify(timeText).slice(0, 60)} is not an ISO 8601 time` };
  const code = errorCodeOf(r, api);
  if (code === undefined) return { ok: false, reason: 'Entra ID sign-in has no status.errorCode (nor resultType): its outcome is unknown' };
  const upn = principalForm(asString(api.userPrincipalName));
  const spId = asString(api.servicePrincipalId);
  const appId = asString(api.appId)?.toLowerCase();
  const category = asString(r.category)?.toLowerCase();
  const isSp = upn === undefined && (spId !== undefined || category === 'serviceprincipalsigninlogs' || category === 'managedidentitysigninlogs');
  const principal = isSp ? (appId ?? spId?.toLowerCase()) : (upn ?? asString(api.userId)?.toLowerCase());
  const type = isSp ? (category === 'managedidentitysigninlogs' ? 'ManagedIdentity' : 'ServicePrincipal') : 'User';
  const location = asObject(api.location);
  const country = firstString(location?.countryOrRegion, typeof r.location === 'string' ? r.location : undefined);
  const tenant = firstString(r.tenantId, api.resourceTenantId, api.homeTenantId)?.toLowerCase();
  return {
    ok: true,
    event: {
      id: asString(api.id) ?? `sha256:${rawSha256}`,
      dataType: 'azure:signin:entry',
      class: 'authentication',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'identity',
      account: tenant,
      // The sign-in's country: the common schema's "region or location" of an identity event.
      region: country,
      service: 'entra',
      action: SIGNIN_ACTION,
      actor: {
        principal,
        type,
        name: firstString(api.userDisplayName, api.servicePrincipalName),
        principalId: firstString(api.userId, spId)?.toLowerCase(),
        // The token's `uti`: Microsoft Graph activity logs name it `signInActivityId`, so a user's Graph calls join
        // the sign-in that issued their token.
        session: asString(api.uniqueTokenIdentifier),
      },
      srcIp: ipOf(api.ipAddress) ?? ipOf(r.callerIpAddress),
      userAgent: asString(api.userAgent),
      outcome: code === 0 ? 'success' : 'failure',
      errorCode: code === 0 ? undefined : String(code),
      readOnly: false,
      resources: appId !== undefined ? [appId] : [],
    },
  };
}

/**
 * What rules see: either shape answers to the Graph names (`status.errorCode`, `location.countryOrRegion`), the
 * diagnostic names (`properties.*`) and the Log Analytics `SigninLogs` columns (`ResultType`, `ResultDescription`,
 * `UserPrincipalName`, `AuthenticationRequirement`, `IPAddress`, `LocationDetails`, ...).
 */
export function signInRuleBody(record: unknown): unknown {
  const s = signInObject(record);
  if (!s) return record;
  const { r, api } = s;
  const status = asObject(api.status);
  const code = errorCodeOf(r, api);
  return ruleView(r, api, {
    ResultType: code !== undefined ? String(code) : undefined,
    ResultDescription: firstString(status?.failureReason, r.resultDescription),
    IPAddress: asString(api.ipAddress),
    LocationDetails: api.location,
    OperationName: SIGNIN_ACTION,
    operationName: SIGNIN_ACTION,
    Category: asString(r.category) ?? 'SignInLogs',
  });
}

/** The sign-in adapter. */
export const azureSignIn: SourceAdapter = {
  id: 'azure-signin',
  dataType: 'azure:signin:entry',
  provider: 'azure',
  description: 'Entra ID sign-ins (Graph signIn objects, SignInLogs diagnostic records)',
  version: 1,
  matches: (record) => signInObject(record) !== undefined,
  normalize: normalizeSignIn,
  fromRow: signInFromRow,
  ruleBody: signInRuleBody,
  logSources: [{ product: 'azure', service: 'signinlogs', description: 'Entra ID sign-ins (either shape)' }],
  fieldAliases: { OperationName: { column: 'action' }, operationName: { column: 'action' } },
  detailPaths: {
    request: ['$.appDisplayName', '$.clientAppUsed', '$.properties.appDisplayName', '$.properties.clientAppUsed', '$.authenticationRequirement', '$.properties.authenticationRequirement'],
    error: ['$.status', '$.properties.status', '$.resultDescription'],
    response: ['$.conditionalAccessStatus', '$.properties.conditionalAccessStatus', '$.riskLevelDuringSignIn', '$.properties.riskLevelDuringSignIn'],
  },
};
