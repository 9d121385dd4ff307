/** `irctl threats` and `irctl threats show` through the CLI, after a real `irctl detect`. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleCase, writeRules } from '../helpers/detect-case.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;

beforeEach(async () => {
  tmp = tempDir();
  caseDir = await sampleCase(tmp.dir);
});
afterEach(() => tmp.cleanup());

describe('irctl threats', () => {
  it('says to run detect first when it never ran', async () => {
    const r = await runIrctl(['--case', caseDir, 'threats']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no threats yet: run `irctl detect` first/);
  });

  it('lists threats by priority, one JSON object per line with the documented fields', async () => {
    // GIVEN detect with the built-in pack
    expect((await runIrctl(['--case', caseDir, 'detect'])).code).toBe(0);
    // WHEN
    const r = await runIrctl(['--case', caseDir, 'threats', '--json']);
    // THEN
    expect(r.code).toBe(0);
    const list = r.json<Record<string, unknown> & { priority: number; detection_ids: string[]; rules: string[] }>();
    expect(list.length).toBeGreaterThanOrEqual(2);
    for (const t of list) {
      expect(t).toEqual(
        expect.objectContaining({
          id: expect.stringMatching(/^T-\d+$/) as unknown,
          title: expect.any(String) as unknown,
          severity: expect.stringMatching(/^(informational|low|medium|high|critical)$/) as unknown,
          first_seen: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
          last_seen: expect.any(String) as unknown,
          entities: expect.any(Array) as unknown,
          techniques: expect.any(Array) as unknown,
          detections: expect.any(Number) as unknown,
        }),
      );
      expect(t.detection_ids).toHaveLength(t.detections as number);
      expect(t.rules.length).toBeGreaterThan(0);
    }
    const prios = list.map((t) => t.priority);
    expect([...prios].sort((a, b) => b - a)).toEqual(prios);
    // the intrusion is first
    expect(JSON.stringify(list[0]?.entities)).toContain('203.0.113.77');
    // and the table names it too
    const table = await runIrctl(['--case', caseDir, 'threats']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +PRIORITY +SEVERITY/);
    expect(table.stdout).toContain(String(list[0]?.id));
  });

  it('shows one threat with its detections: rule title, id, author, time, summary', async () => {
    expect((await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', writeRules(join(tmp.dir, 'rules'))])).code).toBe(0);
    const r = await runIrctl(['--case', caseDir, 'threats', 'show', 'T-1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^T-1 +critical +priority \d+/);
    expect(r.stdout).toMatch(/context: privileged actor: arn:aws:iam::111122223333:user\/support-admin was granted admin/);
    expect(r.stdout).toMatch(/context: crown jewel: arn:aws:s3:::customer-exports/);
    expect(r.stdout).toMatch(/2026-11-21T02:24:10\.000Z +high +CloudTrail logging stopped or deleted \(irctl test… +5f1b1c9e-1b7e-4c55-9d3c-000000000001 +irctl tests/);
    expect(r.stdout).toMatch(/next: irctl timeline T-1/);
    const j = await runIrctl(['--case', caseDir, 'threats', 'show', 't-1', '--json']);
    const o = j.json<{ id: string; detection_list: Array<{ rule_author: string; rule_id: string; summary: string; event_ids: string[] }> }>()[0]!;
    expect(o.id).toBe('T-1');
    expect(o.detection_list).toHaveLength(2);
    expect(o.detection_list[0]).toMatchObject({ rule_author: 'irctl tests' });
    expect(o.detection_list[0]?.summary).not.toBe('');
    // shorthand
    expect((await runIrctl(['--case', caseDir, 'threats', 'T-1'])).stdout).toMatch(/^T-1 /);
  });

  it('rejects an unknown id with a hint to list ids (exit 2)', async () => {
    expect((await runIrctl(['--case', caseDir, 'detect', '--no-builtin', '--rules', writeRules(join(tmp.dir, 'rules'))])).code).toBe(0);
    const r = await runIrctl(['--case', caseDir, 'threats', 'show', 'T-99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no threat "T-99" in this case/);
    expect(r.stderr).toMatch(/irctl threats/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await runIrctl(['--case', caseDir, 'threats', 'frobnicate'])).code).toBe(2);
  });
});
