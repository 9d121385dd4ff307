/**
 * Azure Storage blob resource logs (data-plane requests: `GetBlob`, `PutBlob`, `ListBlobs`, `DeleteBlob`, ...), in
 * the two shapes they reach a responder in:
 * - diagnostic settings (storage account `insights-logs-storageread` / `-storagewrite` / `-storagedelete`
 *   `.../PT1H.json`, Event Hub `records[]`): `time`, `category: StorageRead|StorageWrite|StorageDelete`,
 *   `operationName`, `statusCode`, `statusText`, `callerIpAddress` (with the port), `correlationId`, `uri`,
 *   `identity.{type, tokenHash, requester.{upn, objectId, appId, tenantId}}`, `properties.{accountName, objectKey,
 *   userAgentHeader, responseBodySize, ...}`, on a `.../storageAccounts/<name>/blobServices/default` resource;
 * - Log Analytics `StorageBlobLogs` rows (`OperationName`, `StatusCode`, `CallerIpAddress`, `AuthenticationType`,
 *   `AuthenticationHash`, `RequesterUpn`, `RequesterObjectId`, `RequesterAppId`, `Uri`, `ObjectKey`, `AccountName`,
 *   `UserAgentHeader`, `CorrelationId`, ...).
 * Field meanings: Microsoft Learn "Azure Blob Storage monitoring data reference". Pure.
 *
 * Identity: a content key of time (ms), operation, correlation id (the request id), URI without its query and
 * status code, which both shapes carry. Who acted: the requester's UPN, app id or object id for OAuth (Entra)
 * requests; for shared-key, SAS and anonymous requests, which name nobody, the credential itself:
 * `accountkey:<account>/<key1|key2>`, `sas:<account>/<first 16 hex of the SAS signature hash>`,
 * `anonymous:<account>`, so one leaked SAS token is one principal.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { RecordOrigin, SourceAdapter, TableHeader } from '../types.js';
import { firstString, shortHash } from './common.js';
import { rowObject, rowOrigin } from './tables.js';
import { columnsOf, ipWithoutPort, propertiesOf, resourceNameOf, rowType, subscriptionOfResource, isResourceLogRecord, numberOf, withColumns } from './resource-logs.js';

const STORAGE_CATEGORIES = new Set(['storageread', 'storagewrite', 'storagedelete']);

/** The fields both shapes carry, read once. */
export interface BlobFields {
  r: Record<string, unknown>;
  time: string | undefined;
  operation: string | undefined;
  status: number | undefined;
  statusText: string | undefined;
  callerIp: string | undefined;
  correlationId: string | undefined;
  uri: string | undefined;
  resourceId: string | undefined;
  authType: string | undefined;
  tokenHash: string | undefined;
  upn: string | undefined;
  objectId: string | undefined;
  appId: string | undefined;
  tenantId: string | undefined;
  accountName: string | undefined;
  objectKey: string | undefined;
  userAgent: string | undefined;
  serviceType: string | undefined;
  responseBodySize: number | undefined;
}

/** Read the diagnostic record (or the record a row was made into); undefined for other records. */
export function blobFields(record: unknown): BlobFields | undefined {
  const r = asObject(record);
  if (!r) return undefined;
  const cat = asString(r.category)?.toLowerCase();
  const rid = asString(r.resourceId);
  if (!/\/providers\/microsoft\.storage\/storageaccounts\//i.test(rid ?? '')) return undefined;
  // SIEM copies (Panther's test records) sometimes drop `category`: a blob-service resource with an operation still
  // says what the record is.
  if (cat === undefined ? !(/\/blobservices\//i.test(rid ?? '') && typeof r.operationName === 'string' && 'time' in r) : !STORAGE_CATEGORIES.has(cat) || !isResourceLogRecord(r)) return undefined;
  const p = propertiesOf(r.properties);
  const identity = asObject(r.identity) ?? {};
  const requester = asObject(identity.requester) ?? {};
  const svc = asString(p.serviceType)?.toLowerCase();
  // Queue, table and file requests are written to the same categories on their own services; this reads blobs.
  if ((svc !== undefined && svc !== 'blob') || (svc === undefined && !/\/blobservices\//i.test(rid ?? ''))) return undefined;
  return {
    r,
    time: asString(r.time),
    operation: asString(r.operationName),
    status: numberOf(r.statusCode),
    statusText: asString(r.statusText) ?? asString(p.metricResponseType),
    callerIp: ipWithoutPort(r.callerIpAddress),
    correlationId: asString(r.correlationId),
    uri: asString(r.uri),
    resourceId: rid,
    authType: asString(identity.type),
    tokenHash: asString(identity.tokenHash),
    upn: asString(requester.upn)?.toLowerCase(),
    objectId: asString(requester.objectId)?.toLowerCase(),
    appId: asString(requester.appId)?.toLowerCase(),
    tenantId: asString(requester.tenantId)?.toLowerCase(),
    accountName: (asString(p.accountName) ?? resourceNameOf(rid, 'storageAccounts'))?.toLowerCase(),
    objectKey: asString(p.objectKey),
    userAgent: asString(p.userAgentHeader),
    serviceType: svc,
    responseBodySize: numberOf(p.responseBodySize),
  };
}

/** The URI without its query (a SAS token's parameters stay in the raw record only). */
export function uriWithoutQuery(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const i = uri.indexOf('?');
  return (i < 0 ? uri : uri.slice(0, i)).toLowerCase();
}

/** Who a request names, or the credential it used when it names nobody (see the file comment). */
export function blobActor(f: BlobFields): { principal?: string | undefined; type?: string | undefined; principalId?: string | undefined; accessKey?: string | undefined } {
  const auth = (f.authType ?? '').toLowerCase();
  const account = f.accountName ?? '?';
  if (f.upn !== undefined || f.appId !== undefined || f.objectId !== undefined)
    return { principal: f.upn ?? f.appId ?? f.objectId, type: f.upn !== undefined ? 'User' : 'ServicePrincipal', principalId: f.objectId };
  const sas = /SasSignature\(([0-9A-Fa-f]+)\)/.exec(f.tokenHash ?? '')?.[1];
  const key = /\b(key[12])\(/i.exec(f.tokenHash ?? '')?.[1]?.toLowerCase();
  if (auth === 'sas' || auth.includes('sas') || sas !== undefined) {
    const cred = `sas:${account}/${(sas ?? shortHash(f.tokenHash ?? '')).slice(0, 16).toLowerCase()}`;
    return { principal: cred, type: 'SAS', accessKey: cred };
  }
  if (auth === 'accountkey' || key !== undefined) {
    const cred = `accountkey:${account}/${key ?? 'key'}`;
    return { principal: cred, type: 'AccountKey', accessKey: cred };
  }
  if (auth === 'anonymous') return { principal: `anonymous:${account}`, type: 'Anonymous' };
  return {};
}

/** Pure mapping of one blob request record (either shape) to the common schema. */
export function normalizeStorageBlob(record: unknown, _rawSha256: string): NormalizeResult {
  const f = blobFields(record);
  if (!f) return { ok: false, reason: 'not an Azure Storage blob log record (category StorageRead/StorageWrite/StorageDelete on a blob service)' };
  if (f.operation === undefined) return { ok: false, reason: 'Azure Storage blob log record has no operationName (OperationName)' };
  if (f.time === undefined) return { ok: false, reason: 'Azure Storage blob log record has no time (time / TimeGenerated)' };
  const t = normalizeTime(f.time);
  if (!t) return { ok: false, reason: `Azure Storage blob log time ${JSON.stringify(f.time).slice(0, 60)} is not an ISO 8601 time` };
  const uri = uriWithoutQuery(f.uri);
  const key = [t.iso, f.operation.toLowerCase(), f.correlationId?.toLowerCase() ?? '', uri ?? '', f.status ?? ''].join('|');
  const failed = f.status !== undefined ? f.status >= 400 : /fail|error/i.test(f.statusText ?? '');
  const account = f.resourceId?.toLowerCase().replace(/\/blobservices\/default$/, '');
  const resources = [uri, account].filter((x): x is string => x !== undefined);
  return {
    ok: true,
    event: {
      id: `azure-storage:${shortHash(key)}`,
      dataType: 'azure:storage:blob',
      class: 'api_activity',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'control_plane',
      account: subscriptionOfResource(f.resourceId) ?? f.tenantId,
      region: asString(f.r.location)?.toLowerCase(),
      service: 'microsoft.storage',
      action: f.operation,
      actor: blobActor(f),
      srcIp: f.callerIp,
      userAgent: f.userAgent,
      outcome: f.status === undefined && f.statusText === undefined ? 'unknown' : failed ? 'failure' : 'success',
      errorCode: failed ? (f.statusText ?? (f.status === undefined ? undefined : String(f.status))) : undefined,
      readOnly: /^(?:Get|List|Query|Head)/.test(f.operation),
      resources: [...new Set(resources)],
    },
  };
}

/**
 * What rules see: the record plus the `StorageBlobLogs` column names (`OperationName`, `AuthenticationType`,
 * `StatusCode`, `CallerIpAddress` without the port, `AccountName`, `ObjectKey`, `RequesterUpn`, `Uri`,
 * `UserAgentHeader`, `ResponseBodySize`).
 */
export function storageBlobRuleBody(record: unknown): unknown {
  const f = blobFields(record);
  if (!f) return record;
  const add: Record<string, unknown> = {
    OperationName: f.operation,
    AuthenticationType: f.authType,
    StatusCode: f.status,
    StatusText: f.statusText,
    CallerIpAddress: f.callerIp,
    AccountName: f.accountName,
    ObjectKey: f.objectKey ?? uriWithoutQuery(f.uri),
    RequesterUpn: f.upn,
    RequesterObjectId: f.objectId,
    RequesterAppId: f.appId,
    Uri: uriWithoutQuery(f.uri),
    UserAgentHeader: f.userAgent,
    ResponseBodySize: f.responseBodySize,
    Category: asString(f.r.category),
  };
  // These names win over the record's own: a row's `CallerIpAddress` keeps the port, `Uri` the SAS query.
  return { ...f.r, ...withColumns({}, add) };
}

/** A `StorageBlobLogs` row (Log Analytics API, Logs CSV export) as the diagnostic record. */
export function storageBlobFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnsOf(header);
  if (!cols.has('operationname') || !cols.has('authenticationtype') || !cols.has('statuscode') || !(cols.has('uri') || cols.has('objectkey'))) return undefined;
  const o = rowObject(header, row);
  const type = rowType(o);
  if (type !== undefined && type !== 'storagebloblogs') return undefined;
  const rid = firstString(o._ResourceId, o.ResourceId);
  const record = {
    ...o,
    time: o.TimeGenerated ?? null,
    resourceId: rid === undefined || /\/blobservices\//i.test(rid) ? rid : `${rid}/blobServices/default`,
    category: o.Category ?? 'StorageRead',
    operationName: o.OperationName,
    // `StatusCode` is a string column; the export writes a number.
    statusCode: numberOf(o.StatusCode) ?? o.StatusCode,
    statusText: o.StatusText,
    callerIpAddress: o.CallerIpAddress,
    correlationId: o.CorrelationId,
    uri: o.Uri,
    location: o.Location,
    identity: {
      type: o.AuthenticationType,
      tokenHash: o.AuthenticationHash,
      requester: { upn: o.RequesterUpn, objectId: o.RequesterObjectId, appId: o.RequesterAppId, tenantId: o.RequesterTenantId },
    },
    properties: {
      accountName: o.AccountName,
      objectKey: o.ObjectKey,
      userAgentHeader: o.UserAgentHeader,
      serviceType: o.ServiceType ?? 'blob',
      responseBodySize: numberOf(o.ResponseBodySize) ?? o.ResponseBodySize,
      metricResponseType: o.MetricResponseType,
    },
  };
  return { record, origin: rowOrigin(header) };
}

/** The Storage blob adapter. */
export const azureStorageBlob: SourceAdapter = {
  id: 'azure-storage-blob',
  dataType: 'azure:storage:blob',
  provider: 'azure',
  description: 'Azure Storage blob logs (StorageRead/Write/Delete diagnostic records, StorageBlobLogs rows)',
  version: 1,
  matches: (record) => blobFields(record) !== undefined,
  normalize: normalizeStorageBlob,
  // A SIEM's copy (Panther adds `p_*` fields and may drop others) is a re-shaping of the service's record.
  origin: (record) => (Object.keys(asObject(record) ?? {}).some((k) => k.startsWith('p_')) ? 'reshaped' : 'native'),
  fromRow: storageBlobFromRow,
  ruleBody: storageBlobRuleBody,
  logSources: [{ product: 'azure', service: 'storagebloblogs', description: 'Azure Storage blob logs (either shape)' }],
  fieldAliases: { OperationName: { column: 'action' }, operationName: { column: 'action' } },
  detailPaths: {
    request: ['$.uri', '$.Uri', '$.identity.type', '$.AuthenticationType', '$.properties.objectKey', '$.ObjectKey'],
    error: ['$.statusCode', '$.statusText', '$.StatusCode', '$.StatusText'],
    response: ['$.properties.responseBodySize', '$.ResponseBodySize'],
  },
};
