import { describe, expect, it } from 'vitest';
import { groupDetections, type GroupNode } from './group.js';

const H = 3_600_000;
const n = (key: string, h: number, links: string[], lastH = h, nearLinks: string[] = []): GroupNode => ({ key, firstMs: h * H, lastMs: lastH * H, links, nearLinks });
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

  it('joins on a workload link only within the workload window, whichever end holds it as one', () => {
    // GIVEN a host's morning routine (a), the intrusion on the same host 4 h later (b, c), and a person's detection
    // (d) sharing an address with c as an ordinary link
    const nodes = [
      n('a', 6, [], 6, ['host\u0000h1']),
      n('b', 10, [], 10, ['host\u0000h1', 'ip\u000010.0.1.23']),
      n('c', 10.5, ['ip\u0000198.51.100.23'], 10.5, ['host\u0000h1']),
      n('d', 9.5, ['ip\u0000198.51.100.23']),
      // e holds the private address as an ordinary link, b as a workload link: 5 h apart, they stay apart
      n('e', 15, ['ip\u000010.0.1.23']),
    ];
    // WHEN grouped with a 24 h window and a 1 h workload window
    const g = keys(groupDetections(nodes, 24 * H, H));
    // THEN the routine stays alone; the intrusion joins the person through the ordinary link
    expect(g).toEqual([['a'], ['d', 'b', 'c'], ['e']]);
    // AND a workload window as wide as the window joins everything the old way
    expect(keys(groupDetections(nodes, 24 * H, 24 * H))).toEqual([['a', 'd', 'b', 'c', 'e']]);
  });
});
