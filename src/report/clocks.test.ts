import { describe, expect, it } from 'vitest';
import { addBusinessDaysUtc, addMonthsUtc, describeHoursLeft, regulatoryClocks } from './clocks.js';

describe('regulatory clocks', () => {
  it('computes each deadline from the awareness time', () => {
    // GIVEN awareness on Friday 2026-11-20 09:00 UTC, as of 12 hours later
    const c = regulatoryClocks('2026-11-20T09:00:00.000Z', '2026-11-20T21:00:00.000Z');
    const due = Object.fromEntries(c.map((x) => [x.id, x.due]));
    // THEN
    expect(due).toEqual({
      'nis2-23-4-a': '2026-11-21T09:00:00.000Z',
      'gdpr-33': '2026-11-23T09:00:00.000Z',
      'nis2-23-4-b': '2026-11-23T09:00:00.000Z',
      'sec-8k-1-05': '2026-11-26T09:00:00.000Z', // Mon 23, Tue 24, Wed 25, Thu 26
      'nis2-23-4-d': '2026-12-23T09:00:00.000Z',
      'hipaa-164-404': '2027-01-19T09:00:00.000Z',
    });
    expect(c.find((x) => x.id === 'nis2-23-4-a')).toMatchObject({ hours_left: 12, status: 'open' });
    expect(c.map((x) => x.due)).toEqual([...c.map((x) => x.due)].sort());
  });

  it('marks passed deadlines', () => {
    const c = regulatoryClocks('2026-11-01T00:00:00.000Z', '2026-11-05T00:00:00.000Z');
    expect(c.find((x) => x.id === 'gdpr-33')).toMatchObject({ status: 'passed', hours_left: -24 });
    expect(describeHoursLeft(-24)).toBe('passed 1 d 0 h ago');
    expect(describeHoursLeft(1.5)).toBe('in 1 h 30 min');
  });

  it('clamps month ends and skips weekends', () => {
    expect(addMonthsUtc(new Date('2027-01-31T10:00:00Z'), 1).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(addBusinessDaysUtc(new Date('2026-11-27T10:00:00Z'), 1).toISOString()).toBe('2026-11-30T10:00:00.000Z'); // Fri -> Mon
  });
});
