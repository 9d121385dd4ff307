/**
 * Run irctl in-process, the way a user meets it: argv in, stdout/stderr/exit code out, on a real SQLite case.
 * (wrangler's runWrangler pattern.) For signal tests use spawnIrctl, which runs the built bin/irctl.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** What a run produced. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON (one value per non-empty line). */
  json<T = Record<string, unknown>>(): T[];
}

class Capture extends Writable {
  chunks: Buffer[] = [];
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function result(code: number, stdout: string, stderr: string): RunResult {
  return {
    code,
    stdout,
    stderr,
    json: <T>() =>
      stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as T),
  };
}

/** Run `irctl ...args` in this process. */
export async function runIrctl(args: string[], opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; now?: () => Date } = {}): Promise<RunResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const controller = new AbortController();
  const code = await main(['node', 'irctl', ...args], {
    env: { ...opts.env, NO_COLOR: '1' },
    stdout,
    stderr,
    signal: opts.signal ?? controller.signal,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return result(code, stdout.text(), stderr.text());
}

/** Path of the built launcher. */
export const BIN = resolve(import.meta.dirname, '../../bin/irctl');

/** Run the built `bin/irctl` as a child process (needs `npm run build`). */
export function spawnIrctl(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; onSpawn?: (child: ChildProcess) => void; timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<RunResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ ...result(code ?? -1, Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8')), signal });
    });
    opts.onSpawn?.(child);
  });
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'irctl-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Absolute path of a file under fixtures/. */
export function fixture(...parts: string[]): string {
  return resolve(import.meta.dirname, '../../fixtures', ...parts);
}
