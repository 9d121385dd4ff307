/**
 * issue 13: `npm run demo` (scripts/demo.sh, the built CLI) ends by saying the verdicts and where the bundle and the
 * HTML report are, and writes that report. Issue 16: it runs the AI-chain case too, after the first case, whose
 * three verdicts stay as they were.
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
    const r = spawnSync('bash', [resolve(import.meta.dirname, '../../scripts/demo.sh'), c], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const last = r.stdout.trimEnd().split('\n').slice(-10);
    // the first case's three verdicts, as they have always been
    expect(last.slice(0, 3)).toEqual([
      expect.stringMatching(/^verdict {3}T-\d+: malicious \(confidence 0\.95\)$/),
      expect.stringMatching(/^verdict {3}T-\d+: security_test \(confidence 0\.9\)$/),
      expect.stringMatching(/^verdict {3}T-\d+: planned_action \(confidence 0\.85\)$/),
    ]);
    // then the second case's: the AI chain, malicious
    expect(last[3]).toMatch(/^verdict {3}T-\d+: malicious \(confidence 0\.\d+\) \[second case: the AI chain\]$/);
    const bundle = /^bundle {4}(\S+)/.exec(last[4] ?? '')?.[1];
    const html = /^report {4}(\S+\.html)/.exec(last[5] ?? '')?.[1];
    const html2 = /^ {10}(\S+\.html) \(second case\)$/.exec(last[7] ?? '')?.[1];
    expect(bundle && existsSync(bundle)).toBe(true);
    expect(html && readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(html2 && readFileSync(html2, 'utf8')).toContain('Workload (');
  }, 270_000);
});
