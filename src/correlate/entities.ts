/**
 * Entities of detections: what they are, which ones link detections into a threat, and which values are too common
 * to link anything (pure).
 */
import type { EventRow } from '../store/query-repo.js';

/** An entity: kind + value. Kinds: principal, access_key, session, role, instance, ip, account, resource. */
export interface Entity {
  /** principal | access_key | session | role | instance | ip | account | resource. */
  kind: string;
  /** The identifier (ARN, key id, IP address, ...). */
  value: string;
}

/**
 * Kinds that link detections into one threat (design.md "Detection"). Not `account` (everything in a case shares
 * it), not `role` (many unrelated people assume the same role: its sessions link instead), not `resource`.
 */
export const LINK_KINDS: ReadonlySet<string> = new Set(['principal', 'access_key', 'session', 'instance', 'ip']);

/** Display and storage order of kinds. */
export const KIND_ORDER = ['principal', 'access_key', 'session', 'role', 'instance', 'ip', 'account', 'resource'];

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

/**
 * Values that name a cloud provider's own service rather than an actor: `ec2.amazonaws.com`, `AWS Internal`,
 * service-linked principals. They appear in unrelated activity everywhere, so they never link detections.
 */
export function isServiceValue(value: string): boolean {
  const v = value.toLowerCase();
  return (
    v.endsWith('.amazonaws.com') ||
    v.endsWith('.amazonaws.com.cn') ||
    v === 'aws internal' ||
    v.includes(':role/aws-service-role/') ||
    v.includes(':assumed-role/awsservicerole')
  );
}

/** EC2 instance id when a role session was issued to an instance (its session name is the instance id). */
export function instanceOfSession(session: string | null | undefined): string | undefined {
  if (!session) return undefined;
  const m = /:assumed-role\/[^/]+\/(i-[0-9a-f]{8,17})$/.exec(session);
  return m ? m[1] : undefined;
}

/** Entities of one normalized event. */
export function eventEntities(e: EventRow): Entity[] {
  const out: Entity[] = [];
  const add = (kind: string, v: string | null | undefined): void => {
    if (v !== null && v !== undefined && v !== '') out.push({ kind, value: v });
  };
  if (e.actor && !(e.actor_type === 'AWSService' || isServiceValue(e.actor))) add('principal', e.actor);
  add('access_key', e.access_key);
  add('session', e.session);
  add('role', e.assumed_from);
  add('instance', instanceOfSession(e.session));
  add('ip', e.src_ip);
  add('account', e.account);
  try {
    const res = JSON.parse(e.resources) as unknown;
    if (Array.isArray(res)) for (const r of res) if (typeof r === 'string') add('resource', r);
  } catch {
    // A malformed resources column only loses resource entities.
  }
  return out;
}

/** Key used for linking: `kind\0value`. */
export function linkKey(e: Entity): string {
  return `${e.kind}\u0000${e.value}`;
}
