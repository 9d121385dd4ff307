import { defineCommand } from '../command.js';
import { withCase } from '../with-case.js';

/** `irctl stats`: how often the analyst agreed with the machine verdict. */
export const statsCommand = defineCommand({
  name: 'stats',
  description: 'agreement between machine verdicts and analyst decisions (per verdict and per engine)',
  examples: ['irctl stats', 'irctl stats --json'],
  handler: async (_args, _opts, ctx) => {
    const { verdictStats } = await import('../../investigate/stats.js');
    const { verdictPairs } = await import('../../store/investigate-repo.js');
    await withCase(ctx, { access: 'read' }, (kase) => {
      const s = verdictStats(verdictPairs(kase.db));
      if (ctx.io.json) {
        ctx.io.outJson(s);
        return;
      }
      ctx.io.out(`threats investigated     ${s.investigated} (${s.runs} run(s))`);
      ctx.io.out(`analyst decisions        ${s.decided} threat(s), ${s.overrides} decision(s)`);
      ctx.io.out(`agreement                ${s.agreement_rate === null ? 'n/a (no threat has both a machine verdict and an analyst decision)' : `${(s.agreement_rate * 100).toFixed(0)}% (${s.agreed} agreed, ${s.disagreed} overridden)`}`);
      if (s.by_engine.length > 0) {
        ctx.io.out('');
        ctx.io.out('ENGINE                               DECIDED  AGREED  RATE');
        for (const e of s.by_engine) ctx.io.out(`${e.engine.padEnd(36)} ${String(e.decided).padStart(7)} ${String(e.agreed).padStart(7)}  ${e.rate === null ? '-' : `${(e.rate * 100).toFixed(0)}%`}`);
      }
      if (s.confusion.length > 0) {
        ctx.io.out('');
        ctx.io.out('MACHINE          ANALYST          THREATS');
        for (const c of s.confusion) ctx.io.out(`${c.machine.padEnd(16)} ${c.analyst.padEnd(16)} ${String(c.threats).padStart(7)}`);
      }
    });
  },
});
