/**
 * issue 13: `npm run demo` (scripts/demo.sh, the built CLI) ends by saying the verdicts and where the bundle and the
 * HTML report are, and writes that report.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/run-irctl.js';

const { dir, cleanup } = tempDir();
afterAll(() => cleanup());

describe('npm run demo', () => {
  it('ends with the verdicts, the bundle and the HTML report it wrote', () => {
    expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
    const c = join(dir, 'demo-case');
    const r = spawnSync('bash', [resolve(import.meta.dirname, '../../scripts/demo.sh'), c], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const last = r.stdout.trimEnd().split('\n').slice(-7);
    expect(last.slice(0, 3)).toEqual([
      expect.stringMatching(/^verdict {3}T-\d+: malicious \(confidence 0\.\d+\)$/),
      expect.stringMatching(/^verdict {3}T-\d+: security_test /),
      expect.stringMatching(/^verdict {3}T-\d+: planned_action /),
    ]);
    const bundle = /^bundle {4}(\S+)/.exec(last[3] ?? '')?.[1];
    const html = /^report {4}(\S+\.html)/.exec(last[4] ?? '')?.[1];
    expect(bundle && existsSync(bundle)).toBe(true);
    expect(html && readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  }, 150_000);
});
