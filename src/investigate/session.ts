/**
 * One engine's tool session: runs tools, answers duplicate calls from a cache, keeps the ledger of evidence ids the
 * tools returned (what a verdict may cite) and the transcript steps (tool, arguments, result hash).
 */
import { canonicalJson, sha256Hex } from '../util/hash.js';
import { runTool, type ToolEnv } from './tools.js';
import type { EvidenceKind, InjectionFlag, ToolResult, TranscriptStep } from './types.js';

/** A tool answer with its hash and whether it came from the cache. */
export interface SessionAnswer {
  result: ToolResult;
  sha256: string;
  cached: boolean;
  /** Evidence ids this call added to the ledger (empty for a cached or repetitive answer). */
  added: string[];
}

/** Per-engine tool session. */
export class ToolSession {
  /** Evidence id -> kind, for every id a tool returned in this session. */
  readonly ledger = new Map<string, EvidenceKind>();
  /** Transcript steps. */
  readonly steps: TranscriptStep[] = [];
  /** Tool results by hash (stored with the transcript so a run can be replayed). */
  readonly results: Record<string, ToolResult> = {};
  private readonly cache = new Map<string, SessionAnswer>();
  private readonly flags = new Map<string, InjectionFlag>();

  private readonly env: ToolEnv;

  constructor(env: ToolEnv) {
    this.env = env;
  }

  /** Run a tool (or answer from the cache). Throws ToolArgumentError for bad arguments, after recording the step. */
  call(name: string, args: unknown): SessionAnswer {
    const key = canonicalJson({ name, args: args ?? {} });
    const hit = this.cache.get(key);
    if (hit) {
      const a: SessionAnswer = { ...hit, cached: true, added: [] };
      this.steps.push({ kind: 'tool', tool: name, args: args as Record<string, unknown>, result_sha256: a.sha256, cached: true, rows: a.result.rows.length, total: a.result.total, truncated: a.result.truncated });
      return a;
    }
    let result: ToolResult;
    try {
      result = runTool(this.env, name, args);
    } catch (err) {
      this.steps.push({ kind: 'tool', tool: name, args: (args ?? {}) as Record<string, unknown>, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    const sha256 = sha256Hex(canonicalJson(result));
    this.results[sha256] = result;
    const added: string[] = [];
    for (const r of result.rows) {
      const prev = this.ledger.get(r.evidence_id);
      // An id seen as baseline stays baseline; otherwise the first kind wins.
      if (prev === undefined) added.push(r.evidence_id);
      if (prev === undefined || (r.evidence_kind === 'baseline' && prev === 'event')) this.ledger.set(r.evidence_id, r.evidence_kind);
      const nested = r.matched_event_ids ?? r.event_ids;
      if (Array.isArray(nested)) for (const id of nested) if (!this.ledger.has(id)) this.ledger.set(id, 'event');
    }
    for (const f of result.injection_flags) this.flags.set(`${f.evidence_id}|${f.field}|${f.pattern}|${f.encoding}`, f);
    const answer: SessionAnswer = { result, sha256, cached: false, added };
    this.cache.set(key, answer);
    this.steps.push({
      kind: 'tool',
      tool: name,
      args: result.args,
      result_sha256: sha256,
      evidence_ids: result.rows.map((r) => r.evidence_id),
      rows: result.rows.length,
      total: result.total,
      truncated: result.truncated,
    });
    return answer;
  }

  /** Every injection flag seen so far. */
  injectionFlags(): InjectionFlag[] {
    return [...this.flags.values()];
  }

  /** Add a notice step. */
  notice(text: string): void {
    this.steps.push({ kind: 'notice', text });
  }
}
