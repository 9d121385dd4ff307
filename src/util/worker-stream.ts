/**
 * The two ends of a producer thread that streams items to the main thread with credit-based flow control (used by
 * import's parser thread and detect's reader thread). The worker posts items, `{ kind: 'done' }` at the end or
 * `{ kind: 'error' }`; the consumer posts `{ kind: 'credit' }` for every item it takes that costs a credit.
 */
import type { MessagePort, Worker } from 'node:worker_threads';

/** What a producer thread posts besides its items. */
export type EndMessage = { kind: 'done' } | { kind: 'error'; message: string; stack?: string | undefined };

/**
 * The items a worker posts, in order; returns at `done`, throws at `error` or when the thread dies. The worker is
 * terminated when the consumer stops (normally or early).
 */
export async function* workerItems<M extends { kind: string }>(worker: Worker, what: string): AsyncGenerator<M, void, undefined> {
  const queue: Array<M | EndMessage> = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: M | EndMessage) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && failure === undefined) failure = new Error(`${what} exited with code ${code}`);
    notify();
  });
  try {
    for (;;) {
      while (queue.length === 0 && failure === undefined) await new Promise<void>((r) => (wake = r));
      const m = queue.shift();
      if (m === undefined) throw failure ?? new Error(`${what} stopped`);
      if (m.kind === 'done') return;
      if (m.kind === 'error') {
        const e = new Error((m as EndMessage & { kind: 'error' }).message);
        const stack = (m as EndMessage & { kind: 'error' }).stack;
        if (stack !== undefined) e.stack = stack;
        throw e;
      }
      yield m as M;
    }
  } finally {
    await worker.terminate().catch(() => undefined);
  }
}

/** Worker side: wait for a credit before posting an item; starts with `window` credits. */
export function creditGate(port: MessagePort, window: number): () => Promise<void> {
  let credits = window;
  let wake: (() => void) | undefined;
  port.on('message', (m: { kind?: string }) => {
    if (m.kind === 'credit') {
      credits++;
      const w = wake;
      wake = undefined;
      w?.();
    }
  });
  return async () => {
    while (credits <= 0) await new Promise<void>((r) => (wake = r));
    credits--;
  };
}

/** Worker side: report a failure to the consumer. */
export function errorMessage(err: unknown): EndMessage {
  return { kind: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined };
}
