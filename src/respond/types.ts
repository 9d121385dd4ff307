/**
 * The respond stage's provider interface (issue 17): a provider that can contain a threat plans steps from the
 * threat's own evidence (pure) and executes them through a runner loaded lazily (cloud SDKs load only for
 * `contain --execute/--rollback/--status`). Generic code (plan, execute, records) never names a provider.
 * Pure types.
 */
import type { PlanEventRow } from '../store/actions-repo.js';

/** One cloud API call of a step, as planned (params may name values read at execution, in angle brackets). */
export interface PlannedCall {
  /** `<service>:<Operation>`, e.g. `iam:UpdateAccessKey`. */
  api: string;
  /** Request parameters. */
  params: Record<string, unknown>;
}

/** A call as made: with the provider's request id and its result. */
export interface MadeCall extends PlannedCall {
  /** The provider's request id (AWS `x-amzn-RequestId`), when the call reached it. */
  request_id?: string | undefined;
  /** True when the call succeeded. */
  ok: boolean;
  /** Error code and message when it failed. */
  error?: string | undefined;
}

/** Preserve steps (snapshots, metadata capture) run before the contain steps of the same resource and gate them. */
export type StepPhase = 'preserve' | 'contain';

/** Status of a step in a plan or after a run (contract: docs/containment.md). */
export type StepStatus = 'planned' | 'approved' | 'done' | 'skipped' | 'failed' | 'rolled_back';

/** Risk of a step: how bad and what breaks. */
export interface StepRisk {
  level: 'none' | 'low' | 'medium' | 'high';
  /** What stops working (e.g. "the instance's services go offline"). */
  breaks: string;
}

/** What a provider proposes; the generic planner numbers, orders and adds the status. */
export interface StepDraft {
  /** Step kind, e.g. `deactivate-access-key` (the policy in context.yaml names kinds). */
  kind: string;
  /** Provider name (as stored on events). */
  provider: string;
  /** The real identifier acted on (access key id, instance id, ARN). */
  target: string;
  /** The resource whose preserve steps gate this step (several steps may act on one resource). */
  resource: string;
  /** preserve | contain. */
  phase: StepPhase;
  /** Region (or location) the calls go to, when the provider has regions. */
  region?: string | undefined;
  /** One line for humans. */
  title: string;
  /** The exact API calls with parameters (values read at execution in angle brackets). */
  calls: PlannedCall[];
  /** True when `--rollback` can undo it from the recorded before-state. */
  reversible: boolean;
  /** Risk. */
  risk: StepRisk;
  /** How it is undone (null: not reversible, or nothing to undo). */
  rollback: { calls: PlannedCall[]; note: string } | null;
  /** What is checked against the live state just before the step runs. */
  preconditions: string[];
  /** Event ids the step rests on (why). */
  evidence_ids: string[];
  /** Parameters the runner needs (provider-defined, JSON). */
  params: Record<string, unknown>;
}

/** An event of the threat as planners read it: normalized columns plus the raw record (attacker-controlled data). */
export type ThreatEvent = Omit<PlanEventRow, 'resources'> & {
  /** Resource identifiers the event names. */
  resources: string[];
};

/** What a planner is given. */
export interface ThreatEvidence {
  threat_id: string;
  /** The case id (hash of the first custody entry), for tags on preserved copies. */
  case_id: string;
  entities: Array<{ kind: string; value: string }>;
  /** The threat's events of this provider, time order. */
  events: ThreatEvent[];
}

/** A provider's answer: steps and notes (what it cannot plan, and why). */
export interface ProviderPlan {
  steps: StepDraft[];
  notes: string[];
}

/** A step as the runner gets it: the draft plus its plan id. */
export interface RunnableStep extends StepDraft {
  id: string;
}

/** What running (or rolling back) one step came to. */
export interface StepOutcome {
  /** done | skipped (precondition not met, resource gone, state changed) | failed. */
  status: 'done' | 'skipped' | 'failed';
  /** Why skipped or failed. */
  reason?: string | undefined;
  /** Live state read before acting (what rollback restores). */
  before?: unknown;
  /** Live state read after acting (or what was captured, for preserve steps). */
  after?: unknown;
  /** Calls made, with request ids. */
  calls: MadeCall[];
  /**
   * Set when the failure ends the whole run (credentials expired or rejected, endpoint unreachable): the steps after
   * it are not attempted and the command exits 4.
   */
  fatal?: { message: string; hint: string } | undefined;
}

/** The live state of a step's effect (`--status`). */
export interface StepLiveStatus {
  /** True: the containment is in place; false: it is not; null: cannot tell. */
  in_place: boolean | null;
  detail: string;
}

/** How a runner reaches the provider (same flags as collection). */
export interface RunnerOptions {
  env: NodeJS.ProcessEnv;
  profile?: string | undefined;
  roleArn?: string | undefined;
  externalId?: string | undefined;
  /** Azure cloud (`--cloud`, the az CLI names; else IRCTL_AZURE_CLOUD, else AzureCloud). */
  cloud?: string | undefined;
  /** Google Cloud service account to impersonate (`--impersonate-service-account`, as for collect gcp). */
  impersonate?: string | undefined;
  signal: AbortSignal;
  now: () => Date;
  /** Threat and case ids (tags, policy names). */
  threat_id: string;
  case_id: string;
}

/** Executes steps against the provider's APIs. */
export interface StepRunner {
  /** Check preconditions on the live state, read the before-state, act, read the after-state. Never throws for a step's own failure. */
  execute(step: RunnableStep): Promise<StepOutcome>;
  /** Undo a done step from its recorded before-state. */
  rollback(step: RunnableStep, before: unknown): Promise<StepOutcome>;
  /** Re-read the provider: is the step's effect still in place? */
  status(step: RunnableStep): Promise<StepLiveStatus>;
  /** Release clients. */
  close(): void;
}

/** Containment support of one provider (the optional `containment` member of a provider). */
export interface ContainmentSupport {
  /** Step kinds this provider plans, for docs and the context.yaml policy. */
  kinds: ReadonlyArray<{ kind: string; phase: StepPhase; reversible: boolean; description: string }>;
  /** Plan from the threat's evidence (pure: no network, no clock). */
  plan(evidence: ThreatEvidence): ProviderPlan;
  /** Load the runner (imports the cloud SDKs). */
  runner(opts: RunnerOptions): Promise<StepRunner>;
}
