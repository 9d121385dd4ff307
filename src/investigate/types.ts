/**
 * Types shared by the investigation stage: tools, engines, checks and the result object that
 * `irctl investigate --json` prints. Pure types and constants only.
 */

/** The five verdicts (design.md "Investigation"). */
export const VERDICTS = ['malicious', 'security_test', 'planned_action', 'not_malicious', 'inconclusive'] as const;
/** A verdict. */
export type Verdict = (typeof VERDICTS)[number];
/** Verdicts that clear a threat: they need operator context or behavioural evidence (checks.ts). */
export const BENIGN_VERDICTS: ReadonlySet<Verdict> = new Set(['security_test', 'planned_action', 'not_malicious']);

/** Type guard for a verdict string. */
export function isVerdict(v: unknown): v is Verdict {
  return typeof v === 'string' && (VERDICTS as readonly string[]).includes(v);
}

/**
 * What an evidence id points at. Event ids are the store's event ids; the other kinds are prefixed:
 * `det:<fingerprint>`, `ctx:<path>`, `inv:<investigation id>`, `ovr:<override id>`, `threat:<T-n>`.
 * `baseline` is an event id returned as part of a principal's history before the threat (behavioural evidence).
 */
export type EvidenceKind = 'event' | 'baseline' | 'detection' | 'threat' | 'context' | 'investigation' | 'override';

/** One row of a tool result. Field values other than `evidence_id`/`evidence_kind` are untrusted log data. */
export interface ToolRow {
  /** The id a claim cites. */
  evidence_id: string;
  /** What the id points at. */
  evidence_kind: EvidenceKind;
  /** Other fields: primitive values, strings capped by the tool. */
  [field: string]: string | number | boolean | null | string[];
}

/** An instruction-like text found in log data: recorded as evidence, never followed. */
export interface InjectionFlag {
  /** Row it was found in (for a payload split across rows: the first; `evidence_ids` has all). */
  evidence_id: string;
  /** All rows that carry (part of) the payload. */
  evidence_ids: string[];
  /** Field name, e.g. `user_agent`, `request_parameters`; fields joined for a split payload as `a+b`. */
  field: string;
  /**
   * How it was hidden (the first reading that revealed it): plain text; `invisible` (zero-width, bidi, tag
   * characters, variation selectors); `unicode` (fullwidth and other NFKC forms); `homoglyph` (look-alike letters of
   * other scripts); `url`, `html`, `escape` (backslash escapes), `markup` (tags or comments), `base64`, `rot13`,
   * `spacing` (letters spelled one by one); `split` (joined across fields or events: `field` names them, `a+b`).
   */
  encoding: 'plain' | 'invisible' | 'unicode' | 'homoglyph' | 'url' | 'html' | 'escape' | 'markup' | 'base64' | 'rot13' | 'spacing' | 'split';
  /** Which pattern matched (a short name). */
  pattern: string;
  /** The matching text, sanitized and capped (for display). */
  excerpt: string;
}

/** A tool's answer. `facts` are computed by code from the rows (counts, sets, booleans); rows are raw data. */
export interface ToolResult {
  /** Tool name. */
  tool: ToolName;
  /** Arguments actually used (after defaults). */
  args: Record<string, unknown>;
  /** Always present: tells the model and the reader that row values are untrusted data. */
  data_notice: string;
  /** One line describing the answer, written by code. */
  summary: string;
  /** Rows, capped. */
  rows: ToolRow[];
  /** Rows available before the cap. */
  total: number;
  /** True when rows (or long values) were cut to fit the cap. */
  truncated: boolean;
  /** Computed facts for scoring and display. */
  facts: Record<string, unknown>;
  /** Injection flags found in this result's rows. */
  injection_flags: InjectionFlag[];
}

/** Names of the read-only tools. */
export const TOOL_NAMES = [
  'get_threat',
  'search_events',
  'entity_profile',
  'related_entities',
  'timeline',
  'log_coverage',
  'operator_context',
  'asset_context',
  'past_investigations',
] as const;
/** A tool name. */
export type ToolName = (typeof TOOL_NAMES)[number];

/** A rationale claim: every claim cites evidence ids returned by a tool in this run. */
export interface Claim {
  /** The claim, one sentence. */
  claim: string;
  /** Evidence ids it rests on. */
  evidence_ids: string[];
}

/** How an answer moved the assessment (deterministic engine; the model's steps carry `note`). */
export interface AssessmentMove {
  /** Signal name from the scoring table (docs/investigate.md). */
  signal: string;
  /** Points toward malicious (+) or away (-). */
  malice: number;
  /** Which benign verdict this answer supports, if any. */
  supports?: Verdict | undefined;
  /** Human explanation. */
  note: string;
}

/** One question of the loop. */
export interface Question {
  /** The question asked. */
  question: string;
  /** Tool that answered it. */
  tool: ToolName;
  /** Tool arguments. */
  args: Record<string, unknown>;
  /** Answer in one or two sentences (written by code or the model; for the model de-pseudonymized). */
  answer: string;
  /** Evidence ids behind the answer. */
  evidence_ids: string[];
  /** Rows returned / rows available / whether cut. */
  rows: number;
  total: number;
  truncated: boolean;
  /** SHA-256 of the canonical tool result. */
  result_sha256: string;
  /** How this answer moved the assessment. */
  moves: AssessmentMove[];
  /** Running malice score after this question (deterministic engine). */
  score_after?: number | undefined;
  /** Answered from the per-run cache (a duplicate call). */
  cached?: boolean | undefined;
}

/** Result of one check in code (checks.ts). */
export interface CheckOutcome {
  /** Check name. */
  check: string;
  /** passed | adjusted (the verdict or confidence was changed) | failed. */
  status: 'passed' | 'adjusted' | 'failed';
  /** What was found and done. */
  detail: string;
}

/** Token use and cost of a model run. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  requests: number;
  /** Estimated cost in USD (list price table in llm-client.ts), null when the model is not in the table. */
  cost_usd: number | null;
}

/**
 * The model's proposal as the model wrote it (pseudonyms mapped back). When the checks in code reject it, this is the
 * only place its words are kept: the result's summary and rationale are then the code's (checks.ts `settle`).
 */
export interface ModelVerdict {
  verdict: Verdict;
  confidence: number;
  /** `accepted`: the verdict stands (confidence may be lowered, claims dropped); `rejected`: the checks changed it. Absent in runs stored before it was recorded. */
  status?: 'accepted' | 'rejected' | undefined;
  /** The model's summary. */
  summary?: string | undefined;
  /** The model's claims, as proposed. */
  rationale?: Claim[] | undefined;
  /** The model's list of missing evidence. */
  missing_evidence?: string[] | undefined;
  /** The checks that rejected it, with what they found (when rejected). */
  rejected_by?: CheckOutcome[] | undefined;
}

/** The object `irctl investigate --json` prints (and stores in `investigations.result`). */
export interface InvestigationResult {
  /** Stored investigation id (uuid). */
  investigation_id: string;
  /** Threat id (T-3). */
  threat_id: string;
  /** Final verdict after checks. */
  verdict: Verdict;
  /** 0..1 confidence in the verdict. */
  confidence: number;
  /** Short summary. */
  summary: string;
  /** Claims with evidence ids. */
  rationale: Claim[];
  /** The questions asked and their answers. */
  questions: Question[];
  /** Evidence that would change or firm up the verdict, and is not in the case. */
  missing_evidence: string[];
  /** Instruction-like text found in log data. */
  injection_flags: InjectionFlag[];
  /** `deterministic` or `claude:<model>` (with provider when not anthropic: `claude-bedrock:<model>`). */
  engine: string;
  /** Notices shown to the operator (fallbacks, budgets). */
  notices: string[];
  /** Checks in code and what they did. */
  checks: CheckOutcome[];
  /** The deterministic engine's verdict, always computed (baseline for the model). */
  baseline_verdict: { verdict: Verdict; confidence: number };
  /** What the model proposed before checks (Claude engine only). */
  model_verdict?: ModelVerdict | undefined;
  /** Token use (Claude engine only). */
  usage?: Usage | undefined;
  /** The threat as investigated. */
  threat: { title: string; severity: string; first_seen: string; last_seen: string; techniques: string[]; rule_ids: string[]; principals: string[] };
  /** When the run started and finished (UTC). */
  started_at: string;
  finished_at: string;
}

/** One step of the stored transcript. */
export interface TranscriptStep {
  /** `tool` (a tool call), `model` (a model turn), `notice`. */
  kind: 'tool' | 'model' | 'notice';
  /** Tool name for tool steps. */
  tool?: string | undefined;
  /** Tool arguments (real values, not pseudonyms). */
  args?: Record<string, unknown> | undefined;
  /** SHA-256 of the canonical tool result. */
  result_sha256?: string | undefined;
  /** Evidence ids the tool returned. */
  evidence_ids?: string[] | undefined;
  /** Rows / total / truncated. */
  rows?: number | undefined;
  total?: number | undefined;
  truncated?: boolean | undefined;
  /** Duplicate answered from cache. */
  cached?: boolean | undefined;
  /** Error given back to the model (bad arguments, unknown tool). */
  error?: string | undefined;
  /** Model turn: stop reason and token use. */
  stop_reason?: string | undefined;
  input_tokens?: number | undefined;
  output_tokens?: number | undefined;
  /** Free text (notice or model text, pseudonymized as sent/received). */
  text?: string | undefined;
}

/** The stored transcript. */
export interface Transcript {
  /** Engine whose verdict was used. */
  engine: string;
  /** Each engine's steps (the deterministic engine always runs; the model run follows when used). */
  runs: Array<{ engine: string; steps: TranscriptStep[] }>;
  /** The full tool results by SHA-256 (so a run can be replayed and re-checked without the model). */
  results: Record<string, ToolResult>;
  /** Token use of the model run. */
  usage?: Usage | undefined;
}
