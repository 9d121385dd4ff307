/**
 * How a collect run lists its pages in the custody log (pure), shared by every provider's collector.
 */
import { sha256Hex } from '../util/hash.js';

/** Page hashes in custody: the list when short, else its count and a hash over the list. */
export function pageHashesDetail(hashes: string[]): Record<string, unknown> {
  if (hashes.length <= 100) return { page_sha256: hashes };
  return { page_count: hashes.length, page_sha256_list_sha256: sha256Hex(hashes.join('\n')), first_page_sha256: hashes[0], last_page_sha256: hashes[hashes.length - 1] };
}

/** What a collector counts per scope as it stores pages. */
export interface PageTally {
  pages: number;
  page_hashes: string[];
  events: number;
  duplicates: number;
  quarantined: number;
}

/** Count one stored page: its hash and what the store made of its records. */
export function tallyPage(res: PageTally, sha256: string, c: { events: number; duplicates: number; quarantined: number }): void {
  res.pages++;
  res.page_hashes.push(sha256);
  res.events += c.events;
  res.duplicates += c.duplicates;
  res.quarantined += c.quarantined;
}

/** What every scope of a multi-scope run (a subscription, a table, a project slice) reports at its end. */
export interface ScopeOutcome {
  scope: string;
  status: string;
}

/**
 * A run's totals over its scopes: the sum of each counter, the scopes that failed, and whether the run was
 * interrupted (Ctrl-C, or a scope or the context snapshot stopped by it).
 */
export function tallyScopes<R extends ScopeOutcome, K extends keyof R & string>(
  results: readonly R[],
  counters: readonly K[],
  o: { aborted: boolean; contextStatus?: string | undefined },
): { sums: Record<K, number>; failed: string[]; interrupted: boolean } {
  const sums = Object.fromEntries(counters.map((k) => [k, results.reduce((a, r) => a + Number(r[k]), 0)])) as Record<K, number>;
  return {
    sums,
    failed: results.filter((r) => r.status === 'failed').map((r) => r.scope),
    interrupted: o.aborted || results.some((r) => r.status === 'interrupted') || o.contextStatus === 'interrupted',
  };
}

/** How a context snapshot (Resource Graph, Cloud Asset Inventory) is listed in the `collect.end` custody entry. */
export function contextSnapshotDetail(c: {
  status: string;
  counts: Record<string, number>;
  pages: number;
  page_hashes: string[];
  exposed: string[];
  errors: Array<{ message: string }>;
}): Record<string, unknown> {
  return { status: c.status, counts: c.counts, pages: c.pages, ...pageHashesDetail(c.page_hashes), exposed: c.exposed, errors: c.errors.map((e) => e.message) };
}
