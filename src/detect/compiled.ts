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
      type: 'spike';
      groupBy: FieldGetter[];
      groupNames: string[];
      /** A numeric field (token counts, bytes): an event fires when its value is far above the group's own earlier ones. */
      value: { name: string; get: FieldGetter };
      /** The value must be at least this many times the mean of the group's earlier (non-spike) values... */
      factor: number;
      /** ...and at least this large (a small absolute jump is not a spike). */
      minValue: number;
      /** The group must have this many earlier events... */
      minEvents: number;
      /** ...spanning at least this long. */
      minAgeMs: number;
      /** Spikes within this time of the previous one extend its detection. */
      windowMs: number;
    }
  | {
      type: 'shared_value';
      groupBy: FieldGetter[];
      groupNames: string[];
      value: { name: string; get: FieldGetter };
      left: Pred;
      right: Pred;
      windowMs: number;
    }
  | {
      type: 'travel';
      groupBy: FieldGetter[];
      groupNames: string[];
      /** Latitude and longitude (decimal degrees) of each event. */
      latitude: { name: string; get: FieldGetter };
      longitude: { name: string; get: FieldGetter };
      /** Speed (km/h) above which two events of the group cannot both be genuine. */
      maxSpeedKmh: number;
      /** Distances below this (km) are never travel (geolocation noise). */
      minDistanceKm: number;
      /** Only events at most this far apart are compared. */
      windowMs: number;
      /** Without coordinates: a place field (e.g. a country) that must not change within {@link fallbackWindowMs}. */
      fallback?: { name: string; get: FieldGetter } | undefined;
      fallbackWindowMs: number;
    };

/** One compiled rule. */
export interface CompiledRule {
  meta: RuleMeta;
  /** Data type of the events the rule runs on (the rule's Sigma `logsource`; `category:<name>` for a provider-neutral category rule). */
  dataType: string;
  /**
   * Every data type the rule runs on: {@link dataType}'s own (a category rule: each data type of the category), plus
   * those of `irctl.logsources` (multi-source rules, e.g. a sign-in followed by a change in another log). One
   * stateful evaluator sees the events of all of them.
   */
  dataTypes: string[];
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
