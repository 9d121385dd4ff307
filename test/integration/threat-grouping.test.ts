/**
 * Grouping by actor, not by coincidence (issue 12, point 3): an address every principal of the case shares (NAT, a
 * proxy, an exporter that replaced every address) links nobody, and a threat's title names who carries it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/cloudtrail/shared-ip-benign-and-attacker.json');

describe('threat grouping on a shared source address', () => {
  const dir = mkdtempSync(join(tmpdir(), 'irctl-grouping-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a benign console user and a stolen key apart, each threat titled after its own actor', async () => {
    // GIVEN a console user without MFA and a stolen key creating an admin and stopping the trail, from one address
    expect((await runIrctl(['--case', dir, 'import', FIXTURE])).code).toBe(0);
    // WHEN detect groups the detections
    expect((await runIrctl(['--case', dir, 'detect', '--json'])).code).toBe(0);
    const threats = (await runIrctl(['--case', dir, 'threats', '--json'])).json<{ title: string; entities: Array<{ kind: string; value: string }> }>();
    // THEN the two actors are two threats, and neither names the other's principal
    const principals = (t: (typeof threats)[number]): string[] => t.entities.filter((e) => e.kind === 'principal').map((e) => e.value);
    const attack = threats.find((t) => principals(t).some((p) => p.endsWith(':user/svc-etl')));
    const benign = threats.find((t) => principals(t).some((p) => p.endsWith(':user/dana')));
    expect(attack).toBeDefined();
    expect(benign).toBeDefined();
    expect(attack).not.toBe(benign);
    expect(principals(attack!).some((p) => p.endsWith(':user/dana'))).toBe(false);
    expect(attack!.title.startsWith('svc-etl')).toBe(true);
    expect(benign!.title).toContain('dana');
    // AND the shared address is listed on the attack but marked as not linking
    expect(attack!.entities).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'ip', value: '198.51.100.7' })]));
  });
});
