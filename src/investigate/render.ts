/**
 * Human rendering of an investigation: each question, the data retrieved (capped), the answer and how it moved the
 * assessment, then the verdict. Log values are sanitized (invisible and control characters removed) before they
 * reach a terminal. Pure: returns lines.
 */
import { verdictLabel } from './engine-deterministic.js';
import { sanitizeForDisplay } from './injection.js';
import type { InvestigationResult, ToolResult, ToolRow, Transcript } from './types.js';

const ROWS_SHOWN = 5;

function clean(v: unknown, max = 60): string {
  if (v === null || v === undefined) return '';
  const s = Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',') : typeof v === 'string' ? v : JSON.stringify(v);
  return sanitizeForDisplay(s.replace(/\s+/g, ' '), max).text;
}

/** One row of tool data as a short line. */
export function rowLine(r: ToolRow): string {
  const id = r.evidence_id.length > 24 ? `${r.evidence_id.slice(0, 23)}…` : r.evidence_id;
  let body: string;
  if (r.evidence_kind === 'detection') body = `${clean(r.severity)}  ${clean(r.rule_title, 70)}`;
  else if (r.evidence_kind === 'context') body = `${clean(r.kind)}  ${clean(r.value, 70)}${Array.isArray(r.matched_event_ids) && r.matched_event_ids.length > 0 ? `  (matches ${r.matched_event_ids.length} threat event(s))` : ''}`;
  else if (r.evidence_kind === 'investigation') body = `${clean(r.threat_id)}  ${clean(r.verdict)}  ${clean(r.title, 50)}${r.analyst_decision ? `  analyst: ${clean(r.analyst_decision, 50)}` : ''}`;
  else if (typeof r.facet === 'string') body = `${clean(r.facet)}=${clean(r.value, 70)}  x${clean(r.count)}  ${clean(r.first_seen, 10)}..${clean(r.last_seen, 10)}`;
  else if (r.kind === 'source' || r.kind === 'gap') body = r.kind === 'gap' ? `gap ${clean(r.provider)} ${clean(r.first_seen)} .. ${clean(r.last_seen)} (${clean(r.count)} min)` : `source ${clean(r.provider)}/${clean(r.region)} ${clean(r.count)} event(s)`;
  else if (typeof r.action !== 'string' && typeof r.kind === 'string') body = `${clean(r.kind)}  ${clean(r.value, 70)}  (${clean(r.count)} event(s))`;
  else body = [clean(r.time, 24), clean(r.action, 40), clean(r.actor_name ?? r.actor, 40), clean(r.src, 40), clean(r.user_agent, 40), r.outcome === 'failure' ? `FAILED ${clean(r.error_code)}` : ''].filter((x) => x !== '').join('  ');
  return `${id}  ${body}`;
}

/** Render a result (with the transcript, the data rows are shown too). */
export function renderInvestigation(result: InvestigationResult, transcript?: Transcript): string[] {
  const out: string[] = [];
  const results: Record<string, ToolResult> = transcript?.results ?? {};
  out.push(`investigation ${result.investigation_id}  threat ${result.threat_id}  "${clean(result.threat.title, 100)}"  engine ${result.engine}`);
  for (const n of result.notices) out.push(`notice: ${clean(n, 300)}`);
  out.push('');
  result.questions.forEach((q, i) => {
    out.push(`[${i + 1}] ${clean(q.question, 200)}`);
    out.push(`    tool    ${q.tool} ${clean(JSON.stringify(q.args), 160)}  (${q.rows} of ${q.total} row(s)${q.truncated ? ', truncated' : ''}${q.cached === true ? ', from cache' : ''})`);
    const r = results[q.result_sha256];
    if (r && !q.cached) {
      const rows = r.rows.slice(0, ROWS_SHOWN);
      if (rows.length > 0) out.push('    data');
      for (const row of rows) out.push(`      ${rowLine(row)}`);
      if (r.rows.length > rows.length || r.total > r.rows.length) out.push(`      … ${Math.max(r.rows.length, r.total) - rows.length} more row(s)`);
    }
    out.push(`    answer  ${clean(q.answer, 400)}`);
    for (const m of q.moves) {
      if (m.signal === 'model') continue;
      out.push(`    moved   ${m.malice > 0 ? '+' : ''}${m.malice} ${m.signal}${m.supports ? ` (supports ${m.supports})` : ''}: ${clean(m.note, 200)}`);
    }
    if (q.moves.filter((m) => m.signal !== 'model').length === 0) out.push('    moved   no change');
    if (q.score_after !== undefined) out.push(`    score   ${q.score_after}`);
    out.push('');
  });
  out.push(`VERDICT     ${verdictLabel(result.verdict).toUpperCase()}  (confidence ${result.confidence.toFixed(2)})`);
  const mv = result.model_verdict;
  if (mv) {
    out.push(
      `            model proposed ${mv.verdict} (${mv.confidence})${mv.status === 'rejected' ? `: REJECTED by the checks in code (${(mv.rejected_by ?? []).map((c) => c.check).join(', ')})` : ''}; deterministic engine: ${result.baseline_verdict.verdict} (${result.baseline_verdict.confidence})`,
    );
    // The rejected text is shown as what it is (the summary and rationale below are the code's), never as the verdict.
    if (mv.status === 'rejected' && mv.summary) out.push(`            rejected model summary (not used): "${clean(mv.summary, 300)}"`);
  }
  out.push(`summary     ${clean(result.summary, 600)}`);
  if (result.rationale.length > 0) {
    out.push('rationale');
    for (const c of result.rationale) out.push(`  - ${clean(c.claim, 300)}  [${c.evidence_ids.slice(0, 4).map((x) => clean(x, 40)).join(', ')}${c.evidence_ids.length > 4 ? `, +${c.evidence_ids.length - 4}` : ''}]`);
  }
  if (result.missing_evidence.length > 0) {
    out.push('missing evidence');
    for (const m of result.missing_evidence) out.push(`  - ${clean(m, 300)}`);
  }
  if (result.injection_flags.length > 0) {
    out.push('injection flags (instruction-like text found in log data: treated as evidence, not followed)');
    for (const f of result.injection_flags) out.push(`  - ${clean(f.evidence_id, 40)} ${f.field} [${f.encoding}/${f.pattern}] "${clean(f.excerpt, 100)}"`);
  }
  out.push('checks');
  for (const c of result.checks) out.push(`  ${c.status.padEnd(8)} ${c.check}: ${clean(c.detail, 300)}`);
  if (result.usage) out.push(`tokens      ${result.usage.input_tokens} in, ${result.usage.output_tokens} out, ${result.usage.requests} request(s)${result.usage.cost_usd !== null ? `, about $${result.usage.cost_usd.toFixed(4)}` : ''}`);
  return out;
}

/** For a verdict history line: the model's proposal when the checks rejected it (`model proposed X: rejected`), from a stored result. */
export function rejectedProposalNote(resultText: string): string {
  let r: { model_verdict?: { verdict?: unknown; status?: unknown } } = {};
  try {
    r = JSON.parse(resultText) as typeof r;
  } catch {
    return '';
  }
  const mv = r.model_verdict;
  return mv?.status === 'rejected' && typeof mv.verdict === 'string' ? `  (model proposed ${clean(mv.verdict, 20)}: rejected by the checks)` : '';
}
