/**
 * Threat grouping (pure): detections are nodes of a graph; two detections are joined when they share a linking
 * entity and are no more than `windowMs` apart; connected components are threats.
 */

/** One detection as the grouping sees it. */
export interface GroupNode {
  /** Detection fingerprint (unique). */
  key: string;
  /** First event time, epoch ms. */
  firstMs: number;
  /** Last event time, epoch ms. */
  lastMs: number;
  /** Linking entity keys (`kind\0value`), already stripped of common values. */
  links: readonly string[];
}

/** Union-find with path halving. */
class Dsu {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    let x = i;
    while (this.parent[x] !== x) {
      const p = this.parent[x] as number;
      this.parent[x] = this.parent[p] as number;
      x = this.parent[x] as number;
    }
    return x;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

const byTime = (a: GroupNode, b: GroupNode): number => a.firstMs - b.firstMs || a.lastMs - b.lastMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Group detections. For each linking value, its detections are swept in time order and each is joined to the chain
 * before it when it starts no later than `windowMs` after the latest end seen in that chain; this is exactly the
 * transitive closure of "share the value and are within the window". Returns components, each in time order, the
 * components ordered by their first detection. Deterministic for a given input set (whatever its order).
 */
export function groupDetections(nodes: readonly GroupNode[], windowMs: number): GroupNode[][] {
  const sorted = [...nodes].sort(byTime);
  const dsu = new Dsu(sorted.length);
  const byLink = new Map<string, number[]>();
  sorted.forEach((n, i) => {
    for (const l of new Set(n.links)) {
      const list = byLink.get(l);
      if (list) list.push(i);
      else byLink.set(l, [i]);
    }
  });
  for (const idxs of byLink.values()) {
    // idxs are ascending, so already in time order.
    let prev = idxs[0] as number;
    let chainEnd = (sorted[prev] as GroupNode).lastMs;
    for (let j = 1; j < idxs.length; j++) {
      const i = idxs[j] as number;
      const n = sorted[i] as GroupNode;
      if (n.firstMs - chainEnd <= windowMs) dsu.union(prev, i);
      else chainEnd = n.lastMs;
      chainEnd = Math.max(chainEnd, n.lastMs);
      prev = i;
    }
  }
  const comps = new Map<number, GroupNode[]>();
  sorted.forEach((n, i) => {
    const r = dsu.find(i);
    const list = comps.get(r);
    if (list) list.push(n);
    else comps.set(r, [n]);
  });
  // Roots are the smallest index of each component, so insertion order is the order of first detections.
  return [...comps.values()];
}
