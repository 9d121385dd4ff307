import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withCase } from '../with-case.js';

const VERDICT_CHOICES = ['malicious', 'security_test', 'planned_action', 'not_malicious', 'inconclusive'];

/** `irctl verdict T-3 [--set V --reason "..."]`: the analyst's decision, recorded next to the machine's. */
export const verdictCommand = defineCommand({
  name: 'verdict',
  description: "record the analyst's decision on a threat next to the machine's verdict (custody entry verdict.set), or show the history",
  configure: (cmd) =>
    void cmd
      .argument('<threat-id>', 'threat id (T-3)')
      .addOption(new Option('--set <verdict>', 'the analyst decision').choices(VERDICT_CHOICES))
      .option('--reason <text>', 'why (required with --set; kept as evidence)'),
  examples: ['irctl verdict T-3', 'irctl verdict T-3 --set not_malicious --reason "backup job confirmed by the platform team (ticket OPS-2211)"'],
  handler: async (args, opts, ctx) => {
    const typed = args[0] ?? '';
    const set = typeof opts.set === 'string' ? opts.set : undefined;
    const reason = typeof opts.reason === 'string' ? opts.reason.trim() : undefined;
    if (set === undefined && reason !== undefined) throw new UsageError('--reason needs --set');
    if (set !== undefined && (reason === undefined || reason === '')) {
      throw new UsageError('--set needs --reason "..."', { hint: 'The reason is kept in the custody log with the decision; say what the decision rests on.' });
    }
    if (reason !== undefined && reason.length > 4000) throw new UsageError('--reason is longer than 4,000 characters');
    const { normalizeThreatId } = await import('../../investigate/agent.js');
    const repo = await import('../../store/investigate-repo.js');
    const { rejectedProposalNote } = await import('../../investigate/render.js');
    // Showing the history only reads; recording a decision writes (the writer lock).
    return withCase(ctx, { access: set === undefined ? 'read' : 'write' }, (kase) => {
      const id = normalizeThreatId(typed);
      const known = repo.getThreatRecord(kase.db, id) !== undefined || repo.latestInvestigation(kase.db, id) !== undefined;
      if (!known) throw new UsageError(`no threat ${id} in this case`, { hint: 'List threats with `irctl threats`.' });
      if (set !== undefined && reason !== undefined) {
        const latest = repo.latestInvestigation(kase.db, id);
        const now = ctx.now();
        const { id: overrideId, head } = repo.insertOverride(
          kase.db,
          { threat_id: id, investigation_id: latest?.id ?? null, machine_verdict: latest?.verdict ?? null, verdict: set, reason, analyst: kase.provenance.os_user, time: now.toISOString() },
          { run_id: `verdict-${id}-${now.getTime()}` },
          kase.provenance,
          now,
        );
        const agrees = latest ? latest.verdict === set : null;
        if (ctx.io.json) {
          ctx.io.outJson({ threat_id: id, override_id: overrideId, verdict: set, reason, analyst: kase.provenance.os_user, time: now.toISOString(), machine_verdict: latest?.verdict ?? null, investigation_id: latest?.id ?? null, agrees_with_machine: agrees, custody_head: head });
        } else {
          ctx.io.out(`recorded   ${id}: ${set} (by ${kase.provenance.os_user})`);
          ctx.io.out(`machine    ${latest ? `${latest.verdict} (${latest.confidence}, ${latest.engine}, run ${latest.id})${agrees === true ? ': agrees' : ': overridden'}` : 'not investigated yet'}`);
          ctx.io.out(`custody    head ${head.hash} (entry ${head.seq})`);
        }
        return 0;
      }
      const h = repo.verdictHistory(kase.db, id);
      if (ctx.io.json) {
        ctx.io.outJson({
          threat_id: id,
          current: h.current,
          investigations: h.investigations.map((i) => ({ id: i.id, started_at: i.started_at, engine: i.engine, verdict: i.verdict, confidence: i.confidence, sha256: i.sha256 })),
          overrides: h.overrides,
        });
        return 0;
      }
      ctx.io.out(`threat     ${id}`);
      ctx.io.out(`current    ${h.current ? `${h.current.verdict} (${h.current.by}, ${h.current.at})` : 'no verdict yet'}`);
      const lines = [
        ...h.investigations.map((i) => ({ t: i.started_at, s: `machine  ${i.verdict.padEnd(15)} ${i.confidence.toFixed(2)}  ${i.engine}  run ${i.id}${rejectedProposalNote(i.result)}` })),
        ...h.overrides.map((o) => ({ t: o.time, s: `analyst  ${o.verdict.padEnd(15)}       ${o.analyst}: ${o.reason.replace(/\p{Cc}/gu, ' ')}` })),
      ].sort((a, b) => a.t.localeCompare(b.t));
      for (const l of lines) ctx.io.out(`${l.t}  ${l.s}`);
      return 0;
    });
  },
});
