/**
 * issue 11 defect 4: an import killed with SIGKILL in the middle of a file (the built bin/irctl in a child process).
 * Its input row exists before its first record, so the records it stored point at the right input; the next import
 * gets a new input id (ids are never reused); `case verify` names the killed input (exit 6) until the same file is
 * imported completely.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, fixture, runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';
import { ctRecord, s3LogText, writeGz } from '../helpers/cloudtrail.js';

const RECORDS = 60_000;

let dir: string;
let cleanup: () => void;
let big: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('irctl-kill-'));
  big = writeGz(join(dir, 'big', 'trail.json.gz'), s3LogText(Array.from({ length: RECORDS }, (_, i) => ctRecord(i))));
});
afterAll(() => cleanup());

interface Report {
  exit_code: number;
  problems: string[];
  incomplete: string[];
  warnings: string[];
}

describe('kill -9 during irctl import', () => {
  it('keeps provenance: the killed input is named, ids are not reused, and a complete re-import settles it', async () => {
    expect(existsSync(BIN), 'run `npm run build` first').toBe(true);
    const caseDir = join(dir, 'case');
    const dbFile = join(caseDir, 'evidence.sqlite');
    const wal = `${dbFile}-wal`;
    // GIVEN an import of one large file, killed once some batches of it are written
    let killed = false;
    const first = await spawnIrctl(['--case', caseDir, 'import', big], {
      timeoutMs: 120_000,
      onSpawn: (child) => {
        // Poll what is committed (a WAL that grows may still hold an open transaction's pages).
        let watch: Database.Database | undefined;
        const timer = setInterval(() => {
          try {
            if (!watch && existsSync(wal)) watch = new Database(dbFile, { readonly: true, fileMustExist: true });
            const n = watch?.prepare('SELECT COUNT(*) FROM raw_records').pluck().get() as number | undefined;
            if (n !== undefined && n >= 10_000) {
              clearInterval(timer);
              watch?.close();
              killed = child.kill('SIGKILL');
            }
          } catch {
            // the schema is being created: try again
          }
        }, 10);
        child.on('exit', () => {
          clearInterval(timer);
          watch?.close();
        });
      },
    });
    expect(killed, 'the import finished before it could be killed: raise RECORDS').toBe(true);
    expect(first.signal).toBe('SIGKILL');
    const d = new Database(dbFile, { readonly: true });
    const inputs1 = d.prepare('SELECT id, locator, status FROM input_status ORDER BY id').all();
    const stored = d.prepare('SELECT COUNT(*) FROM raw_records WHERE input_id = 1').pluck().get() as number;
    d.close();
    expect(inputs1).toEqual([{ id: 1, locator: big, status: 'incomplete' }]);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(RECORDS);

    // WHEN another file is imported
    const other = fixture('cloudtrail', 'stratus-iam-create-admin-user.json');
    const second = await runIrctl(['--case', caseDir, 'import', other]);
    expect(second.code, second.stderr).toBe(0);
    // THEN it gets a new input id, and the killed input's records still point at the killed input
    const d2 = new Database(dbFile, { readonly: true });
    expect(d2.prepare('SELECT id, locator, status FROM input_status ORDER BY id').all()).toEqual([
      { id: 1, locator: big, status: 'incomplete' },
      { id: 2, locator: other, status: 'ok' },
    ]);
    expect(d2.prepare('SELECT COUNT(*) FROM raw_records WHERE input_id = 1').pluck().get()).toBe(stored);
    expect(d2.prepare('SELECT COUNT(*) FROM raw_records WHERE input_id = 2').pluck().get()).toBeGreaterThan(0);
    d2.close();
    // and verify names the killed input (exit 6): nothing was altered, the result is incomplete
    const v = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
    expect(v.code, v.stdout).toBe(6);
    const r = v.json<Report>()[0]!;
    expect(r.problems).toEqual([]);
    expect(r.incomplete).toHaveLength(1);
    expect(r.incomplete[0]).toMatch(new RegExp(`^input 1 \\(${big.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) of run [0-9a-f-]{36} was never completed: the run was killed`));
    const info = await runIrctl(['--case', caseDir, 'case', 'info', '--json']);
    expect(info.json<{ runs: Array<{ status: string }> }>()[0]!.runs.map((x) => x.status)).toEqual(['incomplete', 'complete']);

    // WHEN the big file is imported again, completely
    const again = await spawnIrctl(['--case', caseDir, 'import', big], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    // THEN the killed input is history (a warning), no longer a gap
    const v2 = await runIrctl(['--case', caseDir, 'case', 'verify', '--json']);
    expect(v2.code, v2.stdout).toBe(0);
    const r2 = v2.json<Report>()[0]!;
    expect(r2.warnings.join('\n')).toContain('input 1 (');
    expect(r2.warnings.join('\n')).toContain('and input 3 read the same source completely later');
  }, 240_000);
});
