/**
 * The attack timeline of a threat: every event involving the threat's entities within its window (plus a margin),
 * in time order, each marked with its layer, the detections it triggered and their ATT&CK tactics; runs of
 * identical events collapsed; and the blast radius. Used by `irctl timeline`, and reused by investigate and export.
 */
import { UsageError } from '../errors.js';
import { eventExcerpts, matchingRowids, type EventFilter, type EventRow } from '../store/query-repo.js';
import type { Db } from '../store/db.js';
import {
  detectionsOfEvents,
  entityEventCount,
  eventsForEntities,
  issuingEvents,
  threatIdRow,
  threatRow,
  windowEventCount,
  type TimelineEntityKind,
} from '../store/detect-repo.js';
import { computeBlastRadius, type BlastRadius } from './blast-radius.js';

/** Default margin around the threat's first and last detection: 1 hour. */
export const DEFAULT_MARGIN_MS = 3_600_000;
/** Default maximum number of events in one timeline. */
export const DEFAULT_EVENT_LIMIT = 100_000;

/** Options of {@link buildTimeline}. */
export interface TimelineOptions {
  /** Margin before the first and after the last detection, ms. @default 3_600_000 (1 h) */
  marginMs?: number | undefined;
  /** Collapse consecutive identical events into one entry with a count. @default true */
  collapse?: boolean | undefined;
  /** At most this many events are read; `truncated` says when more exist. @default 100_000 */
  limit?: number | undefined;
  /**
   * Narrow the timeline with the filters of `irctl events` (actor, key, IP, action, service, resource): its time
   * bounds clip the window, the other filters apply to the events read (`limit` counts events before them).
   */
  filter?: EventFilter | undefined;
  /** Keep only events of these layers (`--layer ai,workload`); the blast radius is then that of the events shown. */
  layers?: readonly string[] | undefined;
}

/** A detection an event triggered. */
export interface EntryDetection {
  /** Rule id (Sigma UUID or built-in id). */
  rule_id: string;
  /** Rule title. */
  rule_title: string;
  /** Rule severity. */
  severity: string;
  /** Detection fingerprint (stable across runs). */
  fingerprint: string;
}

/**
 * One line of the timeline: one event, or a burst (`count` > 1) of one principal's calls from one source: the same
 * action repeated, or read-only calls of one service (a discovery or refresh burst), with no pause over
 * {@link BURST_GAP_MS} between them.
 */
export interface TimelineEntry {
  /** Time of the (first) event, UTC ISO 8601 with ms. */
  time: string;
  /** Time of the last event of the run (equals `time` when `count` is 1). */
  last_time: string;
  /** Epoch ms of `time`. */
  time_ms: number;
  /** Events in this entry (1 unless collapsed). */
  count: number;
  /** Event ids, time order. */
  event_ids: string[];
  /** Telemetry layer (control_plane, identity, workload, ai, network, context). */
  layer: string;
  /** Provider (aws, ...). */
  provider: string;
  /** Record type of the events (`<provider>:<log>:<record>`; collapsed entries share it). */
  data_type: string;
  /** Event class. */
  class: string;
  /** Service (iam, s3, ...). */
  service: string | null;
  /** Operation name (of the first event of a burst). */
  action: string;
  /** Distinct `service:action` of the entry's events, first seen first (one unless a read-only burst). */
  actions: string[];
  /** Principal ARN or name. */
  actor: string | null;
  /** Access key used. */
  access_key: string | null;
  /** Session identity. */
  session: string | null;
  /** Source IP, or a non-IP source such as an AWS service host. */
  source: string | null;
  /** User agent. */
  user_agent: string | null;
  /** success | failure | unknown. */
  outcome: string;
  /** Provider error code on failure. */
  error_code: string | null;
  /** Region. */
  region: string | null;
  /** Account. */
  account: string | null;
  /** Target resources (union over the run). */
  resources: string[];
  /** ATT&CK tactics of the detections this event triggered (empty when none). */
  tactics: string[];
  /** Detections this event (any event of the run) triggered; empty when none. */
  detections: EntryDetection[];
  /**
   * Excerpt of untrusted text the (first) event carries, as its adapter made it (an AI invocation's prompt and
   * output: sanitized, cut, quoted); null when none. Renderers escape it again and label it untrusted.
   */
  excerpt: string | null;
}

/** The threat as shown above its timeline. */
export interface TimelineThreat {
  id: string;
  title: string;
  severity: string;
  priority: number;
  first_seen: string;
  last_seen: string;
  techniques: string[];
  tactics: string[];
  context_notes: string[];
}

/** A built timeline. */
export interface Timeline {
  threat: TimelineThreat;
  /** Window searched: the threat's span widened by the margin. */
  window: { from: string; to: string; margin_ms: number };
  /** Entities whose events were gathered (the threat's linking entities, minus shared infrastructure). */
  entities: Array<{ kind: TimelineEntityKind; value: string }>;
  /** Entries in time order. */
  entries: TimelineEntry[];
  /** Events read (before collapsing). */
  events: number;
  /** True when the limit stopped reading: more events exist in the window. */
  truncated: boolean;
  /** What the threat's actors reached. */
  blast_radius: BlastRadius;
  /** Query plan used (`entities`: per-entity index look-ups; `scan`: walk the window). */
  plan: 'entities' | 'scan';
}

const TIMELINE_KINDS: ReadonlySet<string> = new Set(['principal', 'access_key', 'session', 'ip', 'instance', 'host', 'container', 'pod', 'interface', 'private_ip']);

/** Parse a JSON column that should hold an array. */
function jsonArray<T>(s: string): T[] {
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

/** Throw the UsageError for an id that names no current threat (retired ids say where they went). */
function unknownThreat(db: Db, id: string): never {
  const reg = threatIdRow(db, id);
  if (reg?.merged_into) {
    throw new UsageError(`threat ${id} was merged into ${reg.merged_into} by a later \`irctl detect\` run`, {
      hint: `Use ${reg.merged_into}: \`irctl timeline ${reg.merged_into}\`.`,
    });
  }
  if (reg) {
    throw new UsageError(`threat ${id} has no detections in the latest \`irctl detect\` run`, {
      hint: 'Its rules no longer fire (rules or evidence changed). Run `irctl threats` to list the current threats.',
    });
  }
  throw new UsageError(`no threat ${JSON.stringify(id)} in this case`, {
    hint: 'Run `irctl threats` to list threat ids (run `irctl detect` first if the list is empty).',
  });
}

/** Normalize what users type (`t-3`, `3`) to `T-3`. */
export function normalizeThreatId(s: string): string {
  const v = s.trim();
  if (/^\d+$/.test(v)) return `T-${v}`;
  const m = /^t-(\d+)$/i.exec(v);
  return m ? `T-${m[1]}` : v;
}

/** Longest pause inside one burst. */
export const BURST_GAP_MS = 10 * 60_000;

/**
 * Key of events that belong to one burst: same record type, actor, source, outcome and detections, and either the
 * same action, or any read-only action of one service (the action family of discovery and refresh bursts: reading
 * secrets and downloading objects stay two lines).
 */
function runKey(e: EventRow, dets: readonly EntryDetection[]): string {
  const family = e.read_only === 1 && e.outcome === 'success' ? `read-only\u0000${e.service ?? ''}` : `${e.service ?? ''}:${e.action}\u0000${e.error_code ?? ''}`;
  return [e.data_type, e.actor, e.src_ip ?? e.src_host, e.outcome, family, dets.map((d) => d.fingerprint).join(',')].join('\u0000');
}

/**
 * Build entries from events in time order, collapsing bursts when asked (pure). A burst stays open while its events
 * keep coming within {@link BURST_GAP_MS}, even when other principals' events fall between them, so an interleaved
 * refresh of thousands of calls is one line; the entry sits where the burst began.
 */
export function toEntries(
  rows: readonly EventRow[],
  detsByEvent: ReadonlyMap<string, EntryDetection[]>,
  tacticsByEvent: ReadonlyMap<string, string[]>,
  collapse: boolean,
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const open = new Map<string, { entry: TimelineEntry; lastMs: number; resources: Set<string> }>();
  for (const e of rows) {
    const dets = detsByEvent.get(e.id) ?? [];
    const key = runKey(e, dets);
    const burst = collapse ? open.get(key) : undefined;
    const resources = jsonArray<string>(e.resources).filter((r) => typeof r === 'string');
    const op = `${e.service ?? ''}:${e.action}`;
    if (burst && e.time_ms - burst.lastMs <= BURST_GAP_MS) {
      const prev = burst.entry;
      prev.count++;
      prev.last_time = e.time;
      prev.event_ids.push(e.id);
      burst.lastMs = e.time_ms;
      if (!prev.actions.includes(op)) prev.actions.push(op);
      for (const r of resources) {
        if (burst.resources.has(r)) continue;
        burst.resources.add(r);
        prev.resources.push(r);
      }
      continue;
    }
    const entry: TimelineEntry = {
      time: e.time,
      last_time: e.time,
      time_ms: e.time_ms,
      count: 1,
      event_ids: [e.id],
      layer: e.layer,
      provider: e.provider,
      data_type: e.data_type,
      class: e.class,
      service: e.service,
      action: e.action,
      actions: [op],
      actor: e.actor,
      access_key: e.access_key,
      session: e.session,
      source: e.src_ip ?? e.src_host,
      user_agent: e.user_agent,
      outcome: e.outcome,
      error_code: e.error_code,
      region: e.region,
      account: e.account,
      resources,
      tactics: tacticsByEvent.get(e.id) ?? [],
      detections: dets,
      excerpt: e.excerpt ?? null,
    };
    out.push(entry);
    if (collapse) open.set(key, { entry, lastMs: e.time_ms, resources: new Set(resources) });
  }
  return out;
}

/**
 * Build the timeline of one threat. Throws UsageError for an unknown or retired id.
 *
 * Plan choice: the events are the union, over the threat's linking entities, of that entity's events inside the
 * window. When the entities' total event counts (cheap, from the entities index) are smaller than the number of
 * events in the window (cheap, from the time index), each entity's rows are looked up; otherwise the window is
 * walked. That keeps a busy entity (a CI role with a million events) and a busy window both fast.
 */
export function buildTimeline(db: Db, threatIdArg: string, opts: TimelineOptions = {}): Timeline {
  const id = normalizeThreatId(threatIdArg);
  const t = threatRow(db, id);
  if (!t) unknownThreat(db, id);
  const margin = opts.marginMs ?? DEFAULT_MARGIN_MS;
  const limit = opts.limit ?? DEFAULT_EVENT_LIMIT;
  const f = opts.filter;
  // The window is inclusive at both ends; --until is exclusive.
  const from = Math.max(t.first_ms - margin, f?.sinceMs ?? -Infinity);
  const to = Math.min(t.last_ms + margin, f?.untilMs === undefined ? Infinity : f.untilMs - 1);
  const ents = jsonArray<{ kind: string; value: string; common?: boolean }>(t.entities)
    .filter((e) => TIMELINE_KINDS.has(e.kind) && e.common !== true)
    // A workload's own address is an address: its events are those from that source.
    .map((e) => ({ kind: (e.kind === 'private_ip' ? 'ip' : e.kind) as TimelineEntityKind, value: e.value }));
  let entityTotal = 0;
  for (const e of ents) entityTotal += entityEventCount(db, e.kind, e.value);
  const plan: 'entities' | 'scan' = entityTotal <= windowEventCount(db, from, to) ? 'entities' : 'scan';
  let rows = from > to ? [] : eventsForEntities(db, ents, from, to, plan, limit + 1);
  const truncated = rows.length > limit;
  if (truncated) rows.length = limit;
  // Identity hops: a threat that uses a key or session starts where it was issued, however long before the window
  // (unless --since clips the window: then nothing before it is shown).
  if (f?.sinceMs === undefined) {
    const seen = new Set(rows.map((r) => r.id));
    const issued: EventRow[] = [];
    // A session ARN is reused by every session of one role and name (an instance profile every few hours, a person
    // each sign-in): the issuing event is the latest one before the window, and none is looked for when the window
    // already holds one.
    const handedOut = new Set<string>();
    for (const r of rows) {
      if (!r.related || r.related === '[]') continue;
      for (const pair of jsonArray<unknown>(r.related)) if (Array.isArray(pair)) handedOut.add(`${String(pair[0])}\u0000${String(pair[1])}`);
    }
    const issuedInWindow = (kind: string, value: string): boolean => handedOut.has(`${kind}\u0000${value}`);
    for (const e of ents) {
      if (e.kind !== 'access_key' && e.kind !== 'session') continue;
      if (issuedInWindow(e.kind, e.value)) continue;
      for (const r of issuingEvents(db, e.kind, e.value, from, 1)) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        issued.push(r);
      }
    }
    if (issued.length > 0) rows.unshift(...issued.sort((a, b) => a.time_ms - b.time_ms || (a.id < b.id ? -1 : 1)));
  }
  if (f && narrows(f)) {
    const keep = matchingRowids(db, rows.map((r) => r.rowid), { ...f, sinceMs: undefined, untilMs: undefined, limit: undefined });
    rows = rows.filter((r) => keep.has(r.rowid));
  }

  if (opts.layers && opts.layers.length > 0) {
    const keep = new Set(opts.layers);
    rows = rows.filter((r) => keep.has(r.layer));
  }

  const dets = detectionsOfEvents(
    db,
    rows.map((r) => r.id),
  );
  const detsByEvent = new Map<string, EntryDetection[]>();
  const tacticsByEvent = new Map<string, string[]>();
  for (const [eventId, list] of dets) {
    detsByEvent.set(
      eventId,
      list.map((d) => ({ rule_id: d.rule_id, rule_title: d.rule_title, severity: d.severity, fingerprint: d.fingerprint })),
    );
    tacticsByEvent.set(eventId, [...new Set(list.flatMap((d) => jsonArray<string>(d.tactics)))].sort());
  }
  const excerpts = eventExcerpts(
    db,
    rows.map((r) => r.id),
  );
  if (excerpts.size > 0) for (const r of rows) r.excerpt = excerpts.get(r.id) ?? null;
  const entries = toEntries(rows, detsByEvent, tacticsByEvent, opts.collapse !== false);
  return {
    threat: {
      id: t.id,
      title: t.title,
      severity: t.severity,
      priority: t.priority,
      first_seen: t.first_seen,
      last_seen: t.last_seen,
      techniques: jsonArray<string>(t.techniques),
      tactics: jsonArray<string>(t.tactics),
      context_notes: jsonArray<string>(t.context_notes),
    },
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), margin_ms: margin },
    entities: ents,
    entries,
    events: rows.length,
    truncated,
    blast_radius: computeBlastRadius(rows),
    plan,
  };
}

/** Does a filter narrow events beyond time? */
function narrows(f: EventFilter): boolean {
  return [f.actor, f.accessKey, f.srcIp, f.action, f.service, f.resource, f.provider, f.layer, f.outcome].some((v) => v !== undefined);
}
