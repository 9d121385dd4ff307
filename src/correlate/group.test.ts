import { describe, expect, it } from 'vitest';
import { groupDetections, type GroupNode } from './group.js';

const H = 3_600_000;
const n = (key: string, h: number, links: string[], lastH = h): GroupNode => ({ key, firstMs: h * H, lastMs: lastH * H, links });
const keys = (g: GroupNode[][]): string[][] => g.map((c) => c.map((x) => x.key));

describe('groupDetections', () => {
  it('joins detections sharing an entity within the window, transitively', () => {
    // GIVEN a-b share a key, b-c share an IP, d is alone
    const nodes = [n('c', 3, ['ip\u00001.2.3.4']), n('a', 0, ['access_key\u0000AKIA1']), n('b', 2, ['access_key\u0000AKIA1', 'ip\u00001.2.3.4']), n('d', 1, ['principal\u0000x'])];
    // WHEN grouped with a 24 h window
    const g = groupDetections(nodes, 24 * H);
    // THEN a, b, c form one threat (ordered by time), d another; components ordered by first detection
    expect(keys(g)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('does not join detections further apart than the window, measured from the chain end', () => {
    const nodes = [n('a', 0, ['k'], 10), n('b', 30, ['k']), n('c', 33, ['k'])];
    // a ends at 10 h, b starts at 30 h: a 20 h gap joins with 24 h, not with 19 h; c is 3 h after b
    expect(keys(groupDetections(nodes, 24 * H))).toEqual([['a', 'b', 'c']]);
    expect(keys(groupDetections(nodes, 19 * H))).toEqual([['a'], ['b', 'c']]);
  });

  it('never links on an empty link list and is independent of input order', () => {
    const nodes = [n('a', 0, []), n('b', 0, []), n('c', 1, ['x']), n('d', 2, ['x'])];
    const g1 = keys(groupDetections(nodes, H * 24));
    const g2 = keys(groupDetections([...nodes].reverse(), H * 24));
    expect(g1).toEqual([['a'], ['b'], ['c', 'd']]);
    expect(g2).toEqual(g1);
  });
});
