/**
 * The compiled form of a rule, shared by the compiler (sigma.ts), the stateful evaluators (stateful.ts) and the engine.
 * Pure types.
 */
import type { FieldGetter } from './fields.js';
import type { DetectInput, RuleMeta } from './types.js';

/** A predicate over one event. */
export type Pred = (input: DetectInput) => boolean;

/** Stateful (multi-event) part of a built-in rule. */
export type StatefulSpec =
  | {
      type: 'threshold';
      groupBy: FieldGetter[];
      groupNames: string[];
      windowMs: number;
      /** Events (or distinct values) needed in the window. */
      threshold: number;
      /** Count distinct values of this field instead of events. */
      distinct?: { name: string; get: FieldGetter } | undefined;
      /** Sum this numeric field instead of counting events (`threshold` is then the sum to reach, e.g. bytes). */
      sum?: { name: string; get: FieldGetter } | undefined;
    }
  | {
      type: 'sequence';
      groupBy: FieldGetter[];
      groupNames: string[];
      windowMs: number;
      ordered: boolean;
      steps: Array<{ name: string; pred: Pred; min: number }>;
    }
  | {
      type: 'new_value';
      groupBy: FieldGetter[];
      groupNames: string[];
      value: { name: string; get: FieldGetter };
      /** The group must have this many earlier events... */
      minEvents: number;
      /** ...spanning at least this long before a value counts as new. */
      minAgeMs: number;
    }
  | {
      type: 'shared_value';
      groupBy: FieldGetter[];
      groupNames: string[];
      value: { name: string; get: FieldGetter };
      left: Pred;
      right: Pred;
      windowMs: number;
    };

/** One compiled rule. */
export interface CompiledRule {
  meta: RuleMeta;
  /** Data type of the events the rule runs on (`category:<name>` for a provider-neutral category rule). */
  dataType: string;
  /** A category rule: the data types it runs on. Undefined: just {@link dataType}. */
  dataTypes?: readonly string[] | undefined;
  /** Lower-cased action names (CloudTrail eventName) the rule can match, or null for any. */
  actions: Set<string> | null;
  /** The rule's condition (for stateful rules: which events the state machine sees). */
  match: Pred;
  stateful?: StatefulSpec | undefined;
  /** Summary template (`{field}` placeholders), when the rule gives one. */
  summary?: string | undefined;
  /** Whether evaluating the condition can read the raw record (summary placeholders aside). */
  readsRaw: boolean;
  /**
   * `irctl.attempts`: what a failed event (outcome failure) that matches is shown as: the rule one severity level
   * lower, its title marked as an attempt. Undefined: failures are hits like any other (or excluded by the condition).
   */
  attemptMeta?: RuleMeta | undefined;
  /**
   * `irctl.finding`: the rule reports another product's findings, and a hit takes the severity and techniques the
   * finding states (SourceAdapter.finding). Undefined when the record says none: the rule's own meta applies.
   */
  findingMeta?: ((input: DetectInput) => RuleMeta | undefined) | undefined;
  /** Field getters by name, for summary placeholders. */
  getter: (name: string) => FieldGetter;
}
