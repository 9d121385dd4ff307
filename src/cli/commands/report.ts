import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { writePrivateFile } from '../../util/private-file.js';
import { defineCommand } from '../command.js';
import { checkOutPath } from '../out-path.js';
import { withCase } from '../with-case.js';

/** `irctl report T-3`: the after-action report. */
export const reportCommand = defineCommand({
  name: 'report',
  description: 'write the incident report of a threat (or --all): summary, verdict, timeline, blast radius, actions, open questions, evidence appendix, regulatory clocks',
  configure: (cmd) =>
    void cmd
      .argument('[threat-id]', 'the threat (T-3)')
      .option('--all', 'report on the whole case')
      .addOption(new Option('--format <format>', 'md or html').choices(['md', 'html']).default('md'))
      .option('--out <file>', 'write to FILE; its folder must exist (default: Markdown to stdout; HTML to <case>/exports/<id>-report-<UTC timestamp>.html)'),
  examples: ['irctl report T-3', 'irctl report T-3 --format html --out T-3.html', 'irctl report --all --json'],
  handler: async (args, opts, ctx) => {
    const id = args[0];
    if (id !== undefined && opts.all === true) throw new UsageError('give a threat id or --all, not both');
    if (id === undefined && opts.all !== true) throw new UsageError('which threat? give a threat id (irctl report T-3) or --all', { hint: 'List threats with `irctl threats`.' });
    const { resolveCaseDir } = await import('../../case/case.js');
    const outArg = typeof opts.out === 'string' ? checkOutPath(opts.out, resolveCaseDir(ctx.globals.case, ctx.env)) : undefined;
    const { reportModel, renderReport } = await import('../../report/index.js');
    await withCase(ctx, { access: 'read' }, (kase) => {
      const now = ctx.now();
      const model = reportModel(kase, { threatId: id, asOf: now, io: ctx.io });
      if (ctx.io.json && outArg === undefined) {
        ctx.io.outJson(model);
        return;
      }
      const format = opts.format === 'html' ? 'html' : 'md';
      const text = renderReport(model, format);
      let out = outArg;
      if (out === undefined && format === 'md') {
        for (const line of text.replace(/\n$/, '').split('\n')) ctx.io.out(line);
        return;
      }
      out ??= join(kase.exportsDir, `${id ?? 'case'}-report-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}.html`);
      mkdirSync(dirname(out), { recursive: true });
      writePrivateFile(out, text);
      if (ctx.io.json) ctx.io.outJson({ path: out, format, threat_id: id ?? null });
      else ctx.io.out(`report written to ${out}`);
    });
  },
});
