/**
 * One progress indicator with a line per scope (region, resource slice, context snapshot), shared by collectors
 * whose scopes run side by side or one after another.
 */
import type { IoHost, Progress } from '../io/io-host.js';

/** A progress indicator with one line per scope. */
export interface ScopedProgress {
  /** The line of one scope, as a Progress a collector updates. */
  scope(key: string): Progress;
  /** Set a scope's line once. */
  note(key: string, text: string): void;
  stop(): void;
}

/** Start a scoped progress indicator (nothing shows unless stderr is a TTY). */
export function scopedProgress(io: IoHost, title: string): ScopedProgress {
  const lines = new Map<string, string>();
  const progress = io.progress(title);
  const note = (key: string, text: string): void => {
    lines.set(key, text);
    progress.update([...lines.values()].join('\n'));
  };
  return {
    scope: (key) => ({ update: (t: string) => note(key, t), succeed: () => undefined, fail: () => undefined, stop: () => undefined }),
    note,
    stop: () => progress.stop(),
  };
}
