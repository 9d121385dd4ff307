/**
 * The investigation stage: picks the engine, runs the deterministic engine (always: it is the fallback and the
 * baseline), runs Claude when configured, applies the checks in code, stores the run (append-only) with a custody
 * entry, and returns the result object `irctl investigate --json` prints.
 */
import { loadContext, type OperatorContext } from '../context/context.js';
import { UsageError } from '../errors.js';
import type { CaseHandle } from '../case/case.js';
import {
  caseEntityValues,
  eventActors,
  existingDetectionFingerprints,
  existingEventIds,
  existingInvestigationIds,
  getThreatRecord,
  insertInvestigation,
  listThreatIds,
  threatCount,
  type ThreatRecord,
} from '../store/investigate-repo.js';
import type { ChainHead } from '../store/custody.js';
import { sha256Hex } from '../util/hash.js';
import { actorNamesOf } from './actor-names.js';
import { checkVerdict, settle } from './checks.js';
import { firstRequest, modelView, runClaude, type ClaudeOutcome } from './engine-claude.js';
import { runDeterministic } from './engine-deterministic.js';
import { DEFAULT_MODEL, LlmUnavailableError, createLlmClient, type LlmClient, type LlmProvider, type LlmRequest, type LlmSettings } from './llm-client.js';
import { Pseudonymizer } from './pseudonymize.js';
import { ToolSession } from './session.js';
import { DEFAULT_CAPS, type ToolEnv } from './tools.js';
import type { InjectionFlag, InvestigationResult, Transcript } from './types.js';

/** Options of one investigation. */
export interface InvestigateOptions {
  /** Threat id as typed (T-3, t-3, 3). */
  threatId: string;
  /** Never contact a model. */
  offline: boolean;
  /** --provider. */
  provider?: string | undefined;
  /** --model. */
  model?: string | undefined;
  /** --region (Bedrock / Vertex). */
  region?: string | undefined;
  /** --project (Vertex). */
  project?: string | undefined;
  /** --max-steps. */
  maxSteps?: number | undefined;
  /** Print what would be sent and send nothing. */
  showPayload: boolean;
}

/** What the stage needs from the outside. */
export interface AgentDeps {
  env: NodeJS.ProcessEnv;
  now: () => Date;
  signal: AbortSignal;
  /** New uuid. */
  newId: () => string;
  /** Diagnostics to stderr. */
  notify: (level: 'info' | 'warn', code: string, message: string) => void;
  /** Progress text (TTY only). */
  progress?: ((text: string) => void) | undefined;
  /** Tests inject a client; default builds the SDK client. */
  clientFactory?: ((s: LlmSettings) => Promise<LlmClient>) | undefined;
}

/** The payload `--show-payload` prints. */
export interface PayloadPreview {
  sent: false;
  threat_id: string;
  engine: string;
  provider: LlmProvider | null;
  endpoint: string | null;
  /** The first request exactly as it would be sent (pseudonymized), or null when nothing would be sent. */
  request: LlmRequest | null;
  /** Tool results the model would receive for the standard questions, pseudonymized the same way. */
  tool_results: unknown[];
  /** How many values were replaced by pseudonyms (the mapping itself stays on this machine). */
  pseudonyms: number;
  note: string;
}

/** Outcome of a run. */
export type InvestigateOutcome =
  | { kind: 'payload'; payload: PayloadPreview }
  | { kind: 'result'; result: InvestigationResult; resultText: string; transcript: Transcript; sha256: string; head: ChainHead };

/** `T-3`, `t-3` and `3` all name threat T-3. */
export function normalizeThreatId(s: string): string {
  const m = /^(?:t-?)?(\d+)$/i.exec(s.trim());
  return m ? `T-${m[1]}` : s.trim();
}

/** Resolve the engine settings: flags > IRCTL_* env > defaults. Returns undefined for the deterministic engine. */
export function resolveLlmSettings(o: InvestigateOptions, env: NodeJS.ProcessEnv): { settings: LlmSettings | undefined; reason: string } {
  if (o.offline) return { settings: undefined, reason: '--offline: deterministic engine, nothing is sent' };
  const p = (o.provider ?? env.IRCTL_PROVIDER)?.toLowerCase();
  if (p !== undefined && p !== 'anthropic' && p !== 'bedrock' && p !== 'vertex') {
    throw new UsageError(`--provider ${p} is not supported`, { hint: 'Use anthropic, bedrock or vertex (or --offline).' });
  }
  const num = (v: string | undefined, dflt: number, name: string): number => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}=${v} is not a whole number`);
    return n;
  };
  const timeoutMs = num(env.IRCTL_LLM_TIMEOUT_MS, 60_000, 'IRCTL_LLM_TIMEOUT_MS');
  const maxRetries = num(env.IRCTL_LLM_MAX_RETRIES, 1, 'IRCTL_LLM_MAX_RETRIES');
  const model = o.model ?? env.IRCTL_MODEL;
  if (p === 'bedrock') {
    return {
      settings: {
        provider: 'bedrock',
        model: model ?? 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
        region: o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
        baseURL: env.ANTHROPIC_BEDROCK_BASE_URL,
        timeoutMs,
        maxRetries,
      },
      reason: 'Claude on Amazon Bedrock',
    };
  }
  if (p === 'vertex') {
    return {
      settings: {
        provider: 'vertex',
        model: model ?? 'claude-sonnet-4-5@20250929',
        region: o.region ?? env.CLOUD_ML_REGION,
        projectId: o.project ?? env.ANTHROPIC_VERTEX_PROJECT_ID,
        baseURL: env.ANTHROPIC_VERTEX_BASE_URL,
        timeoutMs,
        maxRetries,
      },
      reason: 'Claude on Google Vertex AI',
    };
  }
  const apiKey = env.ANTHROPIC_API_KEY;
  if (!apiKey) {
    if (p === 'anthropic') throw new UsageError('--provider anthropic needs ANTHROPIC_API_KEY', { hint: 'Set ANTHROPIC_API_KEY, or use --offline for the deterministic engine.' });
    return { settings: undefined, reason: 'no ANTHROPIC_API_KEY (and no --provider bedrock|vertex): using the deterministic engine; nothing was sent' };
  }
  return { settings: { provider: 'anthropic', model: model ?? DEFAULT_MODEL, apiKey, baseURL: env.ANTHROPIC_BASE_URL, timeoutMs, maxRetries }, reason: 'Claude (Anthropic API)' };
}

function engineName(s: LlmSettings): string {
  return s.provider === 'anthropic' ? `claude:${s.model}` : `claude-${s.provider}:${s.model}`;
}

function contextIds(ctx: OperatorContext): Set<string> {
  const ids = new Set<string>();
  ctx.change_windows.forEach((_, i) => ids.add(`ctx:change_windows[${i}]`));
  ctx.red_team.user_agent_markers.forEach((_, i) => ids.add(`ctx:red_team.user_agent_markers[${i}]`));
  ctx.red_team.principals.forEach((_, i) => ids.add(`ctx:red_team.principals[${i}]`));
  ctx.red_team.source_ips.forEach((_, i) => ids.add(`ctx:red_team.source_ips[${i}]`));
  ctx.automation_principals.forEach((_, i) => ids.add(`ctx:automation_principals[${i}]`));
  ctx.crown_jewels.forEach((_, i) => ids.add(`ctx:crown_jewels[${i}]`));
  if (ctx.incident.aware_at) ids.add('ctx:incident.aware_at');
  return ids;
}

/** Build the existence check over the store and the context. */
function existsIn(kase: CaseHandle, ctx: OperatorContext): (ids: readonly string[]) => Set<string> {
  const ctxIds = contextIds(ctx);
  return (ids) => {
    const out = new Set<string>();
    const det = ids.filter((i) => i.startsWith('det:'));
    const inv = ids.filter((i) => i.startsWith('inv:'));
    const ctxs = ids.filter((i) => i.startsWith('ctx:'));
    const events = ids.filter((i) => !i.startsWith('det:') && !i.startsWith('inv:') && !i.startsWith('ctx:'));
    for (const p of existingDetectionFingerprints(kase.db, det.map((d) => d.slice(4)))) out.add(`det:${p}`);
    for (const i of existingInvestigationIds(kase.db, inv.map((d) => d.slice(4)))) out.add(`inv:${i}`);
    for (const c of ctxs) if (ctxIds.has(c)) out.add(c);
    for (const e of existingEventIds(kase.db, events)) out.add(e);
    return out;
  };
}

/** The names each event's actor goes by, for the attribution check (ids that are not events are left out). */
function actorNamesIn(kase: CaseHandle): (ids: readonly string[]) => Map<string, string[]> {
  return (ids) => {
    const events = ids.filter((i) => !i.startsWith('det:') && !i.startsWith('inv:') && !i.startsWith('ctx:'));
    return new Map(eventActors(kase.db, events).map((r) => [r.id, actorNamesOf(r)]));
  };
}

/** Find the threat or explain what to do. */
export function requireThreat(kase: CaseHandle, typed: string): ThreatRecord {
  const id = normalizeThreatId(typed);
  const t = getThreatRecord(kase.db, id);
  if (t) return t;
  const n = threatCount(kase.db);
  if (n === 0) throw new UsageError(`no threat ${id}: this case has no threats yet`, { hint: 'Run `irctl detect` to build threats from the events, then `irctl threats` to list them.' });
  throw new UsageError(`no threat ${id} in this case`, { hint: `Known threats: ${listThreatIds(kase.db, 10).join(', ')}${n > 10 ? ', ...' : ''} (\`irctl threats\` lists them).` });
}

/** The first user message of a model run (before pseudonymization). */
export function briefOf(t: ThreatRecord): string {
  return [
    `Investigate threat ${t.id}: "${t.title}".`,
    `Severity ${t.severity}; ${t.detection_count} detection(s); first seen ${t.first_seen}, last seen ${t.last_seen}.`,
    t.techniques.length > 0 ? `Techniques: ${t.techniques.join(', ')}.` : '',
    'Start with get_threat, then ask your questions with the tools, then call submit_verdict.',
  ]
    .filter((s) => s !== '')
    .join('\n');
}

/**
 * A pseudonymizer that knows every identifier of the case before anything is sent (docs/investigate.md "What is
 * sent where"): the case's entities, the threat's, and the principals, addresses and resources the operator named
 * in context.yaml (the operator_context tool shows them).
 */
export function casePseudonymizer(kase: CaseHandle, threat: ThreatRecord, ctx: OperatorContext): Pseudonymizer {
  const p = new Pseudonymizer();
  p.learn(caseEntityValues(kase.db));
  p.learn(threat.entities);
  const named = (kind: string, values: readonly string[]): Array<{ kind: string; value: string }> => values.map((value) => ({ kind, value }));
  p.learn([
    ...named('principal', [...ctx.red_team.principals, ...ctx.automation_principals, ...ctx.change_windows.flatMap((w) => w.principals)]),
    ...named('ip', ctx.red_team.source_ips),
    ...named('resource', ctx.crown_jewels),
  ]);
  return p;
}

/** Open the tool environment of a threat. */
export function toolEnv(kase: CaseHandle, threat: ThreatRecord, context: OperatorContext): ToolEnv {
  return { db: kase.db, threat, context, caps: DEFAULT_CAPS, memo: new Map() };
}

/** Run one investigation. */
export async function investigate(kase: CaseHandle, o: InvestigateOptions, deps: AgentDeps): Promise<InvestigateOutcome> {
  const threat = requireThreat(kase, o.threatId);
  const { context, warnings } = loadContext(kase.contextPath);
  for (const w of warnings) deps.notify('warn', 'IRCTL_INVESTIGATE_W5001', w);
  const startedAt = deps.now();
  const { settings, reason } = resolveLlmSettings(o, deps.env);
  const notices: string[] = [];
  if (!settings && !o.offline) {
    notices.push(reason);
    deps.notify('info', 'IRCTL_INVESTIGATE_I5002', reason);
  }

  // The deterministic engine always runs: fallback and baseline.
  deps.progress?.('deterministic engine: asking the standard questions');
  const detSession = new ToolSession(toolEnv(kase, threat, context));
  const det = runDeterministic(detSession, threat.id);
  const exists = existsIn(kase, context);
  const actorNames = actorNamesIn(kase);

  if (o.showPayload) {
    const pseudo = casePseudonymizer(kase, threat, context);
    const request = settings ? firstRequest(settings.model, 2048, briefOf(threat), pseudo) : null;
    const toolResults = settings ? Object.values(detSession.results).map((r) => pseudo.value(modelView(r))) : [];
    return {
      kind: 'payload',
      payload: {
        sent: false,
        threat_id: threat.id,
        engine: settings ? engineName(settings) : 'deterministic',
        provider: settings?.provider ?? null,
        endpoint: settings ? (settings.baseURL ?? (settings.provider === 'anthropic' ? 'https://api.anthropic.com' : `${settings.provider} (${settings.region ?? 'default region'})`)) : null,
        request,
        tool_results: toolResults,
        pseudonyms: pseudo.mapping().length,
        note: settings
          ? 'Nothing was sent. This is the first request exactly as it would be sent; later turns carry tool results like tool_results, pseudonymized the same way. The pseudonym mapping stays on this machine.'
          : `Nothing would be sent: ${reason}.`,
      },
    };
  }

  let engine = 'deterministic';
  let claude: ClaudeOutcome | undefined;
  let claudeSession: ToolSession | undefined;
  if (settings) {
    claudeSession = new ToolSession(toolEnv(kase, threat, context));
    try {
      const client = await (deps.clientFactory ?? createLlmClient)(settings);
      claude = await runClaude(claudeSession, casePseudonymizer(kase, threat, context), briefOf(threat), {
        client,
        model: settings.model,
        maxSteps: o.maxSteps ?? 12,
        tokenBudget: 150_000,
        maxTokens: 2048,
        signal: deps.signal,
        onProgress: deps.progress,
      });
      engine = engineName(settings);
    } catch (err) {
      if (!(err instanceof LlmUnavailableError)) throw err;
      const msg = `${engineName(settings)} unavailable (${err.kind}): ${err.message}; the verdict below comes from the deterministic engine`;
      notices.push(msg);
      deps.notify('warn', 'IRCTL_INVESTIGATE_W5003', msg);
      claudeSession.notice(msg);
    }
  }

  const flagMap = new Map<string, InjectionFlag>();
  for (const f of [...detSession.injectionFlags(), ...(claudeSession?.injectionFlags() ?? [])]) flagMap.set(`${f.evidence_id}|${f.field}|${f.pattern}|${f.encoding}`, f);
  const injectionFlags = [...flagMap.values()];

  const detChecked = checkVerdict({ proposal: det.proposal, ledger: detSession.ledger, exists, actorNames, coverageMissing: det.coverageMissing, injectionFlags });
  const detSettled = settle(det.proposal, detChecked);
  let final = detChecked;
  let settled = detSettled;
  if (claude && claudeSession) {
    final = checkVerdict({
      proposal: claude.proposal,
      ledger: claudeSession.ledger,
      exists,
      actorNames,
      coverageMissing: det.coverageMissing,
      injectionFlags,
      baseline: { verdict: detChecked.verdict, confidence: detChecked.confidence },
    });
    // A rejected proposal's words (summary, claims, missing evidence) are kept only in model_verdict.
    settled = settle(claude.proposal, final, { verdict: detChecked.verdict, summary: detSettled.summary, rationale: detSettled.rationale });
  }
  const finishedAt = deps.now();
  const id = deps.newId();
  const missing = [
    ...new Set(
      claude
        ? [...(settled.rejected ? [] : claude.proposal.missing_evidence), ...final.missing_evidence, ...det.proposal.missing_evidence]
        : [...det.proposal.missing_evidence, ...final.missing_evidence],
    ),
  ];
  const result: InvestigationResult = {
    investigation_id: id,
    threat_id: threat.id,
    verdict: final.verdict,
    confidence: final.confidence,
    summary: settled.summary,
    rationale: settled.rationale,
    questions: claude ? claude.questions : det.questions,
    missing_evidence: missing,
    injection_flags: injectionFlags,
    engine,
    notices,
    checks: final.checks,
    baseline_verdict: { verdict: detChecked.verdict, confidence: detChecked.confidence },
    ...(claude
      ? {
          model_verdict: {
            verdict: claude.proposal.verdict,
            confidence: claude.proposal.confidence,
            status: settled.rejected ? ('rejected' as const) : ('accepted' as const),
            summary: claude.proposal.summary,
            rationale: claude.proposal.rationale,
            missing_evidence: claude.proposal.missing_evidence,
            ...(settled.rejected ? { rejected_by: final.rejected_by } : {}),
          },
          usage: claude.usage,
        }
      : {}),
    threat: {
      title: threat.title,
      severity: threat.severity,
      first_seen: threat.first_seen,
      last_seen: threat.last_seen,
      techniques: threat.techniques,
      rule_ids: ((det.questions[0] && detSession.results[det.questions[0].result_sha256]?.facts.rule_ids) as string[] | undefined) ?? [],
      principals: Object.keys((det.questions[0] && (detSession.results[det.questions[0].result_sha256]?.facts.principals as Record<string, number> | undefined)) ?? {}),
    },
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
  };
  const transcript: Transcript = {
    engine,
    runs: [
      { engine: 'deterministic', steps: detSession.steps },
      ...(claudeSession && settings ? [{ engine: engineName(settings), steps: claudeSession.steps }] : []),
    ],
    results: { ...detSession.results, ...(claudeSession?.results ?? {}) },
    ...(claude ? { usage: claude.usage } : {}),
  };
  const resultText = JSON.stringify(result);
  const transcriptText = JSON.stringify(transcript);
  const sha256 = sha256Hex(`${resultText}\n${transcriptText}`);
  const head = insertInvestigation(
    kase.db,
    {
      id,
      threat_id: threat.id,
      started_at: result.started_at,
      finished_at: result.finished_at,
      engine,
      verdict: result.verdict,
      confidence: result.confidence,
      result: resultText,
      transcript: transcriptText,
      sha256,
    },
    {
      run_id: id,
      details: {
        threat_id: threat.id,
        investigation_id: id,
        engine,
        verdict: result.verdict,
        confidence: result.confidence,
        result_sha256: sha256Hex(resultText),
        record_sha256: sha256,
        sent_to_model: settings !== undefined,
      },
    },
    kase.provenance,
    finishedAt,
  );
  return { kind: 'result', result, resultText, transcript, sha256, head };
}
