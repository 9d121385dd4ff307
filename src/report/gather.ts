/**
 * Gather the report model from the evidence store. Event-derived parts (counts, span, chart sample, blast radius,
 * timeline lines) are SQL aggregates and bounded look-ups, so a report of a million-event scope costs a few scans in
 * SQLite and bounded memory.
 */
import { actionCustody, listActions } from '../store/actions-repo.js';
import { eventExcerpts } from '../store/query-repo.js';
import { buildPlan } from '../respond/plan.js';
import type { OperatorContext } from '../context/context.js';
import type { Db } from '../store/db.js';
import {
  clearFlagged,
  eventFactsByIds,
  firstScopeEvents,
  hasTable,
  listDetections,
  listInvestigations,
  listOverrides,
  listThreatRows,
  scopeDistinct,
  scopeFlagged,
  scopeLayerCounts,
  scopeResourcesChanged,
  scopeResourcesNamed,
  scopeSample,
  scopeSpan,
  type DetectionRow,
  type EventFacts,
  type InvestigationRow,
  type OverrideRow,
  type ThreatRow,
} from '../store/export-repo.js';
import { regulatoryClocks } from './clocks.js';
import { evidenceIndex } from './evidence.js';
import { REPORT_LIMITS, type ReportModel, type ReportVerdict, type TimelineLine } from './model.js';

/** Inputs of a report besides the database. */
export interface ReportRequest {
  /** The threat, or undefined for the whole case. */
  threat: ThreatRow | undefined;
  /** Whether event queries are limited to the export scope table (threat scope, after `scopeThreatEvents`). */
  scoped: boolean;
  /** Operator context (awareness time, crown jewels). */
  context: OperatorContext;
  /** "As of" time (UTC ISO). */
  asOf: string;
  /** Custody head the report describes. */
  custodyHead: { seq: number; hash: string };
}

function jsonArray(text: string): unknown[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

const strings = (text: string): string[] => jsonArray(text).filter((x): x is string => typeof x === 'string');

/** Fields of a stored investigation result the report uses (parsed defensively: the result is stored JSON). */
interface ResultParts {
  summary: string | null;
  rationale: Array<{ claim: string; evidence_ids: string[] }>;
  missing: string[];
  rejected: ReportModel['rejected_proposal'];
}

/** The model's proposal of a stored result when the checks rejected it. */
function rejectedProposal(v: unknown): ReportModel['rejected_proposal'] {
  const o = (v ?? {}) as { verdict?: unknown; confidence?: unknown; status?: unknown; summary?: unknown; rejected_by?: unknown };
  if (o.status !== 'rejected' || typeof o.verdict !== 'string') return null;
  const by = Array.isArray(o.rejected_by) ? o.rejected_by.flatMap((c) => (typeof (c as { check?: unknown })?.check === 'string' ? [(c as { check: string }).check] : [])) : [];
  return { verdict: o.verdict, confidence: typeof o.confidence === 'number' ? o.confidence : null, summary: typeof o.summary === 'string' ? o.summary : '', rejected_by: by };
}

function resultParts(inv: InvestigationRow | undefined): ResultParts {
  if (!inv) return { summary: null, rationale: [], missing: [], rejected: null };
  let r: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(inv.result);
    if (v !== null && typeof v === 'object') r = v as Record<string, unknown>;
  } catch {
    /* stored result not JSON: report without it */
  }
  const rationale = (Array.isArray(r.rationale) ? (r.rationale as unknown[]) : []).flatMap((c) => {
    const o = (c ?? {}) as { claim?: unknown; evidence_ids?: unknown };
    if (typeof o.claim !== 'string') return [];
    const ids = Array.isArray(o.evidence_ids) ? o.evidence_ids.filter((x): x is string => typeof x === 'string') : [];
    return [{ claim: o.claim, evidence_ids: ids }];
  });
  const missing = Array.isArray(r.missing_evidence) ? r.missing_evidence.filter((x): x is string => typeof x === 'string') : [];
  return { summary: typeof r.summary === 'string' ? r.summary : null, rationale, missing, rejected: rejectedProposal(r.model_verdict) };
}

function machineVerdict(inv: InvestigationRow): ReportVerdict {
  return {
    verdict: inv.verdict,
    confidence: inv.confidence,
    decided_by: 'machine',
    who: inv.engine,
    time: inv.finished_at,
    reason: resultParts(inv).summary ?? '',
    investigation_id: inv.id,
  };
}

function humanVerdict(o: OverrideRow): ReportVerdict {
  return { verdict: o.verdict, confidence: null, decided_by: 'analyst', who: o.analyst, time: o.time, reason: o.reason, investigation_id: o.investigation_id ?? undefined };
}

/** Current verdict: the latest human decision wins over any machine run; else the latest machine run. */
export function currentVerdict(invs: readonly InvestigationRow[], overrides: readonly OverrideRow[]): ReportVerdict | null {
  const o = overrides.at(-1);
  if (o) return humanVerdict(o);
  const i = invs.at(-1);
  return i ? machineVerdict(i) : null;
}

/** Event-derived parts of the report. */
type EventParts = Pick<ReportModel, 'layers' | 'events_total' | 'span' | 'timeline' | 'timeline_omitted' | 'chart' | 'blast_radius'> & {
  /** Facts of the events the evidence index lists. */
  factsByEvent: ReadonlyMap<string, EventFacts>;
};

function eventParts(db: Db, scoped: boolean, detectionsByEvent: ReadonlyMap<string, string[]>, crownJewels: readonly string[], wanted: ReadonlySet<string>): EventParts {
  const span = scopeSpan(db, scoped);
  const cap = REPORT_LIMITS.blast;
  const line = (e: EventFacts): TimelineLine => ({
    time: e.time,
    time_ms: e.time_ms,
    event_id: e.id,
    layer: e.layer,
    provider: e.provider,
    action: e.action,
    actor: e.actor,
    src_ip: e.src_ip,
    outcome: e.outcome,
    detections: detectionsByEvent.get(e.id) ?? [],
    raw_sha256: e.raw_sha256,
  });
  // Flagged events first (all of them up to the cap), then the earliest others, shown in time order.
  const flagged = eventFactsByIds(db, [...detectionsByEvent.keys()].slice(0, REPORT_LIMITS.timeline));
  const seen = new Set(flagged.map((e) => e.id));
  const others = firstScopeEvents(db, scoped, REPORT_LIMITS.timeline).filter((e) => !seen.has(e.id));
  const timeline = [...flagged, ...others.slice(0, Math.max(0, REPORT_LIMITS.timeline - flagged.length))]
    .sort((a, b) => a.time_ms - b.time_ms || (a.id < b.id ? -1 : 1))
    .map(line);
  const excerpts = eventExcerpts(
    db,
    timeline.map((l) => l.event_id),
  );
  for (const l of timeline) {
    const x = excerpts.get(l.event_id);
    if (x !== undefined) l.excerpt = x;
  }
  const chart = [
    ...scopeSample(db, scoped, Math.ceil(span.total / REPORT_LIMITS.chart))
      .filter((p) => !detectionsByEvent.has(p.id))
      .map((p) => ({ t: p.time_ms, layer: p.layer, flagged: false, outcome: p.outcome, id: p.id, action: p.action, actor: p.actor })),
    ...eventFactsByIds(db, detectionsByEvent.keys()).map((e) => ({ t: e.time_ms, layer: e.layer, flagged: true, outcome: e.outcome, id: e.id, action: e.action, actor: e.actor })),
  ];
  // The blast radius of a threat covers its events; of the whole case, the events a detection fired on (every
  // principal of a million routine events is not a blast radius, and scanning them costs seconds).
  const blastScope: boolean | 'flagged' = scoped ? true : 'flagged';
  if (!scoped) scopeFlagged(db, detectionsByEvent.keys());
  const distinct = (c: 'actor' | 'access_key' | 'src_ip' | 'account' | 'region'): string[] => scopeDistinct(db, blastScope, c, cap);
  const lists = {
    principals: distinct('actor'),
    access_keys: distinct('access_key'),
    source_ips: distinct('src_ip'),
    accounts: distinct('account'),
    regions: distinct('region'),
    resources_changed: scopeResourcesChanged(db, blastScope, cap),
  };
  const jewels = scopeResourcesNamed(db, blastScope, crownJewels);
  if (!scoped) clearFlagged(db);
  const truncated = Object.values(lists).some((l) => l.length > cap);
  const cut = (l: string[]): string[] => l.slice(0, cap);
  const factsByEvent = new Map<string, EventFacts>();
  for (const e of eventFactsByIds(db, [...new Set([...wanted, ...detectionsByEvent.keys()])].slice(0, REPORT_LIMITS.evidenceIndex))) factsByEvent.set(e.id, e);
  return {
    layers: scopeLayerCounts(db, scoped),
    events_total: span.total,
    span: { first: span.first, last: span.last },
    timeline,
    timeline_omitted: Math.max(0, span.total - timeline.length),
    chart,
    blast_radius: {
      principals: cut(lists.principals),
      access_keys: cut(lists.access_keys),
      source_ips: cut(lists.source_ips),
      accounts: cut(lists.accounts),
      regions: cut(lists.regions),
      resources_changed: cut(lists.resources_changed),
      crown_jewels_touched: jewels,
      truncated,
    },
    factsByEvent,
  };
}

/** A prepared report: detections are read; call `build()` for the model. */
export interface PreparedReport {
  /** Detections in scope (also written to the bundle). */
  detections: DetectionRow[];
  /** Detection titles per event id. */
  detectionsByEvent: Map<string, string[]>;
  build(): ReportModel;
}

/** Prepare the report: reads everything but the events. */
export function prepareReport(db: Db, req: ReportRequest): PreparedReport {
  const threatId = req.threat?.id;
  const detections = listDetections(db, threatId);
  const detectionsByEvent = new Map<string, string[]>();
  for (const d of detections) {
    for (const id of strings(d.event_ids)) {
      const list = detectionsByEvent.get(id) ?? [];
      if (!list.includes(d.rule_title)) list.push(d.rule_title);
      detectionsByEvent.set(id, list);
    }
  }
  const invs = listInvestigations(db, threatId);
  const overrides = listOverrides(db, threatId);
  const latestRun = invs.at(-1);
  const parts = resultParts(latestRun);
  const wanted = new Set(parts.rationale.flatMap((c) => c.evidence_ids));

  const build = (): ReportModel => {
    const ev = eventParts(db, req.scoped, detectionsByEvent, req.context.crown_jewels, wanted);
    const history = [...invs.map(machineVerdict), ...overrides.map(humanVerdict)].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    const verdict = currentVerdict(invs, overrides);
    const open: string[] = [];
    if (!hasTable(db, 'detections') || (detections.length === 0 && listThreatRows(db).length === 0)) {
      open.push('No detections in the case: `irctl detect` has not been run or found nothing.');
    }
    if (req.threat && invs.length === 0) open.push(`${req.threat.id} has not been investigated: run \`irctl investigate ${req.threat.id}\`.`);
    if (verdict?.decided_by === 'analyst' && latestRun && latestRun.finished_at > verdict.time) {
      open.push(`A machine investigation (${latestRun.finished_at}, ${latestRun.verdict}) is newer than the analyst's decision: review it.`);
    }
    for (const m of parts.missing) open.push(`Missing evidence: ${m}`);
    const present = new Set(ev.layers.map((l) => l.layer));
    const absent = ['control_plane', 'identity', 'workload', 'ai'].filter((l) => !present.has(l));
    if (absent.length > 0) open.push(`No events from these layers in scope: ${absent.join(', ')} (logs not collected, or not involved).`);
    if (ev.blast_radius.truncated) open.push(`Blast radius lists are cut at ${REPORT_LIMITS.blast} entries each; the bundle's events hold the rest.`);

    const index = evidenceIndex({
      rationale: parts.rationale,
      detectionsByEvent,
      factsByEvent: ev.factsByEvent,
      detections,
      investigations: () => listInvestigations(db, undefined),
      context: req.context,
    });

    // Containment recorded by `irctl contain` (the actions table, up to the custody head the report is built against).
    const recorded = actionCustody(db, req.custodyHead.seq);
    const actions = listActions(db, threatId)
      .filter((a) => recorded.has(a.id))
      .map((a) => ({
        time: a.finished_at,
        action: `contain ${a.operation} ${a.status}`,
        detail: `${a.step_id} ${a.kind} ${a.target} (${a.provider}; approved by ${a.approver} via ${a.approval}${a.reason !== null ? `; ${a.reason}` : ''}; custody entry ${recorded.get(a.id)?.seq ?? '?'})`,
      }));
    const recommended = req.threat && verdict?.verdict === 'malicious' ? recommendedPlan(db, req.threat.id) : null;

    const t = req.threat;
    const allInvs = t ? [] : listInvestigations(db, undefined);
    const allOverrides = t ? [] : listOverrides(db, undefined);
    return {
      title: t ? `Incident report: ${t.id} ${t.title}` : 'Incident report: whole case',
      scope: t ? { kind: 'threat', threat_id: t.id } : { kind: 'case' },
      as_of: req.asOf,
      incident_name: req.context.incident.name ?? null,
      threat: t
        ? {
            id: t.id,
            title: t.title,
            severity: t.severity,
            priority: t.priority,
            first_seen: t.first_seen,
            last_seen: t.last_seen,
            entities: jsonArray(t.entities).flatMap((e) => {
              const o = (e ?? {}) as { kind?: unknown; value?: unknown };
              return typeof o.kind === 'string' && typeof o.value === 'string' ? [{ kind: o.kind, value: o.value }] : [];
            }),
            techniques: strings(t.techniques),
            tactics: strings(t.tactics),
            context_notes: strings(t.context_notes),
          }
        : null,
      threats: t
        ? []
        : listThreatRows(db).map((x) => ({
            id: x.id,
            title: x.title,
            severity: x.severity,
            first_seen: x.first_seen,
            last_seen: x.last_seen,
            verdict: currentVerdict(allInvs.filter((i) => i.threat_id === x.id), allOverrides.filter((o) => o.threat_id === x.id))?.verdict ?? null,
          })),
      detections: detections.map((d) => ({
        id: `det:${d.fingerprint.slice(0, 16)}`,
        title: d.rule_title,
        rule_id: d.rule_id,
        severity: d.severity,
        first_seen: d.first_seen,
        summary: d.summary,
        techniques: strings(d.techniques),
        events: strings(d.event_ids).length,
        event_ids: strings(d.event_ids).slice(0, REPORT_LIMITS.detectionEvents),
      })),
      verdict,
      verdict_history: history,
      summary: parts.summary,
      rationale: parts.rationale,
      rejected_proposal: parts.rejected,
      layers: ev.layers,
      events_total: ev.events_total,
      span: ev.span,
      timeline: ev.timeline,
      timeline_omitted: ev.timeline_omitted,
      chart: ev.chart,
      blast_radius: ev.blast_radius,
      actions,
      ...(recommended ? { recommended_containment: recommended } : {}),
      open_questions: open,
      evidence_index: index,
      clocks: req.context.incident.aware_at !== undefined ? regulatoryClocks(req.context.incident.aware_at, req.asOf) : null,
      custody_head: req.custodyHead,
    };
  };
  return { detections, detectionsByEvent, build };
}

/** Build the whole report model. */
export function buildReport(db: Db, req: ReportRequest): ReportModel {
  return prepareReport(db, req).build();
}

/** Every verdict of the given runs and decisions, with its threat, ordered by threat then time (machine and human). */
export function verdictRecords(invs: readonly InvestigationRow[], overrides: readonly OverrideRow[]): Array<ReportVerdict & { threat_id: string }> {
  return [...invs.map((i) => ({ threat_id: i.threat_id, ...machineVerdict(i) })), ...overrides.map((o) => ({ threat_id: o.threat_id, ...humanVerdict(o) }))].sort(
    (a, b) => (a.threat_id < b.threat_id ? -1 : a.threat_id > b.threat_id ? 1 : a.time < b.time ? -1 : a.time > b.time ? 1 : a.decided_by < b.decided_by ? -1 : 1),
  );
}

/** The containment plan `irctl contain` would show for a malicious threat (steps with their status). */
function recommendedPlan(db: Db, threatId: string): NonNullable<ReportModel['recommended_containment']> {
  const plan = buildPlan(db, threatId);
  return {
    steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, target: s.target, title: s.title, risk: s.risk.level, reversible: s.reversible, status: s.status })),
    notes: plan.notes,
  };
}
