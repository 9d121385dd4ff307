/**
 * Azure Key Vault audit logs (data-plane requests: `SecretGet`, `KeyDecrypt`, `VaultGet`, ...), in the three shapes
 * they reach a responder in:
 * - diagnostic settings (storage account `insights-logs-auditevent/.../PT1H.json`, Event Hub `records[]`): `time`,
 *   `category: AuditEvent`, `operationName`, `resultType`, `resultSignature`, `callerIpAddress`, `correlationId`,
 *   `identity.claim` (claim URIs or short names), `properties.{id, requestUri, clientInfo, httpStatusCode}`;
 * - Log Analytics `AzureDiagnostics` rows (`ResourceProvider` `MICROSOFT.KEYVAULT`, `Category` `AuditEvent`):
 *   `CallerIPAddress`, `ResultSignature`, `id_s`, `requestUri_s`, `clientInfo_s`, `httpStatusCode_d`,
 *   `identity_claim_*` columns;
 * - the resource-specific `AZKVAuditLogs` table (`Identity`, `Id`, `RequestUri`, `ClientInfo`, `HttpStatusCode`).
 * Field meanings: Microsoft Learn "Azure Key Vault logging". Pure.
 *
 * Key Vault writes no record id: identity is a content key of time (ms), operation, object id (the secret, key
 * or certificate URI with its version), caller IP, caller object id, result signature and correlation id, which
 * every shape carries, so one request read from an export and from a workspace is one event.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { RecordOrigin, SourceAdapter, TableHeader } from '../types.js';
import { firstString, shortHash } from './common.js';
import { rowObject, rowOrigin } from './tables.js';
import {
  columnsOf,
  isResourceLogRecord,
  ipWithoutPort,
  propertiesOf,
  resourceNameOf,
  rowClaims,
  rowType,
  subscriptionOfResource,
  tokenIdentity,
  unsuffixed,
  withColumns,
} from './resource-logs.js';

/** The fields every shape carries, read once. */
export interface KeyVaultFields {
  time: string | undefined;
  operation: string | undefined;
  resultType: string | undefined;
  resultSignature: string | undefined;
  httpStatus: number | undefined;
  callerIp: string | undefined;
  correlationId: string | undefined;
  resourceId: string | undefined;
  claims: Record<string, unknown>;
  /** The object the request addressed (`https://<vault>.vault.azure.net/secrets/<name>/<version>`), or the vault. */
  objectId: string | undefined;
  requestUri: string | undefined;
  clientInfo: string | undefined;
  location: string | undefined;
}

function isKeyVaultResource(resourceId: string | undefined): boolean {
  return /\/providers\/microsoft\.keyvault\/(?:vaults|managedhsms)\//i.test(resourceId ?? '');
}

/** Read either record shape (the diagnostic record, or the record a row was made into). */
export function keyVaultFields(record: unknown): KeyVaultFields | undefined {
  const r = asObject(record);
  if (!r || !isResourceLogRecord(r)) return undefined;
  if (asString(r.category)?.toLowerCase() !== 'auditevent' || !isKeyVaultResource(asString(r.resourceId))) return undefined;
  const p = propertiesOf(r.properties);
  const identity = asObject(r.identity);
  const status = p.httpStatusCode;
  return {
    time: asString(r.time),
    operation: asString(r.operationName),
    resultType: asString(r.resultType),
    resultSignature: asString(r.resultSignature),
    httpStatus: typeof status === 'number' ? status : typeof status === 'string' && /^\d+$/.test(status) ? Number(status) : undefined,
    callerIp: ipWithoutPort(r.callerIpAddress),
    correlationId: asString(r.correlationId),
    resourceId: asString(r.resourceId),
    claims: asObject(identity?.claim) ?? asObject(identity?.claims) ?? {},
    objectId: asString(p.id),
    requestUri: asString(p.requestUri),
    clientInfo: asString(p.clientInfo),
    location: asString(r.location),
  };
}

/** `https://v.vault.azure.net/secrets/name/version` -> `https://v.vault.azure.net/secrets/name` (lower case). */
export function vaultObjectOf(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const m = /^(https:\/\/[^/]+\/(?:secrets|keys|certificates|storage|deletedsecrets|deletedkeys|deletedcertificates)\/[^/?]+)/i.exec(id);
  return m?.[1]?.toLowerCase();
}

/** Pure mapping of one Key Vault audit record (any shape) to the common schema. */
export function normalizeKeyVault(record: unknown, _rawSha256: string): NormalizeResult {
  const f = keyVaultFields(record);
  if (!f) return { ok: false, reason: 'not an Azure Key Vault audit record (category AuditEvent on a Microsoft.KeyVault resource)' };
  if (f.operation === undefined) return { ok: false, reason: 'Key Vault audit record has no operationName' };
  if (f.time === undefined) return { ok: false, reason: 'Key Vault audit record has no time (time / TimeGenerated)' };
  const t = normalizeTime(f.time);
  if (!t) return { ok: false, reason: `Key Vault audit time ${JSON.stringify(f.time).slice(0, 60)} is not an ISO 8601 time` };
  const who = tokenIdentity(f.claims);
  const sig = f.resultSignature ?? '';
  const failed = (f.httpStatus !== undefined && f.httpStatus >= 400) || /^fail/i.test(f.resultType ?? '');
  const succeeded = !failed && ((f.httpStatus !== undefined && f.httpStatus < 400) || /^success/i.test(f.resultType ?? '') || /^ok$/i.test(sig));
  const key = [t.iso, f.operation.toLowerCase(), f.objectId?.toLowerCase() ?? '', f.callerIp ?? '', who.objectId ?? '', sig.toLowerCase(), f.correlationId?.toLowerCase() ?? ''].join('|');
  const vault = f.resourceId?.toLowerCase();
  const object = vaultObjectOf(f.objectId);
  const op = f.operation;
  return {
    ok: true,
    event: {
      id: `azure-keyvault:${shortHash(key)}`,
      dataType: 'azure:keyvault:audit',
      class: 'api_activity',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'control_plane',
      account: subscriptionOfResource(f.resourceId) ?? who.tenantId,
      region: f.location?.toLowerCase(),
      service: 'microsoft.keyvault',
      action: op,
      actor: {
        principal: who.upn ?? who.appId ?? who.objectId,
        type: who.upn !== undefined ? 'User' : who.appId !== undefined ? 'ServicePrincipal' : who.objectId !== undefined ? 'Principal' : undefined,
        principalId: who.objectId,
      },
      srcIp: f.callerIp ?? who.ipaddr,
      userAgent: f.clientInfo,
      outcome: failed ? 'failure' : succeeded ? 'success' : 'unknown',
      errorCode: failed ? (f.resultSignature ?? (f.httpStatus === undefined ? undefined : String(f.httpStatus))) : undefined,
      readOnly: /(?:Get|List)$/.test(op),
      resources: [...new Set([object, vault].filter((x): x is string => x !== undefined))],
    },
  };
}

/**
 * What rules see: the record plus the `AzureDiagnostics` column names (`OperationName`, `CallerIPAddress`,
 * `ResultSignature`, `id_s`, `requestUri_s`, `clientInfo_s`) and `ObjectName` (the secret, key or certificate URI
 * without its version: what "distinct secrets" counts), so rules written for any shape match all of them.
 */
export function keyVaultRuleBody(record: unknown): unknown {
  const f = keyVaultFields(record);
  const r = asObject(record);
  if (!f || !r) return record;
  const who = tokenIdentity(f.claims);
  const add: Record<string, unknown> = {
    OperationName: f.operation,
    CallerIPAddress: f.callerIp,
    ResultType: f.resultType,
    ResultSignature: f.resultSignature,
    CorrelationId: f.correlationId,
    ResourceId: f.resourceId,
    ResourceProvider: 'MICROSOFT.KEYVAULT',
    Category: 'AuditEvent',
    id_s: f.objectId,
    requestUri_s: f.requestUri,
    clientInfo_s: f.clientInfo,
    ObjectName: vaultObjectOf(f.objectId),
    VaultName: resourceNameOf(f.resourceId, 'vaults') ?? resourceNameOf(f.resourceId, 'managedhsms'),
    identity_claim_upn_s: who.upn,
    identity_claim_oid_g: who.objectId,
    identity_claim_appid_g: who.appId,
  };
  return withColumns(r, add);
}

/**
 * A Key Vault row of `AzureDiagnostics` or `AZKVAuditLogs` (Log Analytics API, Logs CSV export) as the diagnostic
 * record, with the row's own columns kept beside it; undefined for rows of other services.
 */
export function keyVaultFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnsOf(header);
  if (!cols.has('operationname') || !(cols.has('calleripaddress') || cols.has('identity') || [...cols].some((c) => c.startsWith('identity_claim_')))) return undefined;
  const o = rowObject(header, row);
  const type = rowType(o);
  const origin = rowOrigin(header);
  if (type === 'azkvauditlogs' || (type === undefined && cols.has('requesturi') && cols.has('identity'))) {
    const props = { ...(asObject(o.Properties) ?? {}), id: o.Id, requestUri: o.RequestUri, clientInfo: o.ClientInfo, httpStatusCode: o.HttpStatusCode };
    const rid = firstString(o._ResourceId, o.ResourceId);
    if (!isKeyVaultResource(rid)) return undefined;
    const record = { ...o, time: o.TimeGenerated ?? null, resourceId: rid, operationName: o.OperationName, category: 'AuditEvent', resultType: o.ResultType, resultSignature: o.ResultSignature, callerIpAddress: o.CallerIpAddress ?? o.CallerIPAddress, correlationId: o.CorrelationId, identity: asObject(o.Identity) ?? {}, properties: props };
    return { record, origin };
  }
  if (type !== undefined && type !== 'azurediagnostics') return undefined;
  const provider = asString(o.ResourceProvider)?.toUpperCase();
  const rid = firstString(o._ResourceId, o.ResourceId);
  if (provider !== 'MICROSOFT.KEYVAULT' && !isKeyVaultResource(rid)) return undefined;
  if (asString(o.Category)?.toLowerCase() !== 'auditevent') return undefined;
  const u = unsuffixed(o);
  const record = {
    ...o,
    time: o.TimeGenerated ?? null,
    resourceId: rid,
    operationName: o.OperationName,
    category: 'AuditEvent',
    resultType: o.ResultType,
    resultSignature: o.ResultSignature,
    callerIpAddress: o.CallerIPAddress,
    correlationId: o.CorrelationId,
    location: asString(u.Location),
    identity: { claim: rowClaims(u) },
    properties: { id: u.id, requestUri: u.requestUri, clientInfo: u.clientInfo, httpStatusCode: u.httpStatusCode },
  };
  return { record, origin };
}

/** The Key Vault audit adapter. */
export const azureKeyVault: SourceAdapter = {
  id: 'azure-keyvault',
  dataType: 'azure:keyvault:audit',
  provider: 'azure',
  description: 'Azure Key Vault audit logs (AuditEvent diagnostic records, AzureDiagnostics and AZKVAuditLogs rows)',
  version: 1,
  matches: (record) => keyVaultFields(record) !== undefined,
  normalize: normalizeKeyVault,
  fromRow: keyVaultFromRow,
  ruleBody: keyVaultRuleBody,
  logSources: [{ product: 'azure', service: 'keyvault', description: 'Azure Key Vault audit logs (any shape)' }],
  fieldAliases: { OperationName: { column: 'action' }, operationName: { column: 'action' } },
  detailPaths: {
    request: ['$.properties.id', '$.properties.requestUri', '$.id_s', '$.requestUri_s', '$.Id', '$.RequestUri'],
    error: ['$.resultSignature', '$.resultDescription', '$.ResultSignature', '$.ResultDescription', '$.properties.httpStatusCode', '$.httpStatusCode_d'],
  },
};
