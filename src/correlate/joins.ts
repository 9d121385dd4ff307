/**
 * Joining the layers (issue 16): which linking keys each detection holds, after following what the evidence says
 * is one identity or one workload, and which of those keys are workload links (joined only when close in time).
 *
 * - **One workload.** A runtime sensor's host name says which machine it is (a provider's naming scheme:
 *   `ip-10-0-1-23` is the private address 10.0.1.23); events that name several workload entities at once say they
 *   are one machine (a flow-log record names its instance, interface and address; a cloud call made with an
 *   instance-profile session from a private address names the instance and the address). Those entities become one
 *   linking key, so a model invocation made with an instance's role session, the sensor alerts on that instance, its
 *   flow logs and the cloud calls made with its credentials can join.
 * - **One identity.** A credential-issuing event (a federation by SAML or OIDC, a role assumed with a source
 *   identity: the provider's adapter lists what it issued as `session`, `subject`, `source_identity`,
 *   `session_name`) hands a session to a subject: the session and the person (the IdP user: SAML subject or NameID,
 *   source identity, a session name that is an e-mail address) become one linking key, so the IdP sign-in joins what
 *   the session did. Principal names that are e-mail addresses compare case-insensitively (IdPs and clouds disagree
 *   on case); a directory user acting in its own cloud under the same e-mail address is already the same value.
 * - **Workload links are near links.** A machine, a container, an address inside a network, an instance-profile
 *   session, `user@host`: everything that runs there over days shares them. They join two detections only when the
 *   detections are no more than the workload window apart (default 1 h), never across the whole grouping window, so
 *   an agent's routine work in the morning does not join the afternoon's intrusion on the same instance.
 *
 * Provider knowledge comes from the registry (host names, which sessions belong to an instance); nothing here
 * names a provider.
 */
import { hostEntities, instanceOfSession, isServicePrincipal } from '../sources/index.js';
import type { DetectionRecord } from '../store/detect-repo.js';
import type { Db } from '../store/db.js';
import { LINK_KINDS, WORKLOAD_KINDS, linkKey, type Entity } from './entities.js';

/** Default workload window: workload links join detections no more than this far apart. */
export const DEFAULT_WORKLOAD_WINDOW_MS = 3_600_000;

/** Kinds that name one machine when an event names several of them together. */
const MACHINE_KINDS = ['instance', 'interface', 'private_ip', 'host'] as const;
/** Kinds of a credential-issuing event that name who received the session. */
const SUBJECT_KINDS = ['subject', 'source_identity', 'session_name'] as const;

/** At most this many values are followed when looking for aliases (a busy case stays fast). */
const MAX_ALIAS_VALUES = 400;

/** The links of one detection. */
export interface DetectionLinks {
  /** Ordinary linking keys (joined within the grouping window). */
  links: string[];
  /** Workload linking keys (joined within the workload window). */
  nearLinks: string[];
  /** Entities the joins added (the IdP user's session, the instance behind a host name): listed on the threat. */
  joined: Entity[];
}

/** True for an IPv4 address in a private, shared or link-local range, or an IPv6 unique-local / link-local one. */
export function isPrivateAddress(ip: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
  }
  const l = ip.toLowerCase();
  return l.includes(':') && (/^f[cd][0-9a-f]{2}:/.test(l) || l.startsWith('fe80:'));
}

/** A person-like name (an e-mail address, not an ARN or URI): compared case-insensitively. */
function personName(v: string): boolean {
  return v.includes('@') && !v.includes(':') && !v.includes('/');
}

/**
 * The key an entity links by: a workload's private address is an address (`ip`), whoever reports it; a person's
 * e-mail address is compared in lower case.
 */
export function joinKey(e: Entity): string {
  if (e.kind === 'private_ip') return linkKey({ kind: 'ip', value: e.value });
  if (e.kind === 'principal' && personName(e.value)) return linkKey({ kind: 'principal', value: e.value.toLowerCase() });
  return linkKey(e);
}

/** Is this linking entity of a detection a workload link? */
function isNear(e: Entity, hosts: readonly string[]): boolean {
  if (WORKLOAD_KINDS.has(e.kind)) return true;
  if (e.kind === 'ip') return isPrivateAddress(e.value);
  if (e.kind === 'principal' || e.kind === 'session') {
    if (instanceOfSession(e.value) !== undefined) return true;
    // A user on one machine or container (`root@node-7.internal`) names the machine, not a person.
    const at = e.value.lastIndexOf('@');
    if (at > 0 && hosts.includes(e.value.slice(at + 1))) return true;
  }
  return false;
}

/** Union-find over string keys. */
class KeyDsu {
  private readonly parent = new Map<string, string>();
  find(k: string): string {
    let x = k;
    for (;;) {
      const p = this.parent.get(x);
      if (p === undefined || p === x) return x;
      const gp = this.parent.get(p) ?? p;
      this.parent.set(x, gp);
      x = gp;
    }
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    // The smaller key is the root: the same classes give the same keys whatever the order of discovery.
    if (ra < rb) this.parent.set(rb, ra);
    else this.parent.set(ra, rb);
  }
}

/** The linking entities of a detection: its own, plus what its host names say. */
function ownLinkEntities(d: DetectionRecord): Entity[] {
  const out: Entity[] = [];
  for (const e of d.entities) {
    if (!LINK_KINDS.has(e.kind) || isServicePrincipal(e.value)) continue;
    out.push(e);
    if (e.kind === 'host') out.push(...hostEntities(e.value));
  }
  return out;
}

function parseRelated(json: string): Entity[] {
  try {
    const v = JSON.parse(json) as unknown;
    if (!Array.isArray(v)) return [];
    return v.flatMap((p) => (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string' ? [{ kind: p[0], value: p[1] }] : []));
  } catch {
    return [];
  }
}

/**
 * Links of every detection, keyed by fingerprint. `common` holds keys too common to link (shared addresses); they
 * are neither links nor followed. `windowMs` bounds the events read for workload aliases around the detections.
 */
export function planLinks(db: Db, detections: readonly DetectionRecord[], common: ReadonlySet<string>, windowMs: number): Map<string, DetectionLinks> {
  const dsu = new KeyDsu();
  const entityOfKey = new Map<string, Entity>();
  const remember = (e: Entity): string => {
    const k = joinKey(e);
    if (!entityOfKey.has(k)) entityOfKey.set(k, e);
    return k;
  };
  const own = new Map<string, Entity[]>();
  for (const d of detections) own.set(d.fingerprint, ownLinkEntities(d).filter((e) => !common.has(joinKey(e))));
  if (detections.length > 0) {
    let from = Infinity;
    let to = -Infinity;
    for (const d of detections) {
      from = Math.min(from, d.first_ms - windowMs);
      to = Math.max(to, d.last_ms + windowMs);
    }
    joinIdentities(db, [...own.values()].flat(), dsu, remember, common);
    joinMachines(db, [...own.values()].flat(), dsu, remember, common, from, to);
  }
  // Members of each class that the joins brought in, by class root.
  const members = new Map<string, string[]>();
  for (const k of entityOfKey.keys()) {
    const r = dsu.find(k);
    const list = members.get(r);
    if (list) list.push(k);
    else members.set(r, [k]);
  }
  const out = new Map<string, DetectionLinks>();
  for (const d of detections) {
    const ents = own.get(d.fingerprint) ?? [];
    const hosts = ents.filter((e) => e.kind === 'host' || e.kind === 'container').map((e) => e.value);
    const links = new Set<string>();
    const near = new Set<string>();
    const ownKeys = new Set(ents.map(joinKey));
    const joined: Entity[] = [];
    for (const e of ents) {
      const root = dsu.find(joinKey(e));
      if (isNear(e, hosts)) near.add(root);
      else links.add(root);
      for (const m of members.get(root) ?? []) {
        const me = entityOfKey.get(m);
        if (me && !ownKeys.has(m) && !common.has(m)) joined.push(me);
      }
    }
    for (const k of near) links.delete(k);
    out.set(d.fingerprint, { links: [...links], nearLinks: [...near], joined });
  }
  return out;
}

/**
 * One identity: a session and whom a credential-issuing event handed it to (IdP subject, source identity, an
 * e-mail role session name), followed from the detections' sessions and from their person-like principals.
 */
function joinIdentities(db: Db, ents: readonly Entity[], dsu: KeyDsu, remember: (e: Entity) => string, common: ReadonlySet<string>): void {
  const issuing = db.prepare(
    `SELECT e.related AS related FROM entities n JOIN events e ON e.rowid = n.event_rowid
      WHERE n.kind = ? AND n.value = ? AND e.related != '[]' AND e.outcome = 'success' LIMIT 20`,
  );
  const bind = (related: Entity[]): void => {
    const sessions = related.filter((r) => r.kind === 'session');
    const people = related
      .filter((r) => (SUBJECT_KINDS as readonly string[]).includes(r.kind) && (r.kind !== 'session_name' || personName(r.value)))
      .map((r) => ({ kind: 'principal', value: personName(r.value) ? r.value.toLowerCase() : r.value }));
    for (const s of sessions) {
      const sk = remember(s);
      // A session is its own principal (assumed-role ARNs are both).
      dsu.union(sk, remember({ kind: 'principal', value: s.value }));
      for (const p of people) if (!common.has(joinKey(p))) dsu.union(sk, remember(p));
    }
  };
  const seen = new Set<string>();
  let budget = MAX_ALIAS_VALUES;
  for (const e of ents) {
    if (budget <= 0) break;
    const key = `${e.kind}\u0000${e.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (e.kind === 'session') {
      budget--;
      for (const row of issuing.all('session', e.value) as Array<{ related: string }>) {
        const rel = parseRelated(row.related);
        if (rel.some((r) => r.kind === 'session' && r.value === e.value)) bind(rel);
      }
    } else if (e.kind === 'principal' && personName(e.value)) {
      budget--;
      const forms = [...new Set([e.value, e.value.toLowerCase()])];
      for (const kind of SUBJECT_KINDS) {
        for (const v of forms) {
          for (const row of issuing.all(kind, v) as Array<{ related: string }>) bind(parseRelated(row.related));
        }
      }
    }
  }
}

/**
 * One machine: entities of the machine kinds that one event names together (a flow-log record's instance,
 * interface and address; a host name's address; an instance session's calls from a private address), read in the
 * detections' time span widened by the window, two steps out from the detections' own values.
 */
function joinMachines(
  db: Db,
  ents: readonly Entity[],
  dsu: KeyDsu,
  remember: (e: Entity) => string,
  common: ReadonlySet<string>,
  from: number,
  to: number,
): void {
  // Machine kinds an event names together; a cloud call's own source address counts when the call was made with
  // an instance's session from a private address (a remote address of a connection never does).
  const together = db.prepare(
    `SELECT DISTINCT o.kind AS kind, o.value AS value FROM entities s JOIN entities o ON o.event_rowid = s.event_rowid
       JOIN events e ON e.rowid = s.event_rowid
      WHERE s.kind = ? AND s.value = ? AND e.time_ms >= ? AND e.time_ms <= ?
        AND (o.kind IN ('instance', 'interface', 'private_ip', 'host') OR (o.kind = 'ip' AND o.value = e.src_ip AND e.class = 'api_activity'))
      LIMIT 50`,
  );
  // For a source address: the instances whose sessions called from it.
  const callers = db.prepare(
    `SELECT DISTINCT o.kind AS kind, o.value AS value FROM entities s JOIN events e ON e.rowid = s.event_rowid
       JOIN entities o ON o.event_rowid = s.event_rowid
      WHERE s.kind = 'ip' AND s.value = ? AND e.src_ip = s.value AND e.class = 'api_activity' AND e.time_ms >= ? AND e.time_ms <= ?
        AND o.kind = 'instance'
      LIMIT 50`,
  );
  const machine = (e: Entity): boolean => (MACHINE_KINDS as readonly string[]).includes(e.kind) || (e.kind === 'ip' && isPrivateAddress(e.value));
  // Host names first: what they say is a fact of naming, not of an event.
  for (const e of ents) if (e.kind === 'host') for (const h of hostEntities(e.value)) dsu.union(remember(e), remember(h));
  let frontier = ents.filter(machine);
  const seen = new Set<string>();
  let budget = MAX_ALIAS_VALUES;
  for (let step = 0; step < 2 && frontier.length > 0; step++) {
    const next: Entity[] = [];
    for (const e of frontier) {
      const k = joinKey(e);
      if (seen.has(`${e.kind}\u0000${e.value}`) || common.has(k) || budget <= 0) continue;
      seen.add(`${e.kind}\u0000${e.value}`);
      budget--;
      const rows: Entity[] =
        e.kind === 'ip'
          ? (callers.all(e.value, from, to) as Entity[])
          : e.kind === 'private_ip'
            ? [...(together.all('private_ip', e.value, from, to) as Entity[]), ...(callers.all(e.value, from, to) as Entity[])]
            : (together.all(e.kind, e.value, from, to) as Entity[]);
      for (const r of rows) {
        if (!machine(r)) continue;
        const re: Entity = r.kind === 'ip' ? { kind: 'private_ip', value: r.value } : r;
        const rk = remember(re);
        if (common.has(rk) || rk === k) continue;
        dsu.union(remember(e), rk);
        next.push(re);
        if (r.kind === 'host') for (const h of hostEntities(r.value)) dsu.union(rk, remember(h));
      }
    }
    frontier = next;
  }
}
