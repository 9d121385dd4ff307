/**
 * `irctl context show|validate|add-change-window|set-aware|add-red-team-marker` and its effect on a verdict.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { custodyEntries } from '../../src/store/custody.js';
import { CASES, importCase, seedThreat } from '../helpers/investigate-seed.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const { dir, cleanup } = tempDir('irctl-ctx-');
afterAll(() => cleanup());

it('edits context.yaml (keeping comments), records the change in custody, and the next investigation uses it', async () => {
  // GIVEN a detonation investigated without context: malicious
  await importCase(dir, [...CASES.stratus.files]);
  seedThreat(dir, 'T-1', 'IAM admin user created', [...CASES.stratus.threat]);
  writeFileSync(join(dir, 'context.yaml'), '# operator notes: keep me\ncrown_jewels: ["arn:aws:s3:::customer-exports"]\n');
  expect(JSON.parse((await runIrctl(['--case', dir, 'investigate', 'T-1', '--offline', '--json'])).stdout)).toMatchObject({ verdict: 'malicious' });
  // WHEN the operator declares the exercise and a change window
  const m = await runIrctl(['--case', dir, 'context', 'add-red-team-marker', 'stratus-red-team_']);
  expect(m.code, m.stderr).toBe(0);
  const w = await runIrctl(['--case', dir, 'context', 'add-change-window', '--id', 'CHG-9', '--start', '2026-11-20T22:00:00Z', '--end', '2026-11-21T02:00:00Z', '--principal', 'arn:aws:iam::111122223333:role/terraform-deploy']);
  expect(w.code, w.stderr).toBe(0);
  const a = await runIrctl(['--case', dir, 'context', 'set-aware', '2026-11-21T09:00:00Z']);
  expect(a.code, a.stderr).toBe(0);
  // THEN the file keeps the comment and validates; show prints it; custody has the edits
  const text = readFileSync(join(dir, 'context.yaml'), 'utf8');
  expect(text).toContain('# operator notes: keep me');
  expect((await runIrctl(['--case', dir, 'context', 'validate'])).code).toBe(0);
  const show = await runIrctl(['--case', dir, 'context', 'show', '--json']);
  expect(show.json<{ context: { change_windows: Array<{ id: string; end: string }>; red_team: { user_agent_markers: string[] }; incident: { aware_at: string } } }>()[0]!.context).toMatchObject({
    change_windows: [{ id: 'CHG-9', end: '2026-11-21T02:00:00.000Z' }],
    red_team: { user_agent_markers: ['stratus-red-team_'] },
    incident: { aware_at: '2026-11-21T09:00:00.000Z' },
  });
  const kase = openCase(dir);
  try {
    expect(custodyEntries(kase.db, ['context.set']).map((e) => (e.body.details as { change: string }).change)).toEqual(['add-red-team-marker', 'add-change-window', 'set-aware']);
  } finally {
    kase.close();
  }
  // AND the next run rests on the declared context
  expect(JSON.parse((await runIrctl(['--case', dir, 'investigate', 'T-1', '--offline', '--json'])).stdout)).toMatchObject({ verdict: 'security_test' });
  // AND a duplicate window id or an invalid file is refused with every problem listed
  const dup = await runIrctl(['--case', dir, 'context', 'add-change-window', '--id', 'CHG-9', '--start', '2026-11-22T00:00:00Z', '--end', '2026-11-22T01:00:00Z']);
  expect(dup.code).toBe(3);
  expect(dup.stderr).toMatch(/CHG-9 already exists/);
  writeFileSync(join(dir, 'context.yaml'), 'change_windows:\n  - id: X\n    start: not-a-time\n    end: 2026-01-01T00:00:00Z\nred_team: 5\n');
  const bad = await runIrctl(['--case', dir, 'context', 'validate']);
  expect(bad.code).toBe(3);
  expect(bad.stdout).toMatch(/change_windows\.0\.start/);
  expect(bad.stdout).toMatch(/red_team/);
  const inv = await runIrctl(['--case', dir, 'investigate', 'T-1', '--offline']);
  expect(inv.code).toBe(3);
  expect(inv.stderr).toMatch(/invalid operator context/);
});
