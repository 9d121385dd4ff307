/**
 * The detect stage: run every rule over the case's events (streamed in time order), store the detections (derived:
 * each run replaces the previous one), group them into threats with stable ids, raise severity and priority from
 * context, and record the run in the custody chain.
 */
import { randomUUID } from 'node:crypto';
import type { CaseHandle } from '../case/case.js';
import type { OperatorContext } from '../context/context.js';
import type { RuleRun } from '../detect/engine.js';
import type { DetectionHit, RuleError } from '../detect/types.js';
import { asObject } from '../normalize/event.js';
import { appendCustody, type ChainHead } from '../store/custody.js';
import {
  adminGrantEvents,
  crownJewelTouches,
  eventCount,
  eventsByIds,
  exposedInstances,
  hasExposureData,
  principalsBehindIp,
  previousThreatEvents,
  threatIdRegistry,
  writeDetectRun,
  type DetectionRecord,
  type ThreatRecord,
} from '../store/detect-repo.js';
import { eventBatches, rawText, type RawPrefetch } from '../store/event-batches.js';
import { indexEntities } from '../store/ingest-repo.js';
import type { Db } from '../store/db.js';
import { sha256Hex } from '../util/hash.js';
import { eventEntities, isServiceValue, LINK_KINDS, linkKey, sortEntities, type Entity } from './entities.js';
import { groupDetections, type GroupNode } from './group.js';
import { assignThreatIds } from './ids.js';
import { parseRawBody, toDetectInput } from './inputs.js';
import {
  adminPrincipals,
  isAdminRoleName,
  isRootPrincipal,
  jewelForms,
  matchesJewel,
  roleNameOf,
  scoreThreat,
  severityRank,
  type ContextFactors,
} from './score.js';

/** A loaded rule pack, as the detect stage needs it (adapter over src/detect/engine.ts). */
export interface LoadedRules {
  /** Rules that loaded and will run. */
  ruleCount: number;
  /** Load problems (file:line); `error` level rules were skipped. */
  errors: RuleError[];
  /** SHA-256 identifying the pack's content (recorded in custody). */
  hash: string;
  /** Start evaluating the pack; feed it events in time order. */
  start(): RuleRun;
  /** Which events' raw records to read with them (the rest are read when a rule asks). */
  prefetch: RawPrefetch[];
}

/** Loads rules: built-ins unless disabled, plus every folder given. */
export type RuleLoader = (opts: { builtin: boolean; dirs: string[] }) => LoadedRules | Promise<LoadedRules>;

/** Options of one detect run. */
export interface DetectOptions {
  /** Include the built-in pack. @default true */
  builtin: boolean;
  /** Extra rule folders (`--rules DIR`). */
  ruleDirs: string[];
  /** Grouping window: detections sharing an entity join when no further apart than this. @default 24 h */
  windowMs: number;
  /** Margin around a threat when looking for crown-jewel access (same as the timeline's default). @default 1 h */
  marginMs: number;
  /** The operator's context (crown jewels). */
  context: OperatorContext;
  /** Ctrl-C: the run stops, and nothing is written (the previous run's results stay). */
  signal?: AbortSignal | undefined;
  /** Clock. */
  now: () => Date;
  /** Progress callback (events evaluated so far, total), after each batch of events. */
  onProgress?: ((seen: number, total: number) => void) | undefined;
  /**
   * Read events on a worker thread (when irctl runs compiled): `auto` does so for cases of at least
   * {@link THREAD_MIN_EVENTS} events. @default 'auto'
   */
  thread?: boolean | 'auto' | undefined;
}

/** Below this many events a reader thread costs more to start than it saves. */
export const THREAD_MIN_EVENTS = 20_000;

/** A short description of one threat in the summary. */
export interface ThreatBrief {
  id: string;
  title: string;
  severity: string;
  priority: number;
  detections: number;
  first_seen: string;
  last_seen: string;
  /** True when the id existed before this run. */
  kept: boolean;
}

/** What `irctl detect --json` prints. */
export interface DetectSummary {
  run_id: string;
  /** Events evaluated. */
  events: number;
  /** Where the events were read: `thread` (a reader thread beside rule evaluation) or `inline`. */
  reader: 'thread' | 'inline';
  /** Rules that ran. */
  rules: number;
  /** Rules skipped because of load errors (a rule with several errors counts once; `rule_problems` lists them all). */
  rule_errors: number;
  /** Load warnings (rules loaded anyway). */
  rule_warnings: number;
  /** SHA-256 of the rule pack. */
  rule_pack_sha256: string;
  detections: number;
  threats: number;
  /** Threats that got a new id in this run. */
  new_threats: number;
  /** Ids retired because their threats merged into older ones. */
  merged_threats: Array<{ id: string; into: string }>;
  /** Detections per severity. */
  by_severity: Record<string, number>;
  /** False when no EC2 context is in the case, so public exposure could not raise severity. */
  exposure_context: boolean;
  window_ms: number;
  duration_ms: number;
  /** True when Ctrl-C stopped the run: nothing was written. */
  interrupted: boolean;
  /** Custody head after the run (absent when interrupted). */
  custody_head?: ChainHead | undefined;
  /** Threats by priority. */
  threat_list: ThreatBrief[];
  /** Rule load problems (file:line). */
  rule_problems: RuleError[];
}

/** An IP used by at least this many distinct principals in the case is shared infrastructure (NAT, proxy): it does not link. */
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

/** Linking values of a detection after removing service values and `common` ones. */
function linksOf(d: DetectionRecord, common: ReadonlySet<string>): string[] {
  return d.entities.filter((e) => LINK_KINDS.has(e.kind) && !isServiceValue(e.value) && !common.has(linkKey(e))).map(linkKey);
}

/** Short name of the principal a threat is mostly about. */
function mainActor(dets: readonly DetectionRecord[], common: ReadonlySet<string>): string | undefined {
  const counts = new Map<string, number>();
  for (const kind of ['principal', 'access_key', 'ip']) {
    for (const d of dets) {
      for (const e of d.entities) {
        if (e.kind === kind && !common.has(linkKey(e)) && !isServiceValue(e.value)) counts.set(e.value, (counts.get(e.value) ?? 0) + 1);
      }
    }
    if (counts.size > 0) break;
  }
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  if (!best) return undefined;
  const v = best[0];
  if (v.startsWith('arn:')) {
    const rest = v.split(':').slice(5).join(':');
    return rest.replace(/^(user|role|assumed-role)\//, '') || v;
  }
  return v;
}

/** Title of a threat: the most severe (then earliest) detection's rule title, how many more, and who. */
export function threatTitle(dets: readonly DetectionRecord[], common: ReadonlySet<string>): string {
  const top = [...dets].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.first_ms - b.first_ms)[0];
  const rules = new Set(dets.map((d) => d.rule_id)).size;
  const actor = mainActor(dets, common);
  const more = rules > 1 ? ` (+${rules - 1} more rule${rules > 2 ? 's' : ''})` : dets.length > 1 ? ` (x${dets.length})` : '';
  return `${top?.rule_title ?? 'detections'}${more}${actor ? ` by ${actor}` : ''}`;
}

/** Admin principals from the case's IAM events. */
function loadAdminPrincipals(db: Db): Map<string, string> {
  const rows = adminGrantEvents(db);
  return adminPrincipals(
    rows.map((r) => ({ action: r.action, resources: r.resources, body: asObject(parseRawBody('aws:cloudtrail:entry', r.raw)) })),
  );
}

/** Find the context factors of one group. */
function contextFactors(
  db: Db,
  dets: readonly DetectionRecord[],
  linking: readonly Entity[],
  admins: ReadonlyMap<string, string>,
  opts: DetectOptions,
  exposure: boolean,
): ContextFactors {
  const f: ContextFactors = { privileged: [], crownJewels: [], exposure: [] };
  const all = sortEntities(dets.flatMap((d) => d.entities));
  const principals = all.filter((e) => e.kind === 'principal' || e.kind === 'session' || e.kind === 'role').map((e) => e.value);
  for (const p of new Set(principals)) {
    if (isRootPrincipal(p)) f.privileged.push(`${p} is the account root user`);
    else if (isAdminRoleName(p) && (p.includes(':role/') || p.includes(':assumed-role/'))) f.privileged.push(`${p} uses the admin-named role ${roleNameOf(p) ?? ''}`);
    const grant = admins.get(p) ?? (p.includes(':assumed-role/') ? admins.get(roleArnOfSession(p) ?? '') : undefined);
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

/** `arn:aws:sts::1:assumed-role/R/s` -> `arn:aws:iam::1:role/R`. */
function roleArnOfSession(session: string): string | undefined {
  const m = /^arn:(aws[\w-]*):sts::(\d*):assumed-role\/([^/]+)\//.exec(session);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** Group detections into threats with context-based severity and priority (ids assigned later). */
export function buildThreats(
  db: Db,
  detections: readonly DetectionRecord[],
  opts: DetectOptions,
): { groups: Array<Omit<ThreatRecord, 'id'>>; exposure: boolean } {
  // Values too common to link: service hosts (always), and IPs behind which many principals act (NAT, proxies).
  const common = new Set<string>();
  const ips = new Set(detections.flatMap((d) => d.entities.filter((e) => e.kind === 'ip').map((e) => e.value)));
  for (const ip of ips) {
    if (principalsBehindIp(db, ip, COMMON_IP_PRINCIPALS) >= COMMON_IP_PRINCIPALS) common.add(linkKey({ kind: 'ip', value: ip }));
  }
  const byFp = new Map(detections.map((d) => [d.fingerprint, d]));
  const nodes: GroupNode[] = detections.map((d) => ({ key: d.fingerprint, firstMs: d.first_ms, lastMs: d.last_ms, links: linksOf(d, common) }));
  const comps = groupDetections(nodes, opts.windowMs);
  const admins = loadAdminPrincipals(db);
  const exposure = hasExposureData(db);
  const groups = comps.map((comp) => {
    const dets = comp.map((n) => byFp.get(n.key) as DetectionRecord);
    const entities = sortEntities(
      dets.flatMap((d) =>
        d.entities.map((e): Entity & { common?: boolean } =>
          LINK_KINDS.has(e.kind) && (isServiceValue(e.value) || common.has(linkKey(e))) ? { ...e, common: true } : { ...e },
        ),
      ),
    );
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

/** Run detection over an open case. */
export async function runDetect(kase: CaseHandle, loader: RuleLoader, opts: DetectOptions): Promise<DetectSummary> {
  const started = opts.now().getTime();
  const db = kase.db;
  const runId = randomUUID();
  indexEntities(db);
  const rules = await loader({ builtin: opts.builtin, dirs: opts.ruleDirs });
  const total = eventCount(db);
  const run = rules.start();
  let seen = 0;
  let interrupted = false;
  const thread = opts.thread === undefined || opts.thread === 'auto' ? total >= THREAD_MIN_EVENTS : opts.thread;
  const lookup = (rawId: number): string | undefined => rawText(db, rawId);
  const stream = eventBatches(db.name, { prefetch: rules.prefetch, thread });
  for await (const batch of stream.batches) {
    if (opts.signal?.aborted === true) {
      interrupted = true;
      break;
    }
    for (const row of batch) run.feed(toDetectInput(row, lookup));
    seen += batch.length;
    opts.onProgress?.(seen, total);
  }
  if (!interrupted && opts.signal?.aborted === true) interrupted = true;
  const hits = interrupted ? [] : run.finish();
  // One rule can have several errors: count skipped rules (by file and rule id), not error messages.
  const skipped = new Set(rules.errors.filter((e) => e.level === 'error').map((e) => `${e.file}\u0000${e.ruleId ?? ''}`)).size;
  const base = {
    run_id: runId,
    events: seen,
    reader: stream.reader,
    rules: rules.ruleCount,
    rule_errors: skipped,
    rule_warnings: rules.errors.filter((e) => e.level !== 'error').length,
    rule_pack_sha256: rules.hash,
    window_ms: opts.windowMs,
    rule_problems: rules.errors,
  };
  if (interrupted) {
    return {
      ...base,
      detections: 0,
      threats: 0,
      new_threats: 0,
      merged_threats: [],
      by_severity: {},
      exposure_context: false,
      duration_ms: opts.now().getTime() - started,
      interrupted: true,
      threat_list: [],
    };
  }

  const eventIds = [...new Set(hits.flatMap((h) => h.eventIds))];
  const rows = eventsByIds(db, eventIds);
  const evEntities = new Map<string, { entities: Entity[] }>();
  for (const [id, row] of rows) evEntities.set(id, { entities: eventEntities(row) });
  const detections = toDetectionRecords(hits, evEntities);
  const { groups, exposure } = buildThreats(db, detections, opts);
  const fpEvents = new Map(detections.map((d) => [d.fingerprint, d.event_ids]));
  const assignment = assignThreatIds(
    groups.map((g) => ({ fingerprints: g.detection_fingerprints, eventIds: new Set(g.detection_fingerprints.flatMap((fp) => fpEvents.get(fp) ?? [])) })),
    threatIdRegistry(db),
    previousThreatEvents(db),
  );
  const threats: ThreatRecord[] = groups.map((g, i) => ({ ...g, id: assignment.ids[i] as string }));
  const bySeverity: Record<string, number> = {};
  for (const d of detections) bySeverity[d.severity] = (bySeverity[d.severity] ?? 0) + 1;
  const newThreats = assignment.kept.filter((k) => !k).length;
  const now = opts.now();
  const head = writeDetectRun(
    db,
    { detections, threats, newIds: assignment.newIds, merged: assignment.merged, createdAt: now.toISOString() },
    () =>
      appendCustody(
        db,
        {
          action: 'detect.run',
          run_id: runId,
          details: {
            rule_pack_sha256: rules.hash,
            rules: rules.ruleCount,
            rule_errors: skipped,
            builtin: opts.builtin,
            rule_dirs: opts.ruleDirs,
            window_ms: opts.windowMs,
            events: seen,
            detections: detections.length,
            threats: threats.length,
            new_threats: newThreats,
            merged_threats: assignment.merged,
          },
        },
        kase.provenance,
        now,
      ),
  );
  const threatList: ThreatBrief[] = threats
    .map((t, i) => ({
      id: t.id,
      title: t.title,
      severity: t.severity,
      priority: t.priority,
      detections: t.detection_fingerprints.length,
      first_seen: new Date(t.first_ms).toISOString(),
      last_seen: new Date(t.last_ms).toISOString(),
      kept: assignment.kept[i] === true,
    }))
    .sort((a, b) => b.priority - a.priority || (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : 0));
  return {
    ...base,
    detections: detections.length,
    threats: threats.length,
    new_threats: newThreats,
    merged_threats: assignment.merged,
    by_severity: bySeverity,
    exposure_context: exposure,
    duration_ms: opts.now().getTime() - started,
    interrupted: false,
    custody_head: head,
    threat_list: threatList,
  };
}
