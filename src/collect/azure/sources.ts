/**
 * The list APIs `collect azure` reads by time (pure): the Activity Log of a subscription through ARM, Entra sign-ins
 * and directory audits of a tenant through Microsoft Graph.
 */
import type { AzureEndpoints } from './cloud.js';
import type { AzureApiError } from './http.js';
import { iso, type PagedSource } from './paged.js';

/** API name of the Activity Log (locators, checkpoints, custody). */
export const ACTIVITY_API = 'arm:activitylog';
/** The Activity Log keeps 90 days. */
export const ACTIVITY_MAX_AGE_MS = 90 * 86_400_000;
/** ARM api-version of `eventtypes/management/values`. */
export const ACTIVITY_API_VERSION = '2015-04-01';

/** Graph list APIs of Entra logs. */
export const GRAPH_LOGS = {
  signIns: { path: 'auditLogs/signIns', timeField: 'createdDateTime', api: 'graph:auditLogs/signIns' },
  directoryAudits: { path: 'auditLogs/directoryAudits', timeField: 'activityDateTime', api: 'graph:auditLogs/directoryAudits' },
} as const;
/** One of {@link GRAPH_LOGS}. */
export type GraphLog = keyof typeof GRAPH_LOGS;
/** Entra keeps sign-ins and audits 30 days (P1/P2; 7 days on the free tier). */
export const GRAPH_MAX_AGE_MS = 30 * 86_400_000;
/** Graph page size asked for (`$top`; the service may answer with fewer). */
export const GRAPH_TOP = 999;

/** A continuation token the service no longer accepts (Graph `$skiptoken`, ARM `nextLink`). */
export function isExpiredToken(err: AzureApiError): boolean {
  if (err.status === 410) return true;
  if (err.status !== 400) return false;
  return /skip ?token|continuation ?token|nextlink/i.test(`${err.code} ${err.message}`) && /expire|invalid|no longer/i.test(`${err.code} ${err.message}`);
}

/** The Activity Log of one subscription. */
export function activitySource(e: AzureEndpoints, subscription: string, bucket: PagedSource['bucket']): PagedSource {
  const sub = encodeURIComponent(subscription);
  return {
    scope: `subscription ${subscription}`,
    account: subscription,
    api: ACTIVITY_API,
    audience: e.armAudience,
    nextKey: 'nextLink',
    bucket,
    what: `the Activity Log of subscription ${subscription}`,
    endpoint: e.arm,
    expired: isExpiredToken,
    firstUrl: (from, to) =>
      `${e.arm}/subscriptions/${sub}/providers/Microsoft.Insights/eventtypes/management/values?api-version=${ACTIVITY_API_VERSION}&$filter=${encodeURIComponent(`eventTimestamp ge '${iso(from)}' and eventTimestamp le '${iso(to)}'`)}`,
  };
}

/** Sign-ins or directory audits of one tenant. */
export function graphSource(e: AzureEndpoints, tenant: string, log: GraphLog, bucket: PagedSource['bucket']): PagedSource {
  const g = GRAPH_LOGS[log];
  return {
    scope: `tenant ${tenant} ${log}`,
    account: tenant,
    api: g.api,
    audience: e.graphAudience,
    nextKey: '@odata.nextLink',
    bucket,
    what: `Entra ${log === 'signIns' ? 'sign-ins' : 'directory audits'} of tenant ${tenant}`,
    endpoint: e.graph,
    expired: isExpiredToken,
    firstUrl: (from, to) =>
      `${e.graph}/v1.0/${g.path}?$filter=${encodeURIComponent(`${g.timeField} ge ${iso(from)} and ${g.timeField} le ${iso(to)}`)}&$top=${GRAPH_TOP}`,
  };
}

/**
 * Kinds of Entra sign-in (`--signin-types`) and their Graph `signInEventType`. Graph v1.0 `/auditLogs/signIns` returns
 * interactive user sign-ins only; the others come from the **beta** endpoint filtered on `signInEventTypes`.
 */
export const SIGNIN_TYPES = {
  interactive: 'interactiveUser',
  noninteractive: 'nonInteractiveUser',
  serviceprincipal: 'servicePrincipal',
  managedidentity: 'managedIdentity',
} as const;
/** One of {@link SIGNIN_TYPES}. */
export type SignInType = keyof typeof SIGNIN_TYPES;

/** Parse `--signin-types a,b` (names of {@link SIGNIN_TYPES}, or `all`); undefined for an unknown name. */
export function parseSignInTypes(list: readonly string[]): SignInType[] | { unknown: string } {
  const out = new Set<SignInType>();
  for (const raw of list) {
    const v = raw.trim().toLowerCase().replace(/[-_ ]/g, '');
    if (v === 'all') for (const k of Object.keys(SIGNIN_TYPES) as SignInType[]) out.add(k);
    else if (Object.hasOwn(SIGNIN_TYPES, v)) out.add(v as SignInType);
    else return { unknown: raw };
  }
  return [...out];
}

/**
 * Sign-ins of one kind of one tenant: interactive through v1.0 (as {@link graphSource}), the other kinds through beta
 * `/auditLogs/signIns` with `signInEventTypes/any(t: t eq '<type>')` (each kind its own checkpoint).
 */
export function signInSource(e: AzureEndpoints, tenant: string, type: SignInType, bucket: PagedSource['bucket']): PagedSource {
  if (type === 'interactive') return graphSource(e, tenant, 'signIns', bucket);
  const ev = SIGNIN_TYPES[type];
  return {
    scope: `tenant ${tenant} signIns ${ev} (beta)`,
    account: tenant,
    api: `graph:beta/auditLogs/signIns/${ev}`,
    audience: e.graphAudience,
    nextKey: '@odata.nextLink',
    bucket,
    what: `Entra ${ev} sign-ins of tenant ${tenant} (Graph beta)`,
    endpoint: e.graph,
    expired: isExpiredToken,
    firstUrl: (from, to) =>
      `${e.graph}/beta/auditLogs/signIns?$filter=${encodeURIComponent(`createdDateTime ge ${iso(from)} and createdDateTime le ${iso(to)} and signInEventTypes/any(t: t eq '${ev}')`)}&$top=${GRAPH_TOP}`,
  };
}

/** Graph page size of `/identityProtection/riskDetections` (its `$top` maximum is 500). */
export const RISK_TOP = 500;

/**
 * Entra ID Protection risk detections of one tenant, by `detectedDateTime` (an offline detection is found hours or days
 * after the activity it is about: the window is when it was detected). The API promises no order: progress is
 * recorded when a range is complete.
 */
export function riskDetectionSource(e: AzureEndpoints, tenant: string, bucket: PagedSource['bucket']): PagedSource {
  return {
    scope: `tenant ${tenant} riskDetections`,
    account: tenant,
    api: 'graph:identityProtection/riskDetections',
    audience: e.graphAudience,
    nextKey: '@odata.nextLink',
    bucket,
    what: `Entra ID Protection risk detections of tenant ${tenant}`,
    endpoint: e.graph,
    expired: isExpiredToken,
    unordered: true,
    licenceNote: true,
    firstUrl: (from, to) =>
      `${e.graph}/v1.0/identityProtection/riskDetections?$filter=${encodeURIComponent(`detectedDateTime ge ${iso(from)} and detectedDateTime le ${iso(to)}`)}&$top=${RISK_TOP}`,
  };
}
