/**
 * Azure and Entra ID records that come as table rows (issue 14 §3): Log Analytics query API responses
 * (`tables[].columns/rows`: `AzureActivity`, `SigninLogs` and the other sign-in tables, `AuditLogs`), the Logs
 * blade's CSV exports of the same tables, and the Entra portal's sign-in and audit CSV downloads. Each row becomes
 * the API object the adapters already read (ARM Activity Log entry, Graph signIn, Graph directoryAudit), with the
 * row's own columns kept beside it so rules written for the Log Analytics names still match. Pure.
 *
 * Identity stays the adapters' (design.md "Record identity"): a sign-in's or audit's own id (`Id`, the portal's
 * `Request ID`), the Activity Log's content key (correlation id, operation, resource id, time, status), so one record
 * read through the API, a diagnostic export and a table row is one event.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { RecordOrigin, TableHeader } from '../types.js';

/** A row as an object keyed by its column names (as written), dynamic cells parsed, empty cells dropped. */
export function rowObject(header: TableHeader, row: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < header.columns.length; i++) {
    const name = columnName(header.columns[i] as string);
    let v = row[i];
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'string') {
      const t = header.types?.[i];
      const s = v.trimStart();
      // Log Analytics returns `dynamic` cells as JSON text; CSV exports write them the same way.
      if ((t === 'dynamic' || t === undefined || t === '') && (s.startsWith('{') || s.startsWith('['))) {
        try {
          v = JSON.parse(v) as unknown;
        } catch {
          // not JSON after all: keep the text
        }
      } else if (t === undefined || t === '' || t === 'datetime') {
        v = portalTime(v) ?? v;
      }
    }
    out[name] = v;
  }
  return out;
}

/** The Logs blade's CSV export names columns `TimeGenerated [UTC]`: the name is the part before the bracket. */
function columnName(c: string): string {
  return c.replace(/\s*\[(?:UTC|Local Time)\]$/i, '').trim();
}

/**
 * Times as the Azure portal writes them in CSV exports: `2/20/2023, 11:04:02.637 AM` (Logs blade, UTC) -> ISO 8601.
 * Anything else is returned undefined (and kept as written).
 */
export function portalTime(v: string): string | undefined {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}),? (\d{1,2}):(\d{2}):(\d{2})(\.\d{1,7})? ?(AM|PM)$/i.exec(v.trim());
  if (!m) return undefined;
  let h = Number(m[4]);
  const pm = (m[8] as string).toUpperCase() === 'PM';
  if (h < 1 || h > 12) return undefined;
  if (h === 12) h = pm ? 12 : 0;
  else if (pm) h += 12;
  const ms = m[7] === undefined ? '000' : m[7].slice(1, 4).padEnd(3, '0');
  const p2 = (x: string | number): string => String(x).padStart(2, '0');
  return `${m[3]}-${p2(m[1] as string)}-${p2(m[2] as string)}T${p2(h)}:${m[5]}:${m[6]}.${ms}Z`;
}

/** Origin of a row: a query API's own rows are the service's representation; a CSV download is a re-shaping. */
export function rowOrigin(header: TableHeader): RecordOrigin {
  return header.format === 'table' ? 'native' : 'reshaped';
}

/** Column names, lower case, for shape checks. */
function columnSet(header: TableHeader): Set<string> {
  return new Set(header.columns.map((c) => columnName(c).toLowerCase()));
}

/** `Type` of a Log Analytics row (the table it came from), when the query kept it. */
function tableType(o: Record<string, unknown>): string | undefined {
  return asString(o.Type)?.toLowerCase();
}

/** An object cell, or a text cell holding a JSON object. */
function jsonObject(v: unknown): Record<string, unknown> | undefined {
  const o = asObject(v);
  if (o || typeof v !== 'string' || !v.trimStart().startsWith('{')) return o;
  try {
    return asObject(JSON.parse(v) as unknown);
  } catch {
    return undefined;
  }
}

/** `PascalCase` -> `camelCase` (Log Analytics columns of Graph fields). */
function camel(k: string): string {
  return k.charAt(0).toLowerCase() + k.slice(1);
}

// ---- Activity Log (AzureActivity) ----

/** An `AzureActivity` row (Log Analytics API or CSV export) as an ARM Activity Log entry, or undefined. */
export function activityFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnSet(header);
  if (!cols.has('operationnamevalue') && !(cols.has('operationname') && cols.has('activitystatusvalue'))) return undefined;
  const o = rowObject(header, row);
  const type = tableType(o);
  if (type !== undefined && type !== 'azureactivity') return undefined;
  const op = asString(o.OperationNameValue) ?? asString(o.OperationName);
  // `Properties`, `Claims`, `Authorization` and `HTTPRequest` are string columns holding JSON text (their `_d`
  // twins are dynamic): read them as objects whichever way the response or export typed them.
  const props = asObject(o.Properties_d) ?? jsonObject(o.Properties);
  const http = jsonObject(o.HTTPRequest);
  const arm: Record<string, unknown> = {
    eventDataId: asString(o.EventDataId),
    eventTimestamp: asString(o.TimeGenerated) ?? asString(o.EventSubmissionTimestamp),
    operationName: op === undefined ? undefined : { value: op },
    status: { value: asString(o.ActivityStatusValue) ?? asString(o.ActivityStatus) ?? '' },
    subStatus: { value: asString(o.ActivitySubstatusValue) ?? asString(o.ActivitySubstatus) ?? '' },
    caller: asString(o.Caller),
    claims: asObject(o.Claims_d) ?? jsonObject(o.Claims),
    authorization: asObject(o.Authorization_d) ?? jsonObject(o.Authorization),
    httpRequest: http ?? (asString(o.CallerIpAddress) === undefined ? undefined : { clientIpAddress: asString(o.CallerIpAddress) }),
    resourceId: asString(o._ResourceId) ?? asString(o.ResourceId),
    correlationId: asString(o.CorrelationId),
    category: { value: asString(o.CategoryValue) ?? asString(o.Category) ?? '' },
    subscriptionId: asString(o.SubscriptionId),
    resourceGroupName: asString(o.ResourceGroup),
    level: asString(o.Level),
    properties: props,
  };
  const record: Record<string, unknown> = { ...o };
  for (const [k, v] of Object.entries(arm)) if (v !== undefined) record[k] = v;
  return { record, origin: rowOrigin(header) };
}

// ---- Sign-ins (SigninLogs, AAD*SignInLogs; Entra portal sign-in CSV) ----

/** Entra portal sign-in download columns -> Graph signIn fields. */
const PORTAL_SIGNIN: Record<string, string> = {
  'date (utc)': 'createdDateTime',
  date: 'createdDateTime',
  'request id': 'id',
  'correlation id': 'correlationId',
  'user id': 'userId',
  user: 'userDisplayName',
  username: 'userPrincipalName',
  'user type': 'userType',
  application: 'appDisplayName',
  'application id': 'appId',
  'application id ': 'appId',
  resource: 'resourceDisplayName',
  'resource id': 'resourceId',
  'resource tenant id': 'resourceTenantId',
  'home tenant id': 'homeTenantId',
  'ip address': 'ipAddress',
  'client app': 'clientAppUsed',
  'user agent': 'userAgent',
  'authentication requirement': 'authenticationRequirement',
  'conditional access': 'conditionalAccessStatus',
  'service principal id': 'servicePrincipalId',
  'service principal name': 'servicePrincipalName',
  'managed identity type': 'managedIdentityType',
  'session id': 'sessionId',
  'unique token identifier': 'uniqueTokenIdentifier',
  'autonomous system number': 'autonomousSystemNumber',
  'cross tenant access type': 'crossTenantAccessType',
};

function isPortalSignIn(cols: Set<string>): boolean {
  return cols.has('request id') && (cols.has('date (utc)') || cols.has('date')) && (cols.has('ip address') || cols.has('sign-in error code') || cols.has('status'));
}

function isTableSignIn(cols: Set<string>): boolean {
  return (
    (cols.has('resulttype') || cols.has('status')) &&
    (cols.has('userprincipalname') || cols.has('serviceprincipalid')) &&
    (cols.has('appid') || cols.has('appdisplayname')) &&
    (cols.has('createddatetime') || cols.has('timegenerated')) &&
    !cols.has('activitydisplayname')
  );
}

/** A sign-in row (Log Analytics API, Logs CSV export, Entra portal CSV) as a Graph signIn object, or undefined. */
export function signInFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnSet(header);
  if (isPortalSignIn(cols)) return { record: portalSignIn(header, row), origin: 'reshaped' };
  if (!isTableSignIn(cols)) return undefined;
  const o = rowObject(header, row);
  const type = tableType(o);
  if (type !== undefined && !type.includes('signin')) return undefined;
  const record: Record<string, unknown> = { ...o };
  for (const [k, v] of Object.entries(o)) {
    const c = camel(k);
    if (!Object.hasOwn(record, c)) record[c] = v;
  }
  // Names that are not a plain camelCase of the Graph field.
  if (o.IPAddress !== undefined) record.ipAddress = o.IPAddress;
  if (o.LocationDetails !== undefined) record.location = o.LocationDetails;
  record.createdDateTime ??= o.TimeGenerated;
  const code = asString(o.ResultType);
  if (asObject(record.status)?.errorCode === undefined && code !== undefined && /^\d+$/.test(code)) {
    record.status = { ...(asObject(record.status) ?? {}), errorCode: Number(code), ...(asString(o.ResultDescription) === undefined ? {} : { failureReason: o.ResultDescription }) };
  }
  // `time` would make it look like a diagnostic record; the signIn object has none.
  delete record.time;
  return { record, origin: rowOrigin(header) };
}

function portalSignIn(header: TableHeader, row: readonly unknown[]): Record<string, unknown> {
  const o = rowObject(header, row);
  const record: Record<string, unknown> = { ...o };
  for (const [k, v] of Object.entries(o)) {
    const f = PORTAL_SIGNIN[k.toLowerCase()];
    if (f !== undefined && !Object.hasOwn(record, f)) record[f] = v;
  }
  const lower = new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
  const code = asString(lower.get('sign-in error code'));
  const status = asString(lower.get('status'));
  const errorCode = code !== undefined && /^\d+$/.test(code) ? Number(code) : status?.toLowerCase() === 'success' ? 0 : undefined;
  if (errorCode !== undefined) {
    const reason = asString(lower.get('failure reason'));
    record.status = { errorCode, ...(reason === undefined ? {} : { failureReason: reason }) };
  }
  // Present even when the cell is empty, so a row without a date is reported as such (not as another log's row).
  record.createdDateTime ??= null;
  // `Seattle, Washington, US`: the last part is the country or region.
  const loc = asString(lower.get('location'));
  if (loc !== undefined) {
    const parts = loc.split(',').map((p) => p.trim());
    record.location = { city: parts.length > 2 ? parts[0] : undefined, state: parts.length > 2 ? parts[1] : undefined, countryOrRegion: parts[parts.length - 1] };
  }
  return record;
}

// ---- Directory audits (AuditLogs; Entra portal audit CSV) ----

/** Key of the target resources an Entra portal audit CSV row names (see {@link auditFromRow}). */
export const PORTAL_TARGETS = 'portalTargetResources';

function isPortalAudit(cols: Set<string>): boolean {
  return (cols.has('date (utc)') || cols.has('date')) && cols.has('activity') && (cols.has('actoruserprincipalname') || cols.has('actortype') || cols.has('category'));
}

/** A directory-audit row (Log Analytics API, Logs CSV export, Entra portal CSV) as a Graph directoryAudit, or undefined. */
export function auditFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnSet(header);
  if (cols.has('activitydisplayname') && (cols.has('activitydatetime') || cols.has('timegenerated'))) {
    const o = rowObject(header, row);
    const type = tableType(o);
    if (type !== undefined && type !== 'auditlogs') return undefined;
    const record: Record<string, unknown> = { ...o };
    for (const [k, v] of Object.entries(o)) {
      const c = camel(k);
      if (!Object.hasOwn(record, c)) record[c] = v;
    }
    record.activityDateTime ??= o.TimeGenerated;
    delete record.time;
    return { record, origin: rowOrigin(header) };
  }
  if (!isPortalAudit(cols)) return undefined;
  const o = rowObject(header, row);
  const lower = new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
  const get = (k: string): string | undefined => asString(lower.get(k));
  const actorType = get('actortype')?.toLowerCase();
  const upn = get('actoruserprincipalname');
  const initiatedBy =
    actorType === 'application' || actorType === 'serviceprincipal' || (upn === undefined && get('actorobjectid') !== undefined && actorType !== 'user')
      ? { app: { displayName: get('actordisplayname'), servicePrincipalId: get('actorobjectid'), appId: get('actorappid') } }
      : { user: { userPrincipalName: upn, id: get('actorobjectid'), displayName: get('actordisplayname'), ipAddress: get('ipaddress') } };
  const targets: Array<Record<string, unknown>> = [];
  for (let n = 1; lower.has(`target${n}type`) || lower.has(`target${n}displayname`) || lower.has(`target${n}objectid`); n++) {
    const t: Record<string, unknown> = { type: get(`target${n}type`), displayName: get(`target${n}displayname`), id: get(`target${n}objectid`), userPrincipalName: get(`target${n}userprincipalname`) };
    const mods: Array<Record<string, unknown>> = [];
    for (let m = 1; lower.has(`target${n}modifiedproperty${m}name`); m++) {
      mods.push({ displayName: get(`target${n}modifiedproperty${m}name`), oldValue: get(`target${n}modifiedproperty${m}oldvalue`), newValue: get(`target${n}modifiedproperty${m}newvalue`) });
    }
    if (mods.length > 0) t.modifiedProperties = mods;
    if (Object.values(t).some((v) => v !== undefined)) targets.push(t);
  }
  const id = get('id') ?? get('audit id') ?? get('activity id');
  const record: Record<string, unknown> = {
    ...o,
    ...(id === undefined ? {} : { id }),
    activityDateTime: get('date (utc)') ?? get('date'),
    activityDisplayName: get('activity'),
    category: get('category'),
    loggedByService: get('service'),
    correlationId: get('correlationid') ?? get('correlation id'),
    result: get('result'),
    resultReason: get('resultreason') ?? get('result reason'),
    initiatedBy,
    // Not `targetResources`: the download flattens the targets (first few modified properties, no extra keys), so
    // the Graph copy's `targetResources` would read as a disagreement; the adapter reads these where it reads those.
    [PORTAL_TARGETS]: targets,
  };
  return { record, origin: 'reshaped' };
}
