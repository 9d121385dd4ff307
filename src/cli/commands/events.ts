import { Option } from 'commander';
import { UsageError } from '../../errors.js';
import { LAYERS, OUTCOMES } from '../../normalize/event.js';
import { defineCommand } from '../command.js';
import { addEventFilterOptions, eventFilterOf } from '../filter-flags.js';
import { withCase } from '../with-case.js';

/** `irctl events`: query normalized events. */
export const eventsCommand = defineCommand({
  name: 'events',
  description: 'list events in time order, filtered by time, actor, key, IP, action, provider, layer',
  configure: (cmd) =>
    void addEventFilterOptions(cmd)
      .option('--provider <name>', 'aws, azure, gcp, okta, ...')
      .addOption(new Option('--layer <layer>', 'telemetry layer').choices([...LAYERS]))
      .addOption(new Option('--outcome <outcome>', 'outcome').choices([...OUTCOMES]))
      .option('--limit <n>', 'at most N events (default 200 in the table, all with --json)')
      .option('--desc', 'newest first')
      .option('--full', 'with --json: also the request parameters, response elements and error message from the raw record'),
  examples: [
    'irctl events --actor AKIAIOSFODNN7EXAMPLE --since 2d',
    'irctl events --action "Delete*" --outcome success',
    'irctl events --ip 203.0.113.7 --json',
    'irctl events --action CreateAccessKey --json --full',
  ],
  handler: async (_args, opts, ctx) => {
    const { queryEvents, queryEventsFull, countEvents } = await import('../../store/query-repo.js');
    const { renderEventTable, eventJson, fullEventJson } = await import('../render/events.js');
    if (opts.full === true && !ctx.io.json) throw new UsageError('--full needs --json', { hint: 'The table shows normalized columns; `irctl show <event-id>` shows one event in full.' });
    const now = ctx.now();
    const str = (k: string): string | undefined => (typeof opts[k] === 'string' ? (opts[k]) : undefined);
    let limit: number | undefined;
    const rawLimit = str('limit');
    if (rawLimit !== undefined) {
      limit = Number(rawLimit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit ${rawLimit} is not a whole number`);
    } else if (!ctx.io.json) limit = 200;
    const filter = {
      ...eventFilterOf(opts, now),
      provider: str('provider'),
      layer: str('layer'),
      outcome: str('outcome'),
      limit,
      descending: opts.desc === true,
    };
    await withCase(ctx, { access: 'read' }, (kase) => {
      if (ctx.io.json) {
        if (opts.full === true) for (const e of queryEventsFull(kase.db, filter)) ctx.io.outJson(fullEventJson(e));
        else for (const e of queryEvents(kase.db, filter)) ctx.io.outJson(eventJson(e));
        return;
      }
      const rows = [...queryEvents(kase.db, filter)];
      for (const line of renderEventTable(rows, ctx.io.color)) ctx.io.out(line);
      const total = countEvents(kase.db, { ...filter, limit: undefined });
      ctx.io.notify({
        level: 'info',
        code: 'IRCTL_EVENTS_I2001',
        message: rows.length < total ? `${rows.length} of ${total} matching events shown (use --limit or --json for more)` : `${total} matching event(s)`,
      });
    });
  },
});
