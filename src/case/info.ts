import { caseStats, logKindCoverage, type CaseStats, type LogKindCoverage } from '../store/query-repo.js';
import { chainHead, custodyEntries, type ChainHead } from '../store/custody.js';
import type { Db } from '../store/db.js';
import { baseOfDerived } from '../store/event-copies.js';
import { idsWithHash } from '../store/verify-repo.js';

/** One run as `case info` shows it. */
export interface RunInfo {
  run_id: string;
  kind: string;
  started: string;
  ended: string | null;
  status: 'complete' | 'interrupted' | 'incomplete';
  os_user: string;
  host: string;
  tool_version: string;
  source: string;
  counts: Record<string, unknown>;
}

/** Case overview. */
export interface CaseInfo {
  stats: CaseStats;
  custody_head: ChainHead;
  runs: RunInfo[];
  /**
   * Event ids carried by records that disagree, kept as separate events with derived ids (`case verify` lists them).
   * (`stats.conflicted_events` counts event ids with more than one distinct raw record, agreeing or not.)
   */
  conflicts: number;
  /** Kinds of log the events come from (providers that declare them), and the kinds whose absence is missing evidence. */
  log_kinds: LogKindCoverage;
}

const COUNT_KEYS = ['files', 'records', 'events', 'duplicates', 'conflicts', 'quarantined', 'pages', 'regions', 'detections', 'threats'];

/** Gather the overview (pure over the Db port). */
export function caseInfo(db: Db): CaseInfo {
  const entries = custodyEntries(db).filter((e) => typeof e.body.action === 'string' && /\.(start|end)$/.test(e.body.action));
  const runs = new Map<string, RunInfo>();
  for (const e of entries) {
    const b = e.body as { run_id: string; action: string; time: string; actor: { os_user: string; host: string }; tool_version: string; details: Record<string, unknown> };
    const kind = b.action.split('.')[0] ?? b.action;
    if (b.action.endsWith('.start')) {
      const d = b.details;
      const source = Array.isArray(d.paths) ? `files: ${(d.paths as unknown[]).map(String).join(', ')}` : typeof d.source === 'string' ? d.source : JSON.stringify(d);
      runs.set(b.run_id, {
        run_id: b.run_id,
        kind,
        started: b.time,
        ended: null,
        status: 'incomplete',
        os_user: b.actor.os_user,
        host: b.actor.host,
        tool_version: b.tool_version,
        source,
        counts: {},
      });
    } else {
      const r = runs.get(b.run_id);
      if (!r) continue;
      r.ended = b.time;
      r.status = b.details.interrupted === true ? 'interrupted' : 'complete';
      for (const k of COUNT_KEYS) if (k in b.details) r.counts[k] = b.details[k];
    }
  }
  const stats = caseStats(db);
  const conflictIds = new Set<string>();
  for (const id of idsWithHash(db)) {
    const base = baseOfDerived(id);
    if (base !== undefined) conflictIds.add(base);
  }
  return { stats, custody_head: chainHead(db), runs: [...runs.values()], conflicts: conflictIds.size, log_kinds: logKindCoverage(db) };
}
