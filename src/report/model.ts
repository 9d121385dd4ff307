/**
 * The report's data model. Pure types and labels.
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
  /** Excerpt of untrusted text the event carries (an AI invocation's prompt and output), as its adapter made it. */
  excerpt?: string | undefined;
}

/** A point of the SVG chart. */
export interface ChartPoint {
  t: number;
  layer: string;
  flagged: boolean;
  outcome: string;
  /** Event id (the point links to its timeline line when that line is listed). */
  id: string;
  /** Operation, shown when the point is hovered. */
  action: string;
  /** Actor, shown when the point is hovered. */
  actor: string | null;
}

/** One row of the evidence appendix: an id the report cites, what it is, and where it leads. */
export interface EvidenceEntry {
  /** The id exactly as cited: an event id, `det:<fingerprint prefix>`, `ctx:<context path>` or `inv:<investigation id>`. */
  id: string;
  /** What the id names; `unknown` when nothing in the case matches it (the row says so). */
  kind: 'event' | 'detection' | 'context' | 'investigation' | 'unknown';
  /** Event time, a detection's first event, an investigation's end; null for context. */
  time: string | null;
  /** One line: an event's action and actor, a detection's rule, a context entry's value, a run's verdict. */
  detail: string;
  /** SHA-256 of an event's raw record as stored; null for other kinds. */
  raw_sha256: string | null;
  /** Who cites it: `rationale`, or the detections that fired on the event. */
  cited_by: string;
  /** Events it leads to in the timeline (the event itself; a detection's events, capped). */
  event_ids: string[];
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
  detections: Array<{
    /** `det:` and the first 16 hex of the fingerprint: the id verdicts cite and `irctl show` opens. */
    id: string;
    title: string;
    rule_id: string;
    severity: string;
    first_seen: string;
    summary: string;
    techniques: string[];
    events: number;
    /** Its first events (capped at {@link REPORT_LIMITS.detectionEvents}). */
    event_ids: string[];
  }>;
  /** Current verdict: the latest human decision, else the latest machine run. Null when never investigated. */
  verdict: ReportVerdict | null;
  /** Every verdict, oldest first (machine runs and human decisions). */
  verdict_history: ReportVerdict[];
  /** Machine summary and rationale claims of the latest run. */
  summary: string | null;
  rationale: Array<{ claim: string; evidence_ids: string[] }>;
  /**
   * The model's proposal in the latest run when the checks in code rejected it: shown as rejected, never as the
   * verdict (the summary and rationale above are the code's).
   */
  rejected_proposal?: { verdict: string; confidence: number | null; summary: string; rejected_by: string[] } | null | undefined;
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
  /** For a malicious threat: the containment plan `irctl contain` shows (steps and their status), else absent. */
  recommended_containment?: { steps: Array<{ id: string; kind: string; target: string; title: string; risk: string; reversible: boolean; status: string }>; notes: string[] } | undefined;
  /** Open questions and missing evidence. */
  open_questions: string[];
  /**
   * The evidence appendix: every id the rationale cites (events, detections, context entries, investigations) and
   * every event a detection fired on, sorted by id (capped at {@link REPORT_LIMITS.evidenceIndex}).
   */
  evidence_index: EvidenceEntry[];
  /** Regulatory clocks, or null when awareness has not been recorded. */
  clocks: RegulatoryClock[] | null;
  /** Custody chain head the report was built against. */
  custody_head: { seq: number; hash: string };
}

/** Caps keeping reports readable and memory bounded. */
export const REPORT_LIMITS = { timeline: 400, chart: 4000, blast: 200, evidenceIndex: 2000, detectionEvents: 50 } as const;

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
