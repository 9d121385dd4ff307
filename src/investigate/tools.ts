/**
 * The read-only tools both engines use. Each tool takes validated, typed arguments (zod: the same schema is sent to
 * the model as JSON Schema), runs parameterized queries through store/investigate-repo.ts, caps its rows (with a
 * truncation flag) and the length of every value, gives every row an evidence id, scans the rows for
 * instruction-like text (injection.ts) and marks the whole result as untrusted data.
 */
import { z } from 'zod';
import type { OperatorContext } from '../context/context.js';
import { normalizeTime } from '../normalize/event.js';
import { exposureFindings, tamperingActions } from '../sources/index.js';
import type { Db } from '../store/db.js';
import { logKindCoverage } from '../store/query-repo.js';
import {
  actionCount,
  assetEvents,
  rawTextOfEvent,
  coverageGaps,
  entityHistory,
  eventDetails,
  eventsOfEntities,
  eventsWithActions,
  getThreatRecord,
  latestInvestigationsExcept,
  overridesOf,
  providerEventCount,
  nextProviderEvent,
  providers,
  relatedEntities,
  searchEventDetails,
  sourceCoverage,
  threatDetections,
  threatEventIds,
  type EventDetail,
  type EventSearch,
  type ThreatRecord,
} from '../store/investigate-repo.js';
import { readableSpan } from '../util/time.js';
import { DATA_NOTICE, sanitizeForDisplay, scanRows } from './injection.js';
import type { EvidenceKind, ToolName, ToolResult, ToolRow } from './types.js';

/** Limits applied to every tool. */
export interface ToolCaps {
  /** Default rows per result. @default 40 */
  rows: number;
  /** Hard maximum a caller may ask for. @default 200 */
  maxRows: number;
  /** Characters per value. @default 300 */
  valueChars: number;
}

/** Default caps. */
export const DEFAULT_CAPS: ToolCaps = { rows: 40, maxRows: 200, valueChars: 300 };

/** What tools run against. */
export interface ToolEnv {
  db: Db;
  /** The threat under investigation. */
  threat: ThreatRecord;
  /** Operator context (context.yaml). */
  context: OperatorContext;
  caps: ToolCaps;
  /** Per-run memo (threat facts). */
  memo: Map<string, unknown>;
}

/** User-agent marks of attack-simulation tools: a lead to confirm with the operator, never a verdict on its own. */
export const ATTACK_TOOL_MARKERS: Array<{ name: string; re: RegExp }> = [
  { name: 'Stratus Red Team', re: /stratus-red-team/i },
  { name: 'Pacu', re: /\bpacu\b/i },
  { name: 'CloudFox', re: /cloudfox/i },
  { name: 'Atomic Red Team', re: /atomic-red-team/i },
  { name: 'Leonidas', re: /leonidas/i },
];

const HOUR = 3_600_000;
/** Set-up and clean-up of a red-team exercise are looked for this long before its first and after its last marked call. */
export const EXERCISE_PAD_MS = 60 * 60_000;
/** A silence is missing coverage when the preceding day's rate predicts at least this many events in it. */
export const GAP_EXPECTED_EVENTS = 10;
/** A provider's next event within this long after a stop shows the case's own delivery did not stop. */
export const STOP_GRACE_MS = 5 * 60_000;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------------------------
// helpers

function cap(env: ToolEnv, s: string | null | undefined, max = env.caps.valueChars): { v: string | null; cut: boolean } {
  if (s === null || s === undefined) return { v: null, cut: false };
  const r = sanitizeForDisplay(s, max);
  return { v: r.text, cut: r.cut };
}

function parseResources(s: string): string[] {
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** An event as a raw (unsanitized) row. */
function eventRow(e: EventDetail, kind: EvidenceKind = 'event'): ToolRow {
  return {
    evidence_id: e.id,
    evidence_kind: kind,
    time: e.time,
    provider: e.provider,
    action: e.service ? `${e.service}:${e.action}` : e.action,
    outcome: e.outcome,
    actor: e.actor,
    actor_name: e.actor_name,
    access_key: e.access_key,
    src: e.src_ip ?? e.src_host,
    user_agent: e.user_agent,
    region: e.region,
    error_code: e.error_code,
    error_message: e.error_message,
    resources: parseResources(e.resources),
    request_parameters: e.request_parameters,
  };
}

/** Scan raw rows, then sanitize and cap them; cap the row count. */
function finish(env: ToolEnv, tool: ToolName, args: Record<string, unknown>, rawRows: ToolRow[], total: number, summary: string, facts: Record<string, unknown>, limit?: number): ToolResult {
  const max = Math.min(limit ?? env.caps.rows, env.caps.maxRows);
  const kept = rawRows.slice(0, max);
  const injection_flags = scanRows(kept);
  let cut = rawRows.length > kept.length || total > kept.length;
  const rows = kept.map((r) => {
    const out: ToolRow = { evidence_id: r.evidence_id, evidence_kind: r.evidence_kind };
    for (const [k, v] of Object.entries(r)) {
      if (k === 'evidence_id' || k === 'evidence_kind') continue;
      if (typeof v === 'string') {
        const c = cap(env, v, k === 'request_parameters' ? env.caps.valueChars * 2 : env.caps.valueChars);
        if (c.cut) cut = true;
        out[k] = c.v;
      } else if (Array.isArray(v)) {
        const arr = v.slice(0, 20).map((s) => cap(env, s).v ?? '');
        if (v.length > 20) cut = true;
        out[k] = arr;
      } else out[k] = v;
    }
    return out;
  });
  return { tool, args, data_notice: DATA_NOTICE, summary, rows, total: Math.max(total, rawRows.length), truncated: cut, facts, injection_flags };
}

function timeArg(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const t = normalizeTime(v);
  if (!t) throw new ToolArgumentError(`${flag}: ${JSON.stringify(v)} is not an ISO 8601 time`);
  return t.ms;
}

/** A tool was called with arguments that do not validate. */
export class ToolArgumentError extends Error {}

function countBy<T>(xs: readonly T[], key: (x: T) => string | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) {
    const k = key(x);
    if (k) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Facts about the threat's own events (computed once per run). */
export interface ThreatFacts {
  event_ids: string[];
  events_total: number;
  principals: Record<string, number>;
  primary_principal: string | null;
  /** Why the primary principal is the one investigated. */
  primary_reason: string | null;
  /** The other identities whose events carry detections, most anomalous first. */
  other_principals: string[];
  /** What the primary principal itself did: its own actions, sources, user agents and event ids (never another's). */
  primary_actions: string[];
  primary_sources: string[];
  primary_user_agents: string[];
  primary_access_keys: string[];
  primary_event_ids: string[];
  access_keys: string[];
  sessions: string[];
  roles: string[];
  sources: string[];
  user_agents: string[];
  actions: string[];
  regions: string[];
  resources: string[];
  failures: number;
  max_severity: string;
  rule_ids: string[];
  detections: number;
  /** Successful events that change something (not read-only). */
  successful_writes: number;
  /** Successful events in all. */
  successful: number;
  /** ATT&CK tactics of the threat's detections. */
  tactics: string[];
  /** Layers of the events its detections fired on (control_plane, identity, workload, ai, network, ...). */
  detected_layers: string[];
  /**
   * The chain across layers: each layer its detections fired on, in the order the layer first fired, with that
   * first time, the rule titles and the detections' evidence ids (`det:...`).
   */
  layer_chain: Array<{ layer: string; first_seen: string; rules: string[]; detections: string[] }>;
}

const SEVERITY_RANK: Record<string, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Threat events (up to 500) and facts about them. */
export function threatEvents(env: ToolEnv): { events: EventDetail[]; facts: ThreatFacts } {
  const cached = env.memo.get('threat-events') as { events: EventDetail[]; facts: ThreatFacts } | undefined;
  if (cached) return cached;
  const { ids, total } = threatEventIds(env.db, env.threat.id, 500);
  const events = eventDetails(env.db, ids);
  const dets = threatDetections(env.db, env.threat.id, 500);
  const principals = countBy(events, (e) => e.actor);
  const detected = new Set(dets.flatMap((d) => d.event_ids));
  // The principal profiled is the most anomalous one: the identity whose own events carry the threat's most severe
  // detections (then the most detections, then the one that acted first), as a role ARN for an assumed-role session
  // (session names change per run). Never simply the first one seen: a benign user sharing the window is not it.
  const identityOf = new Map(events.map((e) => [e.id, e.assumed_from ?? e.actor]));
  const weight = new Map<string, { rank: number; dets: number; first: number; titles: Set<string>; severity: string }>();
  for (const d of dets) {
    for (const who of new Set(d.event_ids.map((id) => identityOf.get(id)).filter((x): x is string => typeof x === 'string'))) {
      const w = weight.get(who) ?? { rank: -1, dets: 0, first: Number.POSITIVE_INFINITY, titles: new Set<string>(), severity: 'informational' };
      const rank = SEVERITY_RANK[d.severity] ?? 0;
      if (rank > w.rank) {
        w.rank = rank;
        w.severity = d.severity;
        w.titles = new Set();
      }
      if (rank === w.rank) w.titles.add(d.rule_title);
      w.dets++;
      w.first = Math.min(w.first, d.first_ms);
      weight.set(who, w);
    }
  }
  const ranked = [...weight.entries()].sort((a, b) => b[1].rank - a[1].rank || b[1].dets - a[1].dets || a[1].first - b[1].first || a[0].localeCompare(b[0]));
  const firstIdentity = events.find((e) => (e.assumed_from ?? e.actor) !== null);
  const top = ranked[0];
  const primary = top?.[0] ?? (firstIdentity ? (firstIdentity.assumed_from ?? firstIdentity.actor) : null);
  const primaryReason = top
    ? `its own events carry the threat's most severe detections (${top[1].severity}: ${[...top[1].titles].slice(0, 3).join('; ')})${ranked.length > 1 ? `, ahead of ${ranked.length - 1} other principal(s) in the threat` : ''}`
    : primary
      ? 'the only identity named by the threat\'s events'
      : null;
  const uniqOf = (list: readonly EventDetail[], f: (e: EventDetail) => string | null): string[] => [...new Set(list.map(f).filter((x): x is string => x !== null && x !== ''))].sort();
  const uniq = (f: (e: EventDetail) => string | null): string[] => uniqOf(events, f);
  const own = events.filter((e) => primary !== null && (e.assumed_from ?? e.actor) === primary);
  let maxSev = env.threat.severity;
  for (const d of dets) if ((SEVERITY_RANK[d.severity] ?? 0) > (SEVERITY_RANK[maxSev] ?? 0)) maxSev = d.severity;
  const facts: ThreatFacts = {
    event_ids: events.map((e) => e.id),
    events_total: total,
    principals,
    primary_principal: primary,
    primary_reason: primaryReason,
    other_principals: ranked.slice(1).map(([p]) => p),
    primary_actions: uniqOf(own, (e) => e.action),
    primary_sources: uniqOf(own, (e) => e.src_ip ?? e.src_host),
    primary_user_agents: uniqOf(own, (e) => e.user_agent),
    primary_access_keys: uniqOf(own, (e) => e.access_key),
    primary_event_ids: own.map((e) => e.id),
    access_keys: uniq((e) => e.access_key),
    sessions: uniq((e) => e.session),
    roles: uniq((e) => e.assumed_from),
    sources: uniq((e) => e.src_ip ?? e.src_host),
    user_agents: uniq((e) => e.user_agent),
    actions: uniq((e) => e.action),
    regions: uniq((e) => e.region),
    resources: [...new Set(events.flatMap((e) => parseResources(e.resources)))].sort(),
    failures: events.filter((e) => e.outcome === 'failure').length,
    max_severity: maxSev,
    rule_ids: [...new Set(dets.map((d) => d.rule_id))].sort(),
    detections: dets.length,
    // A sign-in is not a change, whatever the record's read-only flag says.
    successful_writes: events.filter((e) => e.outcome === 'success' && e.read_only !== 1 && e.class !== 'authentication').length,
    successful: events.filter((e) => e.outcome === 'success').length,
    tactics: [...env.threat.tactics].sort(),
    detected_layers: uniqOf(
      events.filter((e) => detected.has(e.id)),
      (e) => e.layer,
    ),
    layer_chain: layerChain(dets, new Map(events.map((e) => [e.id, e.layer]))),
  };
  const r = { events, facts };
  env.memo.set('threat-events', r);
  return r;
}

/** The threat's detections grouped by the layer of their events, layers in the order they first fired. */
function layerChain(dets: ReadonlyArray<{ first_ms: number; rule_title: string; fingerprint: string; event_ids: string[] }>, layerOf: ReadonlyMap<string, string>): ThreatFacts['layer_chain'] {
  const chain = new Map<string, { layer: string; first: number; rules: string[]; detections: string[] }>();
  for (const d of [...dets].sort((a, b) => a.first_ms - b.first_ms)) {
    const layer = d.event_ids.map((id) => layerOf.get(id)).find((l): l is string => typeof l === 'string');
    if (layer === undefined) continue;
    const c = chain.get(layer) ?? { layer, first: d.first_ms, rules: [], detections: [] };
    if (!c.rules.includes(d.rule_title)) c.rules.push(d.rule_title);
    c.detections.push(`det:${d.fingerprint.slice(0, 16)}`);
    chain.set(layer, c);
  }
  return [...chain.values()].sort((a, b) => a.first - b.first).map((c) => ({ layer: c.layer, first_seen: iso(c.first), rules: c.rules, detections: c.detections }));
}

/** The threat window padded. */
function window(env: ToolEnv, padMs: number): { since: number; until: number } {
  return { since: env.threat.first_ms - padMs, until: env.threat.last_ms + padMs + 1 };
}

const iso = (ms: number): string => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------------------------
// argument schemas (sent to the model as JSON Schema)

const isoString = z.string().max(40).describe('ISO 8601 time, UTC when no offset');
const limitArg = z.number().int().min(1).max(200).optional().describe('maximum rows (default 40)');
const entityKind = z.enum(['principal', 'access_key', 'ip', 'user_agent', 'resource']);

/** Argument schemas per tool. */
export const TOOL_ARGS = {
  get_threat: z.object({ threat_id: z.string().max(20).optional().describe('threat id such as T-3 (default: the threat under investigation)') }).strict(),
  search_events: z
    .object({
      principal: z.string().max(300).optional().describe('principal ARN or user/role/session name'),
      access_key: z.string().max(40).optional(),
      ip: z.string().max(60).optional().describe('source IP address (or AWS service host)'),
      action: z.string().max(100).optional().describe('operation name, * wildcards allowed'),
      resource: z.string().max(500).optional().describe('resource identifier (ARN)'),
      user_agent: z.string().max(500).optional().describe('exact user agent'),
      since: isoString.optional(),
      until: isoString.optional(),
      limit: limitArg,
    })
    .strict(),
  entity_profile: z
    .object({
      kind: entityKind,
      value: z.string().min(1).max(500),
      before: isoString.optional().describe('history up to this time (default: the start of the threat)'),
      lookback_days: z.number().int().min(1).max(365).optional().describe('how far back (default 90)'),
    })
    .strict(),
  related_entities: z
    .object({
      kind: entityKind,
      value: z.string().min(1).max(500),
      since: isoString.optional().describe('default: 7 days before the threat'),
      until: isoString.optional().describe('default: 1 day after the threat'),
      limit: limitArg,
    })
    .strict(),
  timeline: z.object({ pad_minutes: z.number().int().min(0).max(1440).optional().describe('minutes before/after the threat (default 60)'), limit: limitArg }).strict(),
  log_coverage: z.object({ since: isoString.optional(), until: isoString.optional() }).strict(),
  operator_context: z.object({}).strict(),
  asset_context: z.object({ resource: z.string().max(500).optional().describe('resource ARN or instance id (default: the threat\'s resources)') }).strict(),
  past_investigations: z.object({ limit: limitArg }).strict(),
} satisfies Record<ToolName, z.ZodType>;

/** Tool descriptions (sent to the model). */
export const TOOL_DESCRIPTIONS: Record<ToolName, string> = {
  get_threat: 'The threat: its detections (rules, severity, techniques) and the events they fired on.',
  search_events: 'Events matching filters (principal, access key, IP, action, resource, user agent, time range), time order.',
  entity_profile:
    "An entity's history before the threat: first/last seen, usual IPs, user agents, regions and actions with counts, and how often it did each of the threat's actions before (rarity).",
  related_entities: 'Entities that appear in the same events as this one (key <-> principal <-> session <-> role <-> IP <-> resource).',
  timeline: "Events of the threat's principals, keys, sessions and IPs around the threat, in time order.",
  log_coverage: 'Which sources and regions have data in a window, silences (gaps), and logging-tampering events (trails or log sinks stopped, deleted, reduced).',
  operator_context:
    "The operator's context.yaml (change windows, declared red-team markers/principals/IPs, automation principals, crown jewels) and which threat events match it.",
  asset_context: 'Asset inventory (EC2 instances, security groups, volumes, tags) collected for the threat\'s resources.',
  past_investigations: 'Earlier investigations of other threats in this case, with verdicts and analyst decisions, ranked by similarity.',
};

/** JSON Schemas for the model. */
export function toolJsonSchemas(): Array<{ name: ToolName; description: string; input_schema: Record<string, unknown> }> {
  return (Object.keys(TOOL_ARGS) as ToolName[]).map((name) => {
    const schema = z.toJSONSchema(TOOL_ARGS[name]) as Record<string, unknown>;
    delete schema.$schema;
    return { name, description: TOOL_DESCRIPTIONS[name], input_schema: schema };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// tools

function getThreat(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['get_threat']>): ToolResult {
  const id = a.threat_id ?? env.threat.id;
  if (id !== env.threat.id) {
    const other = getThreatRecord(env.db, id);
    if (!other) throw new ToolArgumentError(`no threat ${id} in this case`);
    const sub: ToolEnv = { ...env, threat: other, memo: new Map() };
    return getThreat(sub, {});
  }
  const dets = threatDetections(env.db, id, env.caps.maxRows);
  const { events, facts } = threatEvents(env);
  const rows: ToolRow[] = [
    ...dets.map(
      (d): ToolRow => ({
        evidence_id: `det:${d.fingerprint.slice(0, 16)}`,
        evidence_kind: 'detection',
        time: d.first_seen,
        rule_id: d.rule_id,
        rule_title: d.rule_title,
        severity: d.severity,
        techniques: d.techniques,
        summary: d.summary,
        event_ids: d.event_ids.slice(0, 20),
      }),
    ),
    ...events.map((e) => eventRow(e)),
  ];
  const t = env.threat;
  return finish(
    env,
    'get_threat',
    { threat_id: id },
    rows,
    dets.length + facts.events_total,
    `${t.id} "${t.title}" severity ${facts.max_severity}: ${dets.length} detection(s) on ${facts.events_total} event(s), ${t.first_seen} .. ${t.last_seen}, principals: ${Object.keys(facts.principals).join(', ') || 'none'}`,
    { ...facts, title: t.title, techniques: t.techniques, tactics: t.tactics, first_seen: t.first_seen, last_seen: t.last_seen },
    dets.length + env.caps.rows,
  );
}

function searchArgs(a: z.infer<(typeof TOOL_ARGS)['search_events']>): EventSearch {
  return {
    principal: a.principal,
    accessKey: a.access_key,
    ip: a.ip,
    action: a.action,
    resource: a.resource,
    userAgent: a.user_agent,
    sinceMs: timeArg(a.since, 'since'),
    untilMs: timeArg(a.until, 'until'),
  };
}

function searchEvents(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['search_events']>): ToolResult {
  const f = searchArgs(a);
  const filters = [a.principal, a.access_key, a.ip, a.action, a.resource, a.user_agent].filter((x) => x !== undefined);
  if (filters.length === 0) throw new ToolArgumentError('give at least one of principal, access_key, ip, action, resource, user_agent');
  const limit = Math.min(a.limit ?? env.caps.rows, env.caps.maxRows);
  const { rows, total, first, last, actions } = searchEventDetails(env.db, f, limit);
  // The span is of every matching event, not of the rows shown: a capped answer still says when the activity ended.
  const shownLast = rows.at(-1)?.time;
  const span = first !== null && last !== null ? `, ${readableSpan(first, last)}` : '';
  const shown = total > rows.length && shownLast !== undefined ? `; the first ${rows.length} are shown, up to ${readableSpan(shownLast, shownLast)}` : '';
  return finish(
    env,
    'search_events',
    a,
    rows.map((e) => eventRow(e)),
    total,
    `${total} matching event(s)${span}${shown}`,
    { total, first_seen: first, last_seen: last, actions, shown: rows.length },
    limit,
  );
}

function profileSearch(kind: z.infer<typeof entityKind>, value: string): EventSearch {
  switch (kind) {
    case 'principal':
      return { principal: value };
    case 'access_key':
      return { accessKey: value };
    case 'ip':
      return { ip: value };
    case 'user_agent':
      return { userAgent: value };
    case 'resource':
      return { resource: value };
  }
}

/** Facts of an entity profile. */
export interface ProfileFacts {
  entity: { kind: string; value: string };
  baseline_since: string;
  baseline_until: string;
  baseline_events: number;
  first_seen: string | null;
  last_seen: string | null;
  ips: Record<string, number>;
  user_agents: Record<string, number>;
  regions: Record<string, number>;
  actions: Record<string, number>;
  /** For each of the threat's actions: how many times the entity did it in the baseline window. */
  rarity: Record<string, number>;
}

function entityProfile(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['entity_profile']>): ToolResult {
  const before = timeArg(a.before, 'before') ?? env.threat.first_ms;
  const since = before - (a.lookback_days ?? 90) * DAY;
  const base = { ...profileSearch(a.kind, a.value), sinceMs: since, untilMs: before };
  const h = entityHistory(env.db, base, 15);
  const facet = (name: string): Record<string, number> => Object.fromEntries(h.facets.filter((f) => f.facet === name).map((f) => [f.value, f.count]));
  const { facts: tf } = threatEvents(env);
  const rarity: Record<string, number> = {};
  for (const action of tf.actions.slice(0, 25)) rarity[action] = actionCount(env.db, { ...base, action });
  const facts: ProfileFacts = {
    entity: { kind: a.kind, value: a.value },
    baseline_since: iso(since),
    baseline_until: iso(before),
    baseline_events: h.events,
    first_seen: h.first_seen,
    last_seen: h.last_seen,
    ips: facet('ip'),
    user_agents: facet('user_agent'),
    regions: facet('region'),
    actions: facet('action'),
    rarity,
  };
  const rows: ToolRow[] = h.facets.map((f) => ({
    evidence_id: f.event_id,
    evidence_kind: 'baseline',
    facet: f.facet,
    value: f.value,
    count: f.count,
    first_seen: f.first_seen,
    last_seen: f.last_seen,
  }));
  const never = Object.entries(rarity).filter(([, n]) => n === 0).map(([k]) => k);
  return finish(
    env,
    'entity_profile',
    { ...a, before: iso(before), lookback_days: a.lookback_days ?? 90 },
    rows,
    Object.values(h.facet_totals).reduce((x, y) => x + y, 0),
    h.events === 0
      ? `no history for ${a.kind} ${a.value} in the ${a.lookback_days ?? 90} days before ${iso(before)}`
      : `${h.events} event(s) ${h.first_seen} .. ${h.last_seen}; ${Object.keys(facts.ips).length} IP(s), ${Object.keys(facts.user_agents).length} user agent(s), ${Object.keys(facts.actions).length} action(s)${never.length > 0 ? `; never did before: ${never.join(', ')}` : ''}`,
    facts as unknown as Record<string, unknown>,
    60,
  );
}

const PROFILE_KINDS: Record<z.infer<typeof entityKind>, string[]> = {
  principal: ['principal', 'role', 'session'],
  access_key: ['access_key'],
  ip: ['ip'],
  user_agent: ['user_agent'],
  resource: ['resource'],
};

function related(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['related_entities']>): ToolResult {
  const since = timeArg(a.since, 'since') ?? env.threat.first_ms - 7 * DAY;
  const until = timeArg(a.until, 'until') ?? env.threat.last_ms + DAY;
  const limit = Math.min(a.limit ?? env.caps.rows, env.caps.maxRows);
  const { rows, total } = relatedEntities(env.db, PROFILE_KINDS[a.kind], a.value, since, until, limit);
  const byKind = countBy(rows, (r) => r.kind);
  return finish(
    env,
    'related_entities',
    { ...a, since: iso(since), until: iso(until) },
    rows.map((r) => ({ evidence_id: r.event_id, evidence_kind: 'event', kind: r.kind, value: r.value, count: r.events, first_seen: r.first_seen, last_seen: r.last_seen })),
    total,
    `${total} related entit${total === 1 ? 'y' : 'ies'} (${Object.entries(byKind).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'})`,
    { related: rows.map((r) => ({ kind: r.kind, value: r.value, events: r.events })) },
    limit,
  );
}

function threatEntities(env: ToolEnv): Array<{ kind: string; value: string }> {
  const { facts } = threatEvents(env);
  const out: Array<{ kind: string; value: string }> = [];
  for (const p of Object.keys(facts.principals)) out.push({ kind: 'principal', value: p });
  for (const k of facts.access_keys) out.push({ kind: 'access_key', value: k });
  for (const s of facts.sessions) out.push({ kind: 'session', value: s });
  for (const ip of facts.sources) out.push({ kind: 'ip', value: ip });
  return out.slice(0, 50);
}

function timeline(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['timeline']>): ToolResult {
  const w = window(env, (a.pad_minutes ?? 60) * 60_000);
  const limit = Math.min(a.limit ?? env.caps.rows, env.caps.maxRows);
  const { rows, total, first, last } = eventsOfEntities(env.db, threatEntities(env), w.since, w.until, limit);
  const threatIds = new Set(threatEvents(env).facts.event_ids);
  return finish(
    env,
    'timeline',
    { pad_minutes: a.pad_minutes ?? 60, limit },
    rows.map((e) => ({ ...eventRow(e), in_threat: threatIds.has(e.id) })),
    total,
    `${total} event(s) of the threat's entities between ${iso(w.since)} and ${iso(w.until)}${total > rows.length ? `, first ${rows.length} shown` : ''}`,
    // first/last: the span of all the matching events (the rows may stop at the limit).
    { total, first, last, actions: countBy(rows, (e) => e.action) },
    limit,
  );
}

/** Facts of log coverage. */
export interface CoverageFacts {
  since: string;
  until: string;
  sources: Array<{ provider: string; data_type: string; region: string | null; events: number }>;
  tampering: Array<{ event_id: string; action: string; actor: string | null; time: string; by_threat_entity: boolean; outcome: string }>;
  logging_stopped: { event_id: string; time: string; actor: string | null } | null;
  /** Successful stops after which the case's events of that provider kept arriving (another trail or sink stopped). */
  stops_without_gap: string[];
  gaps: Array<{ provider: string; from: string; to: string; minutes: number; event_id: string }>;
  /** Kinds of log (providers' `logKinds`) with events in the window. */
  log_kinds: Array<{ provider: string; kind: string; name: string; events: number; setting?: string }>;
  /** Kinds of log absent from the window whose absence is missing evidence (e.g. Data Access audit logs). */
  missing_log_kinds: Array<{ provider: string; kind: string; name: string; why: string }>;
  /** True when logging was stopped, tampered with in the window, or silent inside the threat's own span. */
  coverage_missing: boolean;
  reasons: string[];
}

function logCoverage(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['log_coverage']>): ToolResult {
  const w = window(env, HOUR);
  const since = timeArg(a.since, 'since') ?? w.since;
  const until = timeArg(a.until, 'until') ?? w.until;
  const sources = sourceCoverage(env.db, since, until, 50);
  const { facts: tf } = threatEvents(env);
  const threatActors = new Set([...Object.keys(tf.principals), ...tf.access_keys, ...tf.roles]);
  const tamper = tamperingActions();
  const tamperEvents = eventsWithActions(env.db, [...tamper.actions], since - 7 * DAY, until, 100);
  const tampering = tamperEvents.map((e) => ({
    event_id: e.id,
    action: e.action,
    actor: e.actor,
    time: e.time,
    outcome: e.outcome,
    by_threat_entity: (e.actor !== null && threatActors.has(e.actor)) || (e.access_key !== null && threatActors.has(e.access_key)),
  }));
  // Logging stopped: the last successful stop before the window end with no successful restart after it, and only
  // when the case's own delivery of that provider's events stopped too: none came after it, or the next one came only
  // after a silence the day before's rate says is a gap. Events arriving as usual afterwards mean the stop hit
  // another trail or sink: tampering (listed above), not a gap in what the case holds.
  const restarts = eventsWithActions(env.db, tamper.starts, since - 7 * DAY, until, 100).filter((e) => e.outcome !== 'failure');
  let stopped: CoverageFacts['logging_stopped'] = null;
  const stopsWithoutGap: string[] = [];
  for (const e of tamperEvents) {
    if (!tamper.stops.has(e.action) || e.outcome === 'failure') continue;
    if (restarts.some((r) => r.time_ms > e.time_ms)) continue;
    const next = nextProviderEvent(env.db, e.provider, e.time_ms);
    // The rate over the day before the stop, or over the part of it the case covers.
    const from = nextProviderEvent(env.db, e.provider, e.time_ms - DAY - 1) ?? e.time_ms;
    const ratePerMs = providerEventCount(env.db, e.provider, from, e.time_ms) / Math.max(e.time_ms - from, STOP_GRACE_MS * 2);
    const silent = next === undefined || (next - e.time_ms > STOP_GRACE_MS && ratePerMs * (next - e.time_ms) >= GAP_EXPECTED_EVENTS);
    if (silent) stopped = { event_id: e.id, time: e.time, actor: e.actor };
    else stopsWithoutGap.push(e.id);
  }
  const gaps: CoverageFacts['gaps'] = [];
  for (const p of providers(env.db)) {
    for (const g of coverageGaps(env.db, p, since, until, HOUR, 10)) {
      gaps.push({ provider: p, from: iso(g.from_ms), to: iso(g.to_ms), minutes: Math.round((g.to_ms - g.from_ms) / 60_000), event_id: g.event_id });
    }
  }
  const reasons: string[] = [];
  if (stopped) reasons.push(`logging stopped at ${stopped.time} by ${stopped.actor ?? 'unknown'} (${stopped.event_id}) and not restarted before ${iso(until)}`);
  // A silence inside the threat's span counts when the provider's rate in the 24 h before it predicts at least
  // GAP_EXPECTED_EVENTS events in it (sparse logs have natural silences).
  const inner = gaps.filter((g) => {
    const from = Date.parse(g.from);
    const to = Date.parse(g.to);
    if (!(from < env.threat.last_ms && to > env.threat.first_ms)) return false;
    const before = providerEventCount(env.db, g.provider, from - DAY, from);
    return (before / DAY) * (to - from) >= GAP_EXPECTED_EVENTS;
  });
  for (const g of inner) reasons.push(`no ${g.provider} events between ${g.from} and ${g.to} (${g.minutes} min) inside the threat's span, although the 24 h before had steady traffic`);
  const kinds = logKindCoverage(env.db, since, until);
  const facts: CoverageFacts = {
    since: iso(since),
    until: iso(until),
    sources: sources.map((s) => ({ provider: s.provider, data_type: s.data_type, region: s.region, events: s.events })),
    log_kinds: kinds.present,
    missing_log_kinds: kinds.missing,
    tampering,
    logging_stopped: stopped,
    stops_without_gap: stopsWithoutGap,
    gaps,
    coverage_missing: reasons.length > 0,
    reasons,
  };
  const rows: ToolRow[] = [
    ...tamperEvents.map((e) => ({ ...eventRow(e), kind: 'tampering' })),
    ...sources.map((s): ToolRow => ({ evidence_id: s.event_id, evidence_kind: 'event', kind: 'source', provider: s.provider, data_type: s.data_type, region: s.region, count: s.events, first_seen: s.first_seen, last_seen: s.last_seen })),
    ...gaps.map((g): ToolRow => ({ evidence_id: g.event_id, evidence_kind: 'event', kind: 'gap', provider: g.provider, first_seen: g.from, last_seen: g.to, count: g.minutes })),
  ];
  return finish(
    env,
    'log_coverage',
    { since: iso(since), until: iso(until) },
    rows,
    rows.length,
    `${sources.reduce((n, s) => n + s.events, 0)} event(s) from ${sources.length} source/region(s) in ${iso(since)} .. ${iso(until)}; ${tampering.length} tampering event(s) in the window and the 7 days before; ${gaps.length} gap(s) over 60 min${kinds.present.length > 0 ? `; log kinds: ${kinds.present.map((k) => `${k.provider} ${k.name} (${k.events})${k.setting === undefined ? '' : ` [${k.setting}]`}`).join(', ')}` : ''}${kinds.missing.map((k) => `; MISSING ${k.provider} ${k.name}: ${k.why}`).join('')}${reasons.length > 0 ? `; COVERAGE MISSING: ${reasons.join('; ')}` : ''}`,
    facts as unknown as Record<string, unknown>,
    100,
  );
}

/** A match between the operator context and threat events. */
export interface ContextMatch {
  ctx_id: string;
  kind: 'red_team' | 'change_window' | 'automation' | 'crown_jewel';
  event_ids: string[];
  detail: string;
}

/** Facts of the operator context. */
export interface ContextFacts {
  has_context: boolean;
  matches: ContextMatch[];
  /** Every threat event matches a declared red-team marker, principal or IP. */
  red_team_covers_all: boolean;
  /** Every threat event is inside a change window (and by a listed principal when the window names principals). */
  change_window_covers_all: boolean;
  /** The threat's principals are all declared automation principals. */
  automation_principal: boolean;
  crown_jewels_touched: string[];
  /** Attack-simulation user agents NOT declared by the operator: leads to confirm. */
  undeclared_tool_markers: Array<{ tool: string; user_agent: string; event_ids: string[] }>;
}

function ipMatches(ip: string | null, decl: string): boolean {
  if (!ip) return false;
  if (!decl.includes('/')) return ip === decl;
  const [net, bitsS] = decl.split('/');
  const bits = Number(bitsS);
  const toInt = (s: string): number | undefined => {
    const p = s.split('.').map(Number);
    if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
    return (((p[0] as number) << 24) | ((p[1] as number) << 16) | ((p[2] as number) << 8) | (p[3] as number)) >>> 0;
  };
  const a = toInt(ip);
  const b = net ? toInt(net) : undefined;
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

/** Compute context matches for the threat events (pure over its inputs). */
export function contextMatches(ctx: OperatorContext, events: readonly EventDetail[]): ContextFacts {
  const matches: ContextMatch[] = [];
  const redTeamCovered = new Set<string>();
  const windowCovered = new Set<string>();
  const who = (e: EventDetail): string[] => [e.actor, e.assumed_from, e.actor_name].filter((x): x is string => x !== null);
  ctx.red_team.user_agent_markers.forEach((m, i) => {
    const ids = events.filter((e) => e.user_agent !== null && e.user_agent.toLowerCase().includes(m.toLowerCase())).map((e) => e.id);
    if (ids.length > 0) {
      ids.forEach((id) => redTeamCovered.add(id));
      matches.push({ ctx_id: `ctx:red_team.user_agent_markers[${i}]`, kind: 'red_team', event_ids: ids, detail: `user agent contains the declared red-team marker "${m}"` });
    }
  });
  ctx.red_team.principals.forEach((p, i) => {
    const ids = events.filter((e) => who(e).includes(p)).map((e) => e.id);
    if (ids.length > 0) {
      ids.forEach((id) => redTeamCovered.add(id));
      matches.push({ ctx_id: `ctx:red_team.principals[${i}]`, kind: 'red_team', event_ids: ids, detail: `principal ${p} is a declared red-team principal` });
    }
  });
  ctx.red_team.source_ips.forEach((p, i) => {
    const ids = events.filter((e) => ipMatches(e.src_ip ?? e.src_host, p)).map((e) => e.id);
    if (ids.length > 0) {
      ids.forEach((id) => redTeamCovered.add(id));
      matches.push({ ctx_id: `ctx:red_team.source_ips[${i}]`, kind: 'red_team', event_ids: ids, detail: `source ${p} is a declared red-team address` });
    }
  });
  // Exercise scope: the exercise's own set-up and clean-up calls (same principal or session, same source, around the
  // marked calls) rarely carry the marker; they are part of the exercise all the same.
  const marked = events.filter((e) => redTeamCovered.has(e.id));
  if (marked.length > 0) {
    const first = Math.min(...marked.map((e) => e.time_ms)) - EXERCISE_PAD_MS;
    const last = Math.max(...marked.map((e) => e.time_ms)) + EXERCISE_PAD_MS;
    const pairs = new Set(marked.flatMap((e) => who(e).concat(e.session ?? []).map((p) => `${p}\u0000${e.src_ip ?? e.src_host ?? ''}`)));
    const ids = events
      .filter((e) => !redTeamCovered.has(e.id) && e.time_ms >= first && e.time_ms <= last)
      .filter((e) => who(e).concat(e.session ?? []).some((p) => pairs.has(`${p}\u0000${e.src_ip ?? e.src_host ?? ''}`)))
      .map((e) => e.id);
    if (ids.length > 0) {
      ids.forEach((id) => redTeamCovered.add(id));
      matches.push({
        ctx_id: matches.find((m) => m.kind === 'red_team')?.ctx_id ?? 'ctx:red_team',
        kind: 'red_team',
        event_ids: ids,
        detail: `${ids.length} event(s) without the marker by the same principal or session from the same source within the exercise's span (${new Date(first).toISOString()} .. ${new Date(last).toISOString()}, its marked calls padded by ${EXERCISE_PAD_MS / 60_000} min for set-up and clean-up)`,
      });
    }
  }
  ctx.change_windows.forEach((w, i) => {
    const start = Date.parse(w.start);
    const end = Date.parse(w.end);
    const ids = events
      .filter((e) => e.time_ms >= start && e.time_ms < end && (w.principals.length === 0 || who(e).some((x) => w.principals.includes(x))))
      .map((e) => e.id);
    if (ids.length > 0) {
      ids.forEach((id) => windowCovered.add(id));
      matches.push({
        ctx_id: `ctx:change_windows[${i}]`,
        kind: 'change_window',
        event_ids: ids,
        detail: `inside change window ${w.id} (${w.start} .. ${w.end})${w.principals.length > 0 ? ' by a principal it names' : ''}`,
      });
    }
  });
  let autoAll = events.length > 0;
  const autoIds = new Set<string>();
  ctx.automation_principals.forEach((p, i) => {
    const ids = events.filter((e) => who(e).includes(p)).map((e) => e.id);
    if (ids.length > 0) {
      ids.forEach((id) => autoIds.add(id));
      matches.push({ ctx_id: `ctx:automation_principals[${i}]`, kind: 'automation', event_ids: ids, detail: `${p} is a declared automation principal` });
    }
  });
  if (autoIds.size < events.length) autoAll = false;
  const touched: string[] = [];
  ctx.crown_jewels.forEach((j, i) => {
    const ids = events.filter((e) => parseResources(e.resources).some((r) => r === j || r.startsWith(`${j}/`))).map((e) => e.id);
    if (ids.length > 0) {
      touched.push(j);
      matches.push({ ctx_id: `ctx:crown_jewels[${i}]`, kind: 'crown_jewel', event_ids: ids, detail: `touches crown jewel ${j}` });
    }
  });
  const undeclared: ContextFacts['undeclared_tool_markers'] = [];
  for (const t of ATTACK_TOOL_MARKERS) {
    const evs = events.filter((e) => e.user_agent !== null && t.re.test(e.user_agent) && !redTeamCovered.has(e.id));
    if (evs.length > 0) undeclared.push({ tool: t.name, user_agent: evs[0]?.user_agent ?? '', event_ids: evs.map((e) => e.id) });
  }
  const ctxEmpty =
    ctx.change_windows.length === 0 &&
    ctx.red_team.user_agent_markers.length === 0 &&
    ctx.red_team.principals.length === 0 &&
    ctx.red_team.source_ips.length === 0 &&
    ctx.automation_principals.length === 0 &&
    ctx.crown_jewels.length === 0;
  return {
    has_context: !ctxEmpty,
    matches,
    red_team_covers_all: events.length > 0 && events.every((e) => redTeamCovered.has(e.id)),
    change_window_covers_all: events.length > 0 && events.every((e) => windowCovered.has(e.id)),
    automation_principal: autoAll,
    crown_jewels_touched: touched,
    undeclared_tool_markers: undeclared,
  };
}

function operatorContext(env: ToolEnv): ToolResult {
  const ctx = env.context;
  const { events } = threatEvents(env);
  const facts = contextMatches(ctx, events);
  const matched = new Map<string, string[]>();
  for (const m of facts.matches) matched.set(m.ctx_id, m.event_ids);
  const rows: ToolRow[] = [];
  const row = (id: string, kind: string, value: string, extra: Record<string, string | null> = {}): void => {
    rows.push({ evidence_id: id, evidence_kind: 'context', kind, value, ...extra, matched_event_ids: (matched.get(id) ?? []).slice(0, 20) });
  };
  ctx.change_windows.forEach((w, i) =>
    row(`ctx:change_windows[${i}]`, 'change_window', w.id, { start: w.start, end: w.end, principals: w.principals.join(', ') || null, description: w.description ?? null }),
  );
  ctx.red_team.user_agent_markers.forEach((m, i) => row(`ctx:red_team.user_agent_markers[${i}]`, 'red_team_user_agent_marker', m));
  ctx.red_team.principals.forEach((m, i) => row(`ctx:red_team.principals[${i}]`, 'red_team_principal', m));
  ctx.red_team.source_ips.forEach((m, i) => row(`ctx:red_team.source_ips[${i}]`, 'red_team_source_ip', m));
  ctx.automation_principals.forEach((m, i) => row(`ctx:automation_principals[${i}]`, 'automation_principal', m));
  ctx.crown_jewels.forEach((m, i) => row(`ctx:crown_jewels[${i}]`, 'crown_jewel', m));
  if (ctx.incident.aware_at) row('ctx:incident.aware_at', 'incident_aware_at', ctx.incident.aware_at);
  // Operator context is trusted (the operator wrote it): it is not scanned as log data, but still capped.
  const res = finish(
    env,
    'operator_context',
    {},
    rows,
    rows.length,
    !facts.has_context
      ? 'no operator context (context.yaml is missing or empty): no change windows, red-team markers, automation principals or crown jewels declared'
      : `${facts.matches.length} match(es) with the threat: ${facts.matches.map((m) => m.detail).join('; ') || 'none'}${facts.undeclared_tool_markers.length > 0 ? `; UNDECLARED attack-tool user agent(s): ${facts.undeclared_tool_markers.map((u) => u.tool).join(', ')}` : ''}`,
    facts as unknown as Record<string, unknown>,
    200,
  );
  return { ...res, injection_flags: [] };
}

function assetContext(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['asset_context']>): ToolResult {
  const resources = a.resource !== undefined ? [a.resource] : threatEvents(env).facts.resources.slice(0, 50);
  const { rows, inventoryEvents } = assetEvents(env.db, resources, env.caps.rows);
  const jewels = env.context.crown_jewels.filter((j) => resources.some((r) => r === j || r.startsWith(`${j}/`)));
  // What the providers find exposed in these inventory records (firewall open to the internet, public bucket...).
  const exposure: string[] = [];
  for (const e of rows) {
    const raw = rawTextOfEvent(env.db, e.id);
    if (raw === undefined) continue;
    try {
      exposure.push(...exposureFindings(e.provider, e.data_type, JSON.parse(raw) as unknown));
    } catch {
      // a context record that is not JSON has no findings
    }
  }
  return finish(
    env,
    'asset_context',
    a,
    rows.map((e) => eventRow(e)),
    rows.length,
    inventoryEvents === 0
      ? `no asset inventory collected in this case; the threat names ${resources.length} resource(s)${jewels.length > 0 ? `, crown jewels among them: ${jewels.join(', ')}` : ''}`
      : `${rows.length} inventory record(s) for ${resources.length} resource(s)${jewels.length > 0 ? `; crown jewels: ${jewels.join(', ')}` : ''}${exposure.length > 0 ? `; exposure: ${exposure.join('; ')}` : ''}`,
    { inventory_collected: inventoryEvents > 0, resources, crown_jewels: jewels, exposure },
  );
}

function pastInvestigations(env: ToolEnv, a: z.infer<(typeof TOOL_ARGS)['past_investigations']>): ToolResult {
  const { facts: tf } = threatEvents(env);
  const mine = { rules: new Set(tf.rule_ids), techniques: new Set(env.threat.techniques), principals: new Set(Object.keys(tf.principals)) };
  const scored = latestInvestigationsExcept(env.db, env.threat.id, 200).map((inv) => {
    let threat: { title?: string; techniques?: string[]; rule_ids?: string[]; principals?: string[] } = {};
    try {
      const r = JSON.parse(inv.result) as { threat?: typeof threat };
      threat = r.threat ?? {};
    } catch {
      // an unreadable stored result only lowers similarity
    }
    const shared = [
      ...(threat.rule_ids ?? []).filter((x) => mine.rules.has(x)).map((x) => `rule ${x}`),
      ...(threat.techniques ?? []).filter((x) => mine.techniques.has(x)).map((x) => `technique ${x}`),
      ...(threat.principals ?? []).filter((x) => mine.principals.has(x)).map((x) => `principal ${x}`),
    ];
    const overrides = overridesOf(env.db, inv.threat_id);
    const last = overrides[overrides.length - 1];
    return { inv, title: threat.title ?? '', shared, analyst: last ? `${last.verdict}: ${last.reason}` : null };
  });
  const similar = scored.filter((s) => s.shared.length > 0).sort((x, y) => y.shared.length - x.shared.length || y.inv.started_at.localeCompare(x.inv.started_at));
  const limit = Math.min(a.limit ?? 10, env.caps.maxRows);
  return finish(
    env,
    'past_investigations',
    a,
    similar.map((s) => ({
      evidence_id: `inv:${s.inv.id}`,
      evidence_kind: 'investigation',
      threat_id: s.inv.threat_id,
      title: s.title,
      verdict: s.inv.verdict,
      confidence: s.inv.confidence,
      engine: s.inv.engine,
      time: s.inv.started_at,
      shared: s.shared,
      analyst_decision: s.analyst,
    })),
    similar.length,
    scored.length === 0 ? 'no other threat has been investigated in this case' : `${similar.length} similar investigation(s) among ${scored.length} other investigated threat(s)`,
    { investigated: scored.length, similar: similar.length, analyst_decisions: similar.filter((s) => s.analyst !== null).map((s) => ({ threat_id: s.inv.threat_id, decision: s.analyst })) },
    limit,
  );
}

/** Run a tool with unvalidated arguments (from the model or the CLI). Throws ToolArgumentError on bad arguments. */
export function runTool(env: ToolEnv, name: string, rawArgs: unknown): ToolResult {
  if (!(name in TOOL_ARGS)) throw new ToolArgumentError(`unknown tool "${name}"; tools: ${Object.keys(TOOL_ARGS).join(', ')}`);
  const tool = name as ToolName;
  const parsed = TOOL_ARGS[tool].safeParse(rawArgs ?? {});
  if (!parsed.success) {
    throw new ToolArgumentError(`invalid arguments for ${tool}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ')}`);
  }
  switch (tool) {
    case 'get_threat':
      return getThreat(env, parsed.data as z.infer<(typeof TOOL_ARGS)['get_threat']>);
    case 'search_events':
      return searchEvents(env, parsed.data as z.infer<(typeof TOOL_ARGS)['search_events']>);
    case 'entity_profile':
      return entityProfile(env, parsed.data as z.infer<(typeof TOOL_ARGS)['entity_profile']>);
    case 'related_entities':
      return related(env, parsed.data as z.infer<(typeof TOOL_ARGS)['related_entities']>);
    case 'timeline':
      return timeline(env, parsed.data as z.infer<(typeof TOOL_ARGS)['timeline']>);
    case 'log_coverage':
      return logCoverage(env, parsed.data as z.infer<(typeof TOOL_ARGS)['log_coverage']>);
    case 'operator_context':
      return operatorContext(env);
    case 'asset_context':
      return assetContext(env, parsed.data as z.infer<(typeof TOOL_ARGS)['asset_context']>);
    case 'past_investigations':
      return pastInvestigations(env, parsed.data as z.infer<(typeof TOOL_ARGS)['past_investigations']>);
  }
}
