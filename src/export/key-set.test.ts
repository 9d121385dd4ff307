import { describe, expect, it } from 'vitest';
import { hexKey, KeySet, stringKey } from './key-set.js';

describe('keys', () => {
  it('hexKey takes 13 hex digits (never 0), and 0 for what is not lower-case hex', () => {
    expect(hexKey('0000000000000ffff')).toBe(1);
    expect(hexKey('fffffffffffff')).toBe(2 ** 52);
    expect(hexKey('ABCDEF0123456')).toBe(0);
    expect(hexKey('12')).toBe(0);
  });

  it('stringKey spreads similar ids apart', () => {
    const keys = new Set<number>();
    for (let i = 0; i < 200_000; i++) keys.add(stringKey(`evt-${i}`));
    expect(keys.size).toBe(200_000);
    expect(stringKey('')).toBeGreaterThan(0);
  });
});

describe('KeySet', () => {
  it('adds, finds, keeps the smallest value, marks, and lists what was never marked', () => {
    // GIVEN more keys than the initial capacity
    const s = new KeySet(4);
    for (let i = 1; i <= 10_000; i++) expect(s.add(stringKey(`e${i}`), i + 5)).toBe(true);
    expect(s.add(stringKey('e7'), 3)).toBe(false);
    // WHEN every key but three is marked
    for (let i = 1; i <= 10_000; i++) if (![7, 42, 9000].includes(i)) expect(s.mark(stringKey(`e${i}`))).toBe(true);
    // THEN
    expect(s.size).toBe(10_000);
    expect(s.has(stringKey('e42'))).toBe(true);
    expect(s.has(stringKey('nope'))).toBe(false);
    expect(s.mark(stringKey('nope'))).toBe(false);
    expect(s.unmarked(2)).toEqual({ values: [3, 47], total: 3 });
    expect(s.select((k) => k === stringKey('e9000'), 5).entries).toEqual([[stringKey('e9000'), 9005]]);
  });
});
