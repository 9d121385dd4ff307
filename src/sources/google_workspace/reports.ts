/**
 * Google Workspace audit activities (Admin SDK Reports API `activities.list`: `admin#reports#activity` items), as
 * the API returns them (`{"kind": "admin#reports#activities", "items": [...]}` pages, or one item per line) and as
 * SIEM copies flatten them (one row per event, `name` / `type` / `parameters` as an object at the top: Panther's
 * `GSuite.ActivityEvent`). Login (`login`) and admin audit (`admin`) activities are the identity layer; the other
 * applications (drive, calendar, token, ...) import too. Field meanings: Admin SDK "Reports API: Activities". Pure.
 */
import { asObject, asString, isIpAddress, normalizeTime, type EventClass, type Layer, type NormalizeResult, type Outcome } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';

/** One activity's parts, whichever shape it came in. */
interface Activity {
  app: string;
  time: string | undefined;
  uniqueQualifier: string | undefined;
  customerId: string | undefined;
  actor: Record<string, unknown>;
  ip: string | undefined;
  /** Events with their parameters as a name -> value map. */
  events: Array<{ name: string; type: string | undefined; params: Record<string, unknown> }>;
}

/** A Reports API parameter's value: `value`, `intValue`, `boolValue`, `multiValue`, `messageValue`. */
function paramValue(p: Record<string, unknown>): unknown {
  for (const k of ['value', 'intValue', 'boolValue', 'multiValue', 'multiIntValue', 'messageValue', 'multiMessageValue']) if (k in p) return p[k];
  return null;
}

/** `[{name, value}]` (API) or `{name: value}` (flattened copies) as a map. */
function paramMap(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const p of v) {
      const o = asObject(p);
      const n = asString(o?.name);
      if (o && n !== undefined) out[n] = paramValue(o);
    }
    return out;
  }
  return asObject(v) ?? {};
}

/** The activity a record is, or undefined when it is not one. */
export function activityOf(record: unknown): Activity | undefined {
  const r = asObject(record);
  if (!r) return undefined;
  const id = asObject(r.id);
  // Some activities (account warnings, DLP rule hits) have no actor: the activity is still one.
  const actor = asObject(r.actor) ?? {};
  const app = asString(id?.applicationName);
  if (!id || app === undefined) return undefined;
  const kind = asString(r.kind);
  if (kind !== undefined && kind !== 'admin#reports#activity') return undefined;
  let events: Activity['events'];
  if (Array.isArray(r.events)) {
    events = r.events
      .map(asObject)
      .filter((e): e is Record<string, unknown> => e !== undefined)
      .map((e) => ({ name: asString(e.name) ?? '', type: asString(e.type), params: paramMap(e.parameters) }));
  } else if (typeof r.name === 'string') {
    events = [{ name: r.name, type: asString(r.type), params: paramMap(r.parameters) }];
  } else {
    return undefined;
  }
  const ip = asString(r.ipAddress);
  return {
    app,
    time: asString(id.time),
    uniqueQualifier: typeof id.uniqueQualifier === 'string' || typeof id.uniqueQualifier === 'number' ? String(id.uniqueQualifier) : undefined,
    customerId: asString(id.customerId),
    actor,
    ip: ip !== undefined && isIpAddress(ip) ? ip : undefined,
    events,
  };
}

/** Applications whose activities are the identity layer: sign-ins, the directory's admin audit, OAuth, SAML, accounts. */
const IDENTITY_APPS = new Set(['login', 'admin', 'token', 'saml', 'user_accounts', 'groups', 'groups_enterprise', 'access_transparency']);

/** Layer of an application's activities. Admin audit is identity: it records changes to users, roles and sign-in policy. */
export function layerOf(app: string): Layer {
  return IDENTITY_APPS.has(app) ? 'identity' : 'control_plane';
}

function classOf(app: string, name: string): EventClass {
  if (app === 'login' || app === 'saml') return 'authentication';
  if (app === 'user_accounts' || (app === 'admin' && /(ROLE|ADMIN_PRIVILEGE|USER|PASSWORD|2SV|GROUP_MEMBER)/.test(name))) return 'account_change';
  return 'api_activity';
}

/** Login failures and failed challenges fail; the Reports API records other activities only once they happened. */
function outcomeOf(name: string, params: Record<string, unknown>): Outcome {
  if (name === 'login_failure') return 'failure';
  if ((name === 'login_challenge' || name === 'login_verification') && asString(params.login_challenge_status)?.toLowerCase().includes('fail') === true) return 'failure';
  return 'success';
}

/** Parameters naming what an activity acted on. */
const RESOURCE_PARAMS = ['USER_EMAIL', 'GROUP_EMAIL', 'ROLE_NAME', 'DOMAIN_NAME', 'APPLICATION_NAME', 'APP_ID', 'doc_id', 'affected_email_address', 'client_id', 'app_name', 'calendar_id'];

/** Pure mapping of one activity to the common schema (its first event names the action). */
export function normalizeActivity(record: unknown, rawSha256: string): NormalizeResult {
  const a = activityOf(record);
  if (!a) return { ok: false, reason: 'not a Google Workspace activity (no id.applicationName with an actor and events)' };
  const first = a.events[0];
  if (!first || first.name === '') return { ok: false, reason: `Google Workspace ${a.app} activity has no event name` };
  if (a.time === undefined) return { ok: false, reason: `Google Workspace ${a.app} activity ${first.name} has no id.time` };
  const t = normalizeTime(a.time);
  if (!t) return { ok: false, reason: `Google Workspace activity time ${JSON.stringify(a.time).slice(0, 60)} is not an ISO 8601 time` };
  const email = asString(a.actor.email)?.toLowerCase();
  const key = asString(a.actor.key);
  const profileId = asString(a.actor.profileId);
  const outcome = outcomeOf(first.name, first.params);
  const resources = new Set<string>();
  for (const e of a.events) {
    for (const p of RESOURCE_PARAMS) {
      const v = e.params[p];
      if (typeof v === 'string' && v !== '') resources.add(v.includes('@') ? v.toLowerCase() : v);
    }
  }
  return {
    ok: true,
    event: {
      // The Reports API identifies an activity by application, time and uniqueQualifier; SIEM copies split an
      // activity into one row per event, so the event name is part of the identity (the API shape uses its first).
      // Copies that reuse an id for other content (SIEM rule fixtures) are kept apart by the store.
      id: a.uniqueQualifier !== undefined ? `gws:${a.app}:${t.iso}:${a.uniqueQualifier}:${first.name}` : `sha256:${rawSha256}`,
      dataType: 'google_workspace:reports:activity',
      class: classOf(a.app, first.name),
      time: t.iso,
      timeMs: t.ms,
      provider: 'google_workspace',
      layer: layerOf(a.app),
      account: a.customerId,
      service: a.app,
      action: first.name,
      actor: {
        principal: email ?? key ?? profileId,
        type: asString(a.actor.callerType) ?? (email !== undefined ? 'USER' : undefined),
        name: email?.split('@')[0],
        principalId: profileId,
      },
      srcIp: a.ip,
      outcome,
      errorCode: outcome === 'failure' ? (asString(first.params.login_failure_type) ?? first.name) : undefined,
      readOnly: false,
      resources: [...resources],
    },
  };
}

/**
 * What rules see: the activity plus its first event's `name`, `type` and `parameters` (as a name -> value map) at
 * the top, as SIEM copies flatten them, and `event_names` (every event of the activity).
 */
export function activityRuleBody(record: unknown): unknown {
  const r = asObject(record);
  const a = activityOf(record);
  if (!r || !a) return record;
  const first = a.events[0];
  return {
    ...r,
    name: first?.name,
    type: first?.type,
    parameters: first?.params ?? {},
    event_names: a.events.map((e) => e.name),
  };
}

/** The Reports API activity adapter. */
export const workspaceActivity: SourceAdapter = {
  id: 'google-workspace-reports',
  dataType: 'google_workspace:reports:activity',
  provider: 'google_workspace',
  description: 'Google Workspace audit activities (Admin SDK Reports API items: login, admin, token, drive, ...; SIEM-flattened rows)',
  version: 1,
  matches: (record) => activityOf(record) !== undefined,
  normalize: normalizeActivity,
  ruleBody: activityRuleBody,
  logSources: [{ product: 'google_workspace', service: 'reports', description: 'Google Workspace audit activities (Reports API)' }],
  fieldAliases: { name: { column: 'action' } },
  detailPaths: {
    request: ['$.events'],
    error: [],
  },
};
