/**
 * Okta System Log events (`LogEvent`, the objects `/api/v1/logs` returns), in the shapes they are exported in:
 * - the API's JSON array (one page per file) and JSON Lines (one event per line: Log Streaming, scripts);
 * - an AWS EventBridge Log Streaming envelope (`{"detail-type": ..., "source": "aws.partner/okta.com/...",
 *   "detail": <LogEvent>}`) and a Splunk HEC-style `{"event": <LogEvent>}` wrapper;
 * - SIEM copies that add keys (Panther `p_*`) or lower-case the top-level keys (`eventtype`, `displaymessage`,
 *   `authenticationcontext`...: Panther's Okta schema).
 * Field meanings: Okta "System Log API" (LogEvent object). Pure.
 */
import { asObject, asString, isIpAddress, normalizeTime, type EventClass, type NormalizeResult, type Outcome } from '../../normalize/event.js';
import type { Entity, SourceAdapter } from '../types.js';

/** Top-level LogEvent keys in their API spelling: SIEM copies lower-case them. */
const TOP_KEYS = [
  'uuid',
  'published',
  'eventType',
  'version',
  'severity',
  'legacyEventType',
  'displayMessage',
  'actor',
  'client',
  'device',
  'outcome',
  'target',
  'transaction',
  'debugContext',
  'authenticationContext',
  'securityContext',
  'request',
] as const;

/** A LogEvent field by its API name, or its lower-case spelling. */
export function field(o: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(o, name)) return o[name];
  const lower = name.toLowerCase();
  return Object.hasOwn(o, lower) ? o[lower] : undefined;
}

const EVENT_TYPE_RE = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$/i;

/**
 * True for a bare LogEvent (either key spelling): a dotted event type plus an actor, a publication time, or a
 * display message with an outcome (trimmed copies), so a damaged event is quarantined with its own reason.
 */
function isLogEvent(o: Record<string, unknown>): boolean {
  const t = asString(field(o, 'eventType'));
  if (t === undefined || !EVENT_TYPE_RE.test(t)) return false;
  if (asObject(field(o, 'actor')) !== undefined || typeof field(o, 'published') === 'string') return true;
  return typeof field(o, 'displayMessage') === 'string' && asObject(field(o, 'outcome')) !== undefined;
}

/** The LogEvent a record carries: itself, or the `detail` / `event` member of a streaming or SIEM envelope. */
export function logEventOf(record: unknown): Record<string, unknown> | undefined {
  const r = asObject(record);
  if (!r) return undefined;
  if (isLogEvent(r)) return r;
  for (const k of ['detail', 'event']) {
    const inner = asObject(r[k]);
    if (inner && isLogEvent(inner)) return inner;
  }
  return undefined;
}

/** The API spelling of a LogEvent (lower-cased top-level keys of SIEM copies restored); other keys kept. */
export function apiView(e: Record<string, unknown>): Record<string, unknown> {
  if (Object.hasOwn(e, 'eventType')) return e;
  const out: Record<string, unknown> = { ...e };
  for (const k of TOP_KEYS) {
    const lower = k.toLowerCase();
    if (lower !== k && Object.hasOwn(e, lower) && !Object.hasOwn(out, k)) out[k] = e[lower];
  }
  return out;
}

/** Okta's `outcome.result`: SUCCESS and ALLOW succeed, FAILURE and DENY fail; CHALLENGE, SKIPPED, UNKNOWN are neither. */
export function outcomeOf(result: string | undefined): Outcome {
  switch (result?.toUpperCase()) {
    case 'SUCCESS':
    case 'ALLOW':
      return 'success';
    case 'FAILURE':
    case 'DENY':
      return 'failure';
    default:
      return 'unknown';
  }
}

/** Event class by event type: sign-ins and MFA are authentication, user lifecycle and grants account changes. */
export function classOf(eventType: string): EventClass {
  if (/^user\.(session|authentication|mfa\.okta_verify)\./.test(eventType) || eventType.startsWith('policy.evaluate_sign_on')) return 'authentication';
  if (/^(user\.(account|lifecycle|mfa\.factor)|group\.user_membership|user\.credential)\./.test(eventType) || eventType.endsWith('.privilege.grant') || eventType.endsWith('.privilege.revoke')) {
    return 'account_change';
  }
  return 'api_activity';
}

/** The principal form of an Okta identifier: e-mail-like logins lower-cased (Okta logins are case-insensitive). */
export function principalForm(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.includes('@') ? v.toLowerCase() : v;
}

/** A value Okta writes where it has none (`unknown`, and the `...` of redacted samples) is absent. */
function known(v: string | undefined): string | undefined {
  return v === undefined || v === 'unknown' || v === '...' ? undefined : v;
}

/** Targets (`target[]`) as objects. */
export function targetsOf(e: Record<string, unknown>): Array<Record<string, unknown>> {
  const t = field(e, 'target');
  return Array.isArray(t) ? t.map(asObject).filter((x): x is Record<string, unknown> => x !== undefined) : [];
}

/** A target's identifier: its login / name (`alternateId`), else its id. */
function targetValue(t: Record<string, unknown>): string | undefined {
  return principalForm(known(asString(t.alternateId)) ?? known(asString(t.id)));
}

/** The source IP of an event: `client.ipAddress`, else the first address of `request.ipChain`. */
function srcIpOf(e: Record<string, unknown>): string | undefined {
  const client = asObject(field(e, 'client'));
  const ip = asString(client?.ipAddress);
  if (ip !== undefined && isIpAddress(ip)) return ip;
  const chain = asObject(field(e, 'request'))?.ipChain;
  if (Array.isArray(chain)) {
    const first = asString(asObject(chain[0])?.ip);
    if (first !== undefined && isIpAddress(first)) return first;
  }
  return undefined;
}

/** Pure mapping of one LogEvent (any shape above) to the common schema. */
export function normalizeOktaEvent(record: unknown, rawSha256: string): NormalizeResult {
  const found = logEventOf(record);
  if (!found) return { ok: false, reason: 'not an Okta System Log event (no eventType with an actor or a published time)' };
  const e = apiView(found);
  const eventType = asString(e.eventType) ?? '';
  const published = e.published;
  if (typeof published !== 'string') return { ok: false, reason: `Okta event ${eventType} has no published time` };
  const t = normalizeTime(published);
  if (!t) return { ok: false, reason: `Okta event published time ${JSON.stringify(published).slice(0, 60)} is not an ISO 8601 time` };
  const actor = asObject(e.actor) ?? {};
  const client = asObject(e.client) ?? {};
  const outcome = asObject(e.outcome) ?? {};
  const authn = asObject(e.authenticationContext) ?? {};
  const geo = asObject(client.geographicalContext) ?? {};
  const result = outcomeOf(asString(outcome.result));
  const actorId = known(asString(actor.id));
  const principal = principalForm(known(asString(actor.alternateId)) ?? actorId);
  const related: Entity[] = [];
  if (actorId !== undefined && actorId !== principal) related.push({ kind: 'principal_id', value: actorId });
  const uuid = known(asString(e.uuid));
  const resources = [...new Set(targetsOf(e).map(targetValue).filter((v): v is string => v !== undefined))];
  return {
    ok: true,
    event: {
      // Okta's uuid (design.md "Record identity"); records without one fall back to their bytes. The uuid is not
      // unique in real exports (Panther's Okta samples reuse one for dozens of events): the store keeps a copy that
      // disagrees with the stored event apart as another event (`<uuid>#<12 hex>`, store/event-copies.ts).
      id: uuid ?? `sha256:${rawSha256}`,
      dataType: 'okta:system:entry',
      class: classOf(eventType),
      time: t.iso,
      timeMs: t.ms,
      provider: 'okta',
      layer: 'identity',
      // The client's country: the common schema's "region or location" of an identity event.
      region: asString(geo.country),
      service: 'okta',
      action: eventType,
      actor: {
        principal,
        type: asString(actor.type),
        name: asString(actor.displayName),
        principalId: actorId,
        session: known(asString(authn.rootSessionId)) ?? known(asString(authn.externalSessionId)),
      },
      srcIp: srcIpOf(e),
      userAgent: asString(asObject(client.userAgent)?.rawUserAgent),
      outcome: result,
      errorCode: result === 'failure' ? (asString(outcome.reason) ?? asString(outcome.result)) : undefined,
      readOnly: false,
      resources,
      related: related.length > 0 ? related : undefined,
    },
  };
}

/** What rules see: the LogEvent in its API spelling (envelopes removed, lower-cased SIEM keys restored). */
export function oktaRuleBody(record: unknown): unknown {
  const e = logEventOf(record);
  return e ? apiView(e) : record;
}

/** The device a user signed in with: Okta's device fingerprint, else OS / browser / device class of the client. */
export function deviceOf(body: unknown): string | undefined {
  const e = asObject(body);
  if (!e) return undefined;
  const dbg = asObject(asObject(e.debugContext)?.debugData) ?? {};
  const fp = asString(dbg.deviceFingerprint) ?? asString(dbg.dtHash);
  if (fp !== undefined && fp !== '...') return fp;
  const client = asObject(e.client) ?? {};
  const ua = asObject(client.userAgent) ?? {};
  const parts = [asString(ua.os), asString(ua.browser), asString(client.device)].filter((x): x is string => x !== undefined && x.toUpperCase() !== 'UNKNOWN');
  return parts.length > 0 ? parts.join(' / ') : undefined;
}

/** The user an event is about: the target user of an MFA factor reset or grant, else the actor. */
export function subjectUserOf(body: unknown): string | undefined {
  const e = asObject(body);
  if (!e) return undefined;
  const type = asString(e.eventType) ?? '';
  if (/^user\.(mfa\.factor|account\.(reset_password|privilege)|lifecycle)\./.test(type)) {
    const user = targetsOf(e).find((t) => asString(t.type) === 'User');
    const v = user ? principalForm(asString(user.alternateId)) : undefined;
    if (v !== undefined) return v;
  }
  return principalForm(asString(asObject(e.actor)?.alternateId));
}

/** The autonomous system the client connected from (`securityContext.asNumber`), as text. */
export function asnOf(body: unknown): string | undefined {
  const n = asObject(asObject(body)?.securityContext)?.asNumber;
  return typeof n === 'number' || (typeof n === 'string' && n !== '') ? String(n) : undefined;
}

/** The System Log adapter. */
export const oktaSystemLog: SourceAdapter = {
  id: 'okta-system-log',
  dataType: 'okta:system:entry',
  provider: 'okta',
  description: 'Okta System Log events (API pages, JSON Lines, EventBridge Log Streaming and SIEM copies)',
  version: 1,
  matches: (record) => logEventOf(record) !== undefined,
  normalize: normalizeOktaEvent,
  ruleBody: oktaRuleBody,
  logSources: [{ product: 'okta', service: 'okta', description: 'Okta System Log' }],
  fieldAliases: { eventType: { column: 'action' } },
  derivedFields: {
    'irctl.device': { description: 'Okta: the client device (debugData.deviceFingerprint, else OS / browser / device class)', values: (b) => (deviceOf(b) === undefined ? [] : [deviceOf(b)]) },
    'irctl.subject_user': { description: 'Okta: the user an event is about (the target user of MFA resets and grants, else the actor)', values: (b) => (subjectUserOf(b) === undefined ? [] : [subjectUserOf(b)]) },
    'irctl.asn': { description: 'Okta: the client\'s autonomous system number (securityContext.asNumber)', values: (b) => (asnOf(b) === undefined ? [] : [asnOf(b)]) },
  },
  // What investigation displays show next to the normalized fields, and what the store compares between copies of one
  // uuid: the request's debug data, the outcome and the targets, in every shape the adapter reads (API, EventBridge
  // `detail`, HEC `event`, SIEM copies with lower-cased keys), so one event in two shapes is not a conflict.
  detailPaths: {
    request: ['$.debugContext.debugData', '$.detail.debugContext.debugData', '$.event.debugContext.debugData', '$.debugcontext.debugData'],
    error: ['$.outcome', '$.detail.outcome', '$.event.outcome'],
    response: ['$.target', '$.detail.target', '$.event.target'],
  },
};
