/**
 * Threat grouping (pure): detections are nodes of a graph; two detections are joined when they share a linking
 * entity and are no more than `windowMs` apart, or, when either holds it as a workload link (a machine, a container,
 * an address inside a network: shared by everything that runs there over days), no more than `nearMs` apart;
 * connected components are threats.
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
  /** Workload linking keys: they join this detection to another only within the workload window. */
  nearLinks?: readonly string[] | undefined;
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
export function groupDetections(nodes: readonly GroupNode[], windowMs: number, nearMs: number = windowMs): GroupNode[][] {
  const sorted = [...nodes].sort(byTime);
  const dsu = new Dsu(sorted.length);
  // Two sweeps, each exact for its own rule: links both ends hold as ordinary links, over the window; every link
  // (ordinary or workload), over the workload window. A pair where either end holds the value only as a workload
  // link therefore joins only within the workload window.
  const far = new Map<string, number[]>();
  const all = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, l: string, i: number): void => {
    const list = m.get(l);
    if (list) list.push(i);
    else m.set(l, [i]);
  };
  let hasNear = false;
  sorted.forEach((n, i) => {
    const near = new Set(n.nearLinks ?? []);
    if (near.size > 0) hasNear = true;
    for (const l of new Set(n.links)) {
      if (!near.has(l)) push(far, l, i);
      push(all, l, i);
    }
    for (const l of near) if (!n.links.includes(l)) push(all, l, i);
  });
  const sweep = (byLink: Map<string, number[]>, limit: number): void => {
    for (const idxs of byLink.values()) {
      // idxs are ascending, so already in time order.
      let prev = idxs[0] as number;
      let chainEnd = (sorted[prev] as GroupNode).lastMs;
      for (let j = 1; j < idxs.length; j++) {
        const i = idxs[j] as number;
        const n = sorted[i] as GroupNode;
        if (n.firstMs - chainEnd <= limit) dsu.union(prev, i);
        else chainEnd = n.lastMs;
        chainEnd = Math.max(chainEnd, n.lastMs);
        prev = i;
      }
    }
  };
  sweep(far, windowMs);
  if (hasNear) sweep(all, Math.min(nearMs, windowMs));
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
