/**
 * issue 13: `irctl events --json | head -1` stops when head closes the pipe, instead of writing the whole case: the
 * built CLI, on a case of 50,000 events, with its stdout closed after the first line.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctRecord, s3LogText, writeGz } from '../helpers/cloudtrail.js';
import { BIN, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

const EVENTS = 50_000;
let dir: string;
let cleanup: () => void;
let caseDir: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  caseDir = join(dir, 'case');
  for (let f = 0; f < 10; f++) {
    writeGz(join(dir, 'logs', `part-${f}.json.gz`), s3LogText(Array.from({ length: EVENTS / 10 }, (_, k) => ctRecord(f * (EVENTS / 10) + k))));
  }
  const r = await spawnIrctl(['--case', caseDir, 'import', join(dir, 'logs')], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
}, 180_000);
afterAll(() => cleanup());

/** Run the built CLI, close its stdout after the first line, and time how long it takes to end after that. */
function firstLineThenClose(args: string[]): Promise<{ code: number | null; first: string; stderr: string; msAfterClose: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let buf = '';
    let first = '';
    let closedAt = 0;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      if (closedAt) return;
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        first = buf.slice(0, nl);
        closedAt = Date.now();
        child.stdout.destroy();
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, first, stderr, msAfterClose: closedAt ? Date.now() - closedAt : -1 });
    });
  });
}

describe('a closed stdout (irctl ... | head -1)', () => {
  it('events --json stops at once, quietly, with exit 0', async () => {
    // GIVEN the time the whole output takes
    const t0 = Date.now();
    const full = await spawnIrctl(['--case', caseDir, 'events', '--json', '--full'], { timeoutMs: 120_000 });
    const fullMs = Date.now() - t0;
    expect(full.code).toBe(0);
    expect(full.stdout.split('\n').filter((l) => l !== '')).toHaveLength(EVENTS);
    // WHEN the reader goes away after the first line
    const r = await firstLineThenClose(['--case', caseDir, 'events', '--json', '--full']);
    // THEN
    expect(JSON.parse(r.first)).toHaveProperty('id');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // It ends within the time of start-up, far sooner than writing everything would take.
    expect(r.msAfterClose, `whole output took ${fullMs} ms`).toBeLessThan(Math.max(1000, fullMs / 3));
  }, 180_000);
});
