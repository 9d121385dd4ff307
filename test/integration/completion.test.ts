/**
 * issue 13: `irctl completion bash|zsh|fish` prints a script generated from the command tree. Each script must parse
 * in its shell and complete commands, subcommands, flags and choices; bash always runs (CI and every Linux have it),
 * zsh and fish when installed (`.ci/run` installs them).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const { dir, cleanup } = tempDir();
afterAll(() => cleanup());

function has(shell: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function script(shell: string): Promise<string> {
  const r = await runIrctl(['completion', shell]);
  expect(r.code, r.stderr).toBe(0);
  const file = join(dir, `irctl.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

describe('irctl completion bash', () => {
  it('parses (bash -n) and names every top-level command', async () => {
    const file = await script('bash');
    execFileSync('bash', ['-n', file]);
    const text = (await runIrctl(['completion', 'bash'])).stdout;
    for (const c of ['collect', 'import', 'events', 'show', 'case', 'threats', 'timeline', 'investigate', 'export', 'verify', 'report', 'completion']) expect(text).toContain(c);
    expect(text).not.toContain('--bundle-out');
  });

  it('completes commands, subcommands after global flags, flags and choices', async () => {
    const file = await script('bash');
    const complete = (...words: string[]): string[] =>
      execFileSync('bash', ['-c', `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _irctl; printf '%s\\n' "\${COMPREPLY[@]}"`, file, ...words], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l !== '');
    expect(complete('irctl', 'ca')).toEqual(['case']);
    expect(complete('irctl', '--case', '/tmp/c', 'case', '')).toEqual(['init', 'info', 'verify', 'seal', 'quarantine', 'rebuild']);
    expect(complete('irctl', 'threats', '')).toEqual(['list', 'show']);
    expect(complete('irctl', 'timeline', 'T-1', '--format', '')).toEqual(['table', 'lanes', 'json', 'csv', 'md', 'timesketch']);
    expect(complete('irctl', 'collect', 'aws', '--acc')).toEqual(['--access-key']);
    expect(complete('irctl', 'investigate', 'T-1', '--o')).toEqual(expect.arrayContaining(['--offline', '--out']));
    expect(complete('irctl', 'export', '--sig')).toEqual(['--signing-key']);
  });
});

describe.runIf(has('zsh'))('irctl completion zsh', () => {
  it('parses (zsh -n) and knows the subcommands of a group', async () => {
    const file = await script('zsh');
    execFileSync('zsh', ['-n', file]);
    const out = execFileSync('zsh', ['-c', 'compdef() { :; }; source "$1"; local -a cmds flags values; _irctl_node "case"; print -l -- "${cmds[@]}"', 'zsh', file], { encoding: 'utf8' });
    expect(out.split('\n').map((l) => l.split(':')[0])).toEqual(expect.arrayContaining(['init', 'info', 'verify']));
  });
});

describe.runIf(has('fish'))('irctl completion fish', () => {
  it('parses (fish -n) and completes subcommands and choices', async () => {
    const file = await script('fish');
    execFileSync('fish', ['-n', file]);
    const complete = (line: string): string[] =>
      execFileSync('fish', ['-c', `source $argv[1]; complete -C "${line}"`, file], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t')[0] ?? '');
    expect(complete('irctl case ')).toEqual(expect.arrayContaining(['init', 'info', 'verify']));
    expect(complete('irctl --case x threats ')).toEqual(['list', 'show']);
    expect(complete('irctl timeline T-1 --format ')).toEqual(['csv', 'json', 'lanes', 'md', 'table', 'timesketch']);
  });
});
