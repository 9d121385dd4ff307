/**
 * Building detection hits: the events a rule fired on, their time span, the entities involved and a one-line summary.
 * Pure.
 */
import type { DetectEvent as EventRow } from '../normalize/event-row.js';
import type { CompiledRule } from './compiled.js';
import { eventEntities, parseResources } from '../sources/index.js';
import type { DetectInput, DetectionHit } from './types.js';

/** Most event ids kept on one hit (a discovery burst can span thousands; `eventCount` has the total). */
export const MAX_HIT_EVENTS = 1000;
const MAX_ENTITIES = 64;

/** Entities an event involves (kinds of the DetectionHit contract); at most 16 of its resources. */
export function entitiesOf(e: EventRow): Array<{ kind: string; value: string }> {
  return eventEntities(e, { resources: parseResources(e.resources).slice(0, 16), servicePrincipals: true });
}

/** Strip control characters and bound the length of a value shown in a summary (log content is attacker-controlled). */
export function clean(v: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const s = v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A hit under construction (stateful rules extend it while the activity continues). */
export class HitBuilder {
  readonly hit: DetectionHit & { eventCount: number };
  private readonly ents = new Set<string>();
  /** Entity sources already added (a long burst repeats the same actor, address and resources). */
  private readonly seenSources = new Set<string>();

  constructor(rule: CompiledRule) {
    this.hit = { rule: rule.meta, eventIds: [], firstMs: Number.POSITIVE_INFINITY, lastMs: Number.NEGATIVE_INFINITY, summary: '', entities: [], eventCount: 0 };
  }

  /** Add one event (in time order). */
  add(e: EventRow): void {
    const h = this.hit;
    h.eventCount++;
    if (h.eventIds.length < MAX_HIT_EVENTS) h.eventIds.push(e.id);
    if (e.time_ms < h.firstMs) h.firstMs = e.time_ms;
    if (e.time_ms > h.lastMs) h.lastMs = e.time_ms;
    if (h.entities.length >= MAX_ENTITIES) return;
    const src = `${e.actor ?? ''}\u0000${e.access_key ?? ''}\u0000${e.session ?? ''}\u0000${e.src_ip ?? ''}\u0000${e.account ?? ''}\u0000${e.resources}`;
    if (this.seenSources.has(src)) return;
    if (this.seenSources.size < 10_000) this.seenSources.add(src);
    for (const ent of entitiesOf(e)) {
      const k = `${ent.kind}\u0000${ent.value}`;
      if (this.ents.has(k) || h.entities.length >= MAX_ENTITIES) continue;
      this.ents.add(k);
      h.entities.push(ent);
    }
  }
}

/** Render a summary template against the triggering event; `{name}` is a field, `extra` names win. */
export function renderSummary(rule: CompiledRule, input: DetectInput, extra: Record<string, string | number> = {}): string {
  const e = input.event;
  const who = e.actor_name ?? e.actor ?? 'an unknown principal';
  if (!rule.summary) {
    const from = e.src_ip ?? e.src_host;
    return clean(`${rule.meta.title}: ${e.action} by ${who}${from ? ` from ${from}` : ''}`, 400);
  }
  // `{field}` or `{field|default}` (the default is used when the field is absent; `{field|}` shows nothing).
  const text = rule.summary.replace(/\{([A-Za-z0-9_.]+)(?:\|([^}]*))?\}/g, (_m, name: string, dflt: string | undefined) => {
    if (Object.hasOwn(extra, name)) return clean(String(extra[name]));
    if (name === 'who') return clean(who);
    let vals: unknown[];
    try {
      vals = rule.getter(name)(input);
    } catch {
      vals = [];
    }
    const v = vals.find((x) => x !== null && x !== undefined);
    if (v === undefined) return dflt ?? '?';
    return clean(typeof v === 'string' ? v : JSON.stringify(v));
  });
  return clean(text, 400);
}
