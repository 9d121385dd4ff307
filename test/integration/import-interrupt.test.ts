/**
 * Ctrl-C during a large import (the built bin/irctl in a child process): exit 130, what was saved stays, the custody
 * log records the interrupted run, and running the same command again completes with no duplicate events.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';
import { ctRecord, s3LogText, writeGz } from '../helpers/cloudtrail.js';

const FILES = 30;
const PER_FILE = 2500;
const TOTAL = FILES * PER_FILE;

let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  for (let f = 0; f < FILES; f++) {
    const recs = Array.from({ length: PER_FILE }, (_, k) => ctRecord(f * PER_FILE + k));
    writeGz(join(dir, 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2024', '03', '01', `part-${String(f).padStart(3, '0')}.json.gz`), s3LogText(recs));
  }
});
afterAll(() => cleanup());

function countEvents(caseDir: string): number {
  const r = spawnSync('sqlite3', [join(caseDir, 'evidence.sqlite'), 'SELECT COUNT(*) FROM events'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

describe('Ctrl-C during irctl import', () => {
  it('exits 130 keeping what was saved, and a re-run completes with no duplicates', async () => {
    expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
    const caseDir = join(dir, 'case');
    const wal = join(caseDir, 'evidence.sqlite-wal');
    // GIVEN an import under way
    let sent = false;
    let walAtSignal = 0;
    const first = await spawnIrctl(['--case', caseDir, 'import', join(dir, 'AWSLogs'), '--json'], {
      timeoutMs: 120_000,
      onSpawn: (child) => {
        // WHEN Ctrl-C arrives once some batches are written
        const timer = setInterval(() => {
          if (existsSync(wal) && statSync(wal).size > 1024 * 1024) {
            clearInterval(timer);
            walAtSignal = statSync(wal).size;
            sent = child.kill('SIGINT');
          }
        }, 20);
        child.on('exit', () => clearInterval(timer));
      },
    });
    // THEN
    expect(sent, 'the import finished before it could be interrupted: raise FILES').toBe(true);
    expect(first.code, `${first.stderr}\nWAL at signal: ${walAtSignal}\n${first.stdout.slice(0, 300)}`).toBe(130);
    expect(first.stderr).toContain('interrupt: finishing the current batch');
    expect(first.stderr).not.toMatch(/^\s+at /m);
    const s1 = JSON.parse(first.stdout.trim()) as { interrupted: boolean; events: number; files: number; files_found: number };
    expect(s1.interrupted).toBe(true);
    // The summary counts the files stored as inputs, not those found (issue 13).
    const inputs = spawnSync('sqlite3', [join(caseDir, 'evidence.sqlite'), "SELECT COUNT(*) FROM inputs WHERE kind = 'file'"], { encoding: 'utf8' });
    expect(s1.files).toBe(Number(inputs.stdout.trim()));
    expect(s1.files).toBeLessThan(FILES);
    expect(s1.files_found).toBe(FILES);
    const saved = countEvents(caseDir);
    expect(saved).toBe(s1.events);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(TOTAL);
    // The interrupted run is closed in the custody log and the evidence verifies.
    const v1 = await runIrctl(['--case', caseDir, 'case', 'verify']);
    expect(v1.code).toBe(0);
    const info = (await runIrctl(['--case', caseDir, 'case', 'info', '--json'])).json<{ runs: Array<{ status: string }> }>()[0];
    expect(info?.runs.map((r) => r.status)).toEqual(['interrupted']);

    // WHEN the same command runs again
    const second = await spawnIrctl(['--case', caseDir, 'import', join(dir, 'AWSLogs'), '--json'], { timeoutMs: 120_000 });
    // THEN it completes, adding exactly the missing events
    expect(second.code, second.stderr).toBe(0);
    const s2 = JSON.parse(second.stdout.trim()) as { interrupted: boolean; events: number; duplicates: number; records: number };
    expect(s2).toMatchObject({ interrupted: false, records: TOTAL });
    expect(s1.events + s2.events).toBe(TOTAL);
    expect(s2.duplicates).toBe(saved);
    expect(countEvents(caseDir)).toBe(TOTAL);
    const v2 = await runIrctl(['--case', caseDir, 'case', 'verify']);
    expect(v2.code).toBe(0);
  }, 180_000);
});
