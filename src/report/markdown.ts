/**
 * The report as Markdown. Log content is attacker-controlled: every value from the evidence goes through `md()`,
 * which strips control characters and escapes Markdown/HTML syntax so it renders as text. Pure.
 */
import { anchorId, distinctIds, type AnchorKind } from './anchors.js';
import { CLOCKS_DISCLAIMER, describeHoursLeft } from './clocks.js';
import { verdictLabel, type ReportModel } from './model.js';

/**
 * An anchor target as inline HTML (`<a id>`): Markdown has no anchor syntax of its own, and renderers that keep
 * inline HTML (GitHub, GitLab, VS Code, pandoc) honour it. The name is encoded (anchors.ts), never log text.
 */
const target = (kind: AnchorKind, id: string): string => `<a id="${anchorId(kind, id)}"></a>`;

/** A link to an anchor, its text escaped. */
const link = (text: string, kind: AnchorKind, id: string): string => `[${md(text)}](#${anchorId(kind, id)})`;

/** Escape a value for Markdown text and table cells. */
export function md(v: string | number | boolean | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
      .replace(/[\\`*_[\]|<>~]/g, (c) => `\\${c}`)
      .replace(/&/g, '&amp;')
  );
}

const pct = (c: number | null): string => (c === null ? '-' : `${Math.round(c * 100)}%`);

function list(items: readonly string[], empty = 'none'): string[] {
  return items.length === 0 ? [`_${empty}_`] : items.map((i) => `- ${md(i)}`);
}

/** Render the Markdown report. */
export function renderMarkdown(m: ReportModel): string {
  const L: string[] = [];
  const push = (...lines: string[]): void => void L.push(...lines);
  push(`# ${md(m.title)}`, '');
  push(`As of ${m.as_of} (UTC). Custody chain head ${m.custody_head.hash} (entry ${m.custody_head.seq}).`);
  if (m.incident_name) push('', `Incident: ${md(m.incident_name)}`);
  push('', '## Summary', '');
  if (m.threat) {
    const t = m.threat;
    push(
      `- Threat: **${md(t.id)}** ${md(t.title)}`,
      `- Severity: ${md(t.severity)} (priority ${t.priority})`,
      `- Active: ${t.first_seen} to ${t.last_seen}`,
      `- Techniques: ${t.techniques.length > 0 ? t.techniques.map(md).join(', ') : 'none'}${t.tactics.length > 0 ? ` (${t.tactics.map(md).join(', ')})` : ''}`,
      `- Entities: ${t.entities.length > 0 ? t.entities.map((e) => `${md(e.kind)} ${md(e.value)}`).join('; ') : 'none'}`,
    );
    for (const n of t.context_notes) push(`- Context: ${md(n)}`);
  }
  push(
    `- Events in scope: ${m.events_total}${m.span.first ? ` (${m.span.first} to ${m.span.last ?? ''})` : ''}; by layer: ${m.layers.length > 0 ? m.layers.map((l) => `${md(l.layer)} ${l.events}`).join(', ') : 'none'}`,
    `- Detections: ${m.detections.length}`,
  );
  if (m.summary && m.verdict?.reason !== m.summary) push('', md(m.summary));

  if (m.threats.length > 0 || m.scope.kind === 'case') {
    push('', '## Threats', '');
    if (m.threats.length === 0) push('_none_');
    else {
      push('| id | severity | title | first seen | last seen | verdict |', '|---|---|---|---|---|---|');
      for (const t of m.threats) push(`| ${md(t.id)} | ${md(t.severity)} | ${md(t.title)} | ${t.first_seen} | ${t.last_seen} | ${t.verdict ? verdictLabel(t.verdict) : 'not investigated'} |`);
    }
  }

  push('', '## Verdict', '');
  if (!m.verdict) push(m.scope.kind === 'threat' ? '_Not investigated yet._' : '_See the verdict of each threat above._');
  else {
    const v = m.verdict;
    push(
      `**${verdictLabel(v.verdict)}**${v.confidence !== null ? `, confidence ${pct(v.confidence)}` : ''}, decided by ${v.decided_by === 'analyst' ? `analyst ${md(v.who)}` : `machine (${md(v.who)})`} at ${v.time}.`,
    );
    if (v.reason) push('', `${v.decided_by === 'analyst' ? 'Reason' : 'Summary'}: ${md(v.reason)}`);
  }
  const rp = m.rejected_proposal;
  if (rp) {
    push(
      '',
      `The model proposed **${verdictLabel(rp.verdict)}**${rp.confidence !== null ? ` (confidence ${pct(rp.confidence)})` : ''}; the checks in code **rejected** it (${rp.rejected_by.map(md).join(', ')}). Its summary, not used: ${md(rp.summary)}`,
    );
  }
  const appendix = new Set(m.evidence_index.map((e) => e.id));
  const listed = new Set(m.timeline.map((e) => e.event_id));
  if (m.rationale.length > 0) {
    push('', 'Rationale (each claim cites evidence; each id links to the evidence appendix):', '');
    for (const c of m.rationale) push(`- ${md(c.claim)} \\[${distinctIds(c.evidence_ids).map((id) => (appendix.has(id) ? link(id, 'ap', id) : md(id))).join(', ')}\\]`);
  }
  if (m.verdict_history.length > 1) {
    push('', 'History:', '', '| time | verdict | confidence | decided by | reason |', '|---|---|---|---|---|');
    for (const v of m.verdict_history) push(`| ${v.time} | ${verdictLabel(v.verdict)} | ${pct(v.confidence)} | ${v.decided_by} ${md(v.who)} | ${md(v.reason)} |`);
  }

  push('', '## Regulatory clocks (reminders)', '', `> ${CLOCKS_DISCLAIMER}`, '');
  if (!m.clocks) push('_Not started: the time the organisation became aware is not recorded. Set `incident.aware_at` in the case\'s context.yaml._');
  else {
    push('| due (UTC) | regime | obligation | status | basis |', '|---|---|---|---|---|');
    for (const c of m.clocks) push(`| ${c.due} | ${c.regime} | ${c.obligation} | ${describeHoursLeft(c.hours_left)} | ${c.basis} |`);
  }

  push('', '## Attack timeline', '');
  if (m.timeline.length === 0) push('_none_');
  else {
    push('| time (UTC) | layer | action | actor | source | outcome | detection |', '|---|---|---|---|---|---|---|');
    for (const e of m.timeline) {
      push(`| ${target('tl', e.event_id)}${e.time} | ${md(e.layer)} | ${md(e.action)}${e.excerpt ? `<br>untrusted text: ${md(e.excerpt)}` : ''} | ${md(e.actor)} | ${md(e.src_ip)} | ${md(e.outcome)} | ${e.detections.length > 0 ? `**${e.detections.map(md).join('; ')}**` : ''} |`);
    }
    if (m.timeline_omitted > 0) push('', `${m.timeline_omitted} more event(s) in scope are not listed here (see normalized/events.ndjson in the bundle, or \`irctl timeline\`).`);
  }

  if (m.detections.length > 0) {
    push('', '## Detections', '', '| id | first seen | severity | rule | events | techniques | summary |', '|---|---|---|---|---|---|---|');
    for (const d of m.detections) {
      const first = d.event_ids.find((id) => listed.has(id));
      push(
        `| ${target('dt', d.id)}${md(d.id)} | ${d.first_seen} | ${md(d.severity)} | ${md(d.title)} | ${first !== undefined ? link(String(d.events), 'tl', first) : d.events} | ${d.techniques.map(md).join(', ')} | ${md(d.summary)} |`,
      );
    }
  }

  const b = m.blast_radius;
  push('', '## Blast radius', '');
  if (m.scope.kind === 'case') push('Entities of the events a detection fired on.', '');
  push('Principals:', '', ...list(b.principals), '', 'Access keys:', '', ...list(b.access_keys), '', 'Source IPs:', '', ...list(b.source_ips));
  push('', 'Accounts and regions:', '', ...list([...b.accounts, ...b.regions]));
  push('', 'Resources changed (successful write actions):', '', ...list(b.resources_changed));
  push('', 'Crown jewels touched:', '', ...list(b.crown_jewels_touched));

  push('', '## Actions taken', '');
  if (m.actions.length === 0) push('_None recorded in the custody log._');
  else for (const a of m.actions) push(`- ${a.time} ${md(a.action)}: ${md(a.detail)}`);
  if (m.recommended_containment) {
    push('', '### Recommended containment', '', 'From `irctl contain` (dry run; execute with `irctl contain <threat> --execute`).', '');
    if (m.recommended_containment.steps.length === 0) push('_No steps planned._');
    for (const st of m.recommended_containment.steps) push(`- ${st.id} [${md(st.status)}] ${md(st.title)} (risk ${md(st.risk)}, ${st.reversible ? 'reversible' : 'not reversible'})`);
    for (const n of m.recommended_containment.notes) push(`- note: ${md(n)}`);
  }

  push('', '## Open questions and missing evidence', '', ...list(m.open_questions));

  push('', '## Evidence appendix', '');
  if (m.evidence_index.length === 0) push('_none_');
  else {
    push(
      "Every id the report cites: what it is, the SHA-256 of an event's raw record exactly as stored (evidence/raw-records.ndjson in the bundle), and where it leads. `irctl show <id>` opens any of them.",
      '',
      '| evidence id | kind | time (UTC) | what | raw record sha256 | cited by | leads to |',
      '|---|---|---|---|---|---|---|',
    );
    const detections = new Set(m.detections.map((d) => d.id));
    for (const e of m.evidence_index) {
      const leads = [
        ...(e.kind === 'detection' && detections.has(e.id) ? [link('detection', 'dt', e.id)] : []),
        ...e.event_ids
          .filter((id) => listed.has(id))
          .slice(0, 5)
          .map((id, i) => link(e.kind === 'event' ? 'timeline' : `event ${i + 1}`, 'tl', id)),
      ];
      push(`| ${target('ap', e.id)}${md(e.id)} | ${e.kind} | ${e.time ?? ''} | ${md(e.detail)} | ${e.raw_sha256 ?? ''} | ${md(e.cited_by)} | ${leads.join(' ')} |`);
    }
  }
  push('');
  return L.join('\n');
}
