/**
 * Executing and rolling back a containment plan (issue 17). Each step runs only when approved (a TTY prompt,
 * `--approve`, or the context.yaml policy), never before the preserve steps of its resource are done, and lands in
 * the append-only `actions` table with a `contain.step` custody entry (before/after state, request ids, approver).
 * A run is framed by `contain.start` (plan digest, approvals, verdict, force reason) and `contain.end` entries.
 */
import type { Db } from '../store/db.js';
import type { ChainHead, Provenance } from '../store/custody.js';
import { appendContainCustody, insertAction, listActions, type ActionRow } from '../store/actions-repo.js';
import { UsageError } from '../errors.js';
import { stepKey, type ContainmentPlan, type PlanStep } from './plan.js';
import type { StepOutcome, StepRunner } from './types.js';

/** Verdicts under which `--execute` runs without `--force`. */
export const ACTIONABLE_VERDICTS = new Set(['malicious']);

/** An operator's answer to a step prompt. */
export type PromptAnswer = 'yes' | 'no' | 'skip' | 'quit' | 'none';

/** How steps are approved. */
export interface Approval {
  /** `--approve all` or the ids given. */
  approve: 'all' | Set<string> | undefined;
  /** context.yaml `containment:` (applies only to malicious verdicts at or above min_confidence). */
  policy: { allow_without_prompt: string[]; min_confidence: number };
  /** Ask the operator; `none` when there is no terminal to ask on. */
  prompt: (step: PlanStep) => Promise<PromptAnswer>;
  /** `--allow-unpreserved`: contain steps that may run although a preserve step of their resource is not done. */
  allowUnpreserved: Set<string>;
  /** `--force --reason`: run although the verdict does not call for containment. */
  force: string | undefined;
}

/** Where a run writes and who runs it. */
export interface RunEnv {
  db: Db;
  prov: Provenance;
  now: () => Date;
  signal: AbortSignal;
  runId: string;
  /** The runner of a provider (loaded on first use). */
  runner: (provider: string) => Promise<StepRunner>;
  /** Progress lines (stderr). */
  note: (message: string) => void;
}

/** One step's outcome in this run. */
export interface StepResult {
  step: PlanStep;
  /** done | skipped | failed | rolled_back | planned (not part of this run). */
  status: 'done' | 'skipped' | 'failed' | 'rolled_back' | 'planned';
  reason: string | null;
  action_id: number | null;
  approval: string | null;
  approver: string | null;
  request_ids: string[];
  before: unknown;
  after: unknown;
}

/** What a run came to. */
export interface RunResult {
  run_id: string;
  operation: 'execute' | 'rollback';
  results: StepResult[];
  /** Set when a fatal failure (credentials, network) ended the run early: exit 4. */
  fatal: { message: string; hint: string } | null;
  interrupted: boolean;
  /** The operator answered `quit` at a prompt: the steps after it were not attempted. */
  quit: boolean;
  custody_head: ChainHead;
}

/** Step ids a flag names, checked against the plan (unknown ids are a usage error naming the known ones). */
export function resolveIds(plan: ContainmentPlan, ids: readonly string[], flag: string): Set<string> {
  const known = new Set(plan.steps.map((s) => s.id));
  const norm = ids.map((i) => i.trim().toUpperCase()).filter((i) => i !== '');
  const unknown = norm.filter((i) => !known.has(i));
  if (unknown.length > 0) {
    throw new UsageError(`${flag}: no step ${unknown.join(', ')} in the plan of ${plan.threat_id}`, {
      hint: plan.steps.length > 0 ? `The plan's steps are ${plan.steps.map((s) => s.id).join(', ')}: see \`irctl contain ${plan.threat_id}\`.` : `The plan of ${plan.threat_id} has no steps.`,
    });
  }
  return new Set(norm);
}

/** Refuse to act on a threat whose verdict does not call for it (unless forced with a reason). */
export function checkMayExecute(plan: ContainmentPlan, force: string | undefined): void {
  if (force !== undefined) return;
  const v = plan.verdict;
  if (!v) {
    throw new UsageError(`${plan.threat_id} has no recorded investigation or analyst verdict: nothing says it is malicious`, {
      hint: `Run \`irctl investigate ${plan.threat_id}\` (or record your decision with \`irctl verdict ${plan.threat_id} --set malicious --reason "..."\`), or pass --force --reason "..." to act anyway.`,
    });
  }
  if (!ACTIONABLE_VERDICTS.has(v.verdict)) {
    throw new UsageError(`${plan.threat_id}'s verdict is ${v.verdict} (${v.by}): containment runs only for malicious threats`, {
      hint: `Record a different decision with \`irctl verdict ${plan.threat_id} --set ...\`, or pass --force --reason "..." to act anyway.`,
    });
  }
}

function policyAllows(plan: ContainmentPlan, step: PlanStep, a: Approval): boolean {
  const v = plan.verdict;
  return v !== null && v.verdict === 'malicious' && v.confidence >= a.policy.min_confidence && a.policy.allow_without_prompt.includes(step.kind);
}

function requestIds(o: StepOutcome): string[] {
  return o.calls.flatMap((c) => (c.request_id !== undefined ? [c.request_id] : []));
}

/** Execute the plan's steps in order. Steps already done are not run again. */
export async function executePlan(plan: ContainmentPlan, a: Approval, env: RunEnv): Promise<RunResult> {
  checkMayExecute(plan, a.force);
  const { db, prov, now } = env;
  appendContainCustody(
    db,
    'contain.start',
    env.runId,
    {
      threat_id: plan.threat_id,
      operation: 'execute',
      plan_sha256: plan.plan_sha256,
      steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, target: s.target })),
      verdict: plan.verdict,
      approve: a.approve === 'all' ? 'all' : a.approve ? [...a.approve].sort() : null,
      policy: a.policy.allow_without_prompt.length > 0 ? a.policy : null,
      force_reason: a.force ?? null,
    },
    prov,
    now(),
  );
  const results: StepResult[] = [];
  const thisRun = new Map<string, StepResult>();
  let fatal: RunResult['fatal'] = null;
  let interrupted = false;
  let quit = false;
  const record = (step: PlanStep, status: 'done' | 'skipped' | 'failed', o: Partial<StepOutcome> & { calls: StepOutcome['calls'] }, approval: string, approver: string, started: string): StepResult => {
    const reason = o.reason ?? (approval.endsWith('+force') ? `forced: ${a.force ?? ''}` : null);
    const id = storeAction(env, plan, step, { operation: 'execute', status, reason, approval, approver, started }, o);
    const r: StepResult = { step, status, reason, action_id: id, approval, approver, request_ids: o.calls.flatMap((c) => (c.request_id !== undefined ? [c.request_id] : [])), before: o.before ?? null, after: o.after ?? null };
    thisRun.set(step.id, r);
    return r;
  };

  for (const step of plan.steps) {
    if (step.status === 'done') {
      results.push({ step, status: 'done', reason: `already done (action ${step.last_action?.id ?? '?'}, run ${step.last_action?.run_id ?? '?'})`, action_id: null, approval: null, approver: null, request_ids: [], before: null, after: null });
      continue;
    }
    if (fatal || interrupted || quit) {
      results.push(notRun(step, fatal ? 'not attempted: the run stopped at a fatal error' : interrupted ? 'not attempted: interrupted' : 'not attempted: quit at the prompt'));
      continue;
    }
    if (env.signal.aborted) {
      interrupted = true;
      results.push(notRun(step, 'not attempted: interrupted'));
      continue;
    }
    // Approval
    let approval: string | undefined;
    let approver = prov.os_user;
    if (a.approve === 'all' || a.approve?.has(step.id) === true) approval = 'approve-flag';
    else if (policyAllows(plan, step, a)) {
      approval = 'policy';
      approver = `policy:context.yaml containment.allow_without_prompt (${step.kind})`;
    } else if (a.approve !== undefined) {
      results.push(notRun(step, 'not named by --approve'));
      continue;
    } else {
      const answer = await a.prompt(step);
      if (answer === 'quit') {
        quit = true;
        results.push(notRun(step, 'not attempted: quit at the prompt'));
        continue;
      }
      if (answer === 'none') {
        results.push(record(step, 'skipped', { calls: [], reason: 'not approved: no terminal to ask on, and neither --approve nor the context.yaml policy names it' }, 'none', prov.os_user, now().toISOString()));
        continue;
      }
      if (answer !== 'yes') {
        results.push(record(step, 'skipped', { calls: [], reason: `declined at the prompt (${answer})` }, 'prompt', prov.os_user, now().toISOString()));
        continue;
      }
      approval = 'prompt';
    }
    if (a.force !== undefined && (plan.verdict === null || !ACTIONABLE_VERDICTS.has(plan.verdict.verdict))) approval = `${approval}+force`;
    // Preserve first
    if (step.phase !== 'preserve' && !a.allowUnpreserved.has(step.id)) {
      const open = step.gated_by.filter((g) => {
        const gs = plan.steps.find((x) => x.id === g);
        return (thisRun.get(g)?.status ?? gs?.status) !== 'done';
      });
      if (open.length > 0) {
        const why = open.map((g) => `${g} ${thisRun.get(g)?.status ?? plan.steps.find((x) => x.id === g)?.status ?? '?'}`).join(', ');
        results.push(
          record(step, 'skipped', { calls: [], reason: `evidence of ${step.resource} is not preserved yet (${why}): not changing it first; pass --allow-unpreserved ${step.id} to override` }, approval, approver, now().toISOString()),
        );
        continue;
      }
    }
    env.note(`${step.id} ${step.kind} ${step.target}: running`);
    const started = now().toISOString();
    const runner = await env.runner(step.provider);
    const o = await runner.execute(step);
    const r = record(step, o.status, o, approval, approver, started);
    results.push(r);
    env.note(`${step.id} ${o.status}${o.reason !== undefined ? `: ${o.reason}` : ''}`);
    if (o.fatal) fatal = o.fatal;
  }
  const head = appendContainCustody(db, 'contain.end', env.runId, { threat_id: plan.threat_id, operation: 'execute', ...counts(results), fatal: fatal?.message ?? null, interrupted, quit }, prov, now());
  return { run_id: env.runId, operation: 'execute', results, fatal, interrupted, quit, custody_head: head };
}

/** Store one action row (and its custody entry); returns its id. */
function storeAction(
  env: RunEnv,
  plan: ContainmentPlan,
  step: PlanStep,
  w: { operation: 'execute' | 'rollback'; status: string; reason: string | null; approval: string; approver: string; started: string },
  o: Partial<StepOutcome> & { calls: StepOutcome['calls'] },
): number {
  const row: Omit<ActionRow, 'id'> = {
    run_id: env.runId,
    threat_id: plan.threat_id,
    step_id: step.id,
    step_key: stepKey(step),
    kind: step.kind,
    provider: step.provider,
    target: step.target,
    operation: w.operation,
    status: w.status,
    reason: w.reason,
    approval: w.approval,
    approver: w.approver,
    before_state: o.before === undefined ? null : JSON.stringify(o.before),
    after_state: o.after === undefined ? null : JSON.stringify(o.after),
    calls: JSON.stringify(o.calls),
    evidence_ids: JSON.stringify(step.evidence_ids),
    started_at: w.started,
    finished_at: env.now().toISOString(),
  };
  return insertAction(env.db, row, env.prov, env.now()).id;
}

function notRun(step: PlanStep, reason: string): StepResult {
  return { step, status: 'planned', reason, action_id: null, approval: null, approver: null, request_ids: [], before: null, after: null };
}

function counts(results: readonly StepResult[]): Record<string, number> {
  const c: Record<string, number> = { done: 0, skipped: 0, failed: 0, rolled_back: 0, planned: 0 };
  for (const r of results) c[r.status] = (c[r.status] ?? 0) + 1;
  return c;
}

/** Roll back done, reversible steps (all of them, or the ids given), last first, from their recorded before-state. */
export async function rollbackPlan(plan: ContainmentPlan, ids: Set<string> | undefined, env: RunEnv): Promise<RunResult> {
  const { db, prov, now } = env;
  const lastDone = new Map<string, ActionRow>();
  for (const a of listActions(db, plan.threat_id)) if (a.operation === 'execute' && a.status === 'done') lastDone.set(a.step_key, a);
  const chosen = plan.steps.filter((s) => (ids ? ids.has(s.id) : s.status === 'done' && s.reversible)).reverse();
  appendContainCustody(
    db,
    'contain.start',
    env.runId,
    { threat_id: plan.threat_id, operation: 'rollback', plan_sha256: plan.plan_sha256, steps: chosen.map((s) => ({ id: s.id, kind: s.kind, target: s.target })) },
    prov,
    now(),
  );
  const results: StepResult[] = [];
  let fatal: RunResult['fatal'] = null;
  let interrupted = false;
  for (const step of chosen) {
    if (fatal || interrupted || env.signal.aborted) {
      interrupted ||= env.signal.aborted;
      results.push(notRun(step, fatal ? 'not attempted: the run stopped at a fatal error' : 'not attempted: interrupted'));
      continue;
    }
    const done = lastDone.get(stepKey(step));
    let o: StepOutcome;
    const started = now().toISOString();
    if (!step.reversible) o = { status: 'skipped', reason: `${step.kind} is not reversible`, calls: [] };
    else if (step.status !== 'done' || !done) o = { status: 'skipped', reason: `nothing to roll back: the step is ${step.status}`, calls: [] };
    else {
      env.note(`${step.id} ${step.kind} ${step.target}: rolling back`);
      const runner = await env.runner(step.provider);
      o = await runner.rollback(step, done.before_state === null ? null : (JSON.parse(done.before_state) as unknown));
    }
    const status = o.status === 'done' ? 'rolled_back' : o.status;
    const reason = o.reason ?? (done ? `undoes action ${done.id}` : null);
    const id = storeAction(env, plan, step, { operation: 'rollback', status, reason, approval: 'rollback-flag', approver: prov.os_user, started }, o);
    results.push({ step, status, reason, action_id: id, approval: 'rollback-flag', approver: prov.os_user, request_ids: requestIds(o), before: o.before ?? null, after: o.after ?? null });
    if (o.fatal) fatal = o.fatal;
  }
  const head = appendContainCustody(db, 'contain.end', env.runId, { threat_id: plan.threat_id, operation: 'rollback', ...counts(results), fatal: fatal?.message ?? null, interrupted }, prov, now());
  return { run_id: env.runId, operation: 'rollback', results, fatal, interrupted, quit: false, custody_head: head };
}

/** A run's result as the JSON contract prints it: the steps with their outcome. */
export function runJson(plan: ContainmentPlan, r: RunResult): Record<string, unknown> {
  return {
    threat_id: plan.threat_id,
    verdict: plan.verdict?.verdict ?? null,
    operation: r.operation,
    run_id: r.run_id,
    plan_sha256: plan.plan_sha256,
    steps: r.results.map((x) => ({
      id: x.step.id,
      kind: x.step.kind,
      provider: x.step.provider,
      target: x.step.target,
      calls: x.step.calls,
      reversible: x.step.reversible,
      risk: x.step.risk,
      rollback: x.step.rollback,
      evidence_ids: x.step.evidence_ids,
      status: x.status,
      reason: x.reason,
      action_id: x.action_id,
      approval: x.approval,
      approver: x.approver,
      request_ids: x.request_ids,
    })),
    fatal: r.fatal,
    interrupted: r.interrupted,
    custody_head: r.custody_head,
  };
}
