/**
 * Stateful rule evaluators (threshold, sequence, new_value, shared_value, spike). Each sees, in time order, the events that
 * matched its rule's condition, and keeps bounded per-group state. Pure (state lives in the evaluator object).
 */
import type { DetectEvent as EventRow } from '../normalize/event-row.js';
import type { CompiledRule, StatefulSpec } from './compiled.js';
import type { FieldGetter } from './fields.js';
import { HitBuilder, renderSummary } from './hits.js';
import type { DetectInput, DetectionHit } from './types.js';

/** Evaluates one stateful rule over a time-ordered stream. */
export interface StatefulEvaluator {
  /** Feed one event that matched the rule's condition. */
  feed(input: DetectInput): void;
  /** Hits produced so far. */
  hits(): DetectionHit[];
}

type Item = { ms: number; ev: EventRow; v?: string | undefined; n?: number | undefined };

/** A numeric value of a field (a number, or a string of digits), for sums; undefined when it has none. */
function num(get: FieldGetter, input: DetectInput): number | undefined {
  for (const v of get.single ? [get.single(input)] : get(input)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(?:\.\d+)?$/.test(v) ? Number(v) : undefined;
    if (n !== undefined && Number.isFinite(n)) return n;
  }
  return undefined;
}

/** First non-null value of a field as a string (group keys and counted values). */
function str(get: FieldGetter, input: DetectInput): string | undefined {
  if (get.single !== undefined) {
    const v = get.single(input);
    return v === null || v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
  }
  for (const v of get(input)) {
    if (v === null || v === undefined) continue;
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return undefined;
}

/** Group key of an event, or undefined when a group-by field is missing (the event is then ignored). */
function groupKey(groupBy: readonly FieldGetter[], input: DetectInput): string | undefined {
  if (groupBy.length === 0) return '';
  if (groupBy.length === 1) return str(groupBy[0] as FieldGetter, input);
  const parts: string[] = [];
  for (const g of groupBy) {
    const v = str(g, input);
    if (v === undefined) return undefined;
    parts.push(v);
  }
  return parts.join('\u0000');
}

/** A large amount in binary units (`1.5 GiB` for bytes), for summaries. */
export function humanAmount(n: number): string {
  const units = ['', ' Ki', ' Mi', ' Gi', ' Ti', ' Pi'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? String(n) : `${v.toFixed(1)}${units[i] ?? ''}`;
}

const fmtWindow = (ms: number): string =>
  ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;

/** Create the evaluator of a stateful rule. */
export function createEvaluator(rule: CompiledRule, spec: StatefulSpec): StatefulEvaluator {
  switch (spec.type) {
    case 'threshold':
      return threshold(rule, spec);
    case 'sequence':
      return sequence(rule, spec);
    case 'new_value':
      return newValue(rule, spec);
    case 'shared_value':
      return sharedValue(rule, spec);
    case 'travel':
      return travel(rule, spec);
    case 'spike':
      return spike(rule, spec);
  }
}

function threshold(rule: CompiledRule, spec: Extract<StatefulSpec, { type: 'threshold' }>): StatefulEvaluator {
  type G = { q: Item[]; head: number; counts: Map<string, number>; total: number; open?: { b: HitBuilder; last: number } | undefined };
  const groups = new Map<string, G>();
  const out: HitBuilder[] = [];
  return {
    feed(input) {
      const key = groupKey(spec.groupBy, input);
      if (key === undefined) return;
      const ms = input.event.time_ms;
      let g = groups.get(key);
      if (!g) {
        g = { q: [], head: 0, counts: new Map(), total: 0 };
        groups.set(key, g);
      }
      if (g.open && ms - g.open.last <= spec.windowMs) {
        // The burst goes on: extend the open hit and keep the window moving.
        g.open.b.add(input.event);
        g.open.last = ms;
      } else g.open = undefined;
      const v = spec.distinct ? str(spec.distinct.get, input) : undefined;
      if (spec.distinct && v === undefined) return;
      const n = spec.sum ? num(spec.sum.get, input) : undefined;
      if (spec.sum && n === undefined) return;
      g.q.push({ ms, ev: input.event, v, n });
      if (v !== undefined) g.counts.set(v, (g.counts.get(v) ?? 0) + 1);
      if (n !== undefined) g.total += n;
      while (g.head < g.q.length && (g.q[g.head]?.ms ?? ms) < ms - spec.windowMs) {
        const old = g.q[g.head++];
        if (old?.n !== undefined) g.total -= old.n;
        if (old?.v !== undefined) {
          const n = (g.counts.get(old.v) ?? 1) - 1;
          if (n <= 0) g.counts.delete(old.v);
          else g.counts.set(old.v, n);
        }
      }
      // Drop expired entries promptly: a window holds references to events, which would otherwise live on (and be
      // traced by every major GC) long after they left the window.
      if (g.head >= 32 && g.head * 2 >= g.q.length) {
        g.q = g.q.slice(g.head);
        g.head = 0;
      }
      if (g.open) return;
      const current = spec.distinct ? g.counts.size : spec.sum ? g.total : g.q.length - g.head;
      if (current < spec.threshold) return;
      const b = new HitBuilder(rule);
      for (let i = g.head; i < g.q.length; i++) b.add((g.q[i] as Item).ev);
      b.hit.summary = renderSummary(rule, input, {
        count: current,
        distinct: g.counts.size,
        window: fmtWindow(spec.windowMs),
        threshold: spec.threshold,
        sum: g.total,
        sum_human: humanAmount(g.total),
      });
      g.open = { b, last: ms };
      out.push(b);
    },
    hits: () => out.map((b) => b.hit),
  };
}

function sequence(rule: CompiledRule, spec: Extract<StatefulSpec, { type: 'sequence' }>): StatefulEvaluator {
  type G = { steps: Item[][] };
  const groups = new Map<string, G>();
  const out: HitBuilder[] = [];
  const n = spec.steps.length;
  return {
    feed(input) {
      const key = groupKey(spec.groupBy, input);
      if (key === undefined) return;
      const ms = input.event.time_ms;
      const matched = spec.steps.map((s) => s.pred(input));
      if (!matched.some(Boolean)) return;
      let g = groups.get(key);
      if (!g) {
        g = { steps: spec.steps.map(() => []) };
        groups.set(key, g);
      }
      const since = ms - spec.windowMs;
      for (let i = 0; i < n; i++) {
        const arr = g.steps[i] as Item[];
        let drop = 0;
        while (drop < arr.length && (arr[drop] as Item).ms < since) drop++;
        if (drop) arr.splice(0, drop);
        if (matched[i]) {
          arr.push({ ms, ev: input.event });
          if (arr.length > 4096) arr.splice(0, arr.length - 4096);
        }
      }
      let complete: boolean;
      if (spec.ordered) {
        if (!matched[n - 1]) return;
        // Cheap test first: a step with fewer events than it needs cannot complete (a busy last step, such as every
        // write to a bucket, must not walk the other steps' lists each time).
        for (let i = 0; i < n - 1; i++) if ((g.steps[i] as Item[]).length < (spec.steps[i]?.min ?? 1)) return;
        // Walk back from the last step: each earlier step needs `min` events no later than the next step's first.
        let cursor = ms;
        complete = true;
        for (let i = n - 1; i >= 0; i--) {
          const need = spec.steps[i]?.min ?? 1;
          const cands = (g.steps[i] as Item[]).filter((it) => it.ms <= cursor && (i === n - 1 || it.ev !== input.event));
          if (cands.length < need) {
            complete = false;
            break;
          }
          cursor = (cands[cands.length - need] as Item).ms;
        }
      } else {
        complete = spec.steps.every((s, i) => (g.steps[i] as Item[]).length >= s.min);
      }
      if (!complete) return;
      const b = new HitBuilder(rule);
      const all = g.steps.flat().sort((a, c) => a.ms - c.ms || (a.ev.id < c.ev.id ? -1 : a.ev.id > c.ev.id ? 1 : 0));
      const seen = new Set<string>();
      for (const it of all) {
        if (seen.has(it.ev.id)) continue;
        seen.add(it.ev.id);
        b.add(it.ev);
      }
      b.hit.summary = renderSummary(rule, input, {
        count: seen.size,
        window: fmtWindow(spec.windowMs),
        ...Object.fromEntries(spec.steps.map((_s, i) => [`step${i + 1}`, (g.steps[i] as Item[]).length])),
      });
      out.push(b);
      groups.delete(key); // fire once per completed sequence
    },
    hits: () => out.map((b) => b.hit),
  };
}

function newValue(rule: CompiledRule, spec: Extract<StatefulSpec, { type: 'new_value' }>): StatefulEvaluator {
  type G = { count: number; firstMs: number; values: Set<string> };
  const groups = new Map<string, G>();
  const out: DetectionHit[] = [];
  return {
    feed(input) {
      const key = groupKey(spec.groupBy, input);
      if (key === undefined) return;
      const ms = input.event.time_ms;
      let g = groups.get(key);
      if (!g) {
        g = { count: 0, firstMs: ms, values: new Set() };
        groups.set(key, g);
      }
      const v = str(spec.value.get, input);
      if (v !== undefined && !g.values.has(v)) {
        if (g.count >= spec.minEvents && ms - g.firstMs >= spec.minAgeMs) {
          const b = new HitBuilder(rule);
          b.add(input.event);
          b.hit.summary = renderSummary(rule, input, {
            value: v,
            baseline: g.count,
            known: [...g.values].slice(0, 5).join(', ') + (g.values.size > 5 ? `, +${g.values.size - 5} more` : ''),
          });
          out.push(b.hit);
        }
        if (g.values.size < 10_000) g.values.add(v);
      }
      g.count++;
    },
    hits: () => out,
  };
}

function sharedValue(rule: CompiledRule, spec: Extract<StatefulSpec, { type: 'shared_value' }>): StatefulEvaluator {
  const rightSeen = new Map<string, Item>();
  const pending = new Map<string, Array<Item & { key: string; input: DetectInput }>>();
  const open = new Map<string, HitBuilder>();
  const out: HitBuilder[] = [];
  const fire = (key: string, v: string, left: Item, right: Item, input: DetectInput): void => {
    const id = `${key}\u0000${v}`;
    let b = open.get(id);
    if (!b) {
      b = new HitBuilder(rule);
      const [a, c] = right.ms <= left.ms ? [right, left] : [left, right];
      b.add(a.ev);
      b.add(c.ev);
      b.hit.summary = renderSummary(rule, input, { value: v, other: right.ev.actor_name ?? right.ev.actor ?? '?' });
      open.set(id, b);
      out.push(b);
    } else b.add(left.ev);
  };
  return {
    feed(input) {
      const ms = input.event.time_ms;
      const v = str(spec.value.get, input);
      if (v === undefined) return;
      if (spec.right(input)) {
        const prev = rightSeen.get(v);
        const item = prev ?? { ms, ev: input.event };
        if (prev) {
          prev.ms = ms;
          prev.ev = input.event;
        } else rightSeen.set(v, item);
        const waiting = pending.get(v);
        if (waiting) {
          for (const l of waiting) if (ms - l.ms <= spec.windowMs) fire(l.key, v, l, item, l.input);
          pending.delete(v);
        }
      }
      if (spec.left(input)) {
        const key = groupKey(spec.groupBy, input);
        if (key === undefined) return;
        const item = { ms, ev: input.event };
        const r = rightSeen.get(v);
        if (r && ms - r.ms <= spec.windowMs) fire(key, v, item, r, input);
        else if (!open.has(`${key}\u0000${v}`)) {
          const arr = (pending.get(v) ?? []).filter((x) => ms - x.ms <= spec.windowMs);
          if (arr.length < 64) arr.push({ ...item, key, input });
          pending.set(v, arr);
        } else open.get(`${key}\u0000${v}`)?.add(input.event);
      }
    },
    hits: () => out.map((b) => b.hit),
  };
}

/** A coordinate of an event (a number, or a numeric string); undefined when absent or not a number. */
function coordinate(get: FieldGetter, input: DetectInput, limit: number): number | undefined {
  for (const v of get(input)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (Number.isFinite(n) && Math.abs(n) <= limit) return n;
  }
  return undefined;
}

/** Great-circle distance in km (haversine, mean Earth radius). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Impossible travel: consecutive events of one group whose places are farther apart than anyone can travel in the
 * time between them. With coordinates on both events: distance / time above `maxSpeedKmh` (and at least
 * `minDistanceKm`, below which geolocation is noise). Without them: the `fallback` place (e.g. the country) changed
 * within `fallbackWindowMs`. Events from the same source IP are never travel (the geolocation database moved, not
 * the person).
 */
function travel(rule: CompiledRule, spec: Extract<StatefulSpec, { type: 'travel' }>): StatefulEvaluator {
  type P = { ms: number; ev: EventRow; lat?: number | undefined; lon?: number | undefined; place?: string | undefined };
  const last = new Map<string, P>();
  const out: DetectionHit[] = [];
  const where = (p: P): string => p.place ?? (p.lat !== undefined && p.lon !== undefined ? `${p.lat.toFixed(2)},${p.lon.toFixed(2)}` : '?');
  return {
    feed(input) {
      const key = groupKey(spec.groupBy, input);
      if (key === undefined) return;
      const ms = input.event.time_ms;
      let lat = coordinate(spec.latitude.get, input, 90);
      let lon = coordinate(spec.longitude.get, input, 180);
      // (0, 0) is what exporters write for "unknown".
      if (lat === undefined || lon === undefined || (lat === 0 && lon === 0)) lat = lon = undefined;
      const place = spec.fallback ? str(spec.fallback.get, input) : undefined;
      if (lat === undefined && place === undefined) return;
      const p: P = { ms, ev: input.event, lat, lon, place };
      const prev = last.get(key);
      last.set(key, p);
      if (!prev || ms - prev.ms > spec.windowMs) return;
      if (prev.ev.src_ip !== null && prev.ev.src_ip === input.event.src_ip) return;
      const minutes = Math.round((ms - prev.ms) / 60_000);
      let extra: Record<string, string | number> | undefined;
      if (prev.lat !== undefined && prev.lon !== undefined && lat !== undefined && lon !== undefined) {
        const km = distanceKm(prev.lat, prev.lon, lat, lon);
        // Times are to the second at best: less than a minute apart counts as one minute (the speed is then a floor).
        const speed = km / (Math.max(ms - prev.ms, 60_000) / 3_600_000);
        if (km >= spec.minDistanceKm && speed > spec.maxSpeedKmh) extra = { distance: Math.round(km), speed: Math.round(speed), basis: 'coordinates' };
      } else if (prev.place !== undefined && place !== undefined && prev.place !== place && ms - prev.ms <= spec.fallbackWindowMs) {
        extra = { distance: '?', speed: '?', basis: `no coordinates, ${spec.fallback?.name ?? 'place'} changed` };
      }
      if (!extra) return;
      const b = new HitBuilder(rule);
      b.add(prev.ev);
      b.add(input.event);
      b.hit.summary = renderSummary(rule, input, { ...extra, from: where(prev), to: where(p), minutes, window: fmtWindow(spec.windowMs) });
      out.push(b.hit);
    },
    hits: () => out,
  };
}

/**
 * A numeric value far above the group's own history: after the baseline (`minEvents` earlier events over `minAgeMs`),
 * an event whose value is at least `minValue` and `factor` times the mean of the group's earlier values fires. Spikes
 * do not enter the baseline (a run of them must not raise the bar they are measured against); spikes within
 * `windowMs` of the previous one extend its detection.
 */
function spike(rule: CompiledRule, spec: Extract<StatefulSpec, { type: 'spike' }>): StatefulEvaluator {
  type G = { count: number; sum: number; firstMs: number; open?: { b: HitBuilder; last: number; max: number } | undefined };
  const groups = new Map<string, G>();
  const out: HitBuilder[] = [];
  return {
    feed(input) {
      const key = groupKey(spec.groupBy, input);
      if (key === undefined) return;
      const raw = str(spec.value.get, input);
      const v = raw === undefined ? NaN : Number(raw);
      if (!Number.isFinite(v) || v < 0) return;
      const ms = input.event.time_ms;
      let g = groups.get(key);
      if (!g) {
        g = { count: 0, sum: 0, firstMs: ms };
        groups.set(key, g);
      }
      const mean = g.count > 0 ? g.sum / g.count : 0;
      const ready = g.count >= spec.minEvents && ms - g.firstMs >= spec.minAgeMs;
      if (ready && v >= spec.minValue && v >= spec.factor * Math.max(mean, 1)) {
        if (g.open && ms - g.open.last <= spec.windowMs) {
          g.open.b.add(input.event);
          g.open.last = ms;
          g.open.max = Math.max(g.open.max, v);
          return;
        }
        const b = new HitBuilder(rule);
        b.add(input.event);
        b.hit.summary = renderSummary(rule, input, {
          value: v,
          baseline: Math.round(mean),
          factor: Math.round(v / Math.max(mean, 1)),
          count: g.count,
        });
        g.open = { b, last: ms, max: v };
        out.push(b);
        return;
      }
      g.count++;
      g.sum += v;
    },
    hits: () => out.map((b) => b.hit),
  };
}
