import { describe, expect, it } from 'vitest';
import { readableDuration, readableSpan } from './time.js';

describe('readable spans', () => {
  it('writes a day once, and the length of the span', () => {
    expect(readableSpan('2026-11-21T02:14:07.000Z', '2026-11-21T03:55:10.000Z')).toBe('2026-11-21 02:14:07 to 03:55:10 UTC (1 h 41 min)');
    expect(readableSpan('2026-11-20T23:10:00.000Z', '2026-11-21T03:55:10.000Z')).toBe('2026-11-20 23:10:00 to 2026-11-21 03:55:10 UTC (4 h 45 min)');
    expect(readableSpan('2026-11-21T02:14:07.250Z', '2026-11-21T02:14:08.000Z')).toBe('2026-11-21 02:14:07.250 to 02:14:08.000 UTC (1 s)');
    expect(readableSpan('2026-11-21T02:14:07Z', '2026-11-21T02:14:07.000Z')).toBe('2026-11-21 02:14:07 UTC');
    expect(readableSpan('yesterday', '2026-11-21T02:14:07Z')).toBe('yesterday to 2026-11-21T02:14:07Z');
  });

  it('durations in the largest units that read well', () => {
    expect(readableDuration(45_000)).toBe('45 s');
    expect(readableDuration(12 * 60_000)).toBe('12 min');
    expect(readableDuration(2 * 3_600_000)).toBe('2 h');
    expect(readableDuration(50 * 3_600_000)).toBe('2 d 2 h');
  });
});
