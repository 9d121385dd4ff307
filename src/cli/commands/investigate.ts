import { Option } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import type { InvestigationResult, Transcript } from '../../investigate/types.js';
import { defineCommand } from '../command.js';
import { checkOutPath } from '../out-path.js';
import { withCase } from '../with-case.js';
import { sanitize as sanitizeLine } from '../render/table.js';

/** `irctl investigate T-3`: the question-and-answer loop and its verdict. */
export const investigateCommand = defineCommand({
  name: 'investigate',
  description: 'question-and-answer investigation of a threat ending in a verdict (malicious, security test, planned action, not malicious, inconclusive)',
  configure: (cmd) =>
    void cmd
      .argument('<threat-id>', 'threat id as listed by `irctl threats` (T-3)')
      .option('--offline', 'deterministic engine only: nothing is sent anywhere')
      .addOption(new Option('--provider <name>', 'where Claude runs (default: anthropic when ANTHROPIC_API_KEY is set; also IRCTL_PROVIDER)').choices(['anthropic', 'bedrock', 'vertex']))
      .option('--model <name>', 'model name (default: $IRCTL_MODEL, else claude-sonnet-4-5 / the provider\'s id for it)')
      .option('--region <region>', 'Bedrock AWS region or Vertex region (default: AWS_REGION / CLOUD_ML_REGION)')
      .option('--project <id>', 'Vertex project id (default: ANTHROPIC_VERTEX_PROJECT_ID)')
      .option('--max-steps <n>', 'model turns before a verdict is forced', '12')
      .option('--show-payload', 'print exactly what would be sent to the model (pseudonymized) and send nothing')
      .option('--show', 'print the last stored run of this threat instead of running again')
      .option('--interactive', 'after the verdict, ask follow-up questions answered by the same tools (needs a terminal)')
      .option('--out <file>', 'where to write the signed evidence bundle; its folder must exist (default: <case>/exports/<threat>-<time>.bundle.tar.gz)')
      .option('--no-bundle', 'do not write the signed evidence bundle of the threat after the verdict'),
  examples: [
    'irctl investigate T-3 --offline',
    'irctl investigate T-3 --offline --json',
    'ANTHROPIC_API_KEY=... irctl investigate T-3',
    'irctl investigate T-3 --provider bedrock --region eu-west-1 --model global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    'irctl investigate T-3 --show-payload',
    'irctl investigate T-3 --show',
    'irctl investigate T-3 --offline --out T-3.bundle.tar.gz',
  ],
  deprecatedOptions: [{ flags: '--bundle-out <file>', use: '--out' }],
  handler: async (args, opts, ctx) => {
    const typed = args[0] ?? '';
    const str = (k: string): string | undefined => (typeof opts[k] === 'string' ? (opts[k]) : undefined);
    const maxSteps = Number(str('maxSteps') ?? '12');
    if (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > 50) throw new UsageError(`--max-steps ${str('maxSteps') ?? ''} must be a whole number from 1 to 50`);
    const interactive = opts.interactive === true;
    if (interactive && (ctx.io.json || process.stdin.isTTY !== true)) {
      throw new UsageError('--interactive needs a terminal (stdin is not a TTY, or --json was given)', {
        hint: 'Run it in a terminal, or ask follow-up questions with `irctl events ...` and re-run `irctl investigate` after adding context.',
      });
    }
    if (opts.show === true && opts.showPayload === true) throw new UsageError('--show and --show-payload cannot be combined');
    const { resolveCaseDir } = await import('../../case/case.js');
    // Checked before the investigation runs, not when its bundle is written.
    const outOpt = str('out');
    const bundleOut = outOpt === undefined ? undefined : checkOutPath(outOpt, resolveCaseDir(ctx.globals.case, ctx.env));
    const { investigate, requireThreat, toolEnv } = await import('../../investigate/agent.js');
    const { renderInvestigation } = await import('../../investigate/render.js');
    const { randomUUID } = await import('node:crypto');
    // Showing a stored run or the payload only reads; a run, and follow-up questions (custody), write.
    const reads = (opts.show === true && !interactive) || opts.showPayload === true;
    return withCase(ctx, { access: reads ? 'read' : 'write' }, async (kase) => {
      let shown: { result: InvestigationResult; investigationId: string } | undefined;
      if (opts.show === true) {
        const { latestInvestigation } = await import('../../store/investigate-repo.js');
        const { normalizeThreatId } = await import('../../investigate/agent.js');
        const { sha256Hex } = await import('../../util/hash.js');
        const { IntegrityError } = await import('../../errors.js');
        const id = normalizeThreatId(typed);
        const rec = latestInvestigation(kase.db, id);
        if (!rec) throw new UsageError(`threat ${id} has not been investigated yet`, { hint: `Run \`irctl investigate ${id} --offline\` first.` });
        if (sha256Hex(`${rec.result}\n${rec.transcript}`) !== rec.sha256) {
          throw new IntegrityError(`stored investigation ${rec.id} of ${id} does not match its SHA-256`, { hint: 'The case may have been altered: run `irctl case verify`.' });
        }
        const result = JSON.parse(rec.result) as InvestigationResult;
        if (ctx.io.json) ctx.io.out(rec.result);
        else for (const line of renderInvestigation(result, JSON.parse(rec.transcript) as Transcript)) ctx.io.out(line);
        shown = { result, investigationId: rec.id };
      } else {
        const progress = ctx.io.progress('investigating');
        let outcome: Awaited<ReturnType<typeof investigate>>;
        try {
          outcome = await investigate(
            kase,
            {
              threatId: typed,
              offline: opts.offline === true,
              provider: str('provider'),
              model: str('model'),
              region: str('region'),
              project: str('project'),
              maxSteps,
              showPayload: opts.showPayload === true,
            },
            {
              env: ctx.env,
              now: ctx.now,
              signal: ctx.signal,
              newId: randomUUID,
              notify: (level, code, message) => ctx.io.notify({ level, code, message }),
              progress: (t) => progress.update(t),
            },
          );
        } finally {
          progress.stop();
        }
        if (outcome.kind === 'payload') {
          ctx.io.out(JSON.stringify(outcome.payload, null, ctx.io.json ? undefined : 2));
          ctx.io.notify({ level: 'info', code: 'IRCTL_INVESTIGATE_I5004', message: `nothing was sent (${outcome.payload.pseudonyms} value(s) pseudonymized; the mapping stays on this machine)` });
          return 0;
        }
        if (ctx.io.json) ctx.io.out(outcome.resultText);
        else for (const line of renderInvestigation(outcome.result, outcome.transcript)) ctx.io.out(line);
        if (!ctx.io.json && outcome.result.verdict === 'malicious') {
          // The recommended containment (issue 17): what `irctl contain` would do, planned from the same evidence.
          const { buildPlan } = await import('../../respond/plan.js');
          const plan = buildPlan(kase.db, outcome.result.threat_id);
          const id = outcome.result.threat_id;
          ctx.io.out(`contain   ${plan.steps.length} recommended step(s): review with \`irctl contain ${id}\`, run with \`irctl contain ${id} --execute\``);
          for (const st of plan.steps.slice(0, 12)) ctx.io.out(`          ${st.id} ${st.status === 'planned' ? '' : `[${st.status}] `}${sanitizeLine(st.title)}`);
          if (plan.steps.length > 12) ctx.io.out(`          … ${plan.steps.length - 12} more`);
          for (const n of plan.notes) ctx.io.out(`          note: ${sanitizeLine(n)}`);
        }
        ctx.io.notify({ level: 'debug', code: 'IRCTL_INVESTIGATE_D5005', message: `stored investigation ${outcome.result.investigation_id}` });
        // The custody head after everything this run appended (the bundle's export entry included), once, at the end.
        let head = outcome.head;
        let bundle: { path: string; sha256: string; fingerprint: string } | undefined;
        const finish = (): void => {
          if (ctx.io.json) {
            const where = bundle ? `signed evidence bundle: ${bundle.path}; ` : '';
            ctx.io.notify({ level: 'info', code: 'IRCTL_INVESTIGATE_I5005', message: `${where}custody head ${head.hash} (entry ${head.seq})` });
            return;
          }
          if (bundle) {
            ctx.io.out(`bundle    ${bundle.path}`);
            ctx.io.out(`          sha256 ${bundle.sha256}, signed by ${bundle.fingerprint}; check it with: irctl verify ${bundle.path}`);
          }
          ctx.io.out(`custody   head ${head.hash} (entry ${head.seq})`);
        };
        // Ctrl-C during a model run: the deterministic verdict was stored; say so with the interrupted exit code.
        if (ctx.signal.aborted) {
          finish();
          return ExitCode.Interrupted;
        }
        if (opts.bundle === false) {
          ctx.io.notify({ level: 'debug', code: 'IRCTL_INVESTIGATE_D5006', message: '--no-bundle: no bundle written' });
        } else {
          // The design card: an investigation ends by writing the threat's signed evidence bundle into the case.
          const { writeThreatBundle } = await import('../../export/index.js');
          const path = await import('node:path');
          // One bundle per investigation run: the run id keeps names unique when runs share a second.
          const stamp = ctx.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
          const out =
            bundleOut ??
            path.join(kase.exportsDir, `${outcome.result.threat_id}-${stamp}-${outcome.result.investigation_id.slice(0, 8)}.bundle.tar.gz`);
          const b = await writeThreatBundle(kase, outcome.result.threat_id, {
            out,
            now: ctx.now,
            io: ctx.io,
            signal: ctx.signal,
          });
          bundle = b;
          head = b.custody_head;
        }
        finish();
        shown = { result: outcome.result, investigationId: outcome.result.investigation_id };
      }
      if (interactive && shown) {
        const { loadContext } = await import('../../context/context.js');
        const { routeFollowUp, FOLLOW_UP_HELP } = await import('../../investigate/follow-up.js');
        const { ToolSession } = await import('../../investigate/session.js');
        const { threatEvents, ToolArgumentError } = await import('../../investigate/tools.js');
        const { rowLine } = await import('../../investigate/render.js');
        const { appendInvestigateCustody } = await import('../../store/investigate-repo.js');
        const threat = requireThreat(kase, shown.result.threat_id);
        const env = toolEnv(kase, threat, loadContext(kase.contextPath).context);
        const session = new ToolSession(env);
        const facts = threatEvents(env).facts;
        ctx.io.out('');
        ctx.io.out(FOLLOW_UP_HELP);
        for (;;) {
          if (ctx.signal.aborted) break;
          // A question pasted over several lines is one question.
          const q = (await ctx.io.ask('\nfollow-up> ', '', { multiline: true })).replace(/\s*\n\s*/g, ' ').trim();
          if (q === '' || q === 'quit' || q === 'exit') break;
          const route = routeFollowUp(q, facts);
          if ('help' in route) {
            ctx.io.out(route.help);
            continue;
          }
          try {
            const a = session.call(route.tool, route.args);
            ctx.io.out(`tool    ${route.tool} ${JSON.stringify(a.result.args)}`);
            for (const r of a.result.rows.slice(0, 15)) ctx.io.out(`  ${rowLine(r)}`);
            if (a.result.total > 15) ctx.io.out(`  … ${a.result.total - Math.min(15, a.result.rows.length)} more row(s)`);
            ctx.io.out(`answer  ${a.result.summary}`);
            for (const f of a.result.injection_flags) ctx.io.out(`  injection flag: ${f.evidence_id} ${f.field} [${f.encoding}/${f.pattern}]`);
            appendInvestigateCustody(
              kase.db,
              'investigate.followup',
              shown.investigationId,
              { threat_id: threat.id, investigation_id: shown.investigationId, question: q.slice(0, 500), tool: route.tool, args: a.result.args, result_sha256: a.sha256 },
              kase.provenance,
              ctx.now(),
            );
          } catch (err) {
            if (err instanceof ToolArgumentError) ctx.io.out(`cannot answer: ${err.message}`);
            else throw err;
          }
        }
      }
      return 0;
    });
  },
});
