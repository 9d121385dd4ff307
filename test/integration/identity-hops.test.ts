/**
 * Identity hops (issue 12, points 1 and 2): the AssumeRole that minted an instance-profile key is linked to every
 * later use of the key; a threat on the stolen key names the instance, its timeline starts where the key was issued,
 * and its blast radius lists what was issued.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

describe('identity hops', () => {
  const { dir, cleanup } = tempDir('irctl-hops-');
  afterAll(cleanup);

  it('links the stolen instance key back to the AssumeRole that issued it', async () => {
    // GIVEN EC2 issuing an instance-role key, the instance using it, then a laptop using it hours later
    expect((await runIrctl(['--case', dir, 'import', fixture('identity-hops', 'stolen-instance-credentials.json')])).code).toBe(0);
    expect((await runIrctl(['--case', dir, 'detect'])).code).toBe(0);
    const threats = (await runIrctl(['--case', dir, 'threats', '--json'])).json<{ id: string; title: string; entities: Array<{ kind: string; value: string }> }>();
    // THEN one threat, on the laptop's use of the key, naming the instance and the key
    expect(threats).toHaveLength(1);
    const t = threats[0]!;
    expect(t.title).toContain('i-0abc1234def567890');
    expect(t.entities).toEqual(
      expect.arrayContaining([
        { kind: 'instance', value: 'i-0abc1234def567890' },
        { kind: 'access_key', value: 'ASIAEXAMPLESTOLEN001' },
      ]),
    );
    // AND the issuing AssumeRole is an event of the key (its related entities)
    const byKey = (await runIrctl(['--case', dir, 'events', '--access-key', 'ASIAEXAMPLESTOLEN001', '--json'])).json<{ action: string }>();
    expect(byKey[0]?.action).toBe('AssumeRole');
    // AND the timeline starts where the key was issued, four hours before the window, and lists what was issued
    const lines = (await runIrctl(['--case', dir, 'timeline', t.id, '--json'])).json<{ action: string; time: string }>();
    expect(lines[0]).toMatchObject({ action: 'AssumeRole', time: '2026-10-30T06:00:12.000Z' });
    const blast = (await runIrctl(['--case', dir, 'timeline', t.id, '--json', '--blast-radius'])).json<{ credentials_issued: string[] }>()[0]!;
    expect(blast.credentials_issued).toContain('ASIAEXAMPLESTOLEN001');
    // AND case verify re-normalizes the related entities and finds them as stored
    expect((await runIrctl(['--case', dir, 'case', 'verify'])).code).toBe(0);
  });
});
