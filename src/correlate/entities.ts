/**
 * Entities of detections: what they are, which ones link detections into a threat, and which values are too common
 * to link anything (pure).
 */
import type { Entity } from '../sources/index.js';

export type { Entity } from '../sources/index.js';

/**
 * Kinds that link detections into one threat (design.md "Detection"). Not `account` (everything in a case shares
 * it), not `role` (many unrelated people assume the same role: its sessions link instead), not `resource`, not
 * `namespace`, `image` or `model` (shared by unrelated workloads and callers).
 */
export const LINK_KINDS: ReadonlySet<string> = new Set([
  'principal',
  'access_key',
  'session',
  'instance',
  'ip',
  'host',
  'container',
  'pod',
  'private_ip',
  'interface',
  'agent',
]);

/**
 * Kinds that name a workload (a machine, a container, an address inside a network, an agent): everything that runs
 * there over days shares them, so they link detections only when these are close in time (the workload window,
 * src/correlate/joins.ts), never across the whole grouping window.
 */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['instance', 'host', 'container', 'pod', 'private_ip', 'interface', 'agent']);

/** Display and storage order of kinds. */
export const KIND_ORDER = [
  'principal',
  'access_key',
  'session',
  'role',
  'instance',
  'host',
  'container',
  'pod',
  'namespace',
  'image',
  'process',
  'parent_process',
  'interface',
  'private_ip',
  'ip',
  'agent',
  'model',
  'account',
  'session_name',
  'source_identity',
  'subject',
  'resource',
];

const kindRank = (k: string): number => {
  const i = KIND_ORDER.indexOf(k);
  return i < 0 ? KIND_ORDER.length : i;
};

/** Sort entities by kind order, then value; drop duplicates. */
export function sortEntities<T extends Entity>(list: Iterable<T>): T[] {
  const seen = new Map<string, T>();
  for (const e of list) {
    const k = `${e.kind}\u0000${e.value}`;
    if (!seen.has(k)) seen.set(k, e);
  }
  return [...seen.values()].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** Key used for linking: `kind\0value`. */
export function linkKey(e: Entity): string {
  return `${e.kind}\u0000${e.value}`;
}
