/**
 * irctl entry point: builds the command tree from declarative definitions, parses argv, runs one handler, and is
 * the only place that catches errors, renders them and decides the exit code (style.md §3).
 */
import { CommanderError, type Command } from 'commander';
import { ExitCode, UsageError, errnoCode, isIrctlError, errorMessage, localStorageError } from '../errors.js';
import { CliIoHost } from '../io/cli-io-host.js';
import { OutputClosedError, type IoHost, type IoLevel } from '../io/io-host.js';
import type { CommandContext, CommandDefinition, GlobalOptions } from './command.js';
import { applyDeprecatedOptions, buildProgram } from './program.js';

/** Injection points for tests. */
export interface MainDeps {
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Build the IoHost (tests pass a capturing host). */
  makeIo?: (globals: GlobalOptions & { color: boolean; level: IoLevel }) => IoHost;
  /** Abort signal; when absent, main installs a SIGINT handler. */
  signal?: AbortSignal;
  now?: () => Date;
}

const LEVELS: readonly IoLevel[] = ['debug', 'info', 'warn', 'error'];

/** Run irctl with `argv` (as process.argv: node, script, ...args). Resolves to the exit code. */
export async function main(argv: string[], deps: MainDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  let exitCode: number = ExitCode.Ok;
  let debug = argv.includes('--debug');
  let io: IoHost | undefined;

  // `irctl events | head`: a closed pipe is the reader's choice, not an error (CliIoHost also stops the command at
  // its next line of output, see OutputClosedError).
  const onPipeError = (err: unknown): void => {
    if (errnoCode(err) === 'EPIPE') process.exit(exitCode);
  };
  if (stdout === process.stdout) process.stdout.on('error', onPipeError);

  let controller: AbortController | undefined;
  let onSigint: (() => void) | undefined;
  const signal = deps.signal ?? (controller = new AbortController()).signal;

  const run = async (def: CommandDefinition, self: Command): Promise<void> => {
    const handler = def.handler;
    if (!handler) return;
    const g = program.opts<{ case?: string; json?: boolean; color: boolean; verbose?: boolean; quiet?: boolean; debug?: boolean; wait?: string }>();
    debug = g.debug === true;
    const json = g.json === true;
    const envLevel = env.IRCTL_LOG as IoLevel | undefined;
    const level: IoLevel = g.verbose === true ? 'debug' : g.quiet === true ? 'warn' : envLevel && LEVELS.includes(envLevel) ? envLevel : 'info';
    const color = g.color && env.NO_COLOR === undefined && env.TERM !== 'dumb';
    const globals: GlobalOptions = { case: g.case, json, debug, waitMs: waitMs(g.wait) };
    io = deps.makeIo
      ? deps.makeIo({ ...globals, color, level })
      : new CliIoHost({ json, color, level, stdout, stderr, ...(deps.stdin ? { stdin: deps.stdin } : {}) });
    const opts = self.opts();
    applyDeprecatedOptions(self, def.deprecatedOptions ?? [], opts, io);
    const args = self.processedArgs.flatMap((a: unknown) => (Array.isArray(a) ? (a as unknown[]) : a === undefined ? [] : [a])).map(String);
    const command = ['irctl', ...argv.slice(2).map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a))].join(' ');
    const ctx: CommandContext = { io, globals, env, signal, now: deps.now ?? (() => new Date()), command, root: program };
    const code = await handler(args, opts, ctx);
    exitCode = typeof code === 'number' ? code : ExitCode.Ok;
  };
  const program = buildProgram({ stdout, stderr }, run);

  if (!deps.signal && controller) {
    let presses = 0;
    const ctl = controller;
    onSigint = () => {
      presses++;
      if (presses === 1) {
        stderr.write('\ninterrupt: finishing the current batch and saving what was collected (Ctrl-C again to quit at once)\n');
        ctl.abort();
      } else {
        process.exit(ExitCode.Interrupted);
      }
    };
    process.on('SIGINT', onSigint);
  }

  try {
    await program.parseAsync(withWaitValue(argv));
  } catch (err) {
    exitCode = renderError(err, io, stderr, debug);
  } finally {
    if (onSigint) process.off('SIGINT', onSigint);
  }
  return exitCode;
}

/**
 * `--wait` takes its value only as `--wait=SECONDS`: a bare `--wait` (wait until the case is free) must not swallow
 * the next argument (`irctl import --wait ./logs`), so it is given an explicit value before commander parses.
 */
function withWaitValue(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => (a === '--wait' && (end === -1 || i < end) ? '--wait=forever' : a));
}

/** `--wait` value -> milliseconds (`forever`: Infinity). */
function waitMs(v: string | undefined): number {
  if (v === undefined) return 0;
  if (v === 'forever') return Infinity;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--wait=${v}: give a number of seconds (or --wait alone to wait until the case is free)`);
  return n * 1000;
}

/** Render any error and map it to an exit code. */
export function renderError(err: unknown, io: IoHost | undefined, stderr: NodeJS.WritableStream, debug: boolean): number {
  // The reader of stdout went away (`| head`): the command stopped early on purpose; nothing to say.
  if (err instanceof OutputClosedError) return ExitCode.Ok;
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
    if (err.code === 'commander.executeSubCommandAsync') return ExitCode.Ok;
    // commander has already printed its message (usage errors exit 2, not commander's 1).
    return ExitCode.Usage;
  }
  // Disk full, permission denied, a read-only file system, SQLite busy: the environment's doing, not a bug.
  if (!isIrctlError(err) || err.exitCode === ExitCode.Internal) err = localStorageError(err) ?? err;
  if (isIrctlError(err)) {
    const lines = [`error: ${err.message}`];
    if (err.hint) lines.push(`  ${err.hint}`);
    if (debug && err.stack) lines.push(err.stack);
    if (debug && err.cause !== undefined) lines.push(`cause: ${err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : errorMessage(err.cause)}`);
    stderr.write(`${lines.join('\n')}\n`);
    return err.exitCode;
  }
  const msg = errorMessage(err);
  stderr.write(
    `error: irctl hit an internal error: ${msg}\n` +
      '  This is a bug. Please report it with the command you ran and the output of the same command with --debug\n' +
      '  (the report shows file paths and messages, not evidence content).\n',
  );
  if (debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  void io;
  return ExitCode.Internal;
}
