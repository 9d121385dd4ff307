/**
 * Local storage failures (issue 11, defects 2 and 10), through the built bin/irctl: a full disk under the case or
 * under an output file is exit 8, within seconds, with no thread left running and the case consistent; evidence
 * files are 0600 and new case folders 0700 whatever the umask. The full disk is a real 2 MB tmpfs (root: CI runs as
 * root; a machine where it cannot be mounted fails these tests with the reason).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctRecord, s3LogText, writeGz } from '../helpers/cloudtrail.js';
import { mountTmpfs, unmount } from '../helpers/mounts.js';
import { BIN, fixture, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
let logs: string;
let full: string;

beforeAll(() => {
  expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
  ({ dir, cleanup } = tempDir());
  logs = join(dir, 'AWSLogs');
  // ~10 MB of records once stored: far more than the tmpfs holds.
  for (let f = 0; f < 6; f++) {
    const recs = Array.from({ length: 2500 }, (_, k) => ctRecord(f * 2500 + k));
    writeGz(join(logs, `part-${f}.json.gz`), s3LogText(recs));
  }
  full = join(dir, 'small-disk');
  mountTmpfs(full, '2m');
});
afterAll(() => {
  unmount(full);
  cleanup();
});

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe('a full disk', () => {
  it('an import into a case on a full disk exits 8 within seconds, says so, and the case still verifies', async () => {
    // GIVEN a case on a 2 MB file system and more records than fit
    const c = join(full, 'case');
    // WHEN importing
    const t0 = Date.now();
    const r = await spawnIrctl(['--case', c, 'import', logs], { timeoutMs: 30_000 });
    const ms = Date.now() - t0;
    // THEN it ends (no parser thread left waiting), with the local storage exit code and message
    expect(r.signal, `the import hung and was killed after ${ms} ms:\n${r.stderr}`).toBeNull();
    expect(r.code, r.stderr).toBe(8);
    expect(ms).toBeLessThan(20_000);
    expect(r.stderr).toContain('local storage: disk full');
    expect(r.stderr).not.toContain('This is a bug');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // the lock is released and the case is consistent: what was committed verifies
    expect(readdirSync(c).filter((f) => f.startsWith('.irctl-lock'))).toEqual([]);
    // nothing altered (ok); the input the failed run started is reported as incomplete (exit 6), as for a killed run
    const v = await spawnIrctl(['--case', c, 'case', 'verify', '--json'], { timeoutMs: 60_000 });
    const report = JSON.parse(v.stdout) as { ok: boolean; incomplete: string[] };
    expect(report.ok, v.stdout).toBe(true);
    expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(6);
    expect(report.incomplete.join('\n')).toMatch(/input/);
    const info = await spawnIrctl(['--case', c, 'case', 'info', '--json'], { timeoutMs: 60_000 });
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { runs: Array<{ status: string }> }).runs.map((x) => x.status)).toEqual(['incomplete']);
  }, 90_000);

  it('an export whose output is on a full disk exits 8 and leaves neither bundle nor staging folder', async () => {
    // GIVEN a case on a roomy disk, and an output folder on the full one
    const c = join(dir, 'roomy');
    expect((await spawnIrctl(['--case', c, 'import', logs], { timeoutMs: 120_000 })).code).toBe(0);
    const outDir = join(full, 'out');
    mkdirSync(outDir);
    // WHEN exporting there
    const r = await spawnIrctl(['--case', c, 'export', '--all', '--out', join(outDir, 'case.bundle.tar.gz')], { timeoutMs: 120_000 });
    // THEN
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toContain('local storage');
    expect(r.stderr).not.toContain('This is a bug');
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
    expect((await spawnIrctl(['--case', c, 'case', 'verify'], { timeoutMs: 60_000 })).code).toBe(0);
  }, 180_000);
});

describe('modes', () => {
  it('a new case folder is 0700; the store, its WAL and shared memory, bundles and reports are 0600, even with umask 000', async () => {
    // GIVEN umask 000 (everything world-writable by default)
    const c = join(dir, 'umask-case');
    const sh = (args: string[]): Promise<number | null> =>
      new Promise((resolve, reject) => {
        const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
        const p = spawn('sh', ['-c', `umask 000; exec '${process.execPath}' '${BIN}' ${quoted}`], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
        p.on('error', reject);
        p.on('close', resolve);
      });
    // WHEN creating a case, writing a bundle and a report, and looking while a writer has the store open
    expect(await sh(['--case', c, 'import', fixture('sample-case', 'logs')])).not.toBeNull();
    expect(await sh(['--case', c, 'export', '--all', '--out', join(c, 'exports', 'all.bundle.tar.gz')])).toBe(0);
    expect(await sh(['--case', c, 'report', '--all', '--format', 'html', '--out', join(dir, 'report.html')])).toBe(0);
    // THEN
    expect(mode(c)).toBe('700');
    expect(mode(join(c, 'evidence.sqlite'))).toBe('600');
    expect(mode(join(c, 'exports', 'all.bundle.tar.gz'))).toBe('600');
    expect(mode(join(dir, 'report.html'))).toBe('600');
    // the -wal and -shm exist while a connection is open: a reader leaves them in place
    expect(await sh(['--case', c, 'events', '--limit', '1'])).toBe(0);
    for (const side of ['evidence.sqlite-wal', 'evidence.sqlite-shm']) {
      const p = join(c, side);
      expect(existsSync(p), side).toBe(true);
      expect(mode(p), side).toBe('600');
    }
  }, 120_000);

  it('a store made with loose modes (an older irctl) is tightened by the next writing command', async () => {
    // GIVEN a case whose store is 0644
    const c = join(dir, 'loose');
    expect((await spawnIrctl(['--case', c, 'import', fixture('cloudtrail', 'lookup-events.json')], { timeoutMs: 60_000 })).code).toBe(0);
    const { chmodSync } = await import('node:fs');
    chmodSync(join(c, 'evidence.sqlite'), 0o644);
    // WHEN a writing command runs
    expect((await spawnIrctl(['--case', c, 'detect'], { timeoutMs: 60_000 })).code).toBe(0);
    // THEN
    expect(mode(join(c, 'evidence.sqlite'))).toBe('600');
  }, 90_000);
});
