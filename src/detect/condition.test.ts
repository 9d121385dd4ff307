import { describe, expect, it } from 'vitest';
import { compileCondition, parseCondition, requiredActions } from './condition.js';

type Ctx = Record<string, boolean>;
function evalCond(text: string, truth: Ctx): boolean {
  const p = parseCondition(text);
  if (!p.ok) throw new Error(p.error);
  const sels = new Map(Object.keys(truth).map((k) => [k, (c: Ctx) => c[k] === true]));
  const c = compileCondition(p.node, sels);
  if (!c.ok) throw new Error(c.error);
  return c.fn(truth);
}

describe('Sigma conditions', () => {
  it('applies not > and > or precedence and parentheses', () => {
    expect(evalCond('a or b and c', { a: true, b: false, c: false })).toBe(true);
    expect(evalCond('(a or b) and c', { a: true, b: false, c: false })).toBe(false);
    expect(evalCond('a and not b', { a: true, b: true })).toBe(false);
    expect(evalCond('not a or b', { a: true, b: true })).toBe(true);
  });

  it('supports 1 of / all of / any of with patterns and them (them skips _names)', () => {
    expect(evalCond('1 of sel_*', { sel_a: false, sel_b: true, other: false })).toBe(true);
    expect(evalCond('all of sel_*', { sel_a: false, sel_b: true })).toBe(false);
    expect(evalCond('all of them', { a: true, b: true, _private: false })).toBe(true);
    expect(evalCond('any of them', { a: false, b: true })).toBe(true);
    expect(evalCond('sel and not 1 of filter*', { sel: true, filter_a: false, filter_b: false })).toBe(true);
  });

  it('rejects aggregations, near, unknown names and unmatched patterns clearly', () => {
    const agg = parseCondition('selection | count() by userIdentity.arn > 10');
    expect(agg.ok ? '' : agg.error).toMatch(/aggregation .*count\(\).*not supported/);
    const near = parseCondition('a near b');
    expect(near.ok).toBe(false);
    const paren = parseCondition('(a and b');
    expect(paren.ok ? '' : paren.error).toMatch(/missing '\)'/);
    const p = parseCondition('a and missing');
    if (!p.ok) throw new Error(p.error);
    const c = compileCondition(p.node, new Map([['a', () => true]]));
    expect(c.ok ? '' : c.error).toMatch(/'missing', which is not defined/);
    const q = parseCondition('1 of nothing*');
    if (!q.ok) throw new Error(q.error);
    const d = compileCondition(q.node, new Map([['a', () => true]]));
    expect(d.ok ? '' : d.error).toMatch(/matches no selection/);
  });

  it('derives the action index: and narrows, or unions, not and unknown leave it open', () => {
    const acts = new Map<string, Set<string> | null>([
      ['x', new Set(['stoplogging'])],
      ['y', new Set(['deletetrail'])],
      ['f', null],
    ]);
    const req = (t: string): string[] | null => {
      const p = parseCondition(t);
      if (!p.ok) throw new Error(p.error);
      const r = requiredActions(p.node, acts);
      return r ? [...r].sort() : null;
    };
    expect(req('x or y')).toEqual(['deletetrail', 'stoplogging']);
    expect(req('x and not f')).toEqual(['stoplogging']);
    expect(req('x or f')).toBeNull();
    expect(req('not x')).toBeNull();
  });
});
