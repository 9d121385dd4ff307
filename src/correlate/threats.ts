/**
 * Reading threats for `irctl threats` and `irctl threats show` (and for later stages): stored rows turned into the
 * documented JSON shapes (docs/threats.md).
 */
import { UsageError } from '../errors.js';
import type { Db } from '../store/db.js';
import { detectState, listThreatRows, threatDetectionRows, threatIdRow, threatRow, threatRuleIds, type DetectionRow, type ThreatRow } from '../store/detect-repo.js';

/** A threat as `irctl threats --json` prints it (one per line). */
export interface ThreatView {
  /** Stable id, `T-<n>`. */
  id: string;
  title: string;
  /** Severity after context (informational, low, medium, high, critical). */
  severity: string;
  /** Score, higher = look first (docs/threats.md "Priority"). */
  priority: number;
  first_seen: string;
  last_seen: string;
  /** Entities: `{kind, value}`; `common: true` marks shared infrastructure that did not link detections. */
  entities: Array<{ kind: string; value: string; common?: boolean }>;
  /** ATT&CK / ATLAS technique ids. */
  techniques: string[];
  /** ATT&CK tactics. */
  tactics: string[];
  /** Number of detections. */
  detections: number;
  /** Detection fingerprints (stable across runs), time order. */
  detection_ids: string[];
  /** Distinct rule ids that fired, in order of first firing. */
  rules: string[];
  /** Why severity/priority were raised. */
  context_notes: string[];
}

/** One detection as `irctl threats show --json` prints it. */
export interface DetectionView {
  id: string;
  rule_id: string;
  rule_title: string;
  rule_author: string | null;
  rule_source: string;
  severity: string;
  techniques: string[];
  tactics: string[];
  first_seen: string;
  last_seen: string;
  summary: string;
  entities: Array<{ kind: string; value: string }>;
  event_ids: string[];
}

function arr<T>(s: string): T[] {
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

function view(t: ThreatRow, rules: { rules: string[]; fingerprints: string[] } | undefined): ThreatView {
  return {
    id: t.id,
    title: t.title,
    severity: t.severity,
    priority: t.priority,
    first_seen: t.first_seen,
    last_seen: t.last_seen,
    entities: arr(t.entities),
    techniques: arr(t.techniques),
    tactics: arr(t.tactics),
    detections: t.detection_count,
    detection_ids: rules?.fingerprints ?? [],
    rules: rules?.rules ?? [],
    context_notes: arr(t.context_notes),
  };
}

/** Detection row to its JSON view. */
export function detectionView(d: DetectionRow): DetectionView {
  return {
    id: d.fingerprint,
    rule_id: d.rule_id,
    rule_title: d.rule_title,
    rule_author: d.rule_author,
    rule_source: d.rule_source,
    severity: d.severity,
    techniques: arr(d.techniques),
    tactics: arr(d.tactics),
    first_seen: d.first_seen,
    last_seen: d.last_seen,
    summary: d.summary,
    entities: arr(d.entities),
    event_ids: arr(d.event_ids),
  };
}

/** All threats by priority, plus whether detect has ever run. */
export function listThreats(db: Db): { threats: ThreatView[]; detectRan: boolean } {
  const rules = threatRuleIds(db);
  const threats = listThreatRows(db).map((t) => view(t, rules.get(t.id)));
  const st = detectState(db);
  return { threats, detectRan: st.runs > 0 };
}

/** One threat with its detections. Throws UsageError for an unknown or retired id. */
export function showThreat(db: Db, id: string): { threat: ThreatView; detections: DetectionView[] } {
  const t = threatRow(db, id);
  if (!t) {
    const reg = threatIdRow(db, id);
    if (reg?.merged_into) {
      throw new UsageError(`threat ${id} was merged into ${reg.merged_into} by a later \`irctl detect\` run`, {
        hint: `Use ${reg.merged_into}: \`irctl threats show ${reg.merged_into}\`.`,
      });
    }
    if (reg) {
      throw new UsageError(`threat ${id} has no detections in the latest \`irctl detect\` run`, {
        hint: 'Its rules no longer fire (rules or evidence changed). Run `irctl threats` to list the current threats.',
      });
    }
    throw new UsageError(`no threat ${JSON.stringify(id)} in this case`, {
      hint: 'Run `irctl threats` to list threat ids (run `irctl detect` first if the list is empty).',
    });
  }
  const dets = threatDetectionRows(db, id).map(detectionView);
  const rules = { rules: [...new Set(dets.map((d) => d.rule_id))], fingerprints: dets.map((d) => d.id) };
  return { threat: view(t, rules), detections: dets };
}
