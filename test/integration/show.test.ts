/**
 * `irctl show <evidence-id>`: every id a verdict cites opens (event ids, det:, ctx:, inv:), `--raw` prints the raw
 * record byte for byte, and unknown ids are usage errors naming what to give.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

describe('irctl show', () => {
  const { dir, cleanup } = tempDir('irctl-show-');
  afterAll(cleanup);
  let cited: string[] = [];
  beforeAll(async () => {
    copyFileSync(fixture('sample-case/context.yaml'), join(dir, 'context.yaml'));
    expect((await runIrctl(['--case', dir, 'import', fixture('sample-case/logs')])).code).toBe(0);
    expect((await runIrctl(['--case', dir, 'detect'])).code).toBe(0);
    const threats = (await runIrctl(['--case', dir, 'threats', '--json'])).json<{ id: string }>();
    for (const t of threats) {
      const r = (await runIrctl(['--case', dir, 'investigate', t.id, '--offline', '--json'])).json<{ rationale: Array<{ evidence_ids: string[] }>; investigation_id?: string }>()[0]!;
      cited.push(...r.rationale.flatMap((c) => c.evidence_ids));
    }
    cited = [...new Set(cited)];
  });

  it('opens every id the verdicts cite', async () => {
    expect(cited.some((c) => c.startsWith('det:'))).toBe(true);
    expect(cited.some((c) => c.startsWith('ctx:'))).toBe(true);
    expect(cited.some((c) => !/^(det|ctx|inv):/.test(c))).toBe(true);
    for (const id of cited) {
      const r = await runIrctl(['--case', dir, 'show', id, '--json']);
      expect(r.code, `${id}: ${r.stderr}`).toBe(0);
      expect(r.json<{ kind: string }>()[0]!.kind).toMatch(/^(event|detection|context|investigation)$/);
    }
  });

  it('shows an event with its inputs and detections, and --raw prints its raw record exactly as stored', async () => {
    const id = cited.find((c) => !/^(det|ctx|inv):/.test(c))!;
    const r = await runIrctl(['--case', dir, 'show', id]);
    expect(r.stdout).toMatch(/raw records \(\d+;/);
    expect(r.stdout).toMatch(/from {2}input \d+ record \d+: /);
    const raw = await runIrctl(['--case', dir, 'show', id, '--raw']);
    const kase = openCase(dir, {});
    try {
      const stored = kase.db.prepare('SELECT raw FROM raw_records WHERE event_id = ? ORDER BY id LIMIT 1').pluck().get(id) as string;
      expect(raw.stdout).toBe(stored);
    } finally {
      kase.close();
    }
  });

  it('opens an investigation by inv: id and says clearly when an id is unknown', async () => {
    const kase = openCase(dir, {});
    const inv = kase.db.prepare('SELECT id FROM investigations LIMIT 1').pluck().get() as string;
    kase.close();
    const r = await runIrctl(['--case', dir, 'show', `inv:${inv.slice(0, 8)}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verdict {6}\w+ \(confidence/);
    const bad = await runIrctl(['--case', dir, 'show', 'no-such-event']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no event no-such-event in this case/);
    expect((await runIrctl(['--case', dir, 'show', 'det:ffffffffffff'])).code).toBe(2);
  });
});
