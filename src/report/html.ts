/**
 * The report as one self-contained HTML file: inline CSS, an inline SVG timeline chart, no scripts, no external
 * assets (a Content-Security-Policy of `default-src 'none'` makes sure nothing is fetched). Every value from the
 * evidence is HTML-escaped. Pure.
 */
import { CLOCKS_DISCLAIMER, describeHoursLeft } from './clocks.js';
import { verdictLabel, type ChartPoint, type ReportModel } from './model.js';

/** Escape text for HTML element content and attribute values; control characters become spaces. */
export function h(v: string | number | boolean | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const LANES = ['control_plane', 'identity', 'workload', 'ai', 'network', 'context'] as const;

function fmtTick(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 12 * 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : spanMs > 600_000 ? iso.slice(11, 16) : iso.slice(11, 19);
}

/** Inline SVG: one lane per layer, a dot per event (red and larger when a detection fired), UTC time axis. */
export function timelineSvg(points: readonly ChartPoint[]): string {
  const W = 960;
  const left = 110;
  const right = 20;
  const laneH = 34;
  const top = 16;
  const lanes = [...LANES, ...[...new Set(points.map((p) => p.layer))].filter((l) => !(LANES as readonly string[]).includes(l)).sort()];
  const H = top + lanes.length * laneH + 40;
  if (points.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="no events" viewBox="0 0 ${W} 60" width="100%"><text x="${W / 2}" y="34" text-anchor="middle" class="muted">no events in scope</text></svg>`;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (p.t < min) min = p.t;
    if (p.t > max) max = p.t;
  }
  const span = Math.max(max - min, 60_000);
  const x = (t: number): number => left + ((t - min) / span) * (W - left - right);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="attack timeline by layer" viewBox="0 0 ${W} ${H}" width="100%">`,
  ];
  lanes.forEach((l, i) => {
    const y = top + i * laneH;
    out.push(`<rect x="${left}" y="${y}" width="${W - left - right}" height="${laneH - 4}" class="lane${i % 2}"/>`);
    out.push(`<text x="${left - 8}" y="${y + laneH / 2 + 2}" text-anchor="end" class="lbl">${h(l)}</text>`);
  });
  const axisY = top + lanes.length * laneH + 4;
  out.push(`<line x1="${left}" y1="${axisY}" x2="${W - right}" y2="${axisY}" class="axis"/>`);
  for (let k = 0; k <= 6; k++) {
    const t = min + (span * k) / 6;
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 5}" class="axis"/><text x="${tx}" y="${axisY + 18}" text-anchor="middle" class="tick">${h(fmtTick(t, span))}</text>`);
  }
  out.push(`<text x="${W - right}" y="${axisY + 32}" text-anchor="end" class="tick">UTC, ${h(new Date(min).toISOString().slice(0, 16))} to ${h(new Date(max).toISOString().slice(0, 16))}</text>`);
  // Unflagged first so flagged dots are drawn on top.
  for (const flagged of [false, true]) {
    for (const p of points) {
      if (p.flagged !== flagged) continue;
      const li = lanes.indexOf(p.layer);
      const cy = top + li * laneH + (laneH - 4) / 2;
      const cls = flagged ? 'hit' : p.outcome === 'failure' ? 'fail' : 'ev';
      out.push(`<circle cx="${x(p.t).toFixed(1)}" cy="${cy}" r="${flagged ? 5 : 3}" class="${cls}"/>`);
    }
  }
  out.push('</svg>');
  return out.join('');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0;background:#fff}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta,.muted{color:#57606a;font-size:12px}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #d8dee4;padding:4px 6px;text-align:left;vertical-align:top;font-size:12.5px}
th{background:#f6f8fa}tr.hit td{background:#fff1f0}
.verdict{display:inline-block;padding:4px 10px;border-radius:6px;font-weight:600;color:#fff;background:#57606a}
.v-malicious{background:#cf222e}.v-security_test{background:#8250df}.v-planned_action{background:#0969da}.v-not_malicious{background:#1a7f37}.v-inconclusive{background:#9a6700}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px;font-size:12.5px}
.passed{color:#cf222e;font-weight:600}.open{color:#1a7f37}
svg .lane0{fill:#f6f8fa}svg .lane1{fill:#eef1f4}svg .lbl{font-size:12px;fill:#1b1f24}svg .tick{font-size:11px;fill:#57606a}
svg .axis{stroke:#8c959f;stroke-width:1}svg .ev{fill:#0969da;fill-opacity:.55}svg .fail{fill:#9a6700;fill-opacity:.7}svg .hit{fill:#cf222e;stroke:#fff;stroke-width:1}
svg .muted{fill:#57606a}
.legend span{margin-right:14px;font-size:12px}.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:middle}
ul{margin:4px 0;padding-left:22px}
.nowrap{white-space:nowrap}
`;

function ul(items: readonly string[], empty = 'none'): string {
  return items.length === 0 ? `<p class="muted">${h(empty)}</p>` : `<ul>${items.map((i) => `<li>${h(i)}</li>`).join('')}</ul>`;
}

const pct = (c: number | null): string => (c === null ? '-' : `${Math.round(c * 100)}%`);

/** Render the self-contained HTML report. */
export function renderHtml(m: ReportModel): string {
  const P: string[] = [];
  const t = m.threat;
  P.push(`<h1>${h(m.title)}</h1>`);
  P.push(`<div class="meta">As of ${h(m.as_of)} UTC · custody chain head <span class="mono">${h(m.custody_head.hash)}</span> (entry ${m.custody_head.seq})${m.incident_name ? ` · incident: ${h(m.incident_name)}` : ''}</div>`);

  P.push('<h2>Summary</h2><table>');
  if (t) {
    P.push(`<tr><th>Threat</th><td><b>${h(t.id)}</b> ${h(t.title)}</td></tr>`);
    P.push(`<tr><th>Severity</th><td>${h(t.severity)} (priority ${t.priority})</td></tr>`);
    P.push(`<tr><th>Active</th><td>${h(t.first_seen)} to ${h(t.last_seen)}</td></tr>`);
    P.push(`<tr><th>Techniques</th><td>${h(t.techniques.join(', ') || 'none')}${t.tactics.length > 0 ? ` (${h(t.tactics.join(', '))})` : ''}</td></tr>`);
    P.push(`<tr><th>Entities</th><td>${t.entities.length > 0 ? t.entities.map((e) => `${h(e.kind)} <span class="mono">${h(e.value)}</span>`).join('<br>') : 'none'}</td></tr>`);
    for (const n of t.context_notes) P.push(`<tr><th>Context</th><td>${h(n)}</td></tr>`);
  }
  P.push(`<tr><th>Events in scope</th><td>${m.events_total}${m.span.first ? ` (${h(m.span.first)} to ${h(m.span.last)})` : ''}; ${m.layers.map((l) => `${h(l.layer)} ${l.events}`).join(', ') || 'none'}</td></tr>`);
  P.push(`<tr><th>Detections</th><td>${m.detections.length}</td></tr></table>`);
  if (m.summary && m.verdict?.reason !== m.summary) P.push(`<p>${h(m.summary)}</p>`);

  if (m.scope.kind === 'case') {
    P.push('<h2>Threats</h2>');
    if (m.threats.length === 0) P.push('<p class="muted">none</p>');
    else {
      P.push('<table><tr><th>id</th><th>severity</th><th>title</th><th>first seen</th><th>last seen</th><th>verdict</th></tr>');
      for (const x of m.threats) P.push(`<tr><td>${h(x.id)}</td><td>${h(x.severity)}</td><td>${h(x.title)}</td><td>${h(x.first_seen)}</td><td>${h(x.last_seen)}</td><td>${h(x.verdict ? verdictLabel(x.verdict) : 'not investigated')}</td></tr>`);
      P.push('</table>');
    }
  }

  P.push('<h2>Verdict</h2>');
  if (!m.verdict) P.push(`<p class="muted">${m.scope.kind === 'threat' ? 'Not investigated yet.' : 'See the verdict of each threat above.'}</p>`);
  else {
    const v = m.verdict;
    P.push(
      `<p><span class="verdict v-${h(v.verdict)}">${h(verdictLabel(v.verdict))}</span> ${v.confidence !== null ? `confidence <b>${pct(v.confidence)}</b>, ` : ''}decided by ${v.decided_by === 'analyst' ? `analyst <b>${h(v.who)}</b>` : `machine (${h(v.who)})`} at ${h(v.time)}</p>`,
    );
    if (v.reason) P.push(`<p>${v.decided_by === 'analyst' ? 'Reason' : 'Summary'}: ${h(v.reason)}</p>`);
  }
  const rp = m.rejected_proposal;
  if (rp) {
    P.push(
      `<p class="note">The model proposed <b>${h(verdictLabel(rp.verdict))}</b>${rp.confidence !== null ? ` (confidence ${pct(rp.confidence)})` : ''}; the checks in code <b>rejected</b> it (${h(rp.rejected_by.join(', '))}). Its summary, not used: ${h(rp.summary)}</p>`,
    );
  }
  if (m.rationale.length > 0) P.push(`<ul>${m.rationale.map((c) => `<li>${h(c.claim)} <span class="mono muted">[${h(c.evidence_ids.join(', '))}]</span></li>`).join('')}</ul>`);
  if (m.verdict_history.length > 1) {
    P.push('<table><tr><th>time</th><th>verdict</th><th>confidence</th><th>decided by</th><th>reason</th></tr>');
    for (const v of m.verdict_history) P.push(`<tr><td>${h(v.time)}</td><td>${h(verdictLabel(v.verdict))}</td><td>${pct(v.confidence)}</td><td>${v.decided_by} ${h(v.who)}</td><td>${h(v.reason)}</td></tr>`);
    P.push('</table>');
  }

  P.push('<h2>Regulatory clocks (reminders)</h2>', `<p class="note">${h(CLOCKS_DISCLAIMER)}</p>`);
  if (!m.clocks) P.push("<p class=\"muted\">Not started: the time the organisation became aware is not recorded. Set <code>incident.aware_at</code> in the case's context.yaml.</p>");
  else {
    P.push('<table><tr><th>due (UTC)</th><th>regime</th><th>obligation</th><th>status</th><th>basis</th></tr>');
    for (const c of m.clocks) P.push(`<tr><td class="nowrap">${h(c.due)}</td><td>${h(c.regime)}</td><td>${h(c.obligation)}</td><td class="${c.status} nowrap">${h(describeHoursLeft(c.hours_left))}</td><td class="muted">${h(c.basis)}</td></tr>`);
    P.push('</table>');
  }

  P.push('<h2>Attack timeline</h2>', timelineSvg(m.chart));
  P.push('<div class="legend"><span><i class="dot" style="background:#cf222e"></i>detection fired</span><span><i class="dot" style="background:#0969da;opacity:.55"></i>event</span><span><i class="dot" style="background:#9a6700"></i>failed call</span></div>');
  if (m.timeline.length === 0) P.push('<p class="muted">none</p>');
  else {
    P.push('<table><tr><th>time (UTC)</th><th>layer</th><th>action</th><th>actor</th><th>source</th><th>outcome</th><th>detection</th></tr>');
    for (const e of m.timeline) {
      P.push(`<tr${e.detections.length > 0 ? ' class="hit"' : ''}><td class="mono">${h(e.time)}</td><td>${h(e.layer)}</td><td>${h(e.action)}</td><td class="mono">${h(e.actor)}</td><td class="mono">${h(e.src_ip)}</td><td>${h(e.outcome)}</td><td>${h(e.detections.join('; '))}</td></tr>`);
    }
    P.push('</table>');
    if (m.timeline_omitted > 0) P.push(`<p class="muted">${m.timeline_omitted} more event(s) in scope are not listed (see normalized/events.ndjson in the bundle).</p>`);
  }

  if (m.detections.length > 0) {
    P.push('<h2>Detections</h2><table><tr><th>first seen</th><th>severity</th><th>rule</th><th>events</th><th>techniques</th><th>summary</th></tr>');
    for (const d of m.detections) P.push(`<tr><td class="mono">${h(d.first_seen)}</td><td>${h(d.severity)}</td><td>${h(d.title)}</td><td>${d.events}</td><td>${h(d.techniques.join(', '))}</td><td>${h(d.summary)}</td></tr>`);
    P.push('</table>');
  }

  const b = m.blast_radius;
  P.push('<h2>Blast radius</h2>');
  if (m.scope.kind === 'case') P.push('<p class="muted">Entities of the events a detection fired on.</p>');
  P.push('<table>');
  for (const [k, v] of [
    ['Principals', b.principals],
    ['Access keys', b.access_keys],
    ['Source IPs', b.source_ips],
    ['Accounts', b.accounts],
    ['Regions', b.regions],
    ['Resources changed', b.resources_changed],
    ['Crown jewels touched', b.crown_jewels_touched],
  ] as const) {
    P.push(`<tr><th>${k}</th><td class="mono">${v.length > 0 ? v.map(h).join('<br>') : '<span class="muted">none</span>'}</td></tr>`);
  }
  P.push('</table>');

  P.push('<h2>Actions taken</h2>', m.actions.length === 0 ? '<p class="muted">None recorded in the custody log.</p>' : ul(m.actions.map((a) => `${a.time} ${a.action}: ${a.detail}`)));
  P.push('<h2>Open questions and missing evidence</h2>', ul(m.open_questions));
  P.push('<h2>Evidence index</h2>');
  if (m.evidence_index.length === 0) P.push('<p class="muted">none</p>');
  else {
    P.push('<table><tr><th>event id</th><th>raw record sha256</th><th>cited by</th></tr>');
    for (const e of m.evidence_index) P.push(`<tr><td class="mono">${h(e.event_id)}</td><td class="mono">${h(e.raw_sha256)}</td><td>${h(e.cited_by)}</td></tr>`);
    P.push('</table>');
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(m.title)}</title><style>${CSS}</style></head>
<body><main>
${P.join('\n')}
<p class="meta">Generated by irctl from the case evidence store. Verify the bundle this report came in with <code>irctl verify</code> or the commands in docs/export.md.</p>
</main></body></html>
`;
}
