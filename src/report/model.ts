/**
 * The report's data model and the accumulator that builds its event-derived parts from a stream of events (so a
 * report of a million-event case costs one pass and bounded memory). Pure: no I/O, no clock.
 */
import type { RegulatoryClock } from './clocks.js';

/** A verdict as shown in the report. */
export interface ReportVerdict {
  /** malicious | security_test | planned_action | not_malicious | inconclusive. */
  verdict: string;
  /** 0..1 for machine verdicts; null for a human decision. */
  confidence: number | null;
  /** Who decided. */
  decided_by: 'machine' | 'analyst';
  /** Engine (machine) or OS user (analyst). */
  who: string;
  /** When. */
  time: string;
  /** Summary (machine) or the analyst's recorded reason. */
  reason: string;
  /** Investigation id behind a machine verdict. */
  investigation_id?: string | undefined;
}

/** One line of the report's attack timeline. */
export interface TimelineLine {
  time: string;
  time_ms: number;
  event_id: string;
  layer: string;
  provider: string;
  action: string;
  actor: string | null;
  src_ip: string | null;
  outcome: string;
  /** Titles of detections that fired on this event. */
  detections: string[];
  raw_sha256: string;
}

/** A point of the SVG chart. */
export interface ChartPoint {
  t: number;
  layer: string;
  flagged: boolean;
  outcome: string;
}

/** Entities the incident touched. */
export interface BlastRadius {
  principals: string[];
  access_keys: string[];
  source_ips: string[];
  accounts: string[];
  regions: string[];
  /** Resources named by successful non-read-only events. */
  resources_changed: string[];
  /** Crown jewels (context.yaml) named by any event in scope. */
  crown_jewels_touched: string[];
  /** True when a list was cut at the cap. */
  truncated: boolean;
}

/** Everything a report renders. */
export interface ReportModel {
  /** Heading. */
  title: string;
  /** `threat` or `case`. */
  scope: { kind: 'threat'; threat_id: string } | { kind: 'case' };
  /** Time the report describes the state at (now, or the custody head time inside a bundle). */
  as_of: string;
  /** Incident name from context.yaml. */
  incident_name: string | null;
  /** The threat (threat scope). */
  threat: {
    id: string;
    title: string;
    severity: string;
    priority: number;
    first_seen: string;
    last_seen: string;
    entities: Array<{ kind: string; value: string }>;
    techniques: string[];
    tactics: string[];
    context_notes: string[];
  } | null;
  /** Threats of the case (case scope) with their current verdict. */
  threats: Array<{ id: string; title: string; severity: string; first_seen: string; last_seen: string; verdict: string | null }>;
  /** Detections in scope. */
  detections: Array<{ title: string; rule_id: string; severity: string; first_seen: string; summary: string; techniques: string[]; events: number }>;
  /** Current verdict: the latest human decision, else the latest machine run. Null when never investigated. */
  verdict: ReportVerdict | null;
  /** Every verdict, oldest first (machine runs and human decisions). */
  verdict_history: ReportVerdict[];
  /** Machine summary and rationale claims of the latest run. */
  summary: string | null;
  rationale: Array<{ claim: string; evidence_ids: string[] }>;
  /** Events in scope per layer. */
  layers: Array<{ layer: string; events: number }>;
  /** Events in scope. */
  events_total: number;
  /** Time span of events in scope. */
  span: { first: string | null; last: string | null };
  /** The attack timeline (capped; flagged events first to be kept). */
  timeline: TimelineLine[];
  /** Timeline lines left out by the cap. */
  timeline_omitted: number;
  /** Chart points (sampled when there are many). */
  chart: ChartPoint[];
  /** Entities touched. */
  blast_radius: BlastRadius;
  /** Containment and other actions from the custody log. */
  actions: Array<{ time: string; action: string; detail: string }>;
  /** Open questions and missing evidence. */
  open_questions: string[];
  /** Event id -> raw record hash for every event the timeline, detections or rationale cite (capped). */
  evidence_index: Array<{ event_id: string; raw_sha256: string; cited_by: string }>;
  /** Regulatory clocks, or null when awareness has not been recorded. */
  clocks: RegulatoryClock[] | null;
  /** Custody chain head the report was built against. */
  custody_head: { seq: number; hash: string };
}

/** Caps keeping reports readable and memory bounded. */
export const REPORT_LIMITS = { timeline: 400, chart: 4000, blast: 200, evidenceIndex: 2000 } as const;

class CappedSet {
  readonly values = new Set<string>();
  truncated = false;
  private readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }
  add(v: unknown): void {
    if (typeof v !== 'string' || v === '') return;
    if (this.values.has(v)) return;
    if (this.values.size >= this.cap) {
      this.truncated = true;
      return;
    }
    this.values.add(v);
  }
  sorted(): string[] {
    return [...this.values].sort();
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function parseJsonArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string') return [];
  try {
    const p: unknown = JSON.parse(v);
    return Array.isArray(p) ? p : [];
  } catch {
    return [];
  }
}

/** Feeds on event rows (as `iterScopeEvents` returns them) and keeps the event-derived report parts. */
export class ReportAccumulator {
  private readonly layerCounts = new Map<string, number>();
  private first: string | null = null;
  private last: string | null = null;
  private total = 0;
  private readonly flaggedLines: TimelineLine[] = [];
  private readonly otherLines: TimelineLine[] = [];
  private flaggedSeen = 0;
  private othersSeen = 0;
  private readonly chart: ChartPoint[] = [];
  private readonly stride: number;
  private readonly principals = new CappedSet(REPORT_LIMITS.blast);
  private readonly keys = new CappedSet(REPORT_LIMITS.blast);
  private readonly ips = new CappedSet(REPORT_LIMITS.blast);
  private readonly accounts = new CappedSet(REPORT_LIMITS.blast);
  private readonly regions = new CappedSet(REPORT_LIMITS.blast);
  private readonly changed = new CappedSet(REPORT_LIMITS.blast);
  private readonly jewels = new CappedSet(REPORT_LIMITS.blast);
  private readonly rawByEvent = new Map<string, string>();

  /**
   * @param expected number of events that will be fed (for chart sampling)
   * @param detectionsByEvent detection titles per event id
   * @param crownJewels context.yaml crown jewels
   * @param wanted event ids whose raw hash the evidence index needs (cited by rationale, detections)
   */
  private readonly detectionsByEvent: ReadonlyMap<string, string[]>;
  private readonly crownJewels: readonly string[];
  private readonly wanted: ReadonlySet<string>;

  constructor(expected: number, detectionsByEvent: ReadonlyMap<string, string[]>, crownJewels: readonly string[], wanted: ReadonlySet<string>) {
    this.detectionsByEvent = detectionsByEvent;
    this.crownJewels = crownJewels;
    this.wanted = wanted;
    this.stride = Math.max(1, Math.ceil(expected / REPORT_LIMITS.chart));
  }

  /** Add one event row. */
  add(row: Record<string, unknown>): void {
    const id = String(row.id);
    const time = String(row.time);
    const timeMs = Number(row.time_ms);
    const layer = String(row.layer);
    const outcome = String(row.outcome);
    const raw = String(row.raw_sha256);
    this.total++;
    this.layerCounts.set(layer, (this.layerCounts.get(layer) ?? 0) + 1);
    if (this.first === null || time < this.first) this.first = time;
    if (this.last === null || time > this.last) this.last = time;
    const dets = this.detectionsByEvent.get(id) ?? [];
    const flagged = dets.length > 0;
    if (flagged || this.total % this.stride === 0) this.chart.push({ t: timeMs, layer, flagged, outcome });
    const line = (): TimelineLine => ({
      time,
      time_ms: timeMs,
      event_id: id,
      layer,
      provider: String(row.provider),
      action: String(row.action),
      actor: str(row.actor),
      src_ip: str(row.src_ip),
      outcome,
      detections: dets,
      raw_sha256: raw,
    });
    if (flagged) {
      this.flaggedSeen++;
      if (this.flaggedLines.length < REPORT_LIMITS.timeline) this.flaggedLines.push(line());
    } else {
      this.othersSeen++;
      if (this.otherLines.length < REPORT_LIMITS.timeline) this.otherLines.push(line());
    }
    this.principals.add(row.actor);
    this.keys.add(row.access_key);
    this.ips.add(row.src_ip);
    this.accounts.add(row.account);
    this.regions.add(row.region);
    const resources = parseJsonArray(row.resources).filter((r): r is string => typeof r === 'string');
    if (outcome === 'success' && row.read_only !== 1) for (const r of resources) this.changed.add(r);
    for (const r of resources) if (this.crownJewels.includes(r)) this.jewels.add(r);
    if ((flagged || this.wanted.has(id)) && this.rawByEvent.size < REPORT_LIMITS.evidenceIndex) this.rawByEvent.set(id, raw);
  }

  /** The event-derived parts of the model. */
  result(): Pick<ReportModel, 'layers' | 'events_total' | 'span' | 'timeline' | 'timeline_omitted' | 'chart' | 'blast_radius'> & {
    rawByEvent: ReadonlyMap<string, string>;
  } {
    // Flagged events first, then fill with the others up to the cap; shown in time order.
    const room = Math.max(0, REPORT_LIMITS.timeline - this.flaggedLines.length);
    const timeline = [...this.flaggedLines, ...this.otherLines.slice(0, room)].sort((a, b) => a.time_ms - b.time_ms || (a.event_id < b.event_id ? -1 : 1));
    const sets = [this.principals, this.keys, this.ips, this.accounts, this.regions, this.changed, this.jewels];
    return {
      layers: [...this.layerCounts].map(([layer, events]) => ({ layer, events })).sort((a, b) => (a.layer < b.layer ? -1 : 1)),
      events_total: this.total,
      span: { first: this.first, last: this.last },
      timeline,
      timeline_omitted: this.flaggedSeen + this.othersSeen - timeline.length,
      chart: this.chart,
      blast_radius: {
        principals: this.principals.sorted(),
        access_keys: this.keys.sorted(),
        source_ips: this.ips.sorted(),
        accounts: this.accounts.sorted(),
        regions: this.regions.sorted(),
        resources_changed: this.changed.sorted(),
        crown_jewels_touched: this.jewels.sorted(),
        truncated: sets.some((s) => s.truncated),
      },
      rawByEvent: this.rawByEvent,
    };
  }
}

/** Human verdict names. */
export const VERDICT_LABEL: Record<string, string> = {
  malicious: 'Malicious',
  security_test: 'Security Test',
  planned_action: 'Planned Action',
  not_malicious: 'Not Malicious',
  inconclusive: 'Inconclusive',
};

/** Label of a verdict value (unknown values shown as stored). */
export function verdictLabel(v: string): string {
  return VERDICT_LABEL[v] ?? v;
}
