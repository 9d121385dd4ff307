import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

// The design card: `irctl investigate` ends by writing the threat's signed evidence bundle into the case.
describe('investigate writes the signed bundle of the threat', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    expect((await runIrctl(['--case', dir, 'import', fixture('sample-case', 'logs')])).code).toBe(0);
    expect((await runIrctl(['--case', dir, 'detect'])).code).toBe(0);
  });
  afterEach(() => cleanup());

  it('writes a bundle into <case>/exports that irctl verify accepts, and --no-bundle writes none', async () => {
    // GIVEN the sample case's intrusion threat
    const threats = (await runIrctl(['--case', dir, '--json', 'threats'])).json<{ id: string; severity: string }>();
    const top = threats.find((t) => t.severity === 'critical');
    expect(top).toBeDefined();

    // WHEN it is investigated with --no-bundle, THEN no bundle is written
    const quiet = await runIrctl(['--case', dir, '--json', 'investigate', top!.id, '--offline', '--no-bundle']);
    expect(quiet.code).toBe(0);
    expect(existsSync(join(dir, 'exports')) ? readdirSync(join(dir, 'exports')) : []).toEqual([]);

    // WHEN it is investigated normally
    const run = await runIrctl(['--case', dir, '--json', 'investigate', top!.id, '--offline']);
    expect(run.code).toBe(0);
    // stdout stays one JSON object (the bundle is reported on stderr)
    expect(run.json()).toHaveLength(1);
    const bundles = readdirSync(join(dir, 'exports')).filter((f) => f.endsWith('.bundle.tar.gz'));
    expect(bundles).toHaveLength(1);
    expect(run.stderr).toContain(`signed evidence bundle: ${join(dir, 'exports', bundles[0]!)}`);

    // THEN the bundle verifies offline
    const v = await runIrctl(['--case', dir, 'verify', join(dir, 'exports', bundles[0]!)]);
    expect(v.code).toBe(0);
  });
});
