/**
 * The names an event's actor goes by, for the attribution check (checks.ts, check 6): the principal first, then its
 * short name, the role it acted through, its session, its access key and the keys or sessions the event issued
 * (identity hops), each with the short form the provider registry knows. Provider-neutral: what a name looks like
 * is the registry's business (`shortName`, `roleOfSession`).
 */
import { roleOfSession, shortName } from '../sources/index.js';
import type { EventActorRow } from '../store/investigate-repo.js';

/** Related-entity kinds that identify who holds credentials an event issued. */
const IDENTITY_KINDS = new Set(['access_key', 'session']);

/** The names of one event's actor, principal first; empty when the event has no actor fields. */
export function actorNamesOf(r: EventActorRow): string[] {
  const out: string[] = [];
  const add = (v: string | null | undefined): void => {
    if (v === null || v === undefined || v === '') return;
    if (!out.includes(v)) out.push(v);
    const s = shortName(v);
    if (s !== v && !out.includes(s)) out.push(s);
  };
  add(r.actor);
  add(r.actor_name);
  add(r.assumed_from);
  if (r.session) {
    add(r.session);
    add(roleOfSession(r.session));
  }
  add(r.access_key);
  if (r.related && r.related !== '[]') {
    try {
      for (const pair of JSON.parse(r.related) as unknown[]) {
        if (Array.isArray(pair) && typeof pair[0] === 'string' && IDENTITY_KINDS.has(pair[0]) && typeof pair[1] === 'string') add(pair[1]);
      }
    } catch {
      // a malformed column only loses the issued names
    }
  }
  return out;
}
