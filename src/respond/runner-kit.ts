/**
 * What every provider's containment runner shares: the precondition-not-met signal, the run of one step (before-state,
 * act, after-state, errors to an outcome) and the mapping of a failed live read to a `--status` row.
 */
import type { MadeCall, StepLiveStatus, StepOutcome } from './types.js';

/** A precondition that does not hold: the step is skipped with this reason (nothing was changed). */
export class Skip extends Error {}

/** Run one step's body: done with its after-state, or the outcome `onError` gives a thrown error. */
export async function runStep<C extends { made: MadeCall[] }>(
  calls: C,
  fn: (c: C, setBefore: (b: unknown) => void) => Promise<{ after: unknown }>,
  onError: (err: unknown, c: C, before: unknown) => StepOutcome,
): Promise<StepOutcome> {
  let before: unknown;
  try {
    const r = await fn(calls, (b) => (before = b));
    return { status: 'done', before, after: r.after, calls: calls.made };
  } catch (err) {
    return onError(err, calls, before);
  }
}

/** A `--status` read that failed: fatal failures (credentials, network) end the command, others say why it cannot tell. */
export function liveStatusOfFailure(o: StepOutcome): StepLiveStatus {
  if (o.fatal) throw Object.assign(new Error(o.fatal.message), { hint: o.fatal.hint, fatal: true });
  return { in_place: null, detail: o.reason ?? 'unknown' };
}

/** `--status` of a preserve step: nothing to be "in place"; its copies are in the action record. */
export const PRESERVED: StepLiveStatus = { in_place: null, detail: 'preservation step: its copies are listed in the action record' };

/** Read a step's live status; `undefined` from `fn` means the kind is unknown to this irctl. */
export async function readLiveStatus<C extends { made: MadeCall[] }>(
  calls: C,
  kind: string,
  fn: (c: C) => Promise<StepLiveStatus | undefined>,
  onError: (err: unknown, c: C, before: unknown) => StepOutcome,
): Promise<StepLiveStatus> {
  try {
    return (await fn(calls)) ?? { in_place: null, detail: `unknown step kind ${kind}` };
  } catch (err) {
    return liveStatusOfFailure(onError(err, calls, undefined));
  }
}
