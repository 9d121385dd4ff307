/**
 * The correlate stage: detections (rule hits with their events' entities) grouped into threats by shared entities
 * within a time window, titled, and scored with context (privileged actors, crown jewels, public exposure). Provider
 * knowledge (who is privileged, which values are a provider's own services) comes from the provider registry.
 */
import type { OperatorContext } from '../context/context.js';
import type { DetectionHit } from '../detect/types.js';
import { parseRawBody } from '../detect/inputs.js';
import { isServicePrincipal, privilegeOf, providers, roleOfSession, shortName } from '../sources/index.js';
import {
  adminGrantEvents,
  crownJewelTouches,
  exposedInstances,
  hasExposureData,
  actorsBehindIp,
  distinctActorCount,
  type DetectionRecord,
  type ThreatRecord,
} from '../store/detect-repo.js';
import type { Db } from '../store/db.js';
import { sha256Hex } from '../util/hash.js';
import { LINK_KINDS, linkKey, sortEntities, type Entity } from './entities.js';
import { groupDetections, type GroupNode } from './group.js';
import { DEFAULT_WORKLOAD_WINDOW_MS, planLinks } from './joins.js';
import { jewelForms, matchesJewel, scoreThreat, severityRank, type ContextFactors } from './score.js';

/** Options of the correlate stage. */
export interface CorrelateOptions {
  /** Grouping window: detections sharing an entity join when no further apart than this. */
  windowMs: number;
  /** Workload window: detections sharing only a workload entity (machine, container, private address) join when no further apart than this (joins.ts). */
  workloadWindowMs?: number | undefined;
  /** Margin around a threat when looking for crown-jewel access. */
  marginMs: number;
  /** The operator's context (crown jewels). */
  context: OperatorContext;
}

/** An IP used by at least this many distinct principals in the case is shared infrastructure (NAT, proxy): it does not link. Fewer can still be every principal of a small case: see {@link buildThreats}. */
export const COMMON_IP_PRINCIPALS = 10;

/** Stored detection fingerprint: sha256 of the rule id and the event ids. */
export function detectionFingerprint(ruleId: string, eventIds: readonly string[]): string {
  return sha256Hex(`${ruleId}\n${eventIds.join('\n')}`);
}

/** Turn engine hits into stored detections: fingerprint, de-duplicate, add the entities of their events. */
export function toDetectionRecords(hits: readonly DetectionHit[], events: Map<string, { entities: Entity[] }>): DetectionRecord[] {
  const out = new Map<string, DetectionRecord>();
  for (const h of hits) {
    if (h.eventIds.length === 0) continue;
    const fp = detectionFingerprint(h.rule.id, h.eventIds);
    if (out.has(fp)) continue;
    const ents: Entity[] = [...h.entities];
    for (const id of h.eventIds) ents.push(...(events.get(id)?.entities ?? []));
    out.set(fp, {
      fingerprint: fp,
      rule_id: h.rule.id,
      rule_title: h.rule.title,
      rule_author: h.rule.author ?? null,
      rule_source: h.rule.source,
      severity: h.rule.severity,
      techniques: [...new Set(h.rule.techniques)].sort(),
      tactics: [...new Set(h.rule.tactics)].sort(),
      first_ms: h.firstMs,
      last_ms: h.lastMs,
      summary: h.summary,
      entities: sortEntities(ents.filter((e) => typeof e.value === 'string' && e.value !== '').map((e) => ({ kind: e.kind, value: e.value }))),
      event_ids: [...h.eventIds],
    });
  }
  return [...out.values()].sort((a, b) => a.first_ms - b.first_ms || (a.fingerprint < b.fingerprint ? -1 : 1));
}

/** The longest a title gets; longer ones are cut at a word boundary and say how much was left out. */
export const TITLE_MAX = 200;

/** Actors of a detection: its principals that are neither a provider's service nor a common value. */
function actorsOf(d: DetectionRecord, common: ReadonlySet<string>): string[] {
  return d.entities.filter((e) => e.kind === 'principal' && !common.has(linkKey(e)) && !isServicePrincipal(e.value)).map((e) => e.value);
}

/** The one source address of an actor's detections, when there is exactly one that links. */
function onlyIp(dets: readonly DetectionRecord[], common: ReadonlySet<string>): string | undefined {
  const ips = new Set(dets.flatMap((d) => d.entities.filter((e) => e.kind === 'ip' && !common.has(linkKey(e))).map((e) => e.value)));
  return ips.size === 1 ? [...ips][0] : undefined;
}

const bySeverityThenTime = (a: DetectionRecord, b: DetectionRecord): number => severityRank(b.severity) - severityRank(a.severity) || a.first_ms - b.first_ms;

/**
 * Title of a threat: a one-line story of who did what, in time order. Each actor (principal) gets its most severe
 * detection's rule title, the first one its source address; at most three actors, always including the one with
 * the most severe detection (the title names who carries the threat, not who happened to act first). Without
 * principals, the most severe detection's title and the key or address involved.
 */
export function threatTitle(dets: readonly DetectionRecord[], common: ReadonlySet<string>): string {
  const rules = new Set(dets.map((d) => d.rule_id)).size;
  const perActor = new Map<string, DetectionRecord[]>();
  for (const d of dets) for (const a of new Set(actorsOf(d, common))) perActor.set(a, [...(perActor.get(a) ?? []), d]);
  let segments: string[];
  let shownRules: Set<string>;
  if (perActor.size === 0) {
    const top = [...dets].sort(bySeverityThenTime)[0];
    const who = dets.flatMap((d) => d.entities).find((e) => (e.kind === 'access_key' || e.kind === 'ip') && !common.has(linkKey(e)));
    segments = [`${who ? `${who.value}: ` : ''}${top?.rule_title ?? 'detections'}`];
    shownRules = new Set(top ? [top.rule_id] : []);
  } else {
    const actors = [...perActor.entries()].map(([actor, list]) => ({ actor, list: [...list].sort(bySeverityThenTime), first: Math.min(...list.map((d) => d.first_ms)) }));
    const lead = [...actors].sort((x, y) => bySeverityThenTime(x.list[0] as DetectionRecord, y.list[0] as DetectionRecord) || (x.actor < y.actor ? -1 : 1))[0];
    const chosen = [...actors].sort((x, y) => x.first - y.first || (x.actor < y.actor ? -1 : 1)).slice(0, 3);
    if (lead && !chosen.includes(lead)) chosen.splice(2, 1, lead);
    chosen.sort((x, y) => x.first - y.first || (x.actor < y.actor ? -1 : 1));
    shownRules = new Set();
    segments = chosen.map((c, i) => {
      const top = c.list[0] as DetectionRecord;
      shownRules.add(top.rule_id);
      const ip = i === 0 ? onlyIp(c.list, common) : undefined;
      return `${shortName(c.actor)}${ip ? ` from ${ip}` : ''}: ${top.rule_title}`;
    });
    const hidden = actors.length - chosen.length;
    if (hidden > 0) segments.push(`${hidden} more principal${hidden > 1 ? 's' : ''}`);
  }
  const moreRules = rules - shownRules.size;
  const tail = moreRules > 0 ? ` (+${moreRules} more rule${moreRules > 1 ? 's' : ''})` : dets.length > 1 && rules === 1 ? ` (x${dets.length})` : '';
  return cutAtWord(segments.join('; then '), TITLE_MAX - tail.length) + tail;
}

/** Cut a text to at most `max` characters at a word boundary, ending with an ellipsis when cut. */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = text.slice(0, Math.max(1, max - 1));
  const at = room.lastIndexOf(' ');
  return `${(at > max / 2 ? room.slice(0, at) : room).replace(/[;:,]$/, '')}…`;
}

/** Principals granted administrator rights in the case's events, by every provider's reading of its grant events. */
function loadAdminPrincipals(db: Db): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of providers()) {
    const k = p.privilege;
    if (!k || k.grantActions.length === 0) continue;
    const rows = adminGrantEvents(db, p.name, k.grantActions);
    const grants = k.adminGrants(rows.map((r) => ({ action: r.action, resources: r.resources, body: parseRawBody(r.data_type, r.raw) })));
    for (const g of grants) out.set(g.principal, g.why);
  }
  return out;
}

/** Find the context factors of one group. */
function contextFactors(
  db: Db,
  dets: readonly DetectionRecord[],
  linking: readonly Entity[],
  admins: ReadonlyMap<string, string>,
  opts: CorrelateOptions,
  exposure: boolean,
): ContextFactors {
  const f: ContextFactors = { privileged: [], crownJewels: [], exposure: [] };
  const all = sortEntities(dets.flatMap((d) => d.entities));
  const principals = all.filter((e) => e.kind === 'principal' || e.kind === 'session' || e.kind === 'role').map((e) => e.value);
  for (const p of new Set(principals)) {
    const why = privilegeOf(p);
    if (why && 'root' in why) f.privileged.push(`${p} is the account root user`);
    else if (why) f.privileged.push(`${p} uses the admin-named role ${why.adminRole}`);
    const role = roleOfSession(p);
    const grant = admins.get(p) ?? (role !== undefined ? admins.get(role) : undefined);
    if (grant !== undefined) f.privileged.push(`${p} was granted admin in the evidence (${grant})`);
  }
  f.privileged = [...new Set(f.privileged)].slice(0, 5);

  const jewels = opts.context.crown_jewels;
  if (jewels.length > 0) {
    const first = Math.min(...dets.map((d) => d.first_ms)) - opts.marginMs;
    const last = Math.max(...dets.map((d) => d.last_ms)) + opts.marginMs;
    const values = [...new Set(linking.filter((e) => e.kind !== 'instance').map((e) => e.value))];
    for (const j of jewels) {
      const touched = new Set<string>();
      for (const e of all) if (e.kind === 'resource' && matchesJewel(e.value, j)) touched.add(e.value);
      for (const form of jewelForms(j)) for (const r of crownJewelTouches(db, form, values, first, last)) touched.add(r);
      if (touched.size === 0) continue;
      const list = [...touched].sort();
      const only = list.length === 1 && list[0] === j;
      f.crownJewels.push(only ? `${j} touched` : `${j} touched (${list.length}${list.length >= 20 ? '+' : ''} resource(s), e.g. ${list[0] ?? ''})`);
    }
  }

  if (exposure) {
    const instances = [...new Set(all.filter((e) => e.kind === 'instance').map((e) => e.value))];
    for (const x of exposedInstances(db, instances)) {
      f.exposure.push(`instance ${x.instance_id} was publicly exposed (public IPs ${x.public_ips}, observed ${x.observed_at})`);
    }
  }
  return f;
}

/** Group detections into threats with context-based severity and priority (ids assigned later). */
export function buildThreats(
  db: Db,
  detections: readonly DetectionRecord[],
  opts: CorrelateOptions,
): { groups: Array<Omit<ThreatRecord, 'id'>>; exposure: boolean } {
  // Values too common to link: service hosts (always), and addresses that do not single out an actor: used by many
  // principals (NAT, proxies), by a provider's own service, or by every principal of the case (an exporter that
  // replaced every address with one value). An address shared by a few principals still links them.
  const common = new Set<string>();
  const ips = new Set(detections.flatMap((d) => d.entities.filter((e) => e.kind === 'ip').map((e) => e.value)));
  const casePrincipals = ips.size > 0 ? distinctActorCount(db, COMMON_IP_PRINCIPALS) : 0;
  for (const ip of ips) {
    const actors = actorsBehindIp(db, ip, COMMON_IP_PRINCIPALS);
    const people = actors.filter((a) => !isServicePrincipal(a.actor, a.actor_type));
    const shared =
      actors.length >= COMMON_IP_PRINCIPALS || people.length < actors.length || (people.length >= 2 && people.length >= casePrincipals);
    if (shared) common.add(linkKey({ kind: 'ip', value: ip }));
  }
  const byFp = new Map(detections.map((d) => [d.fingerprint, d]));
  const plan = planLinks(db, detections, common, opts.windowMs);
  const nodes: GroupNode[] = detections.map((d) => {
    const l = plan.get(d.fingerprint);
    return { key: d.fingerprint, firstMs: d.first_ms, lastMs: d.last_ms, links: l?.links ?? [], nearLinks: l?.nearLinks ?? [] };
  });
  const comps = groupDetections(nodes, opts.windowMs, opts.workloadWindowMs ?? DEFAULT_WORKLOAD_WINDOW_MS);
  const admins = loadAdminPrincipals(db);
  const exposure = hasExposureData(db);
  const groups = comps.map((comp) => {
    const dets = comp.map((n) => byFp.get(n.key) as DetectionRecord);
    const entities = sortEntities([
      ...dets.flatMap((d) =>
        d.entities.map((e): Entity & { common?: boolean } =>
          LINK_KINDS.has(e.kind) && (isServicePrincipal(e.value) || common.has(linkKey(e))) ? { ...e, common: true } : { ...e },
        ),
      ),
      // What the joins brought in: the IdP user's session, the instance behind a host name, the machine's address.
      ...dets.flatMap((d) => plan.get(d.fingerprint)?.joined ?? []).map((e): Entity & { common?: boolean } => ({ kind: e.kind, value: e.value })),
    ]);
    const linking = entities.filter((e) => LINK_KINDS.has(e.kind) && e.common !== true);
    const techniques = [...new Set(dets.flatMap((d) => d.techniques))].sort();
    const tactics = [...new Set(dets.flatMap((d) => d.tactics))].sort();
    const factors = contextFactors(db, dets, linking, admins, opts, exposure);
    const score = scoreThreat(
      dets.map((d) => d.severity),
      tactics.length,
      new Set(dets.map((d) => d.rule_id)).size,
      factors,
    );
    return {
      title: threatTitle(dets, common),
      severity: score.severity,
      priority: score.priority,
      first_ms: Math.min(...dets.map((d) => d.first_ms)),
      last_ms: Math.max(...dets.map((d) => d.last_ms)),
      entities: capPerKind(entities, 100),
      techniques,
      tactics,
      detection_fingerprints: dets.map((d) => d.fingerprint),
      context_notes: score.notes,
    };
  });
  return { groups, exposure };
}

/** Keep at most `n` entities of each kind (a bulk-read threat can name thousands of objects). */
function capPerKind<T extends Entity>(list: readonly T[], n: number): T[] {
  const counts = new Map<string, number>();
  return list.filter((e) => {
    const c = (counts.get(e.kind) ?? 0) + 1;
    counts.set(e.kind, c);
    return c <= n;
  });
}
