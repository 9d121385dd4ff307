import { Option } from 'commander';
import type { Chalk } from 'chalk';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { addEventFilterOptions, eventFilterOf } from '../filter-flags.js';
import { withCase } from '../with-case.js';

const LAYER_PAINT: Record<string, (c: InstanceType<typeof Chalk>, s: string) => string> = {
  control_plane: (c, s) => c.cyan(s),
  identity: (c, s) => c.magenta(s),
  workload: (c, s) => c.yellow(s),
  ai: (c, s) => c.green(s),
  network: (c, s) => c.blue(s),
  context: (c, s) => c.gray(s),
};

/** `irctl timeline ID`: the attack timeline of a threat, with its blast radius. */
export const timelineCommand = defineCommand({
  name: 'timeline',
  description: 'the attack timeline of a threat (every event of its entities, in time order) with its blast radius',
  configure: (cmd) => {
    cmd
      .argument('<id>', 'threat id, e.g. T-3 (see irctl threats)')
      .addOption(
        new Option('--format <format>', 'output format (--json is the same as --format json)').choices(['table', 'lanes', 'json', 'csv', 'md', 'timesketch']),
      )
      .option('--layer <layers>', 'only events of these layers, comma-separated (control_plane, identity, workload, ai, network, context)')
      .option('--margin <duration>', 'look this far before the first and after the last detection (30m, 2h, 1d)', '1h')
      .option('--no-collapse', 'one line per event (runs of identical events are collapsed by default)')
      .option('--blast-radius', 'print only the blast radius (one JSON object with --json)')
      .option('--limit <n>', 'read at most N events', '100000');
    // The filters of `irctl events`: they narrow the timeline (and its blast radius) to matching events.
    addEventFilterOptions(cmd);
  },
  examples: [
    'irctl timeline T-3',
    'irctl timeline T-3 --json',
    'irctl timeline T-3 --json --blast-radius',
    'irctl timeline T-3 --format timesketch > t3.jsonl',
    'irctl timeline T-3 --format md --margin 6h',
    'irctl timeline T-3 --format lanes',
    'irctl timeline T-3 --layer ai,workload',
    'irctl timeline T-3 --actor AKIAIOSFODNN7EXAMPLE --service iam --since 2026-11-21T02:00:00Z',
  ],
  handler: async (args, opts, ctx) => {
    const { parseDurationArg } = await import('../../correlate/duration.js');
    const id = args[0] ?? '';
    const fmtOpt = typeof opts.format === 'string' ? opts.format : undefined;
    if (ctx.io.json && fmtOpt !== undefined && fmtOpt !== 'json') throw new UsageError(`--json and --format ${fmtOpt} disagree: pick one`);
    const format = ctx.io.json ? 'json' : (fmtOpt ?? 'table');
    const marginMs = parseDurationArg(typeof opts.margin === 'string' ? opts.margin : '1h', '--margin');
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${String(opts.limit)} is not a positive whole number`);
    const blastOnly = opts.blastRadius === true;
    if (blastOnly && (format === 'csv' || format === 'timesketch')) throw new UsageError(`--blast-radius cannot be combined with --format ${format}`, { hint: 'Use --json or the table.' });
    // Timesketch wants every event: never collapse for it.
    const collapse = opts.collapse !== false && format !== 'timesketch';
    const filter = eventFilterOf(opts, ctx.now());
    const { LAYERS } = await import('../../normalize/event.js');
    const layers = typeof opts.layer === 'string' ? opts.layer.split(',').map((l) => l.trim()).filter((l) => l !== '') : undefined;
    for (const l of layers ?? []) {
      if (!(LAYERS as readonly string[]).includes(l)) throw new UsageError(`--layer ${l} is not a layer`, { hint: `Layers: ${LAYERS.join(', ')} (comma-separated for several).` });
    }
    if (layers !== undefined && layers.length === 0) throw new UsageError('--layer needs at least one layer', { hint: `Layers: ${LAYERS.join(', ')}.` });
    if (blastOnly && format === 'lanes') throw new UsageError('--blast-radius cannot be combined with --format lanes', { hint: 'Use --json or the table.' });
    await withCase(ctx, { access: 'read' }, async (kase) => {
      const { buildTimeline } = await import('../../timeline/timeline.js');
      const f = await import('../../timeline/format.js');
      const t = buildTimeline(kase.db, id, { marginMs, collapse, limit, filter, layers });
      if (t.truncated) {
        ctx.io.notify({
          level: 'warn',
          code: 'IRCTL_TIMELINE_W5001',
          message: `only the first ${t.events} events of the window are shown: raise --limit or narrow --margin`,
        });
      }
      if (format === 'json') {
        if (blastOnly) ctx.io.outJson(f.blastJson(t));
        else for (const e of t.entries) ctx.io.outJson(f.entryJson(t.threat.id, e));
        return;
      }
      if (format === 'timesketch') {
        for (const l of f.timesketchLines(t)) ctx.io.outJson(l);
        return;
      }
      if (format === 'csv') {
        for (const l of f.timelineCsv(t)) ctx.io.out(l);
        return;
      }
      if (format === 'md') {
        const lines = f.timelineMarkdown(t);
        for (const l of blastOnly ? lines.slice(lines.indexOf('## Blast radius')) : lines) ctx.io.out(l);
        return;
      }
      const { Chalk } = await import('chalk');
      const { renderTable, sanitize } = await import('../render/table.js');
      const c = new Chalk({ level: ctx.io.color ? 1 : 0 });
      const th = t.threat;
      if (!blastOnly) {
        ctx.io.out(c.bold(`${th.id}  ${th.severity}  priority ${th.priority}  ${sanitize(th.title)}`));
        ctx.io.out(`window ${t.window.from} to ${t.window.to} (detections ${th.first_seen} to ${th.last_seen}, margin ${t.window.margin_ms / 60_000} min)`);
        for (const n of th.context_notes) ctx.io.out(`context: ${sanitize(n)}`);
        ctx.io.out('');
        if (format === 'lanes') {
          // The layers side by side: one column per layer present, each entry in its own layer's column.
          const lanes = f.laneLayers(t);
          for (const line of renderTable(
            t.entries,
            [
              { header: 'TIME (UTC)', get: (e) => e.time },
              { header: 'N', get: (e) => (e.count > 1 ? `x${e.count}` : '') },
              ...lanes.map((l) => ({ header: f.LAYER_LABELS[l] ?? l, get: (e: (typeof t.entries)[number]) => (e.layer === l ? f.laneCell(e) : ''), max: 34 })),
            ],
            (e, line) => {
              const painted = LAYER_PAINT[e.layer]?.(c, line) ?? line;
              return e.detections.length > 0 ? c.bold(painted) : painted;
            },
          ))
            ctx.io.out(line);
          ctx.io.out('');
          ctx.io.out(`${t.events} event(s) in ${t.entries.length} line(s) across ${lanes.length} layer(s); entries marked ! triggered a detection`);
          return;
        }
        const lines = renderTable(
          t.entries,
          [
            { header: 'TIME (UTC)', get: (e) => e.time },
            { header: 'N', get: (e) => (e.count > 1 ? `x${e.count}` : '') },
            { header: 'LAYER', get: (e) => e.layer },
            { header: 'TACTIC', get: (e) => e.tactics.join(',') || '-', max: 28 },
            { header: 'ACTION', get: (e) => f.entryActionLabel(e), max: 48 },
            { header: 'ACTOR', get: (e) => e.actor ?? '-', max: 56 },
            { header: 'SOURCE', get: (e) => e.source ?? '-', max: 32 },
            { header: 'OUTCOME', get: (e) => (e.error_code ? `${e.outcome} (${e.error_code})` : e.outcome), max: 36 },
            { header: 'DETECTIONS', get: (e) => [...new Set(e.detections.map((d) => d.rule_title))].join('; ') || '-', max: 70 },
          ],
          (e, line) => {
            const painted = LAYER_PAINT[e.layer]?.(c, line) ?? line;
            return e.detections.length > 0 ? c.bold(painted) : painted;
          },
        );
        lines.forEach((line, i) => {
          ctx.io.out(line);
          // Untrusted text an event carries (an AI prompt and output): one indented, labelled line under its row.
          const ex = i > 0 ? t.entries[i - 1]?.excerpt : undefined;
          if (ex) ctx.io.out(c.dim(`    untrusted text: ${sanitize(ex)}`));
        });
        ctx.io.out('');
        ctx.io.out(`${t.events} event(s) in ${t.entries.length} line(s)${collapse ? ' (bursts of repeated or read-only calls by one principal collapsed; --no-collapse to expand)' : ''}`);
      }
      ctx.io.out(c.bold('blast radius'));
      for (const l of f.blastLines(t.blast_radius)) ctx.io.out(`  ${sanitize(l)}`);
    });
  },
});
