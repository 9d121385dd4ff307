/**
 * Declarative command definitions (style.md §2): each subcommand is one file exporting a `CommandDefinition`;
 * its handler loads the stage it needs with `await import()`, so `irctl --help` never loads SQLite or cloud SDKs.
 */
import type { Command } from 'commander';
import type { IoHost } from '../io/io-host.js';

/** Global options every command sees. */
export interface GlobalOptions {
  /** `--case DIR`. */
  case?: string | undefined;
  /** `--json`. */
  json: boolean;
  /** `--debug`: stack traces on errors. */
  debug: boolean;
  /**
   * `--wait[=SECONDS]`: how long a command that needs the case lock waits for its holder, in ms (`Infinity` for a bare
   * `--wait`). @default 0 (exit 7 at once)
   */
  waitMs?: number | undefined;
}

/** What a handler gets besides its own arguments. */
export interface CommandContext {
  /** Terminal or test host. */
  io: IoHost;
  /** Global options. */
  globals: GlobalOptions;
  /** Environment variables. */
  env: NodeJS.ProcessEnv;
  /** Aborted on the first Ctrl-C. */
  signal: AbortSignal;
  /** Clock. */
  now: () => Date;
  /** The command line as typed (`irctl --case c import ./AWSLogs`): recorded in the case lock for whoever finds it busy. */
  command?: string | undefined;
  /** The whole command tree (`irctl completion` generates its scripts from it). */
  root?: Command | undefined;
}

/** A handler returns the exit code (0 when omitted). */
export type Handler = (args: string[], opts: Record<string, unknown>, ctx: CommandContext) => Promise<number | void>;

/** One subcommand. */
export interface CommandDefinition {
  /** Name as typed, e.g. `import` or `case verify` is defined as a child of `case`. */
  name: string;
  /** One-line description for help. */
  description: string;
  /** Add arguments and options (runs at start-up: keep it free of heavy imports). */
  configure?: (cmd: Command) => void;
  /** Extra help text (examples). */
  examples?: string[];
  /** The handler; absent for a group of subcommands. */
  handler?: Handler;
  /** Subcommands. */
  subcommands?: CommandDefinition[];
  /** Old option names kept for one release: hidden from help and completion, mapped onto the new option with a notice. */
  deprecatedOptions?: DeprecatedOption[];
}

/** An old option name (`--bundle-out <file>`) and the option that replaced it (`--out`). */
export interface DeprecatedOption {
  /** commander flags of the old name, with its value placeholder. */
  flags: string;
  /** Long flag of the new option, which must be defined by the command's `configure`. */
  use: string;
}

/** Identity helper for type inference. */
export function defineCommand(def: CommandDefinition): CommandDefinition {
  return def;
}
