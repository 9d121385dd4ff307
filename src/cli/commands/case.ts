import { ExitCode, UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { sanitize } from '../render/table.js';
import { caseInitCommand } from './case-init.js';
import { withCase } from '../with-case.js';

const info = defineCommand({
  name: 'info',
  description: 'counts per provider and layer, time span, and every collection/import run with its provenance',
  examples: ['irctl case info', 'irctl --case ./case-42 case info --json'],
  handler: async (_args, _opts, ctx) => {
    const { caseInfo } = await import('../../case/info.js');
    await withCase(ctx, { access: 'read' }, (kase) => {
      const info = caseInfo(kase.db);
      if (ctx.io.json) {
        ctx.io.outJson({ case: kase.dir, ...info });
        return;
      }
      const s = info.stats;
      ctx.io.out(`case            ${sanitize(kase.dir)}`);
      ctx.io.out(`events          ${s.events} (${s.raw_records} raw records, ${s.inputs} inputs, ${s.quarantined} quarantined)`);
      ctx.io.out(`time span       ${s.first_event ?? '-'} .. ${s.last_event ?? '-'}`);
      ctx.io.out(`custody         ${s.custody_entries} entries, head ${info.custody_head.hash}`);
      if (s.by_provider_layer.length > 0) {
        ctx.io.out('');
        ctx.io.out('PROVIDER  LAYER          EVENTS  FIRST                     LAST');
        for (const r of s.by_provider_layer)
          ctx.io.out(`${r.provider.padEnd(8)}  ${r.layer.padEnd(13)}  ${String(r.events).padStart(6)}  ${r.first}  ${r.last}`);
      }
      if (info.runs.length > 0) {
        ctx.io.out('');
        ctx.io.out('RUNS');
        for (const r of info.runs) {
          ctx.io.out(sanitize(`${r.started} ${r.kind.padEnd(8)} by ${r.os_user}@${r.host} (irctl ${r.tool_version}) ${r.status}`));
          ctx.io.out(`    source: ${sanitize(r.source)}`);
          ctx.io.out(`    counts: ${Object.entries(r.counts).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
        }
      }
      if (info.conflicts > 0) ctx.io.out(`\nconflicts       ${info.conflicts} event(s) have copies that disagree: run \`irctl case verify\``);
    });
  },
});

const verify = defineCommand({
  name: 'verify',
  description: 're-hash every raw record, walk the custody chain, check events point to raw records; non-zero exit on any mismatch',
  examples: ['irctl case verify', 'irctl case verify --json'],
  handler: async (_args, _opts, ctx) => {
    const { verifyCase } = await import('../../case/verify.js');
    return withCase(ctx, { access: 'read' }, (kase) => {
      const r = verifyCase(kase.db);
      if (ctx.io.json) ctx.io.outJson({ case: kase.dir, ...r });
      else {
        ctx.io.out(`raw records     ${r.raw_records} re-hashed`);
        ctx.io.out(`quarantine      ${r.quarantine_entries} re-hashed`);
        ctx.io.out(`custody chain   ${r.custody_entries} entries walked`);
        ctx.io.out(`custody head    ${r.custody_head.hash} (entry ${r.custody_head.seq})`);
        for (const w of r.warnings) ctx.io.out(`warning: ${sanitize(w)}`);
        for (const c of r.conflicts) ctx.io.out(`conflict: ${sanitize(c)}`);
        if (r.ok) ctx.io.out('result          OK: evidence intact');
        else {
          ctx.io.out(`result          FAILED: ${r.problems.length} problem(s)`);
          for (const p of r.problems) ctx.io.out(`  - ${sanitize(p)}`);
        }
      }
      return r.ok ? ExitCode.Ok : ExitCode.Integrity;
    });
  },
});

const quarantine = defineCommand({
  name: 'quarantine',
  description: 'list quarantined input (what could not be parsed or normalized, with the reason); --show ID writes its bytes to stdout',
  configure: (cmd) => void cmd.option('--limit <n>', 'at most N entries', '100').option('--show <id>', 'write the exact bytes of one entry to stdout'),
  examples: ['irctl case quarantine', 'irctl case quarantine --show 3 > record-3.json'],
  handler: async (_args, opts, ctx) => {
    const { listQuarantine, quarantineBytes } = await import('../../store/query-repo.js');
    await withCase(ctx, { access: 'read' }, (kase) => {
      if (opts.show !== undefined) {
        const id = Number(opts.show);
        const bytes = Number.isInteger(id) ? quarantineBytes(kase.db, id) : undefined;
        if (!bytes) throw new UsageError(`no quarantine entry ${typeof opts.show === 'string' ? opts.show : ''}`, { hint: 'List entries with `irctl case quarantine`.' });
        process.stdout.write(bytes);
        return;
      }
      const rows = listQuarantine(kase.db, Number(opts.limit));
      if (ctx.io.json) for (const r of rows) ctx.io.outJson(r);
      else {
        if (rows.length === 0) ctx.io.out('quarantine is empty');
        for (const r of rows)
          ctx.io.out(sanitize(`#${r.id}  ${r.locator}${r.record_index === null ? '' : ` [record ${r.record_index}]`}  ${r.size} bytes  ${r.reason}`));
      }
    });
  },
});

const rebuild = defineCommand({
  name: 'rebuild',
  description: 're-derive normalized events and the entity index from the raw evidence (after a mapper improves)',
  examples: ['irctl case rebuild', 'irctl case rebuild --json'],
  handler: async (_args, _opts, ctx) => {
    const { rebuildEvents } = await import('../../case/rebuild.js');
    await withCase(ctx, { access: 'write' }, (kase) => {
      const r = rebuildEvents(kase);
      if (ctx.io.json) ctx.io.outJson(r);
      else ctx.io.out(`rebuilt ${r.events} events from ${r.raw_records} raw records (${r.failed} could not be normalized)`);
    });
  },
});

/** `irctl case ...`: the case as a whole. */
export const caseCommand = defineCommand({
  name: 'case',
  description: 'create, inspect and verify the case (evidence store)',
  examples: ['irctl case info', 'irctl case verify', 'irctl case quarantine', 'irctl --case ./case-42 case init'],
  subcommands: [caseInitCommand, info, verify, quarantine, rebuild],
});
