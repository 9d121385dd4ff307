import { createInterface } from 'node:readline/promises';
import { Chalk, type ChalkInstance } from 'chalk';
import type { IoHost, IoLevel, IoMessage, Progress } from './io-host.js';
import { OutputClosedError, silentProgress } from './io-host.js';

/** Options of the terminal host, taken from global flags and the environment. */
export interface CliIoHostOptions {
  /** `--json`. */
  json: boolean;
  /** Colour allowed (`--no-color` and `NO_COLOR` turn it off). */
  color: boolean;
  /** Lowest level printed to stderr. @default 'info' */
  level: IoLevel;
  /** Writable for results. @default process.stdout */
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Writable for diagnostics. @default process.stderr */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Readable for prompts. @default process.stdin */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

const ORDER: Record<IoLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** How long after a pasted question's first line its other lines may still arrive. */
const PASTE_BURST_MS = 40;

/** The real terminal: stdout for results, stderr for everything else, ora spinners on a TTY. */
export class CliIoHost implements IoHost {
  readonly json: boolean;
  readonly color: boolean;
  private readonly level: IoLevel;
  private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  private readonly chalk: ChalkInstance;
  private readonly errChalk: ChalkInstance;

  constructor(opts: CliIoHostOptions) {
    this.json = opts.json;
    this.level = opts.level;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.stdin = opts.stdin ?? process.stdin;
    this.color = opts.color && this.stdout.isTTY === true && !opts.json;
    this.chalk = new Chalk({ level: this.color ? 1 : 0 });
    this.errChalk = new Chalk({ level: opts.color && this.stderr.isTTY === true ? 1 : 0 });
  }

  notify(msg: IoMessage): void {
    if (ORDER[msg.level] < ORDER[this.level]) return;
    const c = this.errChalk;
    const prefix =
      msg.level === 'error' ? c.red('error') : msg.level === 'warn' ? c.yellow('warning') : msg.level === 'debug' ? c.gray('debug') : '';
    this.stderr.write(prefix ? `${prefix}: ${msg.message}\n` : `${msg.message}\n`);
  }

  out(line: string): void {
    this.write(`${line}\n`);
  }

  outRaw(text: string): void {
    this.write(text);
  }

  outJson(value: unknown): void {
    this.write(`${JSON.stringify(value)}\n`);
  }

  /**
   * Write to stdout, or stop the command when its reader has gone. Writes to a pipe are synchronous on Linux and a
   * failed one marks the stream `errored` at once, while its 'error' event waits for the command's loop to yield:
   * checking here stops `events --json | head -1` after one line instead of after the whole case.
   */
  private write(text: string): void {
    const s = this.stdout as NodeJS.WritableStream & { errored?: unknown; destroyed?: boolean };
    if ((s.errored !== undefined && s.errored !== null) || s.destroyed === true) throw new OutputClosedError();
    s.write(text);
  }

  progress(text: string): Progress {
    if (this.stderr.isTTY !== true) return silentProgress;
    // Lazy so that non-TTY runs (CI, pipes) never load the spinner.
    let spinner: { text: string; succeed(t: string): void; fail(t: string): void; stop(): void } | undefined;
    let pending = text;
    void import('ora').then((m) => {
      spinner = m.default({ text: pending, stream: this.stderr, isEnabled: true }).start();
    });
    return {
      update: (t) => {
        pending = t;
        if (spinner) spinner.text = t;
      },
      succeed: (t) => (spinner ? spinner.succeed(t) : this.stderr.write(`${t}\n`)),
      fail: (t) => (spinner ? spinner.fail(t) : this.stderr.write(`${t}\n`)),
      stop: () => spinner?.stop(),
    };
  }

  /** Chalk for stdout (no colour when not a TTY or with `--json`). */
  get style(): ChalkInstance {
    return this.chalk;
  }

  async confirm(question: string, defaultResponse: boolean): Promise<boolean> {
    if (this.stdin.isTTY !== true) return defaultResponse;
    const answer = (await this.ask(`${question} [${defaultResponse ? 'Y/n' : 'y/N'}] `, defaultResponse ? 'y' : 'n'))
      .trim()
      .toLowerCase();
    if (answer === '') return defaultResponse;
    return answer === 'y' || answer === 'yes';
  }

  async ask(question: string, defaultResponse: string, opts: { multiline?: boolean } = {}): Promise<string> {
    if (this.stdin.isTTY !== true) return defaultResponse;
    const rl = createInterface({ input: this.stdin, output: this.stderr });
    // readline hands the first line to the question and emits the rest of a pasted chunk as 'line' events in the
    // same tick: without a listener they would be lost when the interface closes.
    const more: string[] = [];
    rl.on('line', (l) => more.push(l));
    try {
      const first = await rl.question(question);
      if (opts.multiline !== true) return first;
      // A paste arrives as one burst; a person typing takes far longer than this between lines.
      await new Promise((r) => setTimeout(r, PASTE_BURST_MS));
      return [first, ...more].join('\n');
    } catch (err) {
      // Ctrl+D (end of input) at a prompt means "no answer", not a bug.
      if (err instanceof Error && err.name === 'AbortError') return defaultResponse;
      throw err;
    } finally {
      rl.close();
    }
  }
}
