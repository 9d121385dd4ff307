/**
 * The evidence appendix: one row per id the report cites (the rationale's event, `det:`, `ctx:` and `inv:` ids, and
 * every event a detection fired on), saying what the id names and where it leads, so each citation in the HTML and
 * Markdown reports is a link that resolves. Pure: the caller passes what was read from the store.
 */
import type { OperatorContext } from '../context/context.js';
import type { DetectionRow, EventFacts, InvestigationRow } from '../store/export-repo.js';
import { REPORT_LIMITS, type EvidenceEntry } from './model.js';

/** What the appendix is built from. */
export interface EvidenceSources {
  /** Claims of the latest run, with the ids they cite. */
  rationale: ReadonlyArray<{ evidence_ids: readonly string[] }>;
  /** Titles of the detections that fired on each event. */
  detectionsByEvent: ReadonlyMap<string, readonly string[]>;
  /** Facts of the cited and flagged events (unknown ids are absent). */
  factsByEvent: ReadonlyMap<string, EventFacts>;
  /** Detections in scope (a `det:` id is a fingerprint prefix). */
  detections: readonly DetectionRow[];
  /** Every investigation of the case; called only when an `inv:` id is cited. */
  investigations: () => readonly InvestigationRow[];
  /** The operator's context (a `ctx:` id is a path into it). */
  context: OperatorContext;
}

const MAX_DETAIL = 300;

function cut(s: string): string {
  return s.length <= MAX_DETAIL ? s : `${s.slice(0, MAX_DETAIL - 1)}…`;
}

function jsonStrings(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The value a `ctx:` path names (`ctx:red_team.principals[1]`), or undefined. */
export function contextValue(context: OperatorContext, id: string): unknown {
  const steps = id
    .slice(4)
    .split(/\.|\[(\d+)\]/)
    .filter((s): s is string => s !== undefined && s !== '');
  let v: unknown = context;
  for (const s of steps) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, s)) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return steps.length === 0 ? undefined : v;
}

function unknownEntry(id: string, cited_by: string, detail: string): EvidenceEntry {
  return { id, kind: 'unknown', time: null, detail, raw_sha256: null, cited_by, event_ids: [] };
}

function entryOf(id: string, cited_by: string, src: EvidenceSources, invs: () => readonly InvestigationRow[]): EvidenceEntry {
  if (id.startsWith('det:')) {
    const prefix = id.slice(4);
    const hits = prefix === '' ? [] : src.detections.filter((d) => d.fingerprint.startsWith(prefix));
    const d = hits[0];
    if (!d || hits.length > 1) return unknownEntry(id, cited_by, hits.length > 1 ? `matches ${hits.length} detections` : 'no such detection in this report');
    const events = jsonStrings(d.event_ids);
    return {
      id,
      kind: 'detection',
      time: d.first_seen,
      detail: cut(`${d.rule_title} (${d.severity}, ${events.length} event${events.length === 1 ? '' : 's'})`),
      raw_sha256: null,
      cited_by,
      event_ids: events.slice(0, REPORT_LIMITS.detectionEvents),
    };
  }
  if (id.startsWith('ctx:')) {
    const v = contextValue(src.context, id);
    if (v === undefined) return unknownEntry(id, cited_by, 'names nothing in context.yaml');
    return { id, kind: 'context', time: null, detail: cut(`declared in context.yaml: ${typeof v === 'string' ? v : JSON.stringify(v)}`), raw_sha256: null, cited_by, event_ids: [] };
  }
  if (id.startsWith('inv:')) {
    const prefix = id.slice(4);
    const hits = prefix === '' ? [] : invs().filter((i) => i.id.startsWith(prefix));
    const r = hits[0];
    if (!r || hits.length > 1) return unknownEntry(id, cited_by, hits.length > 1 ? `matches ${hits.length} investigations` : 'no such investigation in this case');
    return {
      id,
      kind: 'investigation',
      time: r.finished_at,
      detail: cut(`investigation of ${r.threat_id}: ${r.verdict} (confidence ${Math.round(r.confidence * 100)}%, ${r.engine})`),
      raw_sha256: null,
      cited_by,
      event_ids: [],
    };
  }
  const e = src.factsByEvent.get(id);
  if (!e) return unknownEntry(id, cited_by, 'no such event in this case');
  return {
    id,
    kind: 'event',
    time: e.time,
    detail: cut(`${e.action}${e.actor ? ` by ${e.actor}` : ''}${e.src_ip ? ` from ${e.src_ip}` : ''} (${e.outcome})`),
    raw_sha256: e.raw_sha256,
    cited_by,
    event_ids: [id],
  };
}

/** The appendix rows: rationale ids first to be kept under the cap, then flagged events; sorted by id. */
export function evidenceIndex(src: EvidenceSources): EvidenceEntry[] {
  const cite = new Map<string, string>();
  for (const c of src.rationale) for (const id of c.evidence_ids) if (!cite.has(id)) cite.set(id, 'rationale');
  for (const [id, titles] of src.detectionsByEvent) if (!cite.has(id)) cite.set(id, `detection: ${titles.join('; ')}`);
  let invCache: readonly InvestigationRow[] | undefined;
  const invs = (): readonly InvestigationRow[] => (invCache ??= src.investigations());
  return [...cite]
    .slice(0, REPORT_LIMITS.evidenceIndex)
    .map(([id, by]) => entryOf(id, by, src, invs))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
