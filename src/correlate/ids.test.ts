import { describe, expect, it } from 'vitest';
import { assignThreatIds, type RegistryEntry } from './ids.js';

const reg = (seq: number, anchor: string, merged: string | null = null): RegistryEntry => ({ seq, id: `T-${seq}`, anchor, merged_into: merged });

describe('assignThreatIds', () => {
  it('numbers new groups in order, anchored on their earliest detection', () => {
    const a = assignThreatIds([{ fingerprints: ['f1', 'f2'] }, { fingerprints: ['f3'] }], []);
    expect(a.ids).toEqual(['T-1', 'T-2']);
    expect(a.newIds).toEqual([
      { seq: 1, id: 'T-1', anchor: 'f1' },
      { seq: 2, id: 'T-2', anchor: 'f3' },
    ]);
    expect(a.kept).toEqual([false, false]);
  });

  it('keeps the id of a group containing a known anchor, even when it is no longer the earliest', () => {
    const a = assignThreatIds([{ fingerprints: ['f0', 'f1'] }, { fingerprints: ['f9'] }], [reg(1, 'f1'), reg(2, 'f5')]);
    expect(a.ids).toEqual(['T-1', 'T-3']);
    expect(a.kept).toEqual([true, false]);
    expect(a.newIds).toEqual([{ seq: 3, id: 'T-3', anchor: 'f9' }]);
  });

  it('merges into the oldest id and retires the others, never reusing a number', () => {
    const a = assignThreatIds([{ fingerprints: ['f2', 'f1', 'f3'] }], [reg(1, 'f1'), reg(4, 'f3'), reg(2, 'f2')]);
    expect(a.ids).toEqual(['T-1']);
    expect(a.merged).toEqual([
      { id: 'T-2', into: 'T-1' },
      { id: 'T-4', into: 'T-1' },
    ]);
    // later: the merged anchors split off again; they get new numbers, and the anchor column stays unique
    const b = assignThreatIds([{ fingerprints: ['f1'] }, { fingerprints: ['f2', 'f8'] }], [reg(1, 'f1'), reg(2, 'f2', 'T-1'), reg(4, 'f3', 'T-1')]);
    expect(b.ids).toEqual(['T-1', 'T-5']);
    expect(b.newIds).toEqual([{ seq: 5, id: 'T-5', anchor: 'f8' }]);
  });

  it('falls back to the previous run\'s threats sharing events when rules changed (new fingerprints)', () => {
    const previous = new Map([
      ['T-1', new Set(['e1', 'e2'])],
      ['T-2', new Set(['e9'])],
    ]);
    const a = assignThreatIds(
      [
        { fingerprints: ['n1'], eventIds: new Set(['e2', 'e3']) },
        { fingerprints: ['n2'], eventIds: new Set(['e1']) },
        { fingerprints: ['n3'], eventIds: new Set(['e7']) },
      ],
      [reg(1, 'f1'), reg(2, 'f2')],
      previous,
    );
    // the first group claims T-1; the second shares events with T-1 too but it is taken; the third matches nothing
    expect(a.ids).toEqual(['T-1', 'T-3', 'T-4']);
    expect(a.kept).toEqual([true, false, false]);
  });
});
