import { Option } from 'commander';
import { ExitCode, SourceAccessError, UsageError } from '../../errors.js';
import type { ContainmentPlan, PlanStep } from '../../respond/plan.js';
import type { PromptAnswer, RunResult } from '../../respond/execute.js';
import type { StepRunner } from '../../respond/types.js';
import { defineCommand, type CommandContext } from '../command.js';
import { sanitize } from '../render/table.js';
import { withCase } from '../with-case.js';

/** Evidence ids printed per step on the terminal. */
const EVIDENCE_SHOWN = 8;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
function ids(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
const safe = (s: string): string => sanitize(s);

interface ContainOptions {
  mode: 'plan' | 'execute' | 'rollback' | 'status';
  approve: string | undefined;
  rollbackIds: string[] | undefined;
  allowUnpreserved: string[];
  force: string | undefined;
  expectPlan: string | undefined;
  profile: string | undefined;
  roleArn: string | undefined;
  externalId: string | undefined;
  cloud: string | undefined;
  impersonate: string | undefined;
}

/** Flags to options, with the combinations that make no sense refused. */
function parseOptions(opts: Record<string, unknown>): ContainOptions {
  const execute = opts.execute === true;
  const rollback = opts.rollback !== undefined && opts.rollback !== false;
  const status = opts.status === true;
  if ([execute, rollback, status].filter(Boolean).length > 1) throw new UsageError('choose one of --execute, --rollback and --status');
  const approve = str(opts.approve);
  if (approve !== undefined && !execute) throw new UsageError('--approve needs --execute');
  const allow = str(opts.allowUnpreserved);
  if (allow !== undefined && !execute) throw new UsageError('--allow-unpreserved needs --execute');
  const reason = str(opts.reason);
  if (opts.force === true && !execute) throw new UsageError('--force needs --execute');
  if (opts.force === true && reason === undefined) throw new UsageError('--force needs --reason "..."', { hint: 'The reason is kept in the custody log with every step it lets run.' });
  if (reason !== undefined && opts.force !== true) throw new UsageError('--reason goes with --force');
  if (reason !== undefined && reason.length > 4000) throw new UsageError('--reason is longer than 4,000 characters');
  if (str(opts.expectPlan) !== undefined && !execute && !rollback) throw new UsageError('--expect-plan needs --execute or --rollback');
  return {
    mode: execute ? 'execute' : rollback ? 'rollback' : status ? 'status' : 'plan',
    approve,
    rollbackIds: typeof opts.rollback === 'string' ? ids(opts.rollback) : undefined,
    allowUnpreserved: allow !== undefined ? ids(allow) : [],
    force: opts.force === true ? reason : undefined,
    expectPlan: str(opts.expectPlan)?.toLowerCase(),
    profile: str(opts.profile),
    roleArn: str(opts.roleArn),
    externalId: str(opts.externalId),
    cloud: str(opts.cloud),
    impersonate: str(opts.impersonateServiceAccount),
  };
}

function printPlan(ctx: CommandContext, plan: ContainmentPlan): void {
  const v = plan.verdict;
  ctx.io.out(`threat    ${plan.threat_id} ${safe(plan.title)}`);
  ctx.io.out(`verdict   ${v ? `${v.verdict} (${v.by}${v.by === 'machine' ? `, confidence ${v.confidence.toFixed(2)}` : ''}, ${v.at})` : 'none: not investigated (--execute refuses without --force)'}`);
  ctx.io.out(`plan      ${plan.steps.length} step(s), sha256 ${plan.plan_sha256}`);
  for (const s of plan.steps) printStep(ctx, s);
  for (const n of plan.notes) ctx.io.out(`note      ${safe(n)}`);
}

function printStep(ctx: CommandContext, s: PlanStep): void {
  ctx.io.out('');
  ctx.io.out(`${s.id.padEnd(4)} ${s.status.padEnd(11)} ${s.phase.padEnd(8)} ${s.kind}  ${safe(s.target)}${s.region !== undefined ? ` (${s.region})` : ''}`);
  ctx.io.out(`     ${safe(s.title)}`);
  for (const c of s.calls) ctx.io.out(`     call      ${c.api} ${safe(JSON.stringify(c.params))}`);
  ctx.io.out(`     risk      ${s.risk.level}: ${safe(s.risk.breaks)}`);
  ctx.io.out(`     rollback  ${s.reversible && s.rollback ? safe(s.rollback.note) : 'not reversible'}`);
  for (const p of s.preconditions) ctx.io.out(`     check     ${safe(p)}`);
  if (s.gated_by.length > 0) ctx.io.out(`     after     ${s.gated_by.join(', ')} (evidence preserved first)`);
  // A session revoked for a whole chain cites hundreds of events: the terminal shows the first few (--json has all).
  const shown = s.evidence_ids.slice(0, EVIDENCE_SHOWN).map(safe).join(', ');
  const more = s.evidence_ids.length > EVIDENCE_SHOWN ? ` ... and ${s.evidence_ids.length - EVIDENCE_SHOWN} more (--json lists all)` : '';
  ctx.io.out(`     evidence  ${s.evidence_ids.length > 0 ? shown + more : '(threat entities)'}`);
  if (s.last_action) ctx.io.out(`     last      ${s.last_action.operation} ${s.last_action.status} at ${s.last_action.at} (action ${s.last_action.id})${s.last_action.reason !== null ? `: ${safe(s.last_action.reason)}` : ''}`);
}

function printRun(ctx: CommandContext, plan: ContainmentPlan, r: RunResult): void {
  ctx.io.out(`threat    ${plan.threat_id} ${safe(plan.title)}`);
  ctx.io.out(`${r.operation === 'execute' ? 'executed ' : 'rollback '} run ${r.run_id}`);
  for (const x of r.results) {
    ctx.io.out(`  ${x.step.id.padEnd(4)} ${x.status.padEnd(11)} ${x.step.kind}  ${safe(x.step.target)}${x.reason !== null ? `: ${safe(x.reason)}` : ''}`);
    if (x.request_ids.length > 0) ctx.io.out(`       request ids ${x.request_ids.map(safe).join(', ')}`);
  }
  if (r.fatal) ctx.io.out(`stopped   ${safe(r.fatal.message)}: the steps after it were not attempted (what ran is recorded)`);
  if (r.interrupted) ctx.io.out('stopped   interrupted: what ran is recorded');
  if (r.quit) ctx.io.out('stopped   quit at the prompt: the steps after it were not attempted');
  ctx.io.out(`custody   head ${r.custody_head.hash} (entry ${r.custody_head.seq})`);
}

/** Ask y/n/skip/quit on a terminal; non-interactive hosts answer with the default, which means "no answer". */
async function promptFor(ctx: CommandContext, step: PlanStep): Promise<PromptAnswer> {
  for (let i = 0; i < 3; i++) {
    if (i === 0) {
      const lines = [`${step.id} ${step.kind} ${step.target}: ${step.title}`, `risk ${step.risk.level}: ${step.risk.breaks}`, `rollback: ${step.reversible && step.rollback ? step.rollback.note : 'not reversible'}`, ...step.calls.map((c) => `call ${c.api} ${JSON.stringify(c.params)}`)];
      ctx.io.notify({ level: 'info', code: 'IRCTL_CONTAIN_I8003', message: lines.map(safe).join('\n  ') });
    }
    const a = (await ctx.io.ask(`run ${step.id} (${step.kind} ${safe(step.target)})? [y/n/skip/quit] `, '\u0000')).trim().toLowerCase();
    if (a === '\u0000') return 'none';
    if (a === 'y' || a === 'yes') return 'yes';
    if (a === 'n' || a === 'no') return 'no';
    if (a === 's' || a === 'skip') return 'skip';
    if (a === 'q' || a === 'quit') return 'quit';
  }
  return 'skip';
}

async function containHandler(typed: string, opts: Record<string, unknown>, ctx: CommandContext): Promise<number> {
  const o = parseOptions(opts);
  const { normalizeThreatId } = await import('../../investigate/agent.js');
  const { buildPlan, planJson } = await import('../../respond/plan.js');
  const id = normalizeThreatId(typed);
  if (o.mode === 'plan' || o.mode === 'status') {
    return withCase(ctx, { access: 'read' }, async (kase) => {
      const plan = buildPlan(kase.db, id);
      if (o.mode === 'plan') {
        if (ctx.io.json) ctx.io.outJson(planJson(plan));
        else {
          printPlan(ctx, plan);
          ctx.io.out('');
          ctx.io.out(`dry run   nothing was changed. Execute with \`irctl contain ${id} --execute\` (asks per step on a terminal) or --execute --approve ${plan.steps.length > 0 ? plan.steps.map((s) => s.id).slice(0, 3).join(',') : 'all'}`);
        }
        return 0;
      }
      return statusOf(ctx, plan, o);
    });
  }
  const { executePlan, rollbackPlan, resolveIds, runJson, checkMayExecute } = await import('../../respond/execute.js');
  const { loadContext } = await import('../../context/context.js');
  const { providerNamed } = await import('../../sources/index.js');
  const { caseIdOf } = await import('../../respond/plan.js');
  const { randomUUID } = await import('node:crypto');
  return withCase(ctx, { access: 'write' }, async (kase) => {
    const plan = buildPlan(kase.db, id);
    // Step ids are positions in the plan: when the evidence changed since the dry run, S3 may be another step.
    if (o.expectPlan !== undefined && o.expectPlan !== plan.plan_sha256) {
      throw new UsageError(`the plan of ${id} changed since you reviewed it (sha256 ${plan.plan_sha256}, expected ${o.expectPlan}): nothing was run`, {
        hint: `Review it again with \`irctl contain ${id}\` and pass the new digest.`,
      });
    }
    if (o.mode === 'execute') checkMayExecute(plan, o.force);
    const { context, warnings } = loadContext(kase.contextPath);
    for (const w of warnings) ctx.io.notify({ level: 'warn', code: 'IRCTL_CONTAIN_W8001', message: w });
    const runners = new Map<string, StepRunner>();
    const runner = async (provider: string): Promise<StepRunner> => {
      let r = runners.get(provider);
      if (r) return r;
      const support = providerNamed(provider)?.containment;
      if (!support) throw new UsageError(`no containment steps for provider ${provider}`);
      r = await support.runner({ env: ctx.env, profile: o.profile, roleArn: o.roleArn, externalId: o.externalId, cloud: o.cloud, impersonate: o.impersonate, signal: ctx.signal, now: ctx.now, threat_id: id, case_id: caseIdOf(kase.db) });
      runners.set(provider, r);
      return r;
    };
    const env = {
      db: kase.db,
      prov: kase.provenance,
      now: ctx.now,
      signal: ctx.signal,
      runId: `contain-${id}-${randomUUID()}`,
      runner,
      note: (message: string) => ctx.io.notify({ level: 'info', code: 'IRCTL_CONTAIN_I8002', message: safe(message) }),
    };
    let r: RunResult;
    try {
      if (o.mode === 'execute') {
        const approve = o.approve === undefined ? undefined : o.approve.toLowerCase() === 'all' ? ('all' as const) : resolveIds(plan, ids(o.approve), '--approve');
        const allowUnpreserved = resolveIds(plan, o.allowUnpreserved, '--allow-unpreserved');
        if (plan.steps.length === 0) {
          if (ctx.io.json) ctx.io.outJson(planJson(plan));
          else printPlan(ctx, plan);
          return 0;
        }
        r = await executePlan(
          plan,
          {
            approve,
            policy: context.containment,
            allowUnpreserved,
            force: o.force,
            prompt: (step) => promptFor(ctx, step),
          },
          env,
        );
      } else {
        const chosen = o.rollbackIds && o.rollbackIds.length > 0 ? resolveIds(plan, o.rollbackIds, '--rollback') : undefined;
        r = await rollbackPlan(plan, chosen, env);
      }
    } finally {
      for (const x of runners.values()) x.close();
    }
    if (ctx.io.json) ctx.io.outJson(runJson(plan, r));
    else printRun(ctx, plan, r);
    if (r.fatal) throw new SourceAccessError(r.fatal.message, { hint: `${r.fatal.hint} What ran is recorded; run the same command again to continue (done steps are not repeated).` });
    if (r.interrupted) return ExitCode.Interrupted;
    // Skipped or failed steps, or steps left after `quit` at a prompt: the run is partial.
    return r.quit || r.results.some((x) => x.status === 'skipped' || x.status === 'failed') ? ExitCode.Partial : 0;
  });
}

/** `--status`: re-read the cloud for every step that ran. */
async function statusOf(ctx: CommandContext, plan: ContainmentPlan, o: ContainOptions): Promise<number> {
  const { providerNamed } = await import('../../sources/index.js');
  const ran = plan.steps.filter((s) => s.status !== 'planned');
  const rows: Array<{ step: PlanStep; in_place: boolean | null; detail: string }> = [];
  const runners = new Map<string, StepRunner>();
  try {
    for (const s of ran) {
      let r = runners.get(s.provider);
      if (!r) {
        const support = providerNamed(s.provider)?.containment;
        if (!support) continue;
        r = await support.runner({ env: ctx.env, profile: o.profile, roleArn: o.roleArn, externalId: o.externalId, cloud: o.cloud, impersonate: o.impersonate, signal: ctx.signal, now: ctx.now, threat_id: plan.threat_id, case_id: '' });
        runners.set(s.provider, r);
      }
      try {
        rows.push({ step: s, ...(await r.status(s)) });
      } catch (err) {
        const e = err as { message?: unknown; hint?: unknown };
        throw new SourceAccessError(typeof e.message === 'string' ? e.message : String(err), { ...(typeof e.hint === 'string' ? { hint: e.hint } : {}), cause: err });
      }
    }
  } finally {
    for (const x of runners.values()) x.close();
  }
  if (ctx.io.json) {
    ctx.io.outJson({
      threat_id: plan.threat_id,
      steps: rows.map((x) => ({ id: x.step.id, kind: x.step.kind, provider: x.step.provider, target: x.step.target, status: x.step.status, in_place: x.in_place, detail: x.detail })),
    });
    return 0;
  }
  ctx.io.out(`threat    ${plan.threat_id} ${safe(plan.title)}`);
  if (rows.length === 0) ctx.io.out('status    no step has run yet');
  for (const x of rows) {
    const live = x.in_place === null ? 'unknown' : x.in_place ? 'in place' : 'NOT in place';
    ctx.io.out(`  ${x.step.id.padEnd(4)} ${x.step.status.padEnd(11)} ${live.padEnd(12)} ${x.step.kind}  ${safe(x.step.target)}: ${safe(x.detail)}`);
  }
  return 0;
}

/** `irctl contain T-3`: plan (dry run), execute with approval, roll back, or check containment of a threat. */
export const containCommand = defineCommand({
  name: 'contain',
  description: 'plan containment of a threat from its evidence (dry run), execute it step by step with approval, roll it back, or check it is in place',
  configure: (cmd) =>
    void cmd
      .argument('<threat-id>', 'threat id (T-3)')
      .option('--execute', 'run the plan: asks y/n/skip/quit per step on a terminal (or use --approve / the context.yaml policy)')
      .option('--approve <ids>', 'with --execute: run these steps without asking: all, or S1,S3')
      .option('--allow-unpreserved <ids>', 'with --execute: let these contain steps run although a preserve step of their resource is not done')
      .option('--force', 'with --execute: act although the verdict is not malicious or the threat was never investigated (needs --reason)')
      .option('--reason <text>', 'why --force (kept in the custody log)')
      .option('--expect-plan <sha256>', "with --execute/--rollback: refuse unless the plan is still the one reviewed (the dry run's plan sha256)")
      .option('--rollback [ids]', 'undo done reversible steps (all, or S4,S5) from their recorded before-state')
      .option('--status', 're-read the cloud: is each step that ran still in place?')
      .option('--profile <name>', 'AWS named profile (as for collect aws)')
      .option('--role-arn <arn>', 'assume this role for the calls (e.g. an IR role in the affected account)')
      .option('--external-id <id>', 'external id for --role-arn')
      .addOption(new Option('--cloud <name>', 'Azure cloud for Azure steps (as for collect azure; default IRCTL_AZURE_CLOUD, else AzureCloud)').choices(['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud']))
      .option('--impersonate-service-account <email>', 'Google Cloud: act as this service account for GCP steps (as for collect gcp)'),
  examples: [
    'irctl contain T-3',
    'irctl --json contain T-3',
    'irctl contain T-3 --execute',
    'irctl contain T-3 --execute --approve S1,S2,S3',
    'irctl contain T-3 --execute --approve all --expect-plan 3f1c...(the plan sha256 of the dry run)',
    'irctl contain T-3 --execute --force --reason "IR lead approved containment before the investigation (ticket IR-88)" --approve all',
    'irctl contain T-3 --status',
    'irctl contain T-3 --rollback S5',
  ],
  handler: (args, opts, ctx) => containHandler(args[0] ?? '', opts, ctx),
});
