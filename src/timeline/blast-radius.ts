/**
 * Blast radius (pure): what the threat's actors reached during the timeline window.
 */
import type { EventRow } from '../normalize/event-row.js';
import { parseResources, rolesAssumed } from '../sources/index.js';

/** Everything the timeline's events touched. Lists are sorted and de-duplicated. */
export interface BlastRadius {
  /** Principals that acted (ARNs or names). */
  principals: string[];
  /** Access keys used. */
  access_keys: string[];
  /** Sessions used (assumed-role / federated session ARNs). */
  sessions: string[];
  /** Roles assumed: roles the sessions came from, and roles named by successful AssumeRole* calls. */
  roles_assumed: string[];
  /** Keys and sessions the timeline's events issued or created (identity hops: AssumeRole, CreateAccessKey, ...). */
  credentials_issued: string[];
  /** Resources read by successful read-only operations. */
  resources_read: string[];
  /** Resources written by successful operations not known to be read-only. */
  resources_written: string[];
  /** Resources of failed (denied or erroneous) operations: attempted, not reached. */
  resources_attempted: string[];
  /** Regions where events happened. */
  regions: string[];
  /** Accounts where events happened. */
  accounts: string[];
  /** Source IPs (and non-IP sources) seen. */
  sources: string[];
  /** Events counted. */
  events: number;
  /** Of which failed. */
  failed_events: number;
}

const sorted = (s: Set<string>): string[] => [...s].sort();

/** Compute the blast radius of a set of events. */
export function computeBlastRadius(rows: readonly EventRow[]): BlastRadius {
  const s = {
    principals: new Set<string>(),
    access_keys: new Set<string>(),
    sessions: new Set<string>(),
    roles: new Set<string>(),
    issued: new Set<string>(),
    read: new Set<string>(),
    written: new Set<string>(),
    attempted: new Set<string>(),
    regions: new Set<string>(),
    accounts: new Set<string>(),
    sources: new Set<string>(),
  };
  let failed = 0;
  for (const e of rows) {
    if (e.actor) s.principals.add(e.actor);
    if (e.access_key) s.access_keys.add(e.access_key);
    if (e.session) s.sessions.add(e.session);
    if (e.region) s.regions.add(e.region);
    if (e.account) s.accounts.add(e.account);
    const src = e.src_ip ?? e.src_host;
    if (src) s.sources.add(src);
    const res = parseResources(e.resources);
    for (const r of rolesAssumed(e, res)) s.roles.add(r);
    if (e.outcome === 'success' && e.related && e.related !== '[]') {
      for (const [kind, v] of JSON.parse(e.related) as Array<[string, string]>) if (kind === 'access_key' || kind === 'session') s.issued.add(v);
    }
    if (e.outcome === 'failure') {
      failed++;
      for (const r of res) s.attempted.add(r);
      continue;
    }
    const target = e.read_only === 1 ? s.read : s.written;
    for (const r of res) target.add(r);
  }
  return {
    principals: sorted(s.principals),
    access_keys: sorted(s.access_keys),
    sessions: sorted(s.sessions),
    roles_assumed: sorted(s.roles),
    credentials_issued: sorted(s.issued),
    resources_read: sorted(s.read),
    resources_written: sorted(s.written),
    resources_attempted: sorted(s.attempted),
    regions: sorted(s.regions),
    accounts: sorted(s.accounts),
    sources: sorted(s.sources),
    events: rows.length,
    failed_events: failed,
  };
}
