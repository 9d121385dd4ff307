/**
 * The commander tree built from the declarative command definitions (registry.ts): help layout, examples, groups,
 * hidden deprecated option names. main.ts runs it; `irctl completion` and the help test walk it.
 */
import { Command, Option, type Argument } from 'commander';
import { UsageError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { toolVersion } from '../version.js';
import type { CommandDefinition, DeprecatedOption } from './command.js';
import { commands } from './registry.js';

/** Where help and commander's own errors are written. */
export interface ProgramOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs a handler: gets the definition and the commander command it was attached to (its `opts()` and `processedArgs`). */
export type ActionRunner = (def: CommandDefinition, cmd: Command) => Promise<void>;

/** Examples of the top-level help: one line per stage of the pipeline. */
const PROGRAM_EXAMPLES = [
  'irctl import ./AWSLogs',
  'irctl detect && irctl threats',
  'irctl timeline T-1',
  'irctl investigate T-1 --offline',
  'irctl export T-1 --out T-1.bundle.tar.gz',
  'irctl verify T-1.bundle.tar.gz --key signing-key.pub.pem',
];

/**
 * Build the tree. Without `run`, handlers are not wired (the tree is only walked: completion, tests).
 *
 * A bare group (`irctl`, `irctl case`) prints its help on stdout and exits 0: asking a command what it can do is not
 * an error. An unknown subcommand is a usage error with a "did you mean" suggestion, as commander gives it.
 */
export function buildProgram(out: ProgramOutput, run?: ActionRunner): Command {
  const write = { writeOut: (s: string) => void out.stdout.write(s), writeErr: (s: string) => void out.stderr.write(s) };
  const program = new Command('irctl')
    .description('Cloud incident response: collect and import logs as evidence, detect, investigate, export signed bundles.')
    .version(toolVersion(), '-V, --version')
    .option('-C, --case <dir>', 'case directory (default: $IRCTL_CASE or ./irctl-case)')
    .option('--json', 'machine-readable output on stdout')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .option('-v, --verbose', 'more diagnostics on stderr (progress notes between results)')
    .option('-q, --quiet', 'only warnings and errors on stderr')
    .option('--debug', 'stack traces on errors')
    .option('--wait [seconds]', 'when another irctl command holds the case, wait for it instead of exiting 7 (--wait: until it is free; --wait=SECONDS: at most that long)')
    // Inherited by every subcommand made with .command() below.
    .configureHelp({ optionDescription, argumentDescription })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(write);
  addExamples(program, PROGRAM_EXAMPLES);
  helpWhenBare(program);
  for (const def of commands) attach(program, def, write, run);
  return program;
}

function attach(parent: Command, def: CommandDefinition, write: { writeOut: (s: string) => void; writeErr: (s: string) => void }, run: ActionRunner | undefined): void {
  const cmd = parent.command(def.name).description(def.description);
  cmd.exitOverride().configureOutput(write);
  cmd.showHelpAfterError(`(run irctl ${fullName(cmd)} --help for usage)`);
  def.configure?.(cmd);
  for (const d of def.deprecatedOptions ?? []) cmd.addOption(new Option(d.flags, `deprecated: use ${d.use}`).hideHelp());
  if (def.examples && def.examples.length > 0) addExamples(cmd, def.examples);
  for (const sub of def.subcommands ?? []) attach(cmd, sub, write, run);
  if (!def.handler) {
    helpWhenBare(cmd);
    return;
  }
  if (run) cmd.action(async (...actionArgs: unknown[]) => run(def, actionArgs[actionArgs.length - 1] as Command));
}

function addExamples(cmd: Command, examples: readonly string[]): void {
  cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}

/** A group run without a subcommand prints its help (stdout, exit 0); an unknown word is an unknown command. */
function helpWhenBare(cmd: Command): void {
  cmd.allowExcessArguments(true).action(() => {
    // commander's own "unknown command ... (Did you mean ...?)" error; public in its JavaScript, absent from its types.
    if (cmd.args.length > 0) (cmd as unknown as { unknownCommand(): never }).unknownCommand();
    cmd.outputHelp();
  });
}

/** `case verify` for the `case verify` command. */
export function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Map deprecated option names onto their new options (in place), with one notice each on stderr. Giving both the old
 * and the new name is a usage error (which one would win is a guess).
 */
export function applyDeprecatedOptions(cmd: Command, deprecated: readonly DeprecatedOption[], opts: Record<string, unknown>, io: IoHost): void {
  for (const d of deprecated) {
    const old = new Option(d.flags);
    const oldKey = old.attributeName();
    if (opts[oldKey] === undefined) continue;
    const target = cmd.options.find((o) => o.long === d.use);
    if (!target) throw new Error(`deprecated option ${d.flags} maps onto unknown option ${d.use}`);
    const newKey = target.attributeName();
    if (cmd.getOptionValueSource(newKey) === 'cli') throw new UsageError(`${old.long ?? d.flags} is the old name of ${d.use}: give ${d.use} only`);
    opts[newKey] = opts[oldKey];
    delete opts[oldKey];
    io.notify({
      level: 'warn',
      code: 'IRCTL_CLI_W0001',
      message: `${old.long ?? d.flags} is deprecated and will be removed in the next release: use ${d.use}`,
      data: { old: old.long, new: d.use },
    });
  }
}

/** A default or preset as a person reads it: `1h`, not `"1h"`; nothing for an empty list. */
function shown(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => String(x)).join(', ');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** commander's option description, with choices and defaults unquoted. */
function optionDescription(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
  const showDefault = option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean');
  if (option.defaultValue !== undefined && showDefault) {
    const d = option.defaultValueDescription ?? shown(option.defaultValue);
    if (d !== '') extra.push(`default: ${d}`);
  }
  if (option.presetArg !== undefined && option.optional) extra.push(`preset: ${shown(option.presetArg)}`);
  if (option.envVar !== undefined) extra.push(`env: ${option.envVar}`);
  return extra.length > 0 ? `${option.description} (${extra.join(', ')})`.trim() : option.description;
}

/** commander's argument description, with choices and defaults unquoted. */
function argumentDescription(argument: Argument): string {
  const extra: string[] = [];
  if (argument.argChoices) extra.push(`choices: ${argument.argChoices.join(', ')}`);
  if (argument.defaultValue !== undefined) extra.push(`default: ${argument.defaultValueDescription ?? shown(argument.defaultValue)}`);
  return extra.length > 0 ? `${argument.description} (${extra.join(', ')})`.trim() : argument.description;
}
