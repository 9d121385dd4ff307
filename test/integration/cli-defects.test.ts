/**
 * issue 13 "small defects", each through the CLI: a failed command leaves no empty case behind (and `case init` makes
 * one on purpose); `--out` in a folder that does not exist is a usage error that creates nothing.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('a failed command leaves no empty case behind', () => {
  it('irctl --case new import /nonexistent: exit 2, no case folder', async () => {
    const c = join(dir, 'new');
    const r = await runIrctl(['--case', c, 'import', join(dir, 'nonexistent')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not exist/);
    expect(existsSync(c)).toBe(false);
  });

  it('in a folder that existed (with the operator context already in it), only the store is removed', async () => {
    const c = join(dir, 'prepared');
    mkdirSync(c);
    writeFileSync(join(c, 'context.yaml'), 'crown_jewels: []\n');
    expect((await runIrctl(['--case', c, 'import', join(dir, 'nonexistent')])).code).toBe(2);
    expect(readdirSync(c)).toEqual(['context.yaml']);
  });

  it('irctl collect aws without credentials: exit 4, no case folder (built CLI, the real credential chain)', async () => {
    expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
    const c = join(dir, 'no-creds');
    const none = join(dir, 'no-such-aws-file');
    const r = await spawnIrctl(['--case', c, 'collect', 'aws', '--since', '1h', '--region', 'us-east-1'], {
      env: { AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: none, AWS_SHARED_CREDENTIALS_FILE: none, HOME: dir, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/no AWS credentials/);
    expect(existsSync(c)).toBe(false);
  });

  it('a case with evidence is never removed by a later failure', async () => {
    const c = join(dir, 'kept');
    expect((await runIrctl(['--case', c, 'case', 'init'])).code).toBe(0);
    expect((await runIrctl(['--case', c, 'import', join(dir, 'nonexistent')])).code).toBe(2);
    expect(existsSync(join(c, 'evidence.sqlite'))).toBe(true);
  });
});

describe('irctl case init', () => {
  it('makes an empty case with a first custody entry, and leaves an existing case as it is', async () => {
    // GIVEN no case
    const c = join(dir, 'init');
    // WHEN
    const r = await runIrctl(['--case', c, 'case', 'init']);
    // THEN
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(created\)/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^custody {3}head [0-9a-f]{64} \(entry 1\)$/);
    const info = (await runIrctl(['--case', c, '--json', 'case', 'info'])).json<{ stats: { events: number; custody_entries: number } }>()[0];
    expect(info?.stats).toMatchObject({ events: 0, custody_entries: 1 });
    expect((await runIrctl(['--case', c, 'case', 'verify'])).code).toBe(0);
    // AND again: nothing changes
    const again = (await runIrctl(['--case', c, '--json', 'case', 'init'])).json<{ created: boolean; custody_head: { seq: number } }>()[0];
    expect(again).toMatchObject({ created: false, custody_head: { seq: 1 } });
  });
});

describe('--out in a folder that does not exist', () => {
  it('is exit 2 for export, report and investigate, and creates no folder', async () => {
    const c = join(dir, 'out-case');
    expect((await runIrctl(['--case', c, 'case', 'init'])).code).toBe(0);
    const missing = join(dir, 'nonexistent', 'dir');
    for (const args of [
      ['export', '--all', '--out', join(missing, 'x.tar.gz')],
      ['report', '--all', '--format', 'html', '--out', join(missing, 'r.html')],
      ['investigate', 'T-1', '--offline', '--out', join(missing, 'b.tar.gz')],
    ]) {
      const r = await runIrctl(['--case', c, ...args]);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toContain(`the folder ${missing} does not exist`);
    }
    expect(existsSync(join(dir, 'nonexistent'))).toBe(false);
    // A folder given as the file is refused too.
    expect((await runIrctl(['--case', c, 'export', '--all', '--out', dir])).code).toBe(2);
  });
});
