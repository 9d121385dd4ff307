/**
 * The runner of a provider whose containment steps are planned but whose execution is not built: every step is
 * recorded as skipped with that reason (the run exits 6), rollback likewise, and `--status` cannot tell.
 */
import type { StepRunner } from './types.js';

/** A runner that records every step of `provider` as skipped: its execution is not built yet. */
export function notBuiltRunner(provider: string): StepRunner {
  const reason = `execution of ${provider} containment steps is not built yet: run the step's calls by hand and record what you did`;
  return {
    execute: () => Promise.resolve({ status: 'skipped', reason, calls: [] }),
    rollback: () => Promise.resolve({ status: 'skipped', reason: reason.replace('containment steps', 'containment rollback'), calls: [] }),
    status: () => Promise.resolve({ in_place: null, detail: `reading ${provider} live state is not built yet` }),
    close: () => undefined,
  };
}

