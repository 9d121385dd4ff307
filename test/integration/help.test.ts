/**
 * issue 13: every command and group has `--help` with examples; defaults print without quotes; a bare `irctl` or
 * group prints its help on stdout and exits 0.
 */
import type { Command } from 'commander';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runIrctl } from '../helpers/run-irctl.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Every command of the tree with its path (`case verify`), the root first. */
function walk(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

describe('irctl --help', () => {
  const stdout = new Capture();
  const program = buildProgram({ stdout, stderr: new Capture() });
  const all = walk(program);

  it('walks the whole tree (groups and their subcommands)', () => {
    const names = all.map((c) => c.path.join(' '));
    for (const n of ['', 'case', 'case info', 'case init', 'threats', 'threats list', 'threats show', 'completion', 'collect aws', 'keys trust']) expect(names).toContain(n);
  });

  it.each(walk(buildProgram({ stdout: new Capture(), stderr: new Capture() })).map((c) => [c.path.join(' ') || '(irctl)', c.path]))(
    'irctl %s --help has an Examples section that names the command',
    async (_name, path) => {
      const r = await runIrctl([...path, '--help']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const examples = r.stdout.split('\nExamples:\n')[1];
      expect(examples, r.stdout).toBeDefined();
      // `$ irctl case init`, `$ irctl --case ./c case init`, `$ source <(irctl completion bash)`
      expect(examples).toMatch(new RegExp(`\\$ .*irctl\\b.*${path.join(' ')}`));
    },
  );

  it('prints defaults and choices without quotes', async () => {
    const r = await runIrctl(['timeline', '--help']);
    expect(r.stdout).toMatch(/\(default: 1h\)/);
    expect(r.stdout).toMatch(/choices: table, lanes, json, csv, md, timesketch/);
    expect(r.stdout).not.toMatch(/default: "/);
    const top = await runIrctl(['--help']);
    expect(top.stdout).not.toContain('(default: false)');
  });

  it('hides deprecated option names', async () => {
    const r = await runIrctl(['collect', 'aws', '--help']);
    for (const old of ['--user', '--event-name', '--event-source', '--resource-name']) expect(r.stdout).not.toContain(old);
    expect((await runIrctl(['investigate', '--help'])).stdout).not.toContain('--bundle-out');
    expect((await runIrctl(['export', '--help'])).stdout).not.toMatch(/--key\b/);
  });
});

describe('irctl with no command', () => {
  it('prints the help on stdout and exits 0', async () => {
    const r = await runIrctl([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: irctl \[options\] \[command\]/);
    expect(r.stdout).toContain('Examples:');
    expect(r.stderr).toBe('');
  });

  it('a bare group prints its help on stdout and exits 0', async () => {
    const r = await runIrctl(['case']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: irctl case/);
    expect(r.stderr).toBe('');
  });

  it('an unknown command is a usage error with a suggestion (exit 2)', async () => {
    const r = await runIrctl(['evnets']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'evnets'[\s\S]*Did you mean events\?/);
    const sub = await runIrctl(['case', 'inof']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/unknown command 'inof'[\s\S]*Did you mean info\?/);
  });
});
