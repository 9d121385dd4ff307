import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { DetectionEvidence, InvestigationEvidence } from '../../store/show-repo.js';
import { defineCommand, type CommandContext } from '../command.js';
import { sanitize } from '../render/table.js';
import { withCase } from '../with-case.js';

/** Log-derived text reaches the terminal without control characters. */
const safe = (s: string): string => sanitize(s);

/** Ids a verdict cites, by prefix. */
const KINDS = 'an event id, det:<fingerprint prefix>, ctx:<context path> or inv:<investigation id>';

/** `irctl show <evidence-id>`: open any id a verdict, a report or a bundle cites. */
export const showCommand = defineCommand({
  name: 'show',
  description: 'open one piece of evidence by the id a verdict cites: an event (normalized fields, raw record, inputs, detections, threats), det:, ctx: or inv:',
  configure: (cmd) =>
    void cmd
      .argument('<evidence-id>', KINDS)
      .option('--raw', "print only the event's raw record, byte for byte as stored (the first copy; --copy N for another)")
      .option('--copy <n>', 'which stored copy of the raw record --raw prints (1 = first)'),
  examples: [
    'irctl show 6f1d0a6e-1b1f-4c29-9c0e-2f3b7a1c0001',
    'irctl show 6f1d0a6e-1b1f-4c29-9c0e-2f3b7a1c0001 --raw | jq .',
    'irctl show det:03f32d9ea1676021',
    'irctl show ctx:red_team.user_agent_markers[0]',
    'irctl show inv:8f2ac5b3 --json',
  ],
  handler: async (args, opts, ctx) => {
    const id = (args[0] ?? '').trim();
    if (id === '') throw new UsageError(`give ${KINDS}`);
    if (opts.raw === true && /^(det|ctx|inv):/.test(id)) throw new UsageError('--raw applies to event ids only');
    const copy = opts.copy === undefined ? 1 : Number(opts.copy);
    if (!Number.isInteger(copy) || copy < 1) throw new UsageError(`--copy ${String(opts.copy)} is not a copy number (1, 2, ...)`);
    if (id.startsWith('ctx:')) return showContext(id, ctx);
    const repo = await import('../../store/show-repo.js');
    return withCase(ctx, { access: 'read' }, (kase) => {
      if (id.startsWith('det:')) return showDetection(repo.detectionsByPrefix(kase.db, id.slice(4)), id, ctx);
      if (id.startsWith('inv:')) return showInvestigation(repo.investigationsByPrefix(kase.db, id.slice(4)), id, ctx);
      const ev = repo.eventEvidence(kase.db, id);
      if (!ev) throw new UsageError(`no event ${id} in this case`, { hint: `Give ${KINDS}; list events with \`irctl events\`.` });
      if (opts.raw === true) {
        const c = ev.copies[copy - 1];
        if (!c) throw new UsageError(`event ${id} has ${ev.copies.length} stored cop${ev.copies.length === 1 ? 'y' : 'ies'}, not ${copy}`);
        ctx.io.outRaw(c.raw);
        // stdout stays the stored bytes exactly; what they are goes to stderr.
        if (c.origin === 'reshaped') {
          ctx.io.notify({ level: 'info', code: 'IRCTL_SHOW_I1001', message: `origin reshaped: this record is an export's re-shaping of ${e0(ev)}, not the provider's original bytes` });
        }
        if (c.header) ctx.io.notify({ level: 'info', code: 'IRCTL_SHOW_I1002', message: `a ${c.header.format === 'csv' ? 'CSV' : 'table'} row; its columns (stored once with input ${c.seen_in[0]?.input_id ?? '?'}): ${safe(c.header.columns.join(', '))}` });
        return 0;
      }
      if (ctx.io.json) {
        ctx.io.outJson({ kind: 'event', ...ev, copies: ev.copies.map(({ raw, ...rest }) => ({ ...rest, raw_bytes: Buffer.byteLength(raw) })) });
        return 0;
      }
      const e = ev.event;
      const line = (k: string, v: string | number | null | undefined): void => {
        if (v !== null && v !== undefined && v !== '') ctx.io.out(`${k.padEnd(13)}${safe(String(v))}`);
      };
      line('event', e.id);
      line('time', e.time);
      line('provider', `${e.provider} (${e.data_type})`);
      line('layer', `${e.layer} / ${e.class}`);
      line('account', e.account);
      line('region', e.region);
      line('action', `${e.service ?? ''}:${e.action}`);
      line('outcome', e.error_code ? `${e.outcome} (${e.error_code})` : e.outcome);
      line('actor', e.actor);
      line('actor type', e.actor_type);
      line('access key', e.access_key);
      line('session', e.session);
      line('assumed from', e.assumed_from);
      line('source', e.src_ip ?? e.src_host);
      line('user agent', e.user_agent);
      line('resources', (JSON.parse(e.resources) as string[]).join(', '));
      ctx.io.out('');
      ctx.io.out(`raw records (${ev.copies.length}; \`irctl show ${e.id} --raw\` prints the first byte for byte)`);
      ev.copies.forEach((c, i) => {
        ctx.io.out(`  [${i + 1}] sha256 ${c.sha256}  ${Buffer.byteLength(c.raw)} bytes  ${c.data_type}  origin ${c.origin}${c.header ? `  (${c.header.format === 'csv' ? 'CSV' : 'table'} row)` : ''}`);
        if (c.origin === 'reshaped') ctx.io.out("      reshaped by an export: not the provider's original bytes (fields renamed, mapped or formatted)");
        if (c.header) ctx.io.out(`      columns: ${safe(c.header.columns.join(', '))}`);
        for (const s of c.seen_in) {
          ctx.io.out(`      ${s.first ? 'from ' : 'seen '} input ${s.input_id} record ${s.record_index}: ${safe(s.locator ?? '?')}${s.input_sha256 ? ` (sha256 ${s.input_sha256})` : ''}`);
        }
      });
      ctx.io.out('');
      if (ev.detections.length === 0) ctx.io.out('detections   none');
      for (const d of ev.detections) {
        ctx.io.out(`detection    det:${d.fingerprint.slice(0, 16)}  ${d.severity}  ${safe(d.rule_title)}${d.threat_id ? `  (threat ${d.threat_id})` : ''}`);
      }
      return 0;
    });
  },
});

async function showContext(id: string, ctx: CommandContext): Promise<number> {
  const { loadContext } = await import('../../context/context.js');
  const { resolveCaseDir } = await import('../../case/case.js');
  const path = join(resolveCaseDir(ctx.globals.case, ctx.env), 'context.yaml');
  const { context } = loadContext(path);
  // ctx:red_team.user_agent_markers[0] -> ['red_team', 'user_agent_markers', 0]
  const steps = id
    .slice(4)
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '');
  let v: unknown = context;
  for (const s of steps) {
    if (v === null || typeof v !== 'object') {
      v = undefined;
      break;
    }
    v = (v as Record<string, unknown>)[s];
  }
  if (v === undefined) throw new UsageError(`${id} names nothing in ${path}`, { hint: 'Context ids look like ctx:change_windows[0] or ctx:red_team.principals[1].' });
  if (ctx.io.json) ctx.io.outJson({ kind: 'context', id, file: path, value: v });
  else {
    ctx.io.out(`context      ${id} (${path}; declared by the operator)`);
    ctx.io.out(typeof v === 'string' ? `value        ${safe(v)}` : JSON.stringify(v, null, 2));
  }
  return 0;
}

function showDetection(rows: DetectionEvidence[], id: string, ctx: CommandContext): number {
  if (rows.length === 0) throw new UsageError(`no detection ${id} in this case`, { hint: 'Detection ids come from verdicts and `irctl threats show`; re-run `irctl detect` if the case changed.' });
  if (rows.length > 1) throw new UsageError(`${id} matches more than one detection`, { hint: 'Give more characters of the fingerprint.' });
  const d = rows[0]!;
  const events = JSON.parse(d.event_ids) as string[];
  if (ctx.io.json) {
    ctx.io.outJson({ kind: 'detection', ...d, techniques: JSON.parse(d.techniques) as unknown, tactics: JSON.parse(d.tactics) as unknown, entities: JSON.parse(d.entities) as unknown, event_ids: events });
    return 0;
  }
  ctx.io.out(`detection    det:${d.fingerprint.slice(0, 16)} (${d.fingerprint})`);
  ctx.io.out(`rule         ${safe(d.rule_title)} [${d.rule_id}] ${d.severity}${d.rule_author ? `, by ${safe(d.rule_author)}` : ''} (${d.rule_source})`);
  ctx.io.out(`summary      ${safe(d.summary)}`);
  ctx.io.out(`span         ${d.first_seen} .. ${d.last_seen}`);
  if (d.threat_id) ctx.io.out(`threat       ${d.threat_id}`);
  ctx.io.out(`events (${events.length}; open one with \`irctl show <event-id>\`)`);
  for (const e of events.slice(0, 50)) ctx.io.out(`  ${safe(e)}`);
  if (events.length > 50) ctx.io.out(`  ... ${events.length - 50} more (--json lists all)`);
  return 0;
}

function showInvestigation(rows: InvestigationEvidence[], id: string, ctx: CommandContext): number {
  if (rows.length === 0) throw new UsageError(`no investigation ${id} in this case`, { hint: 'List runs with `irctl investigate T-n --show`.' });
  if (rows.length > 1) throw new UsageError(`${id} matches more than one investigation`, { hint: 'Give more characters of the id.' });
  const r = rows[0]!;
  if (ctx.io.json) {
    ctx.io.outJson({ kind: 'investigation', ...r, result: JSON.parse(r.result) as unknown });
    return 0;
  }
  const res = JSON.parse(r.result) as { summary?: string };
  ctx.io.out(`investigation inv:${r.id}`);
  ctx.io.out(`threat       ${r.threat_id}`);
  ctx.io.out(`verdict      ${r.verdict} (confidence ${r.confidence}, ${r.engine})`);
  ctx.io.out(`ran          ${r.started_at} .. ${r.finished_at}`);
  if (res.summary) ctx.io.out(`summary      ${safe(res.summary)}`);
  ctx.io.out(`sha256       ${r.sha256}`);
  ctx.io.out(`full run     irctl investigate ${r.threat_id} --show`);
  return 0;
}

/** How the event's record is called in notes. */
function e0(ev: { event: { data_type: string } }): string {
  return `a ${ev.event.data_type} record`;
}
