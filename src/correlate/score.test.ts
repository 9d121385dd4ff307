import { describe, expect, it } from 'vitest';
import { matchesJewel, raiseSeverity, scoreThreat } from './score.js';

describe('scoreThreat', () => {
  it('takes the highest detection severity and the documented priority formula', () => {
    const s = scoreThreat(['low', 'high', 'medium'], 3, 4, { privileged: [], crownJewels: [], exposure: [] });
    expect(s).toEqual({ severity: 'high', priority: 60 + 0 + 6 + 3, notes: [] });
  });

  it('raises severity one level per context factor, caps at critical and explains why', () => {
    const s = scoreThreat(['medium'], 1, 1, { privileged: ['root'], crownJewels: ['bucket'], exposure: [] });
    expect(s.severity).toBe('critical');
    expect(s.priority).toBe(80 + 10 + 2 + 0);
    expect(s.notes).toEqual(['privileged actor: root', 'crown jewel: bucket', 'severity raised from medium to critical by 2 context factor(s)']);
    expect(raiseSeverity('critical', 3)).toBe('critical');
    expect(scoreThreat(['critical'], 9, 9, { privileged: ['a'], crownJewels: ['b'], exposure: ['c'] }).priority).toBe(100);
  });
});

describe('crown jewels', () => {
  it('match exactly, below a bucket, by secret name, and by trailing *', () => {
    expect(matchesJewel('arn:aws:s3:::customer-exports/2026/a.csv', 'arn:aws:s3:::customer-exports')).toBe(true);
    expect(matchesJewel('arn:aws:s3:::customer-exports-old', 'arn:aws:s3:::customer-exports')).toBe(false);
    expect(matchesJewel('prod/db/master', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db/master-AbCdEf')).toBe(true);
    expect(matchesJewel('arn:aws:s3:::prod-data', 'arn:aws:s3:::prod-*')).toBe(true);
  });
});
