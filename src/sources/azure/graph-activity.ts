/**
 * Microsoft Graph activity logs (every HTTP request an app or user made to Microsoft Graph in the tenant), in the two
 * shapes they reach a responder in:
 * - diagnostic settings (storage account `insights-logs-microsoftgraphactivitylogs/.../PT1H.json`, Event Hub
 *   `records[]`): `time`, `category: MicrosoftGraphActivityLogs`, `operationName: Microsoft Graph Activity`,
 *   `callerIpAddress`, and the request in `properties` (`requestId`, `requestMethod`, `requestUri`,
 *   `responseStatusCode`, `userId`, `servicePrincipalId`, `appId`, `ipAddress`, `userAgent`, `signInActivityId`,
 *   `scopes`, `roles`, `wids`, `tokenIssuedAt`);
 * - Log Analytics `MicrosoftGraphActivityLogs` rows (the same fields in PascalCase: `RequestId`, `RequestUri`,
 *   `ResponseStatusCode`, `UserId`, `ServicePrincipalId`, `AppId`, `IPAddress`, `SignInActivityId`, ...).
 * Field meanings: Microsoft Learn "Access Microsoft Graph activity logs". Pure.
 *
 * Identity: the request id (`requestId` / `RequestId`), which both shapes carry. The actor is the user's object id
 * for delegated calls (the log carries no UPN), the application id for app-only calls; `signInActivityId` (the
 * token's `uti`, which Entra sign-ins carry as `uniqueTokenIdentifier`) is the session.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { RecordOrigin, SourceAdapter, TableHeader } from '../types.js';
import { firstString, pascal } from './common.js';
import { rowObject, rowOrigin } from './tables.js';
import { columnsOf, ipWithoutPort, rowType, isResourceLogRecord } from './resource-logs.js';

/** The Graph request of either shape, with camelCase names. */
function graphRequest(record: unknown): { r: Record<string, unknown>; p: Record<string, unknown> } | undefined {
  const r = asObject(record);
  if (!r || !isResourceLogRecord(r) || asString(r.category)?.toLowerCase() !== 'microsoftgraphactivitylogs') return undefined;
  return { r, p: asObject(r.properties) ?? {} };
}

const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|[^/]*@[^/]*|[A-Za-z0-9_=+-]{40,})$/i;

/**
 * The request path as a template: host, API version and query removed, object ids (GUIDs, UPNs, numbers, long
 * opaque ids such as message ids, `('...')` keys) replaced by `{id}`. `https://graph.microsoft.com/v1.0/users/
 * 6b0d.../messages?$top=5` -> `/users/{id}/messages`. Undefined when the URI is not a URL or a path.
 */
export function graphPathTemplate(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  let path: string;
  try {
    path = new URL(uri, 'https://graph.microsoft.com').pathname;
  } catch {
    return undefined;
  }
  const segs = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  if (segs[0] !== undefined && /^(?:v1\.0|beta)$/i.test(segs[0])) segs.shift();
  return (
    '/' +
    segs
      .map((s) => {
        const key = /^([^(]+)\((.*)\)$/.exec(s);
        if (key) return `${key[1] as string}({id})`;
        return ID_SEGMENT.test(s) ? '{id}' : s;
      })
      .join('/')
  );
}

/**
 * Whose mailbox, calendar or contacts a request reads (`/users/{id or UPN}/messages...`), lower case; undefined for
 * other requests and for `/me/...` (the signed-in user's own).
 */
export function mailboxOwner(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(uri, 'https://graph.microsoft.com').pathname);
  } catch {
    return undefined;
  }
  const m = /^\/(?:v1\.0|beta)?\/?users(?:\/|\(')([^/')]+)'?\)?\/(?:messages|mailFolders|events|calendar|calendars|contacts|contactFolders)\b/i.exec(path);
  return m?.[1]?.toLowerCase();
}

/** Pure mapping of one Graph activity record (either shape) to the common schema. */
export function normalizeGraphActivity(record: unknown, rawSha256: string): NormalizeResult {
  const g = graphRequest(record);
  if (!g) return { ok: false, reason: 'not a Microsoft Graph activity log record (category MicrosoftGraphActivityLogs)' };
  const { r, p } = g;
  const timeText = firstString(r.time, p.timeGenerated);
  if (timeText === undefined) return { ok: false, reason: 'Microsoft Graph activity record has no time (time / TimeGenerated)' };
  const t = normalizeTime(timeText);
  if (!t) return { ok: false, reason: `Microsoft Graph activity time ${JSON.stringify(timeText).slice(0, 60)} is not an ISO 8601 time` };
  const method = asString(p.requestMethod)?.toUpperCase();
  const template = graphPathTemplate(asString(p.requestUri));
  if (method === undefined || template === undefined) return { ok: false, reason: 'Microsoft Graph activity record has no requestMethod / requestUri (RequestMethod / RequestUri)' };
  const statusRaw = p.responseStatusCode ?? r.resultSignature;
  const status = typeof statusRaw === 'number' ? statusRaw : typeof statusRaw === 'string' && /^\d+$/.test(statusRaw) ? Number(statusRaw) : undefined;
  const userId = asString(p.userId)?.toLowerCase();
  const appId = asString(p.appId)?.toLowerCase();
  const spId = asString(p.servicePrincipalId)?.toLowerCase();
  const requestId = asString(p.requestId)?.toLowerCase();
  let uriPath: string | undefined;
  try {
    const u = new URL(asString(p.requestUri) ?? '', 'https://graph.microsoft.com');
    uriPath = `${u.origin}${u.pathname}`;
  } catch {
    uriPath = undefined;
  }
  return {
    ok: true,
    event: {
      id: requestId ?? `sha256:${rawSha256}`,
      dataType: 'azure:graph:activity',
      class: 'api_activity',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'control_plane',
      account: firstString(p.tenantId, r.tenantId)?.toLowerCase(),
      region: firstString(p.location, r.location)?.toLowerCase(),
      service: 'microsoft.graph',
      action: `${method} ${template}`,
      actor: {
        // Delegated: the signed-in user (object id); app-only: the application (its app id, as in sign-ins).
        principal: userId ?? appId ?? spId,
        type: userId !== undefined ? 'User' : appId !== undefined || spId !== undefined ? 'ServicePrincipal' : undefined,
        principalId: userId ?? spId,
        session: asString(p.signInActivityId),
      },
      srcIp: ipWithoutPort(p.ipAddress) ?? ipWithoutPort(r.callerIpAddress),
      userAgent: asString(p.userAgent),
      outcome: status === undefined ? 'unknown' : status < 400 ? 'success' : 'failure',
      errorCode: status !== undefined && status >= 400 ? String(status) : undefined,
      readOnly: method === 'GET' || method === 'HEAD',
      resources: uriPath === undefined ? [] : [uriPath.toLowerCase()],
      related: appId !== undefined && userId !== undefined ? [{ kind: 'application', value: appId }] : undefined,
    },
  };
}

/**
 * What rules see: the record plus every request field under its Log Analytics column name (`RequestUri`,
 * `RequestMethod`, `ResponseStatusCode`, `AppId`, ...) and `RequestPath` (the path template: what "distinct
 * endpoints" counts).
 */
export function graphActivityRuleBody(record: unknown): unknown {
  const g = graphRequest(record);
  if (!g) return record;
  const out: Record<string, unknown> = { ...g.r };
  const put = (k: string, v: unknown): void => {
    if (v !== undefined && !Object.hasOwn(out, k)) out[k] = v;
  };
  for (const [k, v] of Object.entries(g.p)) put(pascal(k), v);
  put('IPAddress', g.p.ipAddress);
  put('RequestPath', graphPathTemplate(asString(g.p.requestUri)));
  put('MailboxOwner', mailboxOwner(asString(g.p.requestUri)));
  return out;
}

/** A `MicrosoftGraphActivityLogs` row (Log Analytics API, Logs CSV export) as the diagnostic record. */
export function graphActivityFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnsOf(header);
  if (!cols.has('requesturi') || !cols.has('requestmethod') || !(cols.has('requestid') || cols.has('signinactivityid'))) return undefined;
  const o = rowObject(header, row);
  const type = rowType(o);
  if (type !== undefined && type !== 'microsoftgraphactivitylogs') return undefined;
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) props[k.charAt(0).toLowerCase() + k.slice(1)] = v;
  props.ipAddress = o.IPAddress;
  // `TenantId` of a Log Analytics row is the workspace's id; the Entra tenant is `AadTenantId`.
  props.tenantId = o.AadTenantId;
  const record = {
    ...o,
    time: o.TimeGenerated ?? null,
    operationName: 'Microsoft Graph Activity',
    category: 'MicrosoftGraphActivityLogs',
    callerIpAddress: o.IPAddress,
    properties: props,
  };
  return { record, origin: rowOrigin(header) };
}

/** The Microsoft Graph activity adapter. */
export const azureGraphActivity: SourceAdapter = {
  id: 'azure-graph-activity',
  dataType: 'azure:graph:activity',
  provider: 'azure',
  description: 'Microsoft Graph activity logs (MicrosoftGraphActivityLogs diagnostic records and Log Analytics rows)',
  version: 1,
  matches: (record) => graphRequest(record) !== undefined,
  normalize: normalizeGraphActivity,
  fromRow: graphActivityFromRow,
  ruleBody: graphActivityRuleBody,
  logSources: [{ product: 'azure', service: 'graphactivitylogs', description: 'Microsoft Graph activity logs (either shape)' }],
  detailPaths: {
    request: ['$.properties.requestUri', '$.RequestUri', '$.properties.scopes', '$.Scopes', '$.properties.roles', '$.Roles'],
    error: ['$.properties.responseStatusCode', '$.ResponseStatusCode'],
  },
};
