/**
 * The containment plan of a threat (issue 17): steps from the threat's own evidence (its detections' events and its
 * entities), planned by each provider that supports containment, ordered so that preservation runs before any change
 * to the same resource, numbered S1..Sn, with the status recorded actions give them. Provider-neutral: provider
 * knowledge sits behind the `containment` member of a provider (src/respond/types.ts).
 */
import type { Db } from '../store/db.js';
import { listActions, threatPlanEvents, type ActionRow } from '../store/actions-repo.js';
import { getThreatRecord, latestInvestigation, verdictHistory } from '../store/investigate-repo.js';
import { custodyEntryAt } from '../store/verify-repo.js';
import { providerNamed } from '../sources/index.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import type { RunnableStep, StepDraft, StepStatus, ThreatEvent } from './types.js';
import { UsageError } from '../errors.js';

/** Events read per threat for planning. */
export const PLAN_EVENT_LIMIT = 5000;

/** One step of a plan: the provider's draft, its id, its status and the preserve steps that gate it. */
export interface PlanStep extends RunnableStep {
  /** Status from recorded actions (planned when never run). */
  status: StepStatus;
  /** Ids of the preserve steps of the same resource that must be done before this one runs. */
  gated_by: string[];
  /** The last recorded action of this step (run id, time, reason), if any. */
  last_action: { id: number; run_id: string; operation: string; status: string; reason: string | null; at: string } | null;
}

/** The verdict a plan rests on. */
export interface PlanVerdict {
  verdict: string;
  /** analyst (irctl verdict --set) or machine (irctl investigate). */
  by: 'analyst' | 'machine';
  /** Machine confidence; 1 for an analyst's decision. */
  confidence: number;
  at: string;
}

/** A containment plan. */
export interface ContainmentPlan {
  threat_id: string;
  title: string;
  verdict: PlanVerdict | null;
  steps: PlanStep[];
  /** What could not be planned and why (providers without steps, changes no step can undo). */
  notes: string[];
  /** SHA-256 of the steps as planned (kind, target, calls, evidence): recorded with every run. */
  plan_sha256: string;
}

/** The key of a step across plans (ids are positions; a step is the same step when its kind and target are). */
export function stepKey(s: Pick<StepDraft, 'kind' | 'target'>): string {
  return `${s.kind} ${s.target}`;
}

/** Case id: the hash of the first custody entry (as `case seal` names it). */
export function caseIdOf(db: Db): string {
  return custodyEntryAt(db, 1)?.hash ?? 'unknown';
}

function statusOf(last: ActionRow | undefined): StepStatus {
  if (!last) return 'planned';
  if (last.operation === 'rollback') return last.status === 'rolled_back' ? 'rolled_back' : 'done';
  return last.status === 'done' ? 'done' : last.status === 'failed' ? 'failed' : 'skipped';
}

/** Order drafts: resources in order of first appearance; within a resource, preserve steps first. */
export function orderSteps(drafts: readonly StepDraft[]): StepDraft[] {
  const byResource = new Map<string, StepDraft[]>();
  for (const d of drafts) {
    const list = byResource.get(d.resource) ?? [];
    list.push(d);
    byResource.set(d.resource, list);
  }
  return [...byResource.values()].flatMap((list) => [...list.filter((d) => d.phase === 'preserve'), ...list.filter((d) => d.phase !== 'preserve')]);
}

/** Build the plan of a threat from the case. */
export function buildPlan(db: Db, threatId: string): ContainmentPlan {
  const threat = getThreatRecord(db, threatId);
  if (!threat) throw new UsageError(`no threat ${threatId} in this case`, { hint: 'List threats with `irctl threats`.' });
  const caseId = caseIdOf(db);
  const events: ThreatEvent[] = threatPlanEvents(db, threatId, PLAN_EVENT_LIMIT).map((e) => ({ ...e, resources: parseList(e.resources) }));
  const notes: string[] = [];
  if (events.length === PLAN_EVENT_LIMIT) notes.push(`planned from the first ${PLAN_EVENT_LIMIT} events of the threat`);
  const byProvider = new Map<string, ThreatEvent[]>();
  for (const e of events) {
    const list = byProvider.get(e.provider) ?? [];
    list.push(e);
    byProvider.set(e.provider, list);
  }
  const drafts: StepDraft[] = [];
  for (const [name, evs] of [...byProvider].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const support = providerNamed(name)?.containment;
    if (!support) {
      notes.push(`no containment steps for provider ${name} yet (${evs.length} event(s) of the threat): contain by hand and record what you did`);
      continue;
    }
    const p = support.plan({ threat_id: threatId, case_id: caseId, entities: threat.entities, events: evs });
    drafts.push(...p.steps);
    notes.push(...p.notes);
  }
  if (events.length === 0) notes.push(`${threatId} has no events in the case to plan from`);
  const ordered = orderSteps(drafts);
  const last = new Map<string, ActionRow>();
  for (const a of listActions(db, threatId)) last.set(a.step_key, a);
  const steps: PlanStep[] = ordered.map((d, i) => {
    const a = last.get(stepKey(d));
    return {
      ...d,
      id: `S${i + 1}`,
      status: statusOf(a),
      gated_by: [],
      last_action: a ? { id: a.id, run_id: a.run_id, operation: a.operation, status: a.status, reason: a.reason, at: a.finished_at } : null,
    };
  });
  for (const s of steps) {
    if (s.phase === 'preserve') continue;
    s.gated_by = steps.filter((x) => x.phase === 'preserve' && x.resource === s.resource && x.provider === s.provider).map((x) => x.id);
  }
  return {
    threat_id: threatId,
    title: threat.title,
    verdict: currentVerdict(db, threatId),
    steps,
    notes,
    plan_sha256: sha256Hex(canonicalJson(steps.map((s) => ({ id: s.id, kind: s.kind, provider: s.provider, target: s.target, calls: s.calls, evidence_ids: s.evidence_ids })))),
  };
}

/** The verdict that stands: the analyst's latest decision outranks the machine's. */
export function currentVerdict(db: Db, threatId: string): PlanVerdict | null {
  const h = verdictHistory(db, threatId);
  if (!h.current) return null;
  if (h.current.by === 'analyst') return { verdict: h.current.verdict, by: 'analyst', confidence: 1, at: h.current.at };
  const inv = latestInvestigation(db, threatId);
  return { verdict: h.current.verdict, by: 'machine', confidence: inv?.confidence ?? 0, at: h.current.at };
}

function parseList(s: string): string[] {
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The plan as the JSON contract prints it (docs/containment.md). */
export function planJson(plan: ContainmentPlan): Record<string, unknown> {
  return {
    threat_id: plan.threat_id,
    title: plan.title,
    verdict: plan.verdict?.verdict ?? null,
    verdict_by: plan.verdict?.by ?? null,
    confidence: plan.verdict?.confidence ?? null,
    plan_sha256: plan.plan_sha256,
    steps: plan.steps.map(stepJson),
    notes: plan.notes,
  };
}

/** One step as the JSON contract prints it. */
export function stepJson(s: PlanStep): Record<string, unknown> {
  return {
    id: s.id,
    kind: s.kind,
    provider: s.provider,
    target: s.target,
    region: s.region ?? null,
    phase: s.phase,
    title: s.title,
    calls: s.calls,
    reversible: s.reversible,
    risk: s.risk,
    rollback: s.rollback,
    preconditions: s.preconditions,
    evidence_ids: s.evidence_ids,
    gated_by: s.gated_by,
    status: s.status,
    last_action: s.last_action,
  };
}
