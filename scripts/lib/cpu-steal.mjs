// CPU steal of the machine over an interval (Linux /proc/stat): the share of CPU time the hypervisor gave to other
// guests while this one wanted it. On a shared VM it stretches wall times; benchmarks print it beside their figures so
// a slow run can be told from a slow machine. Returns null where /proc/stat is not available.
import { readFileSync } from 'node:fs';

function sample() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
    if (!line) return null;
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: v[7] ?? 0, total: v.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Start measuring; `stop()` gives the steal percentage over the interval (or null). */
export function stealMeter() {
  const a = sample();
  return {
    stop() {
      const b = sample();
      if (!a || !b || b.total <= a.total) return null;
      return Math.round((100 * (b.steal - a.steal)) / (b.total - a.total));
    },
  };
}
