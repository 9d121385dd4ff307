import type { Chalk } from 'chalk';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { withCase } from '../with-case.js';

/** Colour of a severity (used for whole table lines). */
export const SEVERITY_PAINT: Record<string, (c: InstanceType<typeof Chalk>, s: string) => string> = {
  critical: (c, s) => c.red.bold(s),
  high: (c, s) => c.red(s),
  medium: (c, s) => c.yellow(s),
  low: (c, s) => c.cyan(s),
};

/** `irctl threats [show ID]`: threats by priority, or one threat with its detections. */
export const threatsCommand = defineCommand({
  name: 'threats',
  description: 'list threats by priority, or show one threat and its detections (irctl threats show T-3)',
  configure: (cmd) => void cmd.argument('[verb]', '"show" (or "list", the default)').argument('[id]', 'threat id for show, e.g. T-3'),
  examples: ['irctl threats', 'irctl threats --json', 'irctl threats show T-3'],
  handler: async (args, _opts, ctx) => {
    let [verb, id] = args;
    // `irctl threats T-3` is taken as `irctl threats show T-3`.
    if (verb !== undefined && /^(t-)?\d+$/i.test(verb) && id === undefined) [verb, id] = ['show', verb];
    if (verb !== undefined && verb !== 'list' && verb !== 'show') {
      throw new UsageError(`unknown threats action ${JSON.stringify(verb)}`, { hint: 'Use `irctl threats` to list, or `irctl threats show T-3`.' });
    }
    if (verb === 'show' && id === undefined) throw new UsageError('irctl threats show needs a threat id', { hint: 'Run `irctl threats` to list ids.' });
    if (verb === 'list' && id !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(id)}`, { hint: 'Did you mean `irctl threats show ' + id + '`?' });
    const { Chalk } = await import('chalk');
    const { renderTable, sanitize } = await import('../render/table.js');
    await withCase(ctx, { access: 'read' }, async (kase) => {
      const c = new Chalk({ level: ctx.io.color ? 1 : 0 });
      const sev = (s: string): string => SEVERITY_PAINT[s]?.(c, s) ?? s;
      if (verb === 'show' && id !== undefined) {
        const { showThreat } = await import('../../correlate/threats.js');
        const { normalizeThreatId } = await import('../../timeline/timeline.js');
        const { threat, detections } = showThreat(kase.db, normalizeThreatId(id));
        if (ctx.io.json) {
          ctx.io.outJson({ ...threat, detection_list: detections });
          return;
        }
        const out = (s: string): void => ctx.io.out(s);
        out(`${c.bold(threat.id)}  ${sev(threat.severity)}  priority ${threat.priority}  ${sanitize(threat.title)}`);
        out(`seen ${threat.first_seen} to ${threat.last_seen}; ${threat.detections} detection(s)`);
        if (threat.tactics.length > 0) out(`tactics: ${threat.tactics.join(', ')}`);
        if (threat.techniques.length > 0) out(`techniques: ${threat.techniques.join(', ')}`);
        for (const n of threat.context_notes) out(`context: ${sanitize(n)}`);
        const kinds = ['principal', 'access_key', 'session', 'role', 'instance', 'ip'];
        for (const k of kinds) {
          const vals = threat.entities.filter((e) => e.kind === k).map((e) => (e.common === true ? `${e.value} (shared)` : e.value));
          if (vals.length > 0) out(`${k}: ${sanitize(vals.slice(0, 8).join(', '))}${vals.length > 8 ? `, ... ${vals.length - 8} more` : ''}`);
        }
        out('');
        for (const line of renderTable(
          detections,
          [
            { header: 'TIME (UTC)', get: (d) => d.first_seen },
            { header: 'SEVERITY', get: (d) => d.severity },
            { header: 'RULE', get: (d) => d.rule_title, max: 50 },
            { header: 'RULE ID', get: (d) => d.rule_id, max: 40 },
            { header: 'AUTHOR', get: (d) => d.rule_author ?? '-', max: 30 },
            { header: 'EVENTS', get: (d) => String(d.event_ids.length) },
            { header: 'SUMMARY', get: (d) => d.summary, max: 120 },
          ],
          (d, line) => SEVERITY_PAINT[d.severity]?.(c, line) ?? line,
        ))
          out(line);
        out('');
        out(`next: irctl timeline ${threat.id}`);
        return;
      }
      const { listThreats } = await import('../../correlate/threats.js');
      const { threats, detectRan } = listThreats(kase.db);
      if (ctx.io.json) {
        for (const t of threats) ctx.io.outJson(t);
        return;
      }
      if (threats.length === 0) {
        ctx.io.notify({
          level: 'info',
          code: 'IRCTL_THREATS_I4001',
          message: detectRan ? 'no threats: the last `irctl detect` found nothing' : 'no threats yet: run `irctl detect` first',
        });
        return;
      }
      for (const line of renderTable(
        threats,
        [
          { header: 'ID', get: (t) => t.id },
          { header: 'PRIORITY', get: (t) => String(t.priority) },
          { header: 'SEVERITY', get: (t) => t.severity },
          { header: 'FIRST SEEN (UTC)', get: (t) => t.first_seen },
          { header: 'LAST SEEN (UTC)', get: (t) => t.last_seen },
          { header: 'DETECTIONS', get: (t) => String(t.detections) },
          { header: 'TITLE', get: (t) => t.title, max: 110 },
        ],
        (t, line) => SEVERITY_PAINT[t.severity]?.(c, line) ?? line,
      ))
        ctx.io.out(line);
    });
  },
});
