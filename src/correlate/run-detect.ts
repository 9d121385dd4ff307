/**
 * `irctl detect`: the detect stage (every rule over the case's events, streamed in time order: detect/inputs.ts)
 * then the correlate stage (detections grouped into threats: correlate.ts), threat ids kept stable, the results stored
 * (derived: each run replaces the previous one) and the run recorded in the custody chain.
 */
import { randomUUID } from 'node:crypto';
import type { CaseHandle } from '../case/case.js';
import type { OperatorContext } from '../context/context.js';
import type { RuleRun } from '../detect/engine.js';
import { evaluateEvents } from '../detect/inputs.js';
import type { RuleError } from '../detect/types.js';
import { eventEntities } from '../sources/index.js';
import { appendCustody, type ChainHead } from '../store/custody.js';
import { eventCount, eventsByIds, previousThreatEvents, threatIdRegistry, writeDetectRun, type ThreatRecord } from '../store/detect-repo.js';
import { eventBatches, rawText, type RawPrefetch } from '../store/event-batches.js';
import { indexEntities } from '../store/ingest-repo.js';
import { buildThreats, toDetectionRecords } from './correlate.js';
import type { Entity } from './entities.js';
import { assignThreatIds } from './ids.js';
import { DEFAULT_WORKLOAD_WINDOW_MS } from './joins.js';

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
  /** Workload window: detections sharing only a workload entity join when no further apart than this. @default 1 h */
  workloadWindowMs?: number | undefined;
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
  /** Workload window used by grouping (joins.ts). */
  workload_window_ms: number;
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

/** Run detection over an open case. */
export async function runDetect(kase: CaseHandle, loader: RuleLoader, opts: DetectOptions): Promise<DetectSummary> {
  const started = opts.now().getTime();
  const db = kase.db;
  const runId = randomUUID();
  indexEntities(db);
  const rules = await loader({ builtin: opts.builtin, dirs: opts.ruleDirs });
  const total = eventCount(db);
  const run = rules.start();
  const thread = opts.thread === undefined || opts.thread === 'auto' ? total >= THREAD_MIN_EVENTS : opts.thread;
  const lookup = (rawId: number): string | undefined => rawText(db, rawId);
  const stream = eventBatches(db.name, { prefetch: rules.prefetch, thread });
  const { seen, interrupted } = await evaluateEvents(stream.batches, lookup, (input) => run.feed(input), {
    signal: opts.signal,
    onProgress: (n) => opts.onProgress?.(n, total),
  });
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
    workload_window_ms: opts.workloadWindowMs ?? DEFAULT_WORKLOAD_WINDOW_MS,
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
            workload_window_ms: opts.workloadWindowMs ?? DEFAULT_WORKLOAD_WINDOW_MS,
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
