/**
 * Helpers shared by the Azure resource-log adapters (Key Vault, Microsoft Graph activity, Storage blob, Azure OpenAI,
 * flow logs): reading a Log Analytics `AzureDiagnostics` row (columns flattened with a type suffix: `id_s`,
 * `identity_claim_upn_s`, `httpStatusCode_d`), identity claims in any of their spellings, and the content keys that
 * let one record read through a diagnostic-settings export and a Log Analytics row be one event. Pure.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { PseudonymPattern, TableHeader } from '../types.js';
import { ipOf } from './common.js';

/** Column names, lower case (the Logs blade's CSV writes `TimeGenerated [UTC]`). */
export function columnsOf(header: TableHeader): Set<string> {
  return new Set(header.columns.map((c) => c.replace(/\s*\[(?:UTC|Local Time)\]$/i, '').trim().toLowerCase()));
}

/** The `Type` column of a row (the table it came from) in lower case, when the query kept it. */
export function rowType(o: Record<string, unknown>): string | undefined {
  return asString(o.Type)?.toLowerCase();
}

/**
 * An `AzureDiagnostics` row's cells by their name without the type suffix Log Analytics adds to resource-specific
 * properties (`id_s` -> `id`, `httpStatusCode_d` -> `httpStatusCode`, `identity_claim_upn_s` ->
 * `identity_claim_upn`). Standard columns (`OperationName`, `CallerIPAddress`) keep their names.
 */
export function unsuffixed(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const m = /^(.+)_(?:s|g|d|b|t)$/.exec(k);
    const base = m?.[1] ?? k;
    if (!Object.hasOwn(out, base)) out[base] = v;
  }
  return out;
}

/**
 * A diagnostic-settings record of a resource log: `category` and `operationName` strings, and a `time` key. Looser
 * than the shared check (a record whose time is missing or mistyped is still recognised, so its reader can say what
 * is wrong with it instead of "not a record of any supported log source").
 */
export function isResourceLogRecord(o: Record<string, unknown>): boolean {
  return typeof o.category === 'string' && (typeof o.operationName === 'string' || 'time' in o) && ('time' in o || 'properties' in o);
}

/** A number, or a string of digits as a number (Log Analytics types status codes as strings). */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * The record as rules see it: its own keys, plus the column names of the other shapes (`add`) where the record does
 * not already have that key (undefined values left out).
 */
export function withColumns(record: Record<string, unknown>, add: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const [k, v] of Object.entries(add)) if (v !== undefined && !Object.hasOwn(out, k)) out[k] = v;
  return out;
}

/** The first string value of an object whose key (lower case) ends with one of `suffixes`. */
function claimBySuffix(claims: Record<string, unknown>, suffixes: readonly string[]): string | undefined {
  for (const suffix of suffixes)
    for (const [k, v] of Object.entries(claims)) {
      const key = k.toLowerCase();
      if ((key === suffix || key.endsWith(`/${suffix}`) || key.endsWith(`_${suffix}`)) && asString(v) !== undefined) return asString(v);
    }
  return undefined;
}

/** Who a token names: UPN, object id, application id, the token's IP claim. */
export interface TokenIdentity {
  upn?: string | undefined;
  objectId?: string | undefined;
  appId?: string | undefined;
  tenantId?: string | undefined;
  ipaddr?: string | undefined;
}

/**
 * Read the identity claims of a resource-log record, whichever way they are spelt: the diagnostic record's
 * `identity.claim` (full claim URIs such as `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn`, or short
 * names `oid`, `appid`), or an `AzureDiagnostics` row's `identity_claim_*` columns.
 */
export function tokenIdentity(claims: Record<string, unknown>): TokenIdentity {
  const upn = claimBySuffix(claims, ['upn', 'unique_name', 'emailaddress']);
  return {
    upn: upn?.includes('@') === true ? upn.replace(/^live\.com#/i, '').toLowerCase() : undefined,
    objectId: claimBySuffix(claims, ['objectidentifier', 'oid'])?.toLowerCase(),
    appId: claimBySuffix(claims, ['appid', 'azp'])?.toLowerCase(),
    tenantId: claimBySuffix(claims, ['tenantid', 'tid'])?.toLowerCase(),
    ipaddr: ipOf(claimBySuffix(claims, ['ipaddr'])),
  };
}

/** The `identity_claim_*` cells of a row, keyed by the rest of their name. */
export function rowClaims(cells: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cells)) if (k.toLowerCase().startsWith('identity_claim_')) out[k.slice('identity_claim_'.length)] = v;
  return out;
}

/** An IP address with or without a port (`203.0.113.7:51234`, `[2001:db8::1]:443`), without the port. */
export function ipWithoutPort(v: unknown): string | undefined {
  const s = asString(v)?.trim();
  if (s === undefined) return undefined;
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::\d+)?$/.exec(s);
  return ipOf(bracket?.[1] ?? s);
}

/** Subscription id of an ARM resource id (lower case). */
export function subscriptionOfResource(resourceId: string | undefined): string | undefined {
  return /^\/subscriptions\/([0-9a-f-]{36})(?:\/|$)/i.exec(resourceId ?? '')?.[1]?.toLowerCase();
}

/** The resource name segment after `/providers/<namespace>/<type>/` of an ARM resource id (e.g. the vault name). */
export function resourceNameOf(resourceId: string | undefined, type: string): string | undefined {
  const m = new RegExp(`/providers/[^/]+/${type}/([^/]+)`, 'i').exec(resourceId ?? '');
  return m?.[1]?.toLowerCase();
}

/** `properties` of a diagnostic record: an object, or (some services) JSON text. */
export function propertiesOf(v: unknown): Record<string, unknown> {
  const o = asObject(v);
  if (o) return o;
  if (typeof v === 'string' && v.trimStart().startsWith('{')) {
    try {
      return asObject(JSON.parse(v) as unknown) ?? {};
    } catch {
      return {};
    }
  }
  return {};
}

/**
 * Names resource logs carry that identify the customer (pseudonymized before text leaves the machine): Key Vault,
 * storage account and AI services account names in data-plane URLs and ARM ids, secret / key / certificate names,
 * blob paths, and the account names inside the credential principals irctl makes for SAS, account-key, anonymous
 * and API-key requests. Operation words (`secrets`, `blobServices`) stay readable.
 */
export const AZURE_RESOURCE_LOG_PSEUDONYMS: readonly PseudonymPattern[] = [
  {
    name: 'Key Vault or storage account host name',
    pattern: /(?<=https:\/\/)(?<name>[a-z0-9-]{3,24})(?=\.(?:vault\.azure\.net|blob\.core\.windows\.net))/gi,
    kind: 'resource',
  },
  { name: 'Key Vault secret, key or certificate name', pattern: /(?<=\.vault\.azure\.net\/(?:secrets|keys|certificates)\/)(?<name>[\w-]+)/gi, kind: 'resource' },
  { name: 'blob container and path', pattern: /(?<=\.blob\.core\.windows\.net\/)(?<name>[^\s?"'#]+)/gi, kind: 'resource' },
  {
    name: 'vault, storage or AI services account name in an ARM id',
    pattern: /(?<=\/providers\/Microsoft\.(?:KeyVault\/vaults|Storage\/storageAccounts|CognitiveServices\/accounts)\/)(?<name>[\w.-]+)/gi,
    kind: 'resource',
  },
  { name: 'account named by a SAS, account-key, anonymous or API-key principal', pattern: /(?<=\b(?:sas|accountkey|anonymous|apikey):)(?<name>[a-z0-9-]{3,64})/gi, kind: 'resource' },
];
