import type { Chalk } from 'chalk';
import { UsageError } from '../../errors.js';
import { defineCommand, type CommandContext } from '../command.js';
import { withCase } from '../with-case.js';

/** Colour of a severity (used for whole table lines). */
export const SEVERITY_PAINT: Record<string, (c: InstanceType<typeof Chalk>, s: string) => string> = {
  critical: (c, s) => c.red.bold(s),
  high: (c, s) => c.red(s),
  medium: (c, s) => c.yellow(s),
  low: (c, s) => c.cyan(s),
};

/** `irctl threats list`: every threat by priority. */
const listThreatsCommand = defineCommand({
  name: 'list',
  description: 'list threats by priority (ids such as T-3 stay stable across re-runs of detect)',
  examples: ['irctl threats list', 'irctl threats list --json'],
  handler: (_args, _opts, ctx) => listThreats(ctx),
});

/** `irctl threats show T-3`: one threat and its detections. */
const showThreatCommand = defineCommand({
  name: 'show',
  description: 'show one threat: severity, tactics, entities and every detection with its rule',
  configure: (cmd) => void cmd.argument('<threat-id>', 'threat id, e.g. T-3 (see irctl threats list)'),
  examples: ['irctl threats show T-3', 'irctl threats show T-3 --json'],
  handler: (args, _opts, ctx) => showThreat(args[0] ?? '', ctx),
});

/**
 * `irctl threats`: the group. Bare, it lists (`irctl threats` = `irctl threats list`); `irctl threats T-3` is kept as
 * an alias of `irctl threats show T-3`.
 */
export const threatsCommand = defineCommand({
  name: 'threats',
  description: 'list threats by priority (the default) or show one threat and its detections',
  configure: (cmd) => void cmd.argument('[threat-id]', 'same as `irctl threats show <threat-id>`'),
  examples: ['irctl threats', 'irctl threats list --json', 'irctl threats show T-3', 'irctl threats T-3'],
  subcommands: [listThreatsCommand, showThreatCommand],
  handler: (args, _opts, ctx) => (args[0] === undefined ? listThreats(ctx) : showThreat(args[0], ctx)),
});

async function showThreat(id: string, ctx: CommandContext): Promise<void> {
  if (!/^(t-)?\d+$/i.test(id.trim())) {
    throw new UsageError(`${JSON.stringify(id)} is not a threat id or a threats subcommand`, { hint: 'Use `irctl threats list`, or `irctl threats show T-3`.' });
  }
  const { Chalk } = await import('chalk');
  const { renderTable, sanitize } = await import('../render/table.js');
  await withCase(ctx, { access: 'read' }, async (kase) => {
    const c = new Chalk({ level: ctx.io.color ? 1 : 0 });
    const sev = (s: string): string => SEVERITY_PAINT[s]?.(c, s) ?? s;
    const { showThreat: readThreat } = await import('../../correlate/threats.js');
    const { normalizeThreatId } = await import('../../timeline/timeline.js');
    const { threat, detections } = readThreat(kase.db, normalizeThreatId(id));
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
  });
}

async function listThreats(ctx: CommandContext): Promise<void> {
  const { Chalk } = await import('chalk');
  const { renderTable } = await import('../render/table.js');
  await withCase(ctx, { access: 'read' }, async (kase) => {
    const c = new Chalk({ level: ctx.io.color ? 1 : 0 });
    const { listThreats: readThreats } = await import('../../correlate/threats.js');
    const { threats, detectRan } = readThreats(kase.db);
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
}
