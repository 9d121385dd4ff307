/**
 * Verdict checks, in code rather than in the prompt: they run on every verdict, from either engine, and they can
 * only move a verdict toward `inconclusive` (or toward the deterministic baseline), never toward benign.
 *
 * 1. citations: every cited evidence id must have been returned by a tool in this run and must exist in the store;
 *    claims left without a valid id are dropped.
 * 2. injection: a single injection flag blocks a benign verdict.
 * 3. benign basis: security_test must cite the operator's red-team context, planned_action a change window or an
 *    automation principal, not_malicious the principal's baseline (or an automation principal). Never free text.
 *    A benign verdict rejected by 2 or 3 falls back to the deterministic verdict when that is not benign, else
 *    to inconclusive.
 * 4. coverage: missing log coverage in the window caps confidence at 0.6.
 * 5. disagreement: when the model and the deterministic engine disagree, both are recorded and confidence x0.7.
 * 6. attribution (run right after 1): a claim that names a principal (by any name its events carry: principal id,
 *    short name, access key, session, role) may cite only events whose actor it names; a claim about one principal
 *    that cites another principal's event is dropped (confidence x0.8), like a claim without valid evidence. Claims
 *    that name no principal are not checked. The names come from the cited events' actor fields, through the
 *    provider registry ({@link CheckInput.actorNames}).
 * Pure.
 */
import type { CheckOutcome, Claim, EvidenceKind, InjectionFlag, Verdict } from './types.js';
import { BENIGN_VERDICTS } from './types.js';

/** A proposed verdict (engine output before checks). */
export interface Proposal {
  verdict: Verdict;
  confidence: number;
  summary: string;
  rationale: Claim[];
  missing_evidence: string[];
}

/** What the checks need to know. */
export interface CheckInput {
  /** The proposal. */
  proposal: Proposal;
  /** Evidence ids returned by tools in this run (to the engine that proposed), with their kinds. */
  ledger: ReadonlyMap<string, EvidenceKind>;
  /** Which of these ids exist in the store now (injected: reads the store). */
  exists: (ids: readonly string[]) => Set<string>;
  /** Log coverage is missing or tampered with in the threat window. */
  coverageMissing: boolean;
  /** Injection flags found in this run. */
  injectionFlags: readonly InjectionFlag[];
  /** The deterministic engine's verdict when the proposal comes from the model. */
  baseline?: { verdict: Verdict; confidence: number } | undefined;
  /**
   * The names the actor of each of these events goes by (injected: reads the store), for events in the store; ids
   * that are not events are left out. Without it the attribution check is not run.
   */
  actorNames?: ((ids: readonly string[]) => ReadonlyMap<string, readonly string[]>) | undefined;
}

/** Checked verdict. */
export interface Checked {
  verdict: Verdict;
  confidence: number;
  rationale: Claim[];
  checks: CheckOutcome[];
  /** Missing evidence the checks add. */
  missing_evidence: string[];
  /** The checks that changed the proposed verdict (empty when it stands), with what they found. */
  rejected_by: CheckOutcome[];
}

/** Confidence cap when log coverage is missing. */
export const COVERAGE_CAP = 0.6;
/** Confidence multiplier when the engines disagree. */
export const DISAGREEMENT_FACTOR = 0.7;

const round2 = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;

/** Does a set of cited ids give the basis a benign verdict needs? */
export function benignBasis(verdict: Verdict, cited: ReadonlyArray<{ id: string; kind: EvidenceKind }>): boolean {
  const ctx = (prefix: string): boolean => cited.some((c) => c.kind === 'context' && c.id.startsWith(prefix));
  switch (verdict) {
    case 'security_test':
      return ctx('ctx:red_team.');
    case 'planned_action':
      return ctx('ctx:change_windows') || ctx('ctx:automation_principals');
    case 'not_malicious':
      return cited.some((c) => c.kind === 'baseline') || ctx('ctx:automation_principals');
    default:
      return true;
  }
}

/** Run every check. */
export function checkVerdict(input: CheckInput): Checked {
  const checks: CheckOutcome[] = [];
  const missing: string[] = [];
  const rejectedBy: CheckOutcome[] = [];
  let verdict = input.proposal.verdict;
  let confidence = round2(input.proposal.confidence);

  // 1. citations
  const allCited = [...new Set(input.proposal.rationale.flatMap((c) => c.evidence_ids))];
  const existing = input.exists(allCited.filter((id) => input.ledger.has(id)));
  const notReturned = allCited.filter((id) => !input.ledger.has(id));
  const notExisting = allCited.filter((id) => input.ledger.has(id) && !existing.has(id));
  const bad = new Set([...notReturned, ...notExisting]);
  const rationale: Claim[] = [];
  let dropped = 0;
  for (const c of input.proposal.rationale) {
    const ids = c.evidence_ids.filter((id) => !bad.has(id));
    if (ids.length === 0) {
      dropped++;
      continue;
    }
    rationale.push({ claim: c.claim, evidence_ids: ids });
  }
  if (bad.size === 0) checks.push({ check: 'citations', status: 'passed', detail: `${allCited.length} cited evidence id(s), all returned by a tool in this run and present in the store` });
  else {
    confidence = round2(confidence * 0.8);
    checks.push({
      check: 'citations',
      status: 'adjusted',
      detail:
        `${bad.size} cited id(s) rejected (${[...bad].slice(0, 5).join(', ')}${bad.size > 5 ? ', ...' : ''}): ` +
        `${notReturned.length} never returned by a tool in this run, ${notExisting.length} not in the store; ${dropped} claim(s) dropped; confidence x0.8`,
    });
  }
  // 6. attribution (before the rationale may empty)
  if (input.actorNames) {
    const outcome = checkAttribution(rationale, input.ledger, input.actorNames);
    checks.push(outcome.check);
    if (outcome.dropped.length > 0) {
      confidence = round2(confidence * 0.8);
      rationale.splice(0, rationale.length, ...outcome.kept);
    }
  }

  if (rationale.length === 0 && verdict !== 'inconclusive') {
    checks.push({ check: 'rationale', status: 'adjusted', detail: `no claim rests on valid evidence: ${verdict} -> inconclusive` });
    rejectedBy.push(checks[checks.length - 1] as CheckOutcome);
    verdict = 'inconclusive';
    confidence = Math.min(confidence, 0.3);
  }

  // A rejected benign verdict falls back to the deterministic verdict when that is not benign, else inconclusive.
  const fallback: Verdict = input.baseline && !BENIGN_VERDICTS.has(input.baseline.verdict) ? input.baseline.verdict : 'inconclusive';

  // 2. injection (first: a flagged case never clears, whatever it cites)
  if (input.injectionFlags.length > 0) {
    if (BENIGN_VERDICTS.has(verdict)) {
      checks.push({
        check: 'injection',
        status: 'adjusted',
        detail: `${input.injectionFlags.length} injection flag(s) in the log data block a benign verdict: ${verdict} -> ${fallback}`,
      });
      rejectedBy.push(checks[checks.length - 1] as CheckOutcome);
      verdict = fallback;
      confidence = Math.min(confidence, 0.5);
    } else checks.push({ check: 'injection', status: 'passed', detail: `${input.injectionFlags.length} injection flag(s) recorded as evidence; verdict is not benign` });
  } else checks.push({ check: 'injection', status: 'passed', detail: 'no instruction-like text found in the log data' });

  // 3. benign basis
  if (BENIGN_VERDICTS.has(verdict)) {
    const cited = rationale.flatMap((c) => c.evidence_ids).map((id) => ({ id, kind: input.ledger.get(id) ?? ('event') }));
    if (benignBasis(verdict, cited)) checks.push({ check: 'benign-basis', status: 'passed', detail: `${verdict} rests on operator context or baseline evidence` });
    else {
      checks.push({
        check: 'benign-basis',
        status: 'adjusted',
        detail: `${verdict} cites no operator context (context.yaml) or baseline behaviour, only log content: -> ${fallback}`,
      });
      rejectedBy.push(checks[checks.length - 1] as CheckOutcome);
      missing.push(`operator context or baseline behaviour that would support ${verdict}`);
      verdict = fallback;
      confidence = Math.min(confidence, 0.5);
    }
  }

  // 4. coverage
  if (input.coverageMissing) {
    if (confidence > COVERAGE_CAP) {
      checks.push({ check: 'coverage', status: 'adjusted', detail: `log coverage is missing in the window: confidence ${confidence} capped at ${COVERAGE_CAP}` });
      confidence = COVERAGE_CAP;
    } else checks.push({ check: 'coverage', status: 'passed', detail: `log coverage is missing in the window; confidence already at or below ${COVERAGE_CAP}` });
  } else checks.push({ check: 'coverage', status: 'passed', detail: 'logs cover the threat window' });

  // 5. disagreement
  if (input.baseline) {
    const proposed = input.proposal.verdict;
    if (input.baseline.verdict !== proposed) {
      const before = confidence;
      confidence = round2(confidence * DISAGREEMENT_FACTOR);
      checks.push({
        check: 'engines-agree',
        status: 'adjusted',
        detail: `model proposed ${proposed}${proposed !== verdict ? ` (after checks: ${verdict})` : ''}, deterministic engine says ${input.baseline.verdict} (${input.baseline.confidence}): both recorded, confidence ${before} -> ${confidence}`,
      });
    } else checks.push({ check: 'engines-agree', status: 'passed', detail: `model and deterministic engine both say ${proposed}` });
  }

  return { verdict, confidence: round2(confidence), rationale, checks, missing_evidence: missing, rejected_by: rejectedBy };
}

/** The words stored with a checked verdict. */
export interface Settled {
  summary: string;
  rationale: Claim[];
  /** The checks changed the proposed verdict. */
  rejected: boolean;
}

/**
 * The summary and claims stored with a checked verdict. When the checks kept the proposed verdict: the proposal's
 * summary and the claims that survived the citation check. When they changed it, the proposal's words argue for a
 * verdict that was not reached, so they are not stored as the verdict's: the summary names the checks that rejected
 * it, followed by the baseline's summary and claims when the baseline's verdict is the one reached (the model's
 * proposal falls back to the deterministic verdict); without a baseline the proposal is the deterministic engine's,
 * whose claims are facts written by code and stay.
 */
export function settle(proposal: Proposal, checked: Checked, baseline?: { verdict: Verdict; summary: string; rationale: Claim[] }): Settled {
  if (checked.verdict === proposal.verdict) return { summary: proposal.summary, rationale: checked.rationale, rejected: false };
  const why = `Checks in code rejected the proposed ${proposal.verdict} (${checked.rejected_by.map((c) => `${c.check}: ${c.detail}`).join('; ')}); verdict ${checked.verdict}.`;
  if (!baseline) return { summary: `${why} The deterministic engine's reading: ${proposal.summary}`, rationale: checked.rationale, rejected: true };
  if (baseline.verdict === checked.verdict) return { summary: `${why} ${baseline.summary}`, rationale: baseline.rationale, rejected: true };
  return { summary: why, rationale: [], rejected: true };
}

/** Characters that continue a principal name, key or id: a name matches only between other characters. */
const NAME_CHAR = /[A-Za-z0-9_@+=-]/;

/** True when `text` mentions `name` as a whole name (case-insensitive). */
export function mentions(text: string, name: string): boolean {
  const t = text.toLowerCase();
  const n = name.toLowerCase();
  for (let i = t.indexOf(n); i >= 0; i = t.indexOf(n, i + 1)) {
    const before = i > 0 ? (t[i - 1] as string) : '';
    const after = t[i + n.length] ?? '';
    if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after)) return true;
  }
  return false;
}

/**
 * Check 6: claims that name a principal cite only events of a principal they name. The principals a claim can name
 * are the actors of the events returned by tools in this run (their names from `actorNames`); a claim names one
 * when its text mentions any of its names. Returns the claims kept and dropped, and the check's outcome.
 */
export function checkAttribution(
  claims: readonly Claim[],
  ledger: ReadonlyMap<string, EvidenceKind>,
  actorNames: (ids: readonly string[]) => ReadonlyMap<string, readonly string[]>,
): { kept: Claim[]; dropped: Array<{ claim: Claim; wrong: string[]; named: string[] }>; check: CheckOutcome } {
  const seen = [...ledger.entries()].filter(([, k]) => k === 'event' || k === 'baseline').map(([id]) => id);
  const cited = claims.flatMap((c) => c.evidence_ids);
  const names = actorNames([...new Set([...seen, ...cited])]);
  // Every name of every actor seen, longest first (an ARN before the short name inside it), at least 3 characters.
  const all = [...new Set([...names.values()].flat())].filter((n) => n.length >= 3).sort((a, b) => b.length - a.length || a.localeCompare(b));
  const kept: Claim[] = [];
  const dropped: Array<{ claim: Claim; wrong: string[]; named: string[] }> = [];
  let checked = 0;
  for (const c of claims) {
    const named = all.filter((n) => mentions(c.claim, n));
    if (named.length === 0) {
      kept.push(c);
      continue;
    }
    checked++;
    const namedSet = new Set(named.map((n) => n.toLowerCase()));
    const wrong = c.evidence_ids.filter((id) => {
      const own = names.get(id);
      return own !== undefined && own.length > 0 && !own.some((n) => namedSet.has(n.toLowerCase()));
    });
    if (wrong.length === 0) kept.push(c);
    else dropped.push({ claim: c, wrong, named });
  }
  if (dropped.length === 0) {
    return { kept, dropped, check: { check: 'attribution', status: 'passed', detail: `${checked} claim(s) naming a principal cite only that principal's events` } };
  }
  const shown = dropped
    .slice(0, 3)
    .map((d) => {
      const by = d.wrong.slice(0, 3).map((id) => `${id} by ${(names.get(id) ?? [])[0] ?? '?'}`);
      return `"${d.claim.claim.slice(0, 80)}${d.claim.claim.length > 80 ? '...' : ''}" names ${d.named[0] ?? '?'} but cites ${by.join(', ')}${d.wrong.length > 3 ? ', ...' : ''}`;
    })
    .join('; ');
  return {
    kept,
    dropped,
    check: {
      check: 'attribution',
      status: 'adjusted',
      detail: `${dropped.length} claim(s) about one principal cite another principal's events, dropped: ${shown}${dropped.length > 3 ? '; ...' : ''}; confidence x0.8`,
    },
  };
}
