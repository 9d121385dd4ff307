import { Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { formatDescriptions, inputFormats } from '../../ingest/formats.js';
import { sourceAdapters } from '../../sources/index.js';
import { defineCommand } from '../command.js';
import { withCase } from '../with-case.js';
import { sanitize } from '../render/table.js';
import { describeDifferences } from '../../store/event-copies.js';

/** `irctl import PATH...`: exported log files into the case. */
export const importCommand = defineCommand({
  name: 'import',
  description: 'import exported log files (CloudTrail S3 files, lookup-events output, arrays, JSON Lines, EventBridge) into the case',
  configure: (cmd) =>
    void cmd
      .argument('<paths...>', 'files or directories (walked recursively; .json, .json.gz, .jsonl, ...)')
      .addOption(new Option('--format <format>', 'container format; auto-detected per file by default').choices(inputFormats()).default('auto'))
      .addOption(
        new Option('--source <source>', 'record type every record must be (source id or data type); recognised per record by default').choices([
          ...new Set(sourceAdapters().map((a) => a.id)),
        ]),
      )
      .addHelpText(
        'after',
        `\nContainer formats:\n${Object.entries(formatDescriptions())
          .map(([f, d]) => `  ${f.padEnd(8)} ${d}`)
          .join('\n')}\n\nSources (record types):\n${sourceAdapters()
          .map((a) => `  ${a.id.padEnd(28)} ${a.description}`)
          .join('\n')}`,
      ),
  examples: ['irctl import ./AWSLogs', 'irctl --case ./case-42 import lookup.json --format lookup', 'irctl import trail.jsonl --source aws-cloudtrail', 'irctl import exports/ --json'],
  handler: async (args, opts, ctx) => {
    const { importPaths } = await import('../../ingest/import.js');
    return withCase(ctx, { access: 'write', create: true }, async (kase) => {
      const s = await importPaths(kase, { paths: args, format: typeof opts.format === 'string' ? opts.format : 'auto', source: typeof opts.source === 'string' ? opts.source : undefined, signal: ctx.signal, now: ctx.now, threads: ctx.env.IRCTL_IMPORT_THREADS !== '0' }, ctx.io);
      if (ctx.io.json) {
        const { file_outcomes, ...rest } = s;
        ctx.io.outJson({ ...rest, inputs: file_outcomes });
      } else {
        ctx.io.out(`case      ${kase.dir}`);
        const ofFound = s.files < s.files_found ? ` (of ${s.files_found} found)` : '';
        ctx.io.out(`files     ${s.files} stored${ofFound}, ${s.files_failed} failed, ${s.skipped} skipped`);
        ctx.io.out(`records   ${s.records}`);
        ctx.io.out(`events    ${s.events} new, ${s.duplicates} duplicate`);
        if (s.conflicts > 0) {
          ctx.io.out(`conflicts ${s.conflicts} record(s) carry the event id of another record but disagree with it: kept as separate events (\`irctl case verify\` lists them)`);
          for (const c of s.conflict_examples) {
            ctx.io.out(`  - ${sanitize(c.id)}: differs from ${sanitize(c.event_id)} in ${describeDifferences(c.differs)} (${sanitize(c.path)} record ${c.record_index})`);
          }
          if (s.conflicts > s.conflict_examples.length) ctx.io.out(`  ... and ${s.conflicts - s.conflict_examples.length} more`);
        }
        ctx.io.out(`rejected  ${s.quarantined} quarantined${s.quarantined > 0 ? ' (see `irctl case quarantine`)' : ''}`);
        if (s.interrupted) ctx.io.out('stopped   interrupted: what was read before Ctrl-C is saved; run the same command again to finish');
        ctx.io.out(`custody   head ${s.custody_head.hash} (entry ${s.custody_head.seq})`);
      }
      if (s.interrupted) return ExitCode.Interrupted;
      return s.quarantined > 0 || s.files_failed > 0 || s.skipped > 0 || s.conflicts > 0 ? ExitCode.Partial : ExitCode.Ok;
    });
  },
});
