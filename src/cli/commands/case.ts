import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { sanitize } from '../render/table.js';
import { checkOutPath } from '../out-path.js';
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
      ctx.io.out(`raw origin      ${s.raw_records - s.reshaped_raw_records} native, ${s.reshaped_raw_records} reshaped (an export's re-shaping, not the provider's bytes)`);
      ctx.io.out(`time span       ${s.first_event ?? '-'} .. ${s.last_event ?? '-'}`);
      ctx.io.out(`custody         ${s.custody_entries} entries, head ${info.custody_head.hash}`);
      if (s.by_provider_layer.length > 0) {
        ctx.io.out('');
        ctx.io.out('PROVIDER  LAYER          EVENTS  FIRST                     LAST');
        for (const r of s.by_provider_layer)
          ctx.io.out(`${r.provider.padEnd(8)}  ${r.layer.padEnd(13)}  ${String(r.events).padStart(6)}  ${r.first}  ${r.last}`);
      }
      const kinds = info.log_kinds;
      if (kinds.present.length > 0 || kinds.missing.length > 0) {
        ctx.io.out('');
        ctx.io.out('LOG KINDS');
        for (const k of kinds.present) ctx.io.out(sanitize(`${k.provider.padEnd(8)}  ${k.name.padEnd(16)}  ${String(k.events).padStart(6)}${k.setting === undefined ? '' : `  (${k.setting})`}`));
        for (const k of kinds.missing) ctx.io.out(sanitize(`${k.provider.padEnd(8)}  ${k.name.padEnd(16)}  ${'none'.padStart(6)}  MISSING EVIDENCE: ${k.why}`));
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
      if (info.conflicts > 0) ctx.io.out(`\nconflicts       ${info.conflicts} event id(s) carried by records that disagree, kept as separate events: \`irctl case verify\` lists them`);
    });
  },
});

/** Collect a repeatable option's values. */
const many = (v: string, prev: string[] = []): string[] => [...prev, v];
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

const verify = defineCommand({
  name: 'verify',
  description:
    're-hash every record, recompute each run\'s commitment, walk the custody chain, re-normalize every event; with --head/--bundle/--seal, check the chain still holds a head kept elsewhere. Exit 5 if anything was altered, 6 if derived data is stale or a run was killed',
  configure: (cmd) =>
    void cmd
      .option('--head <head>', 'a custody head written down earlier, HASH or SEQ:HASH: the chain must still contain it (repeatable)', many)
      .option('--bundle <file>', 'an exported bundle: the chain must still contain the head its manifest records (repeatable)', many)
      .option('--seal <file>', 'a seal from `irctl case seal`: its signature must verify with the case key and the chain still contain its head (repeatable)', many),
  examples: ['irctl case verify', 'irctl case verify --seal ~/tickets/IR-42/case.seal.json', 'irctl case verify --bundle T-3.bundle.tar.gz --json', 'irctl case verify --head 41:9f2c...'],
  handler: async (_args, opts, ctx) => {
    const { verifyCase } = await import('../../case/verify.js');
    const { resolveAnchors } = await import('../../case/seal.js');
    return withCase(ctx, { access: 'read' }, async (kase) => {
      const given = await resolveAnchors(kase, { heads: strings(opts.head), bundles: strings(opts.bundle), seals: strings(opts.seal) });
      const threads = ctx.env.IRCTL_VERIFY_THREADS === '0' ? false : ctx.env.IRCTL_VERIFY_THREADS === '1' ? true : 'auto';
      const r = await verifyCase(kase.db, { anchors: given.anchors, anchorProblems: given.problems, threads });
      if (ctx.io.json) ctx.io.outJson({ case: kase.dir, ...r });
      else {
        ctx.io.out(`raw records     ${r.raw_records} re-hashed`);
        ctx.io.out(`quarantine      ${r.quarantine_entries} re-hashed`);
        ctx.io.out(`commitments     ${r.commitments_checked} recomputed (run end entries, investigations, verdicts)`);
        ctx.io.out(`events          ${r.events_checked} re-normalized and compared with their raw records`);
        ctx.io.out(`custody chain   ${r.custody_entries} entries walked`);
        ctx.io.out(`custody head    ${r.custody_head.hash} (entry ${r.custody_head.seq})`);
        for (const a of r.anchors) ctx.io.out(`anchor          ${a.ok ? 'OK' : 'FAILED'}: ${sanitize(a.message)}`);
        if (r.unanchored !== null) ctx.io.out(`anchor          none: ${r.unanchored}`);
        for (const w of r.warnings) ctx.io.out(`warning: ${sanitize(w)}`);
        for (const c of r.conflicts) ctx.io.out(`conflict: ${sanitize(c)}`);
        if (!r.ok) {
          ctx.io.out(`result          FAILED: ${r.problems.length} problem(s)`);
          for (const p of r.problems) ctx.io.out(`  - ${sanitize(p)}`);
        }
        if (r.incomplete.length > 0) {
          ctx.io.out(`${r.ok ? 'result          INCOMPLETE' : 'also           incomplete'}: ${r.incomplete.length} finding(s)${r.ok ? ' (nothing altered)' : ''}`);
          for (const p of r.incomplete) ctx.io.out(`  - ${sanitize(p)}`);
        }
        if (r.conflicts.length > 0) {
          ctx.io.out(`${r.ok && r.incomplete.length === 0 ? 'result          CONFLICTS' : 'also           conflicts'}: ${conflictCount(r.conflicts)} event id(s) carried by records that disagree, kept as separate events${r.ok ? ' (nothing altered)' : ''}`);
        }
        if (r.ok && r.incomplete.length === 0 && r.conflicts.length === 0) ctx.io.out('result          OK: evidence intact');
      }
      return r.exit_code;
    });
  },
});

const seal = defineCommand({
  name: 'seal',
  description: 'sign the current custody head (seq, hash, time, case id) with the case key into a small file to keep outside the case; `case verify --seal FILE` checks it later',
  configure: (cmd) => void cmd.requiredOption('--out <file>', 'where to write the seal (never overwritten)'),
  examples: ['irctl case seal --out ~/tickets/IR-42/case-$(date -u +%Y%m%dT%H%M%SZ).seal.json'],
  handler: async (_args, opts, ctx) => {
    const { writeSeal } = await import('../../case/seal.js');
    // Sealing reads the head and writes a file outside the case: no writer lock.
    await withCase(ctx, { access: 'read' }, (kase) => {
      const r = writeSeal(kase, checkOutPath(String(opts.out), kase.dir), ctx.now());
      if (ctx.io.json) ctx.io.outJson({ seal: r.file, ...r.payload });
      else {
        ctx.io.out(`seal          ${r.file}`);
        ctx.io.out(`custody head  ${r.payload.hash} (entry ${r.payload.seq}, ${r.payload.time})`);
        ctx.io.out(`case id       ${r.payload.case_id}`);
        ctx.io.out(`signed by     ${r.payload.key_fingerprint}`);
        ctx.io.out('keep it outside the case (ticket, e-mail, WORM storage); check with: irctl case verify --seal FILE');
      }
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
  description: 'create, inspect, verify and seal the case (evidence store)',
  examples: ['irctl case info', 'irctl case verify', 'irctl case seal --out case.seal.json', 'irctl --case ./case-42 case init'],
  subcommands: [caseInitCommand, info, verify, seal, quarantine, rebuild],
});

/** Event ids in a conflict list (its last line may count the ones not listed). */
function conflictCount(lines: readonly string[]): number {
  const last = lines[lines.length - 1] ?? '';
  const m = /^\.\.\. and (\d+) more/.exec(last);
  return m ? lines.length - 1 + Number(m[1]) : lines.length;
}
