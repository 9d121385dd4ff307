/**
 * Helpers shared by the Azure adapters: the two shapes every Azure log comes in (the API object, and the
 * diagnostic-settings record that wraps it in `properties`), identities, outcomes. Pure.
 */
import { createHash } from 'node:crypto';
import { asObject, asString, isIpAddress } from '../../normalize/event.js';

/** A GUID (object ids, app ids, tenant and subscription ids, event ids). */
export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a GUID string. */
export function isGuid(v: string | undefined): v is string {
  return v !== undefined && GUID_RE.test(v);
}

/**
 * A UPN or e-mail address, lower-cased (Entra treats them case-insensitively, and the Activity Log's `caller` keeps
 * whatever case the user typed: one person must be one principal across logs). Other values are returned as is.
 */
export function principalForm(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.includes('@') ? v.toLowerCase() : v;
}

/** An IP literal of a string field (Azure writes `<null>` and empty strings where there is none). */
export function ipOf(v: unknown): string | undefined {
  const s = asString(v)?.trim();
  if (s === undefined) return undefined;
  // Some exports keep the port (`203.0.113.7:51234`) on IPv4 addresses.
  const noPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(s)?.[1] ?? s;
  return isIpAddress(noPort) ? noPort : undefined;
}

/**
 * The diagnostic-settings shape (storage account `insights-logs-*` / Event Hub `records[]`): a record with `time`,
 * `operationName`, `category` and the API object's fields in `properties`.
 */
export function isDiagnosticRecord(o: Record<string, unknown>): boolean {
  return typeof o.time === 'string' && typeof o.operationName === 'string' && ('category' in o || 'properties' in o);
}

/** The first string among several candidate values. */
export function firstString(...vs: unknown[]): string | undefined {
  for (const v of vs) {
    const s = asString(v);
    if (s !== undefined) return s;
  }
  return undefined;
}

/** A field of an object, with a lower-case-first fallback (Log Analytics and Panther copies capitalise keys). */
export function field(o: Record<string, unknown> | undefined, name: string): unknown {
  if (!o) return undefined;
  if (name in o) return o[name];
  const alt = name.charAt(0).toUpperCase() + name.slice(1);
  return o[alt];
}

/** First 32 hex characters of the SHA-256 of a text (content keys). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

/** `camelCase` -> `CamelCase` (Log Analytics column names of the same fields). */
export function pascal(k: string): string {
  return k.charAt(0).toUpperCase() + k.slice(1);
}

/**
 * A view of an API object that also answers to the diagnostic-record and Log Analytics names of its fields, so one
 * Sigma rule matches every shape: the object's own keys, each key in PascalCase (`userPrincipalName` ->
 * `UserPrincipalName`), `properties` (the object itself, as in diagnostic records), plus `extra` (names that are not
 * a plain PascalCase of an API field, e.g. `ResultType`). Keys the record already has are never overwritten.
 */
export function ruleView(record: Record<string, unknown>, api: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  const put = (k: string, v: unknown): void => {
    if (v !== undefined && !Object.hasOwn(out, k)) out[k] = v;
  };
  for (const [k, v] of Object.entries(api)) {
    put(k, v);
    put(pascal(k), v);
  }
  put('properties', api);
  for (const [k, v] of Object.entries(extra)) put(k, v);
  return out;
}

/** The API object of a record: `properties` of a diagnostic record, else the record itself. */
export function apiObject(o: Record<string, unknown>): Record<string, unknown> {
  return isDiagnosticRecord(o) ? (asObject(o.properties) ?? {}) : o;
}
