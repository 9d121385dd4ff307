import type { RulePack } from '../../detect/engine.js';
import type { RuleError } from '../../detect/types.js';
import { ExitCode, UsageError } from '../../errors.js';
import { defineCommand, type CommandContext } from '../command.js';

/** Load the pack for a command; a missing path is a usage error. */
async function loadFor(dirs: string[], builtin: boolean): Promise<RulePack> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  for (const d of dirs) {
    try {
      fs.statSync(d);
    } catch {
      throw new UsageError(`rules path ${d} does not exist`, { hint: 'Pass a folder (searched recursively for .yml/.yaml) or a rule file.' });
    }
  }
  const { loadRulePack } = await import('../../detect/engine.js');
  return loadRulePack({ builtin, dirs: dirs.map((d) => path.resolve(d)) });
}

function problemLine(e: RuleError): string {
  return `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.level}: ${e.message}`;
}

function asList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

const list = defineCommand({
  name: 'list',
  description: 'list the detection rules: the built-in pack plus any --rules folders',
  configure: (cmd) =>
    void cmd
      .option('--rules <path>', 'also load the Sigma / irctl rules in this folder or file (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--no-builtin', 'leave out the built-in pack'),
  examples: ['irctl rules list', 'irctl rules list --rules ./sigma/rules/cloud/aws --json'],
  handler: async (_args, opts, ctx: CommandContext) => {
    const pack = await loadFor(asList(opts.rules), opts.builtin !== false);
    const { sanitize, renderTable } = await import('../render/table.js');
    if (ctx.io.json) {
      for (const r of pack.rules)
        ctx.io.outJson({
          id: r.id,
          title: r.title,
          severity: r.severity,
          author: r.author ?? null,
          source: r.source,
          family: r.family ?? null,
          kind: r.kind ?? 'single',
          data_type: r.dataType ?? null,
          techniques: r.techniques,
          tactics: r.tactics,
          status: r.status ?? null,
          file: r.file ?? null,
        });
    } else {
      const lines = renderTable(pack.rules, [
        { header: 'ID', get: (r) => r.id, max: 46 },
        { header: 'SEVERITY', get: (r) => r.severity },
        { header: 'KIND', get: (r) => r.kind ?? 'single' },
        { header: 'FAMILY/SOURCE', get: (r) => r.family ?? r.source, max: 40 },
        { header: 'TECHNIQUES', get: (r) => r.techniques.join(','), max: 30 },
        { header: 'TITLE (AUTHOR)', get: (r) => `${r.title}${r.author ? ` (${r.author})` : ''}`, max: 110 },
      ]);
      for (const l of lines) ctx.io.out(l);
    }
    const errs = pack.errors.filter((e) => e.level === 'error');
    for (const e of pack.errors) ctx.io.notify({ level: e.level === 'error' ? 'warn' : 'debug', code: 'IRCTL_RULES_W4001', message: sanitize(problemLine(e)) });
    ctx.io.notify({
      level: 'info',
      code: 'IRCTL_RULES_I4002',
      message: `${pack.rules.length} rule(s) loaded${errs.length ? `; ${errs.length} problem(s) skipped rules: run irctl rules validate for details` : ''}`,
    });
  },
});

const validate = defineCommand({
  name: 'validate',
  description: 'check Sigma / irctl rule files and report every problem as file:line (no DIR: the built-in pack)',
  configure: (cmd) => void cmd.argument('[path...]', 'rule folders (searched recursively for .yml/.yaml) or files'),
  examples: ['irctl rules validate ./my-rules', 'irctl rules validate ./sigma/rules/cloud --json'],
  handler: async (args, _opts, ctx: CommandContext) => {
    const builtin = args.length === 0;
    const pack = await loadFor(args, builtin);
    const { sanitize } = await import('../render/table.js');
    const errors = pack.errors.filter((e) => e.level === 'error');
    const warnings = pack.errors.filter((e) => e.level === 'warning');
    const rejectedFiles = new Set(errors.map((e) => e.file));
    const summary = {
      paths: builtin ? ['(built-in pack)'] : args,
      rules_loaded: pack.rules.length,
      files_rejected: rejectedFiles.size,
      errors: errors.length,
      warnings: warnings.length,
    };
    if (ctx.io.json) {
      ctx.io.outJson({
        ...summary,
        ok: errors.length === 0,
        problems: pack.errors.map((e) => ({ file: e.file, line: e.line ?? null, level: e.level, rule_id: e.ruleId ?? null, message: e.message })),
      });
    } else {
      for (const e of pack.errors) ctx.io.out(sanitize(problemLine(e)));
      ctx.io.out(
        `${summary.rules_loaded} rule(s) valid, ${summary.files_rejected} file(s) rejected (${summary.errors} error(s), ${summary.warnings} warning(s))`,
      );
    }
    return errors.length > 0 ? ExitCode.Partial : ExitCode.Ok;
  },
});

/** `irctl rules`: list and validate detection rules. */
export const rulesCommand = defineCommand({
  name: 'rules',
  description: 'list and validate detection rules (built-in pack, SigmaHQ and your own)',
  examples: ['irctl rules list', 'irctl rules validate ./my-rules'],
  subcommands: [list, validate],
});
