import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { checkOutPath } from '../out-path.js';
import { withCase } from '../with-case.js';

/** `irctl export T-3 | --all`: write a signed evidence bundle. */
export const exportCommand = defineCommand({
  name: 'export',
  description: 'write a signed evidence bundle (tar.gz: raw evidence, events, detections, timeline, verdicts, custody log, report, SHA256SUMS, DSSE/in-toto signature)',
  configure: (cmd) =>
    void cmd
      .argument('[threat-id]', 'the threat to export (T-3)')
      .option('--all', 'export the whole case instead of one threat')
      .option('--out <file>', 'bundle path; its folder must exist (default: <case>/exports/<id>-<UTC timestamp>.bundle.tar.gz)')
      .option('--signing-key <file>', 'sign with this Ed25519 private key (PEM) instead of the case key'),
  examples: ['irctl export T-3 --out T-3.bundle.tar.gz', 'irctl export --all', 'irctl export T-3 --signing-key ~/keys/ir-team.pem --json'],
  deprecatedOptions: [{ flags: '--key <file>', use: '--signing-key' }],
  handler: async (args, opts, ctx) => {
    const id = args[0];
    if (id !== undefined && opts.all === true) throw new UsageError('give a threat id or --all, not both');
    if (id === undefined && opts.all !== true) throw new UsageError('which threat? give a threat id (irctl export T-3) or --all for the whole case', { hint: 'List threats with `irctl threats`.' });
    const { resolveCaseDir } = await import('../../case/case.js');
    const out = typeof opts.out === 'string' ? checkOutPath(opts.out, resolveCaseDir(ctx.globals.case, ctx.env)) : undefined;
    const { exportBundle } = await import('../../export/export.js');
    return withCase(ctx, { access: 'snapshot' }, async (kase) => {
      const r = await exportBundle(kase, {
        scope: id !== undefined ? { kind: 'threat', threatId: id } : { kind: 'case' },
        out,
        keyFile: typeof opts.signingKey === 'string' ? opts.signingKey : undefined,
        now: ctx.now,
        io: ctx.io,
        signal: ctx.signal,
        thread: ctx.env.IRCTL_EXPORT_THREADS === '0' ? false : ctx.env.IRCTL_EXPORT_THREADS === '1' ? true : 'auto',
      });
      if (ctx.io.json) {
        ctx.io.outJson(r);
        return;
      }
      const c = (k: string): number => r.counts[k] ?? 0;
      ctx.io.out(`bundle        ${r.path}`);
      ctx.io.out(`sha256        ${r.sha256}`);
      ctx.io.out(`size          ${r.size} bytes, ${r.members} members`);
      ctx.io.out(`scope         ${r.scope.kind === 'threat' ? `threat ${r.scope.threat_id}` : 'whole case'}`);
      ctx.io.out(
        `contents      ${c('normalized/events.ndjson')} events, ${c('evidence/raw-records.ndjson')} raw records, ${c('detect/detections.ndjson')} detections, ${c('timeline/timeline.ndjson')} timeline entries, ${c('investigation/investigations.ndjson')} investigations, ${c('investigation/verdicts.ndjson')} verdicts, ${c('custody/custody-log.ndjson')} custody entries`,
      );
      ctx.io.out(`signed by     ${r.fingerprint}${r.key_generated ? ' (case key, generated now)' : ''}`);
      ctx.io.out(`              key ${r.key_file}`);
      ctx.io.out(`verify with   irctl verify ${r.path}`);
      ctx.io.out(`custody       bundle records head ${r.bundle_custody_head.hash} (entry ${r.bundle_custody_head.seq})`);
      ctx.io.out(`              export.bundle entry appended: new head ${r.custody_head.hash} (entry ${r.custody_head.seq})`);
    });
  },
});
