/**
 * The deterministic engine: a fixed plan of the questions a seasoned responder asks, each answered by a read-only
 * tool, and an explicit scoring table that maps the answers to a verdict and a confidence (docs/investigate.md
 * "Scoring"). No network, no randomness: the same evidence gives the same verdict. It is the fallback when the
 * model is unavailable and the baseline the model is measured against.
 */
import { readableSpan } from '../util/time.js';
import type { Proposal } from './checks.js';
import type { SessionAnswer, ToolSession } from './session.js';
import type { ContextFacts, CoverageFacts, ProfileFacts, ThreatFacts } from './tools.js';
import type { AssessmentMove, Claim, Question, ToolName, ToolRow, Verdict } from './types.js';

/** Points per detection severity (the highest among the threat's detections). */
export const SEVERITY_POINTS: Record<string, number> = { informational: 0, low: 0.5, medium: 1, high: 2, critical: 3 };

/** The scoring table: malice points per signal (negative = away from malicious). */
export const SCORE = {
  manyRules: 1,
  failures: 1,
  newAction: 1,
  newSource: 1,
  newUserAgent: 0.5,
  routine: -2,
  tamperByThreat: 2,
  crownJewel: 1,
  automation: -1,
  injection: 1,
  familiar: -1,
} as const;

/**
 * Tactics whose detections show harm when the threat also changed something (persistence created, privilege gained,
 * logging or defences weakened, data destroyed) or read what they name (credentials, data collected or moved out).
 */
const HARM_TACTICS_WRITE = new Set(['persistence', 'privilege-escalation', 'defense-evasion', 'impact', 'exfiltration']);
const HARM_TACTICS_READ = new Set(['credential-access', 'collection', 'exfiltration']);
/**
 * Tactics that show compromise when a runtime sensor saw them happen on a workload (a process ran, a connection was
 * made): unlike an API call, which may be routine for its principal, such an observation is itself the harm.
 */
const OBSERVED_TACTICS = new Set(['execution', 'command-and-control', 'privilege-escalation', 'credential-access']);
/** Layers whose events are observations of a workload's own behaviour. */
const OBSERVED_LAYERS = new Set(['workload']);

/** Thresholds. */
export const THRESHOLDS = {
  /** Score at or above which the verdict is malicious. */
  malicious: 3,
  /** Prior events needed before a principal has a usable baseline. */
  baselineEvents: 5,
  /** Prior occurrences of an action for it to count as routine. */
  routineCount: 3,
  /** Failed calls among the threat's events that count as probing. */
  failures: 3,
  /** Distinct rules in one threat that count as a multi-stage pattern. */
  manyRules: 3,
} as const;

/** A threat spanning at least this long may be its own baseline (recurring behaviour). */
export const RECURRING_SPAN_MS = 7 * 86_400_000;

/** What the engine produced. */
export interface DeterministicOutcome {
  proposal: Proposal;
  questions: Question[];
  coverageMissing: boolean;
  score: number;
}

const LABEL: Record<Verdict, string> = {
  malicious: 'Malicious',
  security_test: 'Security test',
  planned_action: 'Planned action',
  not_malicious: 'Not malicious',
  inconclusive: 'Inconclusive',
};

/** Display label of a verdict. */
export function verdictLabel(v: Verdict): string {
  return LABEL[v];
}

const short = (s: string, n = 80): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const fmtPts = (n: number): string => (n > 0 ? `+${n}` : `${n}`);

function eventRowsOf(a: SessionAnswer): ToolRow[] {
  return a.result.rows.filter((r) => r.evidence_kind === 'event');
}

function actionName(r: ToolRow): string {
  const a = typeof r.action === 'string' ? r.action : '';
  const i = a.indexOf(':');
  return i >= 0 ? a.slice(i + 1) : a;
}

/** Run the fixed plan. */
export function runDeterministic(session: ToolSession, threatId: string): DeterministicOutcome {
  const questions: Question[] = [];
  const missing: string[] = [];
  const supports = new Map<Verdict, Claim[]>();
  const maliceClaims: Claim[] = [];
  const infoClaims: Claim[] = [];
  let score = 0;
  let tamperByThreat = false;
  // Indicators of compromise or harm beyond a rule firing: `malicious` needs at least one (severity is a prior).
  const harm: string[] = [];
  let familiar = false;

  const ask = (question: string, tool: ToolName, args: Record<string, unknown>, analyse: (a: SessionAnswer) => { answer: string; evidence: string[]; moves: AssessmentMove[]; claims?: Claim[] }): SessionAnswer => {
    const a = session.call(tool, args);
    const r = analyse(a);
    for (const m of r.moves) {
      score += m.malice;
      const claim: Claim = { claim: m.note, evidence_ids: r.evidence.slice(0, 12) };
      if (m.supports) {
        const list = supports.get(m.supports) ?? [];
        list.push(claim);
        supports.set(m.supports, list);
      } else if (m.malice > 0 && claim.evidence_ids.length > 0) maliceClaims.push(claim);
    }
    for (const c of r.claims ?? []) if (c.evidence_ids.length > 0) infoClaims.push(c);
    questions.push({
      question,
      tool,
      args: a.result.args,
      answer: r.answer,
      evidence_ids: [...new Set(r.evidence)].slice(0, 20),
      rows: a.result.rows.length,
      total: a.result.total,
      truncated: a.result.truncated,
      result_sha256: a.sha256,
      moves: r.moves,
      score_after: Math.round(score * 100) / 100,
      cached: a.cached,
    });
    return a;
  };

  // Q1: the threat itself.
  let tf: ThreatFacts | undefined;
  const threatAnswer = ask('What was detected, on which events, and how severe is it?', 'get_threat', { threat_id: threatId }, (a) => {
    const f = a.result.facts as unknown as ThreatFacts & { title: string };
    tf = f;
    const dets = a.result.rows.filter((r) => r.evidence_kind === 'detection');
    const moves: AssessmentMove[] = [];
    const sev = SEVERITY_POINTS[f.max_severity] ?? 0;
    moves.push({ signal: 'severity', malice: sev, note: `highest detection severity is ${f.max_severity} (${fmtPts(sev)})` });
    if (f.rule_ids.length >= THRESHOLDS.manyRules)
      moves.push({ signal: 'many-rules', malice: SCORE.manyRules, note: `${f.rule_ids.length} different rules fired on this threat: a multi-stage pattern` });
    if (f.failures >= THRESHOLDS.failures) {
      moves.push({ signal: 'failures', malice: SCORE.failures, note: `${f.failures} failed calls among the threat's events (probing)` });
      harm.push(`${f.failures} failed calls (probing)`);
    }
    const writeTactics = f.tactics.filter((t) => HARM_TACTICS_WRITE.has(t));
    const readTactics = f.tactics.filter((t) => HARM_TACTICS_READ.has(t));
    if (writeTactics.length > 0 && f.successful_writes > 0) harm.push(`${f.successful_writes} successful change(s) under ${writeTactics.join(', ')} detections`);
    else if (readTactics.length > 0 && f.successful > 0) harm.push(`successful access under ${readTactics.join(', ')} detections`);
    const observed = f.tactics.filter((t) => OBSERVED_TACTICS.has(t));
    const sensorLayers = f.detected_layers.filter((l) => OBSERVED_LAYERS.has(l));
    if (observed.length > 0 && sensorLayers.length > 0) harm.push(`${observed.join(', ')} observed by a runtime sensor on the ${sensorLayers.join(', ')} layer (a process or connection seen, not an API call)`);
    const titles = [...new Set(dets.map((d) => `${String(d.rule_title)} (${String(d.severity)})`))];
    return {
      answer: `${dets.length} detection(s): ${short(titles.join('; '), 200)}; ${f.events_total} event(s) by ${Object.keys(f.principals).join(', ') || 'no principal'}.`,
      evidence: [...dets.map((d) => d.evidence_id), ...eventRowsOf(a).map((r) => r.evidence_id)],
      moves,
    };
  });
  const facts = tf ?? (threatAnswer.result.facts as unknown as ThreatFacts);
  // A threat across layers: the rationale walks the chain, one claim per layer in the order the layers fired.
  const chain = facts.layer_chain ?? [];
  if (chain.length >= 2) {
    chain.forEach((c, i) => {
      const rules = c.rules.slice(0, 3).join('; ') + (c.rules.length > 3 ? ` (+${c.rules.length - 3} more)` : '');
      infoClaims.push({
        claim: `chain step ${i + 1} of ${chain.length}, ${c.layer.replace('_', ' ')} layer (from ${c.first_seen.slice(11, 19)} UTC): ${rules}`,
        evidence_ids: c.detections.slice(0, 8),
      });
    });
  }
  const threatEventRows = eventRowsOf(threatAnswer);
  const idsOfAction = (act: string): string[] => threatEventRows.filter((r) => actionName(r) === act).map((r) => r.evidence_id);

  // Q2-Q4: the principal's baseline.
  const principal = facts.primary_principal;
  // Every statement about the principal compares its own events with its own history, never another principal's.
  const own = { actions: facts.primary_actions, sources: facts.primary_sources, user_agents: facts.primary_user_agents };
  const ownIds = new Set(facts.primary_event_ids);
  const idsOfOwnAction = (act: string): string[] => idsOfAction(act).filter((id) => ownIds.has(id));
  let routine = false;
  if (principal) {
    let args: Record<string, unknown> = { kind: 'principal', value: principal };
    const baselineRows = (a: SessionAnswer, facet: string, values: readonly string[]): string[] =>
      a.result.rows.filter((r) => r.facet === facet && typeof r.value === 'string' && values.includes(r.value)).map((r) => r.evidence_id);
    let pf: ProfileFacts | undefined;
    const why = facts.primary_reason ? ` (investigated first: ${facts.primary_reason})` : '';
    ask(`Who is ${principal}, and what does it usually do?${why}`, 'entity_profile', args, (a) => {
      pf = a.result.facts as unknown as ProfileFacts;
      if (pf.baseline_events < THRESHOLDS.baselineEvents) {
        return { answer: `${pf.baseline_events} event(s) in the 90 days before the threat: no usable baseline.`, evidence: a.result.rows.map((r) => r.evidence_id), moves: [] };
      }
      const top = Object.entries(pf.actions).slice(0, 5).map(([k, n]) => `${k} x${n}`).join(', ');
      return {
        answer: `${pf.baseline_events} event(s) between ${pf.first_seen ?? '?'} and ${pf.last_seen ?? '?'}; usual actions: ${top}.`,
        evidence: a.result.rows.slice(0, 8).map((r) => r.evidence_id),
        moves: [],
      };
    });
    // A threat that itself recurs over days (a detection firing on every nightly run) has no history "before" it:
    // then the history up to its latest event is the baseline, the threat's earlier events included.
    const tfx = threatAnswer.result.facts as { first_seen?: string; last_seen?: string };
    const spanMs = tfx.first_seen && tfx.last_seen ? Date.parse(tfx.last_seen) - Date.parse(tfx.first_seen) : 0;
    if (pf && pf.baseline_events < THRESHOLDS.baselineEvents && spanMs >= RECURRING_SPAN_MS && tfx.last_seen) {
      args = { kind: 'principal', value: principal, before: tfx.last_seen };
      ask(`Is this recurring behaviour for ${principal}? (its history up to the latest event, earlier events of the threat included)`, 'entity_profile', args, (a) => {
        pf = a.result.facts as unknown as ProfileFacts;
        return {
          answer: `${pf.baseline_events} event(s) between ${pf.first_seen ?? '?'} and ${pf.last_seen ?? '?'} before the latest event; the threat spans ${Math.round(spanMs / 86_400_000)} day(s).`,
          evidence: a.result.rows.slice(0, 8).map((r) => r.evidence_id),
          moves: [],
        };
      });
    }
    if (pf && pf.baseline_events < THRESHOLDS.baselineEvents) {
      missing.push(`baseline for ${principal}: only ${pf.baseline_events} event(s) in the 90 days before the threat (collect older logs to compare)`);
    }
    const profile = pf;
    if (profile && profile.baseline_events >= THRESHOLDS.baselineEvents) {
      const newActions = own.actions.filter((act) => (profile.rarity[act] ?? 0) === 0);
      const routineActions = own.actions.filter((act) => (profile.rarity[act] ?? 0) >= THRESHOLDS.routineCount);
      ask(`Has ${principal} done ${short(own.actions.join(', '), 120)} before?`, 'entity_profile', args, (a) => {
        const moves: AssessmentMove[] = [];
        let evidence: string[];
        if (newActions.length > 0) {
          moves.push({ signal: 'new-action', malice: SCORE.newAction, note: `${principal} never did ${newActions.join(', ')} in the 90 days before` });
          evidence = newActions.flatMap(idsOfOwnAction);
        } else evidence = baselineRows(a, 'action', own.actions);
        const rarity = Object.entries(profile.rarity)
          .filter(([k]) => own.actions.includes(k))
          .map(([k, n]) => `${k}: ${n} time(s) before`)
          .join('; ');
        return { answer: short(rarity, 300) || 'no actions to compare.', evidence, moves };
      });
      const newSources = own.sources.filter((s) => !(s in profile.ips));
      const newAgents = own.user_agents.filter((u) => !(u in profile.user_agents));
      ask(`Is ${principal} acting from its usual IP addresses, client and regions?`, 'entity_profile', args, (a) => {
        const moves: AssessmentMove[] = [];
        const evidence: string[] = [];
        if (newSources.length > 0) {
          moves.push({ signal: 'new-source', malice: SCORE.newSource, note: `source ${newSources.join(', ')} never used by ${principal} before` });
          if (facts.successful_writes > 0) harm.push(`changes made from ${newSources.join(', ')}, a network ${principal} never used before`);
          evidence.push(...threatEventRows.filter((r) => ownIds.has(r.evidence_id) && typeof r.src === 'string' && newSources.includes(r.src)).map((r) => r.evidence_id));
        }
        if (newAgents.length > 0) {
          moves.push({ signal: 'new-user-agent', malice: SCORE.newUserAgent, note: `user agent ${short(newAgents.join(', '), 100)} never used by ${principal} before` });
          evidence.push(...threatEventRows.filter((r) => ownIds.has(r.evidence_id) && typeof r.user_agent === 'string' && newAgents.includes(r.user_agent)).map((r) => r.evidence_id));
        }
        routine = newActions.length === 0 && routineActions.length === own.actions.length && newSources.length === 0 && newAgents.length === 0 && own.actions.length > 0;
        if (routine) {
          const base = [
            ...baselineRows(a, 'action', own.actions),
            ...baselineRows(a, 'ip', own.sources),
            ...baselineRows(a, 'user_agent', own.user_agents),
          ];
          evidence.push(...base);
          moves.push({
            signal: 'routine',
            malice: SCORE.routine,
            supports: 'not_malicious',
            note: `routine for ${principal}: each action done ${THRESHOLDS.routineCount}+ times before, from the same IP(s) and user agent(s)`,
          });
        }
        const usual = Object.keys(profile.ips).slice(0, 3).join(', ');
        return {
          answer: `${principal}'s sources in the threat: ${own.sources.join(', ') || 'none'} (usual: ${usual || 'none'}); ${newAgents.length > 0 ? 'new' : 'usual'} user agent; regions ${facts.regions.join(', ')}.`,
          evidence: evidence.length > 0 ? evidence : a.result.rows.slice(0, 4).map((r) => r.evidence_id),
          moves,
        };
      });
    }
    // Familiar access: only sign-ins and reads, from networks and clients the principal used before (even a thin
    // history shows them), changing nothing. With no sign of harm that is not malicious (a root or admin console
    // login from the usual place and browser); the decision below still requires the absence of harm.
    const prior = pf;
    if (!routine && prior && prior.baseline_events >= 1 && facts.successful_writes === 0 && own.sources.length > 0) {
      const unseenSources = own.sources.filter((s) => !(s in prior.ips));
      const unseenAgents = own.user_agents.filter((u) => !(u in prior.user_agents));
      if (unseenSources.length === 0 && unseenAgents.length === 0) {
        ask(`Is this ${principal}'s usual access: its own networks and clients, nothing changed?`, 'entity_profile', args, (a) => {
          familiar = true;
          return {
            answer: `every source (${own.sources.join(', ')}) and client of the threat was used by ${principal} before (${prior.baseline_events} earlier event(s)); the threat changed nothing.`,
            evidence: [...baselineRows(a, 'ip', own.sources), ...baselineRows(a, 'user_agent', own.user_agents)],
            moves: [
              {
                signal: 'familiar-access',
                malice: SCORE.familiar,
                supports: 'not_malicious',
                note: `${principal} acted from its usual network(s) and client(s) (${prior.baseline_events} earlier event(s)) and changed nothing`,
              },
            ],
          };
        });
      }
    }
  } else missing.push('the threat names no principal: who acted is unknown');

  // Q5: what else did the key / principal touch.
  // The investigated principal's own key first (the entry point), else any key of the threat.
  const key = facts.primary_access_keys[0] ?? facts.access_keys[0];
  const pivot = key !== undefined ? { kind: 'access_key', value: key } : principal ? { kind: 'principal', value: principal } : undefined;
  if (pivot) {
    ask(`What else did ${pivot.kind === 'access_key' ? 'access key' : ''} ${pivot.value} touch, and who else used it?`.replace('  ', ' '), 'related_entities', pivot, (a) => {
      const rel = (a.result.facts.related as Array<{ kind: string; value: string; events: number }> | undefined) ?? [];
      const principals = rel.filter((r) => r.kind === 'principal' || r.kind === 'session');
      const resources = rel.filter((r) => r.kind === 'resource');
      const ips = rel.filter((r) => r.kind === 'ip');
      return {
        answer: `${principals.length} principal/session(s), ${ips.length} IP(s), ${resources.length} resource(s) linked in the week around the threat${resources.length > 0 ? `: ${short(resources.map((r) => r.value).join(', '), 160)}` : ''}.`,
        evidence: a.result.rows.map((r) => r.evidence_id),
        moves: [],
        claims: resources.length > 0 ? [{ claim: `${pivot.value} touched ${resources.length} resource(s) around the threat`, evidence_ids: a.result.rows.filter((r) => r.kind === 'resource').map((r) => r.evidence_id).slice(0, 8) }] : [],
      };
    });
  }

  // Q6: logging.
  let coverageMissing = false;
  ask('Were logs tampered with, and do we have log coverage for the window?', 'log_coverage', {}, (a) => {
    const f = a.result.facts as unknown as CoverageFacts;
    const moves: AssessmentMove[] = [];
    // An attempt counts: a failed StopLogging by the threat's own key is a signal, not noise.
    const mine = f.tampering.filter((t) => t.by_threat_entity);
    const evidence: string[] = [];
    if (mine.length > 0) {
      tamperByThreat = true;
      const failed = mine.filter((t) => t.outcome === 'failure').length;
      const acts = [...new Set(mine.map((t) => t.action))].join(', ');
      moves.push({
        signal: 'tamper-by-threat',
        malice: SCORE.tamperByThreat,
        note: `the threat's own principal/key ${failed === mine.length ? 'tried to tamper' : 'tampered'} with logging: ${acts}${failed > 0 && failed < mine.length ? ` (${failed} attempt(s) failed)` : ''}`,
      });
      harm.push(`logging tampered with (or tried) by the threat's own principal: ${acts}`);
      evidence.push(...mine.map((t) => t.event_id));
    }
    // A gap the threat's own actor caused is evidence of malice (counted above), not a reason to doubt the verdict.
    const ownStop = f.logging_stopped !== null && mine.some((t) => t.event_id === f.logging_stopped?.event_id);
    const otherReasons = f.reasons.length - (f.logging_stopped ? 1 : 0);
    coverageMissing = f.coverage_missing && (!ownStop || otherReasons > 0);
    if (ownStop) moves.push({ signal: 'own-coverage-gap', malice: 0, note: `logging was stopped by the threat's own principal (${f.logging_stopped?.event_id ?? ''}): counted as malice, not as missing coverage` });
    if (coverageMissing) {
      for (const r of f.reasons) missing.push(`log coverage: ${r}`);
      moves.push({ signal: 'coverage-gap', malice: 0, note: `log coverage is missing: ${short(f.reasons.join('; '), 200)} (confidence capped)` });
      if (f.logging_stopped) evidence.push(f.logging_stopped.event_id);
      evidence.push(...f.gaps.map((g) => g.event_id));
    }
    // A kind of log that is off by default and absent (Data Access audit logs): missing evidence, not quiet activity.
    for (const k of f.missing_log_kinds ?? []) missing.push(`log coverage (${k.provider} ${k.name}): ${k.why}`);
    const srcs = f.sources.map((s) => `${s.provider}/${s.region ?? '-'} (${s.events})`).join(', ');
    if (evidence.length > 0 && f.coverage_missing && mine.length === 0) infoClaims.push({ claim: `log coverage is missing in the window: ${short(f.reasons.join('; '), 200)}`, evidence_ids: evidence.slice(0, 8) });
    return {
      answer: `${f.sources.length} source/region(s) with data: ${short(srcs, 160) || 'none'}; ${f.tampering.length} tampering event(s)${f.coverage_missing ? `; coverage missing: ${short(f.reasons.join('; '), 200)}` : '; no gaps or stops in the window'}.`,
      evidence: evidence.length > 0 ? evidence : a.result.rows.slice(0, 5).map((r) => r.evidence_id),
      moves,
    };
  });

  // Q7: operator context.
  let ctxFacts: ContextFacts | undefined;
  ask('Is there a change window, red-team exercise or automation that explains it?', 'operator_context', {}, (a) => {
    const f = a.result.facts as unknown as ContextFacts;
    ctxFacts = f;
    const moves: AssessmentMove[] = [];
    const evidence: string[] = [];
    const matchIds = (kind: string): string[] => f.matches.filter((m) => m.kind === kind).flatMap((m) => [m.ctx_id, ...m.event_ids.slice(0, 5)]);
    if (f.red_team_covers_all) {
      moves.push({ signal: 'red-team', malice: 0, supports: 'security_test', note: `every threat event matches the operator's declared red-team context: ${f.matches.filter((m) => m.kind === 'red_team').map((m) => m.detail).join('; ')}` });
      evidence.push(...matchIds('red_team'));
    } else if (f.matches.some((m) => m.kind === 'red_team')) {
      infoClaims.push({ claim: 'some, not all, threat events match the declared red-team context', evidence_ids: matchIds('red_team') });
      evidence.push(...matchIds('red_team'));
    }
    if (f.change_window_covers_all) {
      moves.push({ signal: 'change-window', malice: 0, supports: 'planned_action', note: `every threat event is inside a declared change window: ${f.matches.filter((m) => m.kind === 'change_window').map((m) => m.detail).join('; ')}` });
      evidence.push(...matchIds('change_window'));
    }
    if (f.automation_principal) {
      moves.push({ signal: 'automation', malice: SCORE.automation, supports: 'not_malicious', note: 'the acting principal is a declared automation principal' });
      evidence.push(...matchIds('automation'));
    }
    if (f.crown_jewels_touched.length > 0) {
      moves.push({ signal: 'crown-jewel', malice: SCORE.crownJewel, note: `touches crown jewel(s): ${f.crown_jewels_touched.join(', ')}` });
      harm.push(`crown jewel(s) touched: ${f.crown_jewels_touched.join(', ')}`);
      evidence.push(...matchIds('crown_jewel'));
    }
    for (const u of f.undeclared_tool_markers) {
      missing.push(
        `the user agent "${short(u.user_agent, 60)}" looks like ${u.tool}, but no red-team marker is declared: confirm with the red team and declare it in context.yaml (red_team.user_agent_markers) if it was an authorised test`,
      );
    }
    if (!f.has_context) missing.push('operator context (context.yaml): change windows, red-team markers, automation principals, crown jewels');
    return {
      answer: !f.has_context
        ? 'no operator context declared.'
        : f.matches.length === 0
          ? `nothing in the operator context matches the threat${f.undeclared_tool_markers.length > 0 ? ` (an undeclared ${f.undeclared_tool_markers.map((u) => u.tool).join(', ')} user agent is a lead to confirm)` : ''}.`
          : short(f.matches.map((m) => m.detail).join('; '), 300),
      evidence: evidence.length > 0 ? evidence : a.result.rows.slice(0, 5).map((r) => r.evidence_id),
      moves,
    };
  });

  // Q8: exposure.
  ask('What is exposed: which assets and crown jewels are involved?', 'asset_context', {}, (a) => {
    const f = a.result.facts as { inventory_collected: boolean; resources: string[]; crown_jewels: string[]; exposure?: string[] };
    if (!f.inventory_collected && f.resources.some((r) => r.includes(':instance/'))) missing.push('asset inventory (EC2 instances, security groups) for the instances involved: run `irctl collect aws` with inventory');
    return {
      answer: `${f.resources.length} resource(s) named by the threat${f.crown_jewels.length > 0 ? `, crown jewels: ${f.crown_jewels.join(', ')}` : ''}; asset inventory ${f.inventory_collected ? `collected (${a.result.rows.length} record(s))` : 'not collected'}${(f.exposure ?? []).length > 0 ? `; exposed: ${short((f.exposure ?? []).join('; '), 300)}` : ''}.`,
      evidence: a.result.rows.map((r) => r.evidence_id),
      moves: [],
    };
  });

  // Q9: memory.
  ask('Have similar threats been investigated in this case, and what did the analyst decide?', 'past_investigations', {}, (a) => {
    const rows = a.result.rows;
    const decided = rows.filter((r) => typeof r.analyst_decision === 'string');
    if (decided.length > 0)
      infoClaims.push({ claim: `analyst decisions on similar threats: ${short(decided.map((r) => `${String(r.threat_id)} ${String(r.analyst_decision)}`).join('; '), 200)}`, evidence_ids: decided.map((r) => r.evidence_id) });
    return {
      answer: rows.length === 0 ? 'no similar investigation in this case.' : short(rows.map((r) => `${String(r.threat_id)}: ${String(r.verdict)}${typeof r.analyst_decision === 'string' ? ` (analyst: ${r.analyst_decision})` : ''}`).join('; '), 300),
      evidence: rows.map((r) => r.evidence_id),
      moves: [],
    };
  });

  // Q10: the sequence.
  ask('What happened around it, in order?', 'timeline', {}, (a) => {
    const rows = a.result.rows;
    // The span of every event (the tool's facts), not of the rows shown, which stop at the tool's row limit.
    const first = typeof a.result.facts.first === 'string' ? a.result.facts.first : String(rows[0]?.time);
    const last = typeof a.result.facts.last === 'string' ? a.result.facts.last : String(rows[rows.length - 1]?.time);
    return {
      answer: rows.length === 0 ? 'no events.' : `${a.result.total} event(s), ${readableSpan(first, last)}: ${short(rows.slice(0, 8).map((r) => actionName(r)).join(' -> '), 200)}${rows.length > 8 ? ' -> ...' : ''}.`,
      evidence: rows.slice(0, 10).map((r) => r.evidence_id),
      moves: [],
    };
  });

  // Injection attempts are evidence of hostile intent (never instructions).
  const flags = session.injectionFlags();
  if (flags.length > 0) {
    score += SCORE.injection;
    harm.push('instructions planted in log fields');
    const claim: Claim = { claim: `instruction-like text was planted in log fields (${[...new Set(flags.map((f) => f.field))].join(', ')}): an attempt to steer automated triage`, evidence_ids: [...new Set(flags.flatMap((f) => f.evidence_ids))].slice(0, 12) };
    maliceClaims.push(claim);
    const last = questions[questions.length - 1];
    if (last) last.score_after = Math.round(score * 100) / 100;
  }

  // Decision (docs/investigate.md "Scoring").
  score = Math.round(score * 100) / 100;
  const blocked = flags.length > 0;
  let verdict: Verdict;
  let confidence: number;
  let rationale: Claim[];
  const sup = (v: Verdict): Claim[] => (supports.get(v) ?? []).filter((c) => c.evidence_ids.length > 0);
  if (!blocked && sup('security_test').length > 0) {
    verdict = 'security_test';
    confidence = 0.9;
    rationale = [...sup('security_test'), ...maliceClaims];
  } else if (!blocked && !tamperByThreat && sup('planned_action').length > 0) {
    verdict = 'planned_action';
    confidence = 0.85;
    rationale = [...sup('planned_action'), ...maliceClaims];
  } else if (!blocked && !tamperByThreat && sup('not_malicious').length > 0 && score < THRESHOLDS.malicious && (routine || (ctxFacts?.automation_principal === true && score <= 0))) {
    verdict = 'not_malicious';
    confidence = routine && ctxFacts?.automation_principal === true ? 0.85 : 0.75;
    rationale = [...sup('not_malicious'), ...maliceClaims];
  } else if (!blocked && familiar && harm.length === 0 && facts.successful_writes === 0 && sup('not_malicious').length > 0) {
    // Sign-ins and reads from the principal's own networks and clients, with no change and no sign of harm.
    verdict = 'not_malicious';
    confidence = routine ? 0.75 : 0.65;
    rationale = [...sup('not_malicious'), ...maliceClaims];
  } else if (score >= THRESHOLDS.malicious && harm.length > 0) {
    verdict = 'malicious';
    confidence = Math.min(0.95, 0.55 + 0.08 * score);
    rationale = maliceClaims;
  } else if (score >= THRESHOLDS.malicious) {
    // Severity is a prior, not proof: rules fired, but nothing shows compromise or harm.
    verdict = 'inconclusive';
    confidence = 0.5;
    rationale = [...maliceClaims];
    missing.push(
      `a sign of compromise or harm beyond the rules firing (malice score ${Math.round(score * 100) / 100}): changes made from a new network or client, persistence or privilege gained, logging tampered with, data moved out, probing failures`,
    );
  } else {
    verdict = 'inconclusive';
    confidence = 0.5;
    rationale = [...maliceClaims];
    if (missing.length === 0) missing.push('more context: the evidence neither establishes malice nor explains the activity');
  }
  rationale = [...rationale, ...infoClaims];
  if (rationale.length === 0) {
    const ids = threatEventRows.slice(0, 5).map((r) => r.evidence_id);
    if (ids.length > 0) rationale.push({ claim: `the threat's events (${facts.events_total}) as detected`, evidence_ids: ids });
  }
  confidence = Math.round(confidence * 100) / 100;
  const reasons = rationale.slice(0, 3).map((c) => c.claim).join('; ');
  // The threat's title already says who acted (correlate/correlate.ts threatTitle).
  // A malicious verdict also says which signs of compromise or harm it rests on (severity alone never decides it).
  const signs = verdict === 'malicious' && harm.length > 0 ? ` Signs of compromise or harm: ${short(harm.join('; '), 300)}.` : '';
  const summary = `${LABEL[verdict]}: ${short(String((threatAnswer.result.facts as { title?: string }).title ?? threatId), 160)} (malice score ${score}). ${short(reasons, 400)}${signs}`;
  return { proposal: { verdict, confidence, summary, rationale, missing_evidence: [...new Set(missing)] }, questions, coverageMissing, score };
}
