/**
 * Contract between the rule engine (src/detect: Sigma + built-in pack) and correlation (src/correlate: threats,
 * timeline). Pure types.
 */
import type { DetectEvent } from '../normalize/event-row.js';

/** Severity, Sigma `level` names. */
export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** Rule metadata shown on every detection (the Detection Rule License asks for the author to be credited). */
export interface RuleMeta {
  /** Sigma id (UUID) or built-in id (`irctl-aws-...`). */
  id: string;
  title: string;
  author?: string | undefined;
  description?: string | undefined;
  severity: Severity;
  /** ATT&CK / ATLAS technique ids, e.g. T1562.008, AML.T0040. */
  techniques: string[];
  /** Tactic names, e.g. defense-evasion. */
  tactics: string[];
  /** `builtin` or `sigma:<file name>`. */
  source: string;
  /** Sigma logsource (product/service/category) when from Sigma. */
  logsource?: { product?: string; service?: string; category?: string } | undefined;
  /** File the rule came from. */
  file?: string | undefined;
  /** Rule family for grouping and measurement (built-in rules), e.g. `logging-tampering`, `discovery`. */
  family?: string | undefined;
  /** `single` (one event) or the stateful kind: `threshold`, `sequence`, `new_value`, `shared_value`. */
  kind?: string | undefined;
  /** Data type of the events the rule runs on, e.g. `aws:cloudtrail:entry`. */
  dataType?: string | undefined;
  /** SHA-256 of the rule file's text (identifies the exact rule version in the custody log). */
  sha256?: string | undefined;
  /** Sigma status (stable, test, experimental, deprecated...). */
  status?: string | undefined;
}

/** A rule problem: file:line and what. */
export interface RuleError {
  file: string;
  line?: number | undefined;
  ruleId?: string | undefined;
  message: string;
  /** `error`: the rule is skipped. `warning`: loaded, but note it. */
  level: 'error' | 'warning';
}

/** One input to rule evaluation: the normalized event plus lazy access to its parsed raw record. */
export interface DetectInput {
  event: DetectEvent;
  /** Parsed raw record body (for CloudTrail: the record inside any EventBridge envelope). Parsed on first call. */
  raw(): unknown;
}

/** One firing of a rule. */
export interface DetectionHit {
  rule: RuleMeta;
  /** Event ids, time order (one for single-event rules, several for correlation rules). */
  eventIds: string[];
  firstMs: number;
  lastMs: number;
  /** One line saying what happened, e.g. "CloudTrail trail stopped by arn:... from 203.0.113.7". */
  summary: string;
  /** Entities involved (kind: principal | role | session | access_key | ip | resource | account | instance). */
  entities: Array<{ kind: string; value: string }>;
  /** Events that contributed (stateful rules may involve more than the ids kept in `eventIds`, capped at 1000). */
  eventCount?: number | undefined;
}
