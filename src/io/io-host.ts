/**
 * The port every stage uses to talk to the operator. Results go to stdout, everything else to stderr
 * (design.md "Conventions for the command line"). Stages never touch `console` or `process.stdout`.
 */

/** Severity of a message; `result` is the only level written to stdout. */
export type IoLevel = 'error' | 'warn' | 'info' | 'debug';

/** A message from a stage: a stable code (see io/messages.ts), a human sentence and optional data. */
export interface IoMessage {
  /** Severity. */
  level: IoLevel;
  /** Stable code such as `IRCTL_IMPORT_W1001`. */
  code: string;
  /** One human-readable sentence: what happened and what to do. */
  message: string;
  /** Structured details for `--json` consumers and tests. */
  data?: Record<string, unknown>;
}

/** A progress indicator; a no-op unless stderr is a TTY. */
export interface Progress {
  /** Replace the progress text. */
  update(text: string): void;
  /** Finish successfully with a final line. */
  succeed(text: string): void;
  /** Finish with a failure line. */
  fail(text: string): void;
  /** Remove the indicator without a final line. */
  stop(): void;
}

/** The operator's terminal, or a test double. */
export interface IoHost {
  /** True when `--json` was given: stdout carries machine-readable results only. */
  readonly json: boolean;
  /** True when colour may be used on stdout. */
  readonly color: boolean;
  /** Report a diagnostic to stderr (filtered by verbosity). */
  notify(msg: IoMessage): void;
  /** Write one line of human-readable result to stdout. */
  out(line: string): void;
  /** Write one JSON value as a line to stdout. */
  outJson(value: unknown): void;
  /** Write text to stdout exactly as given (no newline added): evidence bytes for `show --raw`. */
  outRaw(text: string): void;
  /** Start a progress indicator (TTY only). */
  progress(text: string): Progress;
  /**
   * Ask the operator a yes/no question. Non-interactive hosts answer `defaultResponse` so CI runs behave the same
   * every time.
   */
  confirm(question: string, defaultResponse: boolean): Promise<boolean>;
  /**
   * Ask for a line of text; non-interactive hosts answer `defaultResponse`. With `multiline`, lines pasted in one
   * burst come back as one answer joined by newlines (otherwise only the first line is the answer).
   */
  ask(question: string, defaultResponse: string, opts?: { multiline?: boolean }): Promise<string>;
}

/**
 * The reader of stdout has gone (`irctl events --json | head -1` once head has its line): thrown by the next write,
 * so the command stops at once instead of producing the rest of its output for nobody. main.ts ends it quietly with
 * exit 0: closing a pipe is the reader's choice, not a failure.
 */
export class OutputClosedError extends Error {
  constructor() {
    super('stdout was closed by its reader');
    this.name = 'OutputClosedError';
  }
}

/** A progress indicator that shows nothing. */
export const silentProgress: Progress = {
  update: () => undefined,
  succeed: () => undefined,
  fail: () => undefined,
  stop: () => undefined,
};
