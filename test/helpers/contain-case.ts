/**
 * Shared set-up of the `irctl contain` tests: import a provider's incident files, detect, pick the threat of one
 * principal and record an offline investigation (containment needs a recorded verdict).
 */
import { expect } from 'vitest';
import type { runIrctl } from './run-irctl.js';

type Run = (args: string[]) => ReturnType<typeof runIrctl>;

/** The id of `principal`'s threat, investigated offline. `detectArgs` adds rule folders (`--rules DIR`). */
export async function investigatedThreat(run: Run, inputs: string[], principal: string, detectArgs: string[] = []): Promise<string> {
  // Exit 6: the incident fixtures hold one malformed record each on purpose.
  expect([0, 6]).toContain((await run(['import', ...inputs])).code);
  expect((await run(['detect', ...detectArgs])).code).toBe(0);
  const threats = (await run(['threats', '--json'])).json<{ id: string; entities: Array<{ value: string }> }>();
  const threat = threats.find((x) => x.entities.some((e) => e.value === principal))?.id;
  expect(threat, `a threat of ${principal}`).toBeDefined();
  const inv = await run(['--json', 'investigate', threat!, '--offline']);
  expect(inv.code, inv.stderr).toBe(0);
  return threat!;
}
