import { ConfigError, UsageError } from '../../errors.js';
import type { CommandContext } from '../command.js';
import { defineCommand } from '../command.js';

async function contextPath(ctx: CommandContext): Promise<{ dir: string; path: string }> {
  const { resolveCaseDir } = await import('../../case/case.js');
  const path = await import('node:path');
  const dir = resolveCaseDir(ctx.globals.case, ctx.env);
  return { dir, path: path.join(dir, 'context.yaml') };
}

/** Write the edited file and, when the case store exists, a custody entry `context.set` with the file's hash. */
async function writeEdit(ctx: CommandContext, edit: Edit, what: Record<string, unknown>): Promise<number> {
  if (edit.errors.length > 0) throw new ConfigError(`the edit would make context.yaml invalid:\n  ${edit.errors.join('\n  ')}`);
  const { dir, path } = await contextPath(ctx);
  const { writeFileSync, existsSync, mkdirSync, renameSync } = await import('node:fs');
  const { sha256Hex } = await import('../../util/hash.js');
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, edit.text);
  renameSync(tmp, path);
  for (const w of edit.warnings) ctx.io.notify({ level: 'warn', code: 'IRCTL_CONTEXT_W5101', message: w });
  const sha = sha256Hex(edit.text);
  const { STORE_FILE } = await import('../../case/case.js');
  const nodePath = await import('node:path');
  let head: { seq: number; hash: string } | undefined;
  if (existsSync(nodePath.join(dir, STORE_FILE))) {
    const { withCase } = await import('../with-case.js');
    const { appendInvestigateCustody } = await import('../../store/investigate-repo.js');
    head = await withCase(ctx, { access: 'write' }, (kase) => appendInvestigateCustody(kase.db, 'context.set', `context-${ctx.now().getTime()}`, { file: 'context.yaml', sha256: sha, ...what }, kase.provenance, ctx.now()));
  }
  if (ctx.io.json) ctx.io.outJson({ path, sha256: sha, ...what, custody_head: head ?? null });
  else {
    ctx.io.out(`updated    ${path} (sha256 ${sha})`);
    if (head) ctx.io.out(`custody    head ${head.hash} (entry ${head.seq})`);
    else ctx.io.out('custody    no case store yet: the change is not in a custody log');
  }
  return 0;
}

type Edit = { text: string; errors: string[]; warnings: string[] };

/**
 * Read context.yaml, make the edit, write it back and record it: all under the case's writer lock, so that two
 * edits (or an edit and a detect reading the context) never interleave.
 */
async function editContext(ctx: CommandContext, change: (path: string, text: string) => { edit: Edit; what: Record<string, unknown> }): Promise<number> {
  const { withCaseLock } = await import('../with-case.js');
  return withCaseLock(ctx, 'exclusive', { create: true }, async () => {
    const { path, text } = await readCurrent(ctx);
    const { edit, what } = change(path, text);
    return writeEdit(ctx, edit, what);
  });
}

async function readCurrent(ctx: CommandContext): Promise<{ path: string; text: string }> {
  const { path } = await contextPath(ctx);
  const { readFileSync } = await import('node:fs');
  const { errnoCode } = await import('../../errors.js');
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { path, text: '' };
    throw new ConfigError(`cannot read ${path}`, { cause: err });
  }
}

const show = defineCommand({
  name: 'show',
  description: 'print the operator context (context.yaml) as irctl reads it',
  examples: ['irctl context show', 'irctl context show --json'],
  handler: async (_args, _opts, ctx) => {
    const { path } = await contextPath(ctx);
    const { loadContext } = await import('../../context/context.js');
    const { existsSync } = await import('node:fs');
    const { context, warnings } = loadContext(path);
    for (const w of warnings) ctx.io.notify({ level: 'warn', code: 'IRCTL_CONTEXT_W5101', message: w });
    if (ctx.io.json) {
      ctx.io.outJson({ path, exists: existsSync(path), context });
      return 0;
    }
    ctx.io.out(`file              ${path}${existsSync(path) ? '' : ' (missing: empty context)'}`);
    ctx.io.out(`change windows    ${context.change_windows.length}`);
    for (const w of context.change_windows) ctx.io.out(`  ${w.id}  ${w.start} .. ${w.end}${w.principals.length > 0 ? `  by ${w.principals.join(', ')}` : ''}${w.description ? `  (${w.description})` : ''}`);
    ctx.io.out(`red team          markers: ${context.red_team.user_agent_markers.join(', ') || '-'}; principals: ${context.red_team.principals.join(', ') || '-'}; source IPs: ${context.red_team.source_ips.join(', ') || '-'}`);
    ctx.io.out(`automation        ${context.automation_principals.join(', ') || '-'}`);
    ctx.io.out(`crown jewels      ${context.crown_jewels.join(', ') || '-'}`);
    ctx.io.out(`incident          ${context.incident.name ?? '-'}; aware at ${context.incident.aware_at ?? '-'}`);
    return 0;
  },
});

const validate = defineCommand({
  name: 'validate',
  description: 'check context.yaml and list every problem (exit 3 when invalid)',
  examples: ['irctl context validate', 'irctl --case ./case-42 context validate --json'],
  handler: async (_args, _opts, ctx) => {
    const { path, text } = await readCurrent(ctx);
    const { parseContext } = await import('../../context/context.js');
    const r = parseContext(text, path);
    if (ctx.io.json) ctx.io.outJson({ path, valid: r.errors.length === 0, errors: r.errors, warnings: r.warnings });
    else {
      for (const e of r.errors) ctx.io.out(`error    ${e}`);
      for (const w of r.warnings) ctx.io.out(`warning  ${w}`);
      ctx.io.out(r.errors.length === 0 ? `OK       ${path}` : `INVALID  ${path}: ${r.errors.length} error(s)`);
    }
    return r.errors.length === 0 ? 0 : 3;
  },
});

const addChangeWindowCmd = defineCommand({
  name: 'add-change-window',
  description: 'declare a change window (planned work) in context.yaml',
  configure: (cmd) =>
    void cmd
      .requiredOption('--id <id>', 'change id, e.g. CHG-1042')
      .requiredOption('--start <time>', 'start, ISO 8601 (UTC when no offset)')
      .requiredOption('--end <time>', 'end, ISO 8601')
      .option('--principal <arn...>', 'principals expected to act in the window (any principal when omitted)')
      .option('--description <text>', 'what the change is'),
  examples: ['irctl context add-change-window --id CHG-1042 --start 2026-11-20T22:00:00Z --end 2026-11-21T02:00:00Z --principal arn:aws:iam::111122223333:role/terraform-deploy'],
  handler: async (_args, opts, ctx) => {
    const { normalizeTime } = await import('../../normalize/event.js');
    const start = normalizeTime(String(opts.start));
    const end = normalizeTime(String(opts.end));
    if (!start || !end) throw new UsageError('--start and --end must be ISO 8601 times');
    if (end.ms <= start.ms) throw new UsageError('--end must be later than --start');
    const { addChangeWindow } = await import('../../investigate/context-edit.js');
    const principals = Array.isArray(opts.principal) ? (opts.principal as unknown[]).map(String) : [];
    const description = typeof opts.description === 'string' ? opts.description : undefined;
    return editContext(ctx, (path, text) => ({
      edit: addChangeWindow(text, { id: String(opts.id), start: start.iso, end: end.iso, principals, description }, path),
      what: { change: 'add-change-window', id: String(opts.id), start: start.iso, end: end.iso, principals },
    }));
  },
});

const setAware = defineCommand({
  name: 'set-aware',
  description: 'record when the organisation became aware of the incident (starts regulatory clocks)',
  configure: (cmd) => void cmd.argument('<time>', 'ISO 8601 time, or "now"'),
  examples: ['irctl context set-aware 2026-11-21T09:00:00Z', 'irctl context set-aware now'],
  handler: async (args, _opts, ctx) => {
    const { parseTimeArg, isoMs } = await import('../../util/time.js');
    const at = isoMs(parseTimeArg(args[0] ?? '', ctx.now(), 'time'));
    const { setAwareAt } = await import('../../investigate/context-edit.js');
    return editContext(ctx, (path, text) => ({ edit: setAwareAt(text, at, path), what: { change: 'set-aware', aware_at: at } }));
  },
});

const addMarker = defineCommand({
  name: 'add-red-team-marker',
  description: 'declare a user-agent marker of an authorised red-team exercise (e.g. stratus-red-team_)',
  configure: (cmd) => void cmd.argument('<marker>', 'text that the exercise puts in its user agents'),
  examples: ['irctl context add-red-team-marker stratus-red-team_'],
  handler: async (args, _opts, ctx) => {
    const marker = (args[0] ?? '').trim();
    if (marker.length < 4) throw new UsageError('a marker must be at least 4 characters (a short one would match ordinary user agents)');
    const { addRedTeamMarker } = await import('../../investigate/context-edit.js');
    return editContext(ctx, (path, text) => ({ edit: addRedTeamMarker(text, marker, path), what: { change: 'add-red-team-marker', marker } }));
  },
});

/** `irctl context ...`: the operator's context.yaml. */
export const contextCommand = defineCommand({
  name: 'context',
  description: 'show, validate or edit the operator context (context.yaml: change windows, red-team markers, automation principals, crown jewels)',
  examples: ['irctl context show', 'irctl context add-change-window --id CHG-1042 --start 2026-11-20T22:00:00Z --end 2026-11-21T02:00:00Z', 'irctl context set-aware now'],
  subcommands: [show, validate, addChangeWindowCmd, setAware, addMarker],
});
