/**
 * The report as one self-contained HTML file: inline CSS, an inline SVG timeline chart, no scripts, no external
 * assets (a Content-Security-Policy of `default-src 'none'` makes sure nothing is fetched). Every value from the
 * evidence is HTML-escaped. Pure.
 */
import { LANE_ORDER, LAYER_LABELS } from '../timeline/format.js';
import { readableSpan } from '../util/time.js';
import { anchorId, distinctIds } from './anchors.js';
import { CLOCKS_DISCLAIMER, describeHoursLeft } from './clocks.js';
import { verdictLabel, type ChartPoint, type EvidenceEntry, type ReportModel } from './model.js';

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

/**
 * Layers in lane order, the order an intrusion usually crosses them (the same as `irctl timeline --format lanes`);
 * a layer not listed here gets a lane after them (alphabetical).
 */
const LANES = LANE_ORDER;

/** A lane's label: the layer's name as people write it, and how many of the chart's events it holds. */
export function laneLabel(layer: string, events: number): string {
  const name = LAYER_LABELS[layer];
  const readable = name === undefined ? layer : name === 'AI' ? name : name.charAt(0) + name.slice(1).toLowerCase();
  return `${readable} (${events})`;
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Tick spacings a reader counts in: the smallest one giving at most 8 ticks is used. */
const TICK_STEPS = [SEC, 2 * SEC, 5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];

/**
 * Ticks at round UTC times inside [min, max]. Below a day apart: a time line, and a date line on the first tick
 * and wherever the day changes; a day or more apart: the date alone on every tick.
 */
export function chartTicks(min: number, max: number): Array<{ t: number; time: string | null; date: string | null }> {
  const span = Math.max(max - min, 1);
  const step = TICK_STEPS.find((s) => span / s <= 8) ?? 365 * DAY;
  const out: Array<{ t: number; time: string | null; date: string | null }> = [];
  let lastDate = '';
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) {
    const iso = new Date(t).toISOString();
    const date = iso.slice(0, 10);
    if (step >= DAY) out.push({ t, time: null, date });
    else out.push({ t, time: step < MIN ? iso.slice(11, 19) : iso.slice(11, 16), date: date !== lastDate ? date : null });
    lastDate = date;
  }
  // A span shorter than one step (or falling between two round times) still gets its ends labelled.
  if (out.length === 0) {
    const iso = new Date(min).toISOString();
    out.push({ t: min, time: iso.slice(11, 19), date: iso.slice(0, 10) });
  } else if (out[0] && out[0].date === null && step < DAY) {
    out[0].date = new Date(out[0].t).toISOString().slice(0, 10);
  }
  return out;
}

/** The layers that get a lane: only those with points, known layers in their usual order first. */
export function chartLanes(points: readonly ChartPoint[]): string[] {
  const present = new Set(points.map((p) => p.layer));
  return [...LANES.filter((l) => present.has(l)), ...[...present].filter((l) => !(LANES as readonly string[]).includes(l)).sort()];
}

function pointTitle(p: ChartPoint): string {
  const when = new Date(p.t).toISOString().replace('T', ' ').replace('Z', ' UTC');
  return [when, p.layer, p.action, p.actor ?? 'unknown actor', p.outcome, ...(p.flagged ? ['detection fired'] : [])].join(' · ');
}

/**
 * Inline SVG: one lane per layer present (labelled), a dot per event (red and larger when a detection fired) with
 * its time, action and actor shown on hover (`<title>`) and a link to its timeline line when that line is listed;
 * a UTC axis at round times with dates where the day changes. `listed` holds the event ids of the listed timeline.
 */
export function timelineSvg(points: readonly ChartPoint[], listed: ReadonlySet<string> = new Set()): string {
  const W = 960;
  const left = 130;
  const right = 20;
  // Dots are inset so the first and last (r = 5, plus a stroke) are drawn whole inside the plot.
  const pad = 12;
  const laneH = 34;
  const top = 16;
  if (points.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="no events" viewBox="0 0 ${W} 60" width="100%"><text x="${W / 2}" y="34" text-anchor="middle" class="muted">no events in scope</text></svg>`;
  }
  const lanes = chartLanes(points);
  const H = top + lanes.length * laneH + 62;
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (p.t < min) min = p.t;
    if (p.t > max) max = p.t;
  }
  const span = Math.max(max - min, 1);
  const x = (t: number): number => left + pad + ((t - min) / span) * (W - left - right - 2 * pad);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="attack timeline by layer" viewBox="0 0 ${W} ${H}" width="100%">`,
    `<title>Events by layer over time (UTC); hover a dot for its time, action and actor</title>`,
  ];
  const perLane = new Map<string, number>();
  for (const p of points) perLane.set(p.layer, (perLane.get(p.layer) ?? 0) + 1);
  lanes.forEach((l, i) => {
    const y = top + i * laneH;
    out.push(`<rect x="${left}" y="${y}" width="${W - left - right}" height="${laneH - 4}" class="lane${i % 2}" data-layer="${h(l)}"/>`);
    out.push(`<text x="${left - 8}" y="${y + laneH / 2 + 2}" text-anchor="end" class="lbl">${h(laneLabel(l, perLane.get(l) ?? 0))}</text>`);
  });
  const axisY = top + lanes.length * laneH + 4;
  out.push(`<line x1="${left}" y1="${axisY}" x2="${W - right}" y2="${axisY}" class="axis"/>`);
  for (const k of chartTicks(min, max)) {
    const tx = x(k.t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 5}" class="axis"/>`);
    if (k.time !== null) out.push(`<text x="${tx}" y="${axisY + 18}" text-anchor="middle" class="tick">${h(k.time)}</text>`);
    if (k.date !== null) out.push(`<text x="${tx}" y="${axisY + (k.time !== null ? 32 : 18)}" text-anchor="middle" class="tick date">${h(k.date)}</text>`);
  }
  out.push(`<text x="${W - right}" y="${axisY + 50}" text-anchor="end" class="tick">${h(readableSpan(new Date(min).toISOString(), new Date(max).toISOString()))}</text>`);
  // Unflagged first so flagged dots are drawn on top.
  for (const flagged of [false, true]) {
    for (const p of points) {
      if (p.flagged !== flagged) continue;
      const li = lanes.indexOf(p.layer);
      const cy = top + li * laneH + (laneH - 4) / 2;
      const cls = flagged ? 'hit' : p.outcome === 'failure' ? 'fail' : 'ev';
      const dot = `<circle cx="${x(p.t).toFixed(1)}" cy="${cy}" r="${flagged ? 5 : 3}" class="${cls}"><title>${h(pointTitle(p))}</title></circle>`;
      out.push(listed.has(p.id) ? `<a href="#${anchorId('tl', p.id)}">${dot}</a>` : dot);
    }
  }
  out.push('</svg>');
  return out.join('');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0;background:#fff}
main{max-width:1400px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta,.muted{color:#57606a;font-size:12px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.v,.nowrap{white-space:nowrap}.prt{display:none}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #d8dee4;padding:4px 6px;text-align:left;vertical-align:top;font-size:12.5px}
th{background:#f6f8fa;white-space:nowrap}tr.hit td{background:#fff1f0}
.excerpt{font-size:12px;max-width:36em;overflow-wrap:anywhere}.excerpt q{quotes:none}
tr:target td,li:target{background:#fff8c5;outline:2px solid #d4a72c}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
.cites a{white-space:nowrap}td.cited{min-width:12em}
.verdict{display:inline-block;padding:4px 10px;border-radius:6px;font-weight:600;color:#fff;background:#57606a}
.v-malicious{background:#cf222e}.v-security_test{background:#8250df}.v-planned_action{background:#0969da}.v-not_malicious{background:#1a7f37}.v-inconclusive{background:#9a6700}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px;font-size:12.5px}
.passed{color:#cf222e;font-weight:600}.open{color:#1a7f37}
svg .lane0{fill:#f6f8fa}svg .lane1{fill:#eef1f4}svg .lbl{font-size:12px;fill:#1b1f24}svg .tick{font-size:11px;fill:#57606a}svg .date{font-weight:600;fill:#1b1f24}
svg .axis{stroke:#8c959f;stroke-width:1}svg .ev{fill:#0969da;fill-opacity:.55}svg .fail{fill:#9a6700;fill-opacity:.7}svg .hit{fill:#cf222e;stroke:#fff;stroke-width:1}
svg circle:hover{stroke:#1b1f24;stroke-width:2}svg .muted{fill:#57606a}
.legend span{margin-right:14px;font-size:12px}.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:middle}
ul{margin:4px 0;padding-left:22px}
@media print{
  @page{size:A4 landscape;margin:12mm}
  body{font-size:11px}main{max-width:none;padding:0}
  th,td{font-size:10px;padding:2px 4px}code,.mono{font-size:10px}
  .scroll{overflow:visible}
  .v.long{white-space:normal;overflow-wrap:anywhere}.appendix td:last-child,.appendix th:last-child{display:none}.prt{display:inline}.scr{display:none}
  tr,li{break-inside:avoid}h2{break-after:avoid}
  a{color:inherit}
  .verdict,tr.hit td,.note,th,svg{print-color-adjust:exact;-webkit-print-color-adjust:exact}
  tr:target td,li:target{background:none;outline:none}
}
`;

/** Values longer than this are shown abbreviated in tables, in full in the `title` (and in the bundle). */
const ABBREVIATE_AT = 96;

/**
 * A value that must not wrap mid-value (a timestamp, ARN, IP, id, hash): monospace, no-wrap; an over-long one
 * (attacker-controlled text can be any length) is abbreviated with the full value in its `title`. `long` lets a
 * hash (or any value over 48 characters) wrap when printed, where a table cannot scroll.
 */
function val(v: string | null | undefined, opts: { long?: boolean } = {}): string {
  if (v === null || v === undefined || v === '') return '';
  // On paper a table cannot scroll: a value this long may wrap there rather than be cut off at the page edge.
  const cls = `mono v${opts.long || v.length > 48 ? ' long' : ''}`;
  if (v.length <= ABBREVIATE_AT) return `<span class="${cls}">${h(v)}</span>`;
  return `<span class="${cls}" title="${h(v)}">${h(v.slice(0, 60))}…${h(v.slice(-30))}</span>`;
}

/**
 * Values inside running text that must not break mid-value: UTC timestamps, ARNs, IPv4 and IPv6 addresses (an IPv6
 * match needs a letter or `::`, so clock times like 02:13:05 are not taken for one).
 */
const VALUE_RE =
  /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z|arn:[a-z0-9-]{1,64}:[^\s,;|<>()[\]"']{1,2048}|(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])|(?<![\w:])(?=[0-9a-f:]*(?:[a-f]|::))(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi;

/** Running text, escaped, with every timestamp, ARN and IP address in it kept on one line. */
export function prose(v: string | null | undefined): string {
  const s = v ?? '';
  let out = '';
  let at = 0;
  for (const m of s.matchAll(VALUE_RE)) {
    const i = m.index;
    // A sentence's full stop after an ARN is not part of it. (Bounded quantifiers: log text can be long.)
    const v = m[0].replace(/\.+$/, '');
    if (v === '') continue;
    // On paper an over-long value (a session ARN) may wrap rather than push a table past the page, as in val().
    out += `${h(s.slice(at, i))}<span class="v${v.length > 48 ? ' long' : ''}">${h(v)}</span>`;
    at = i + v.length;
  }
  return out + h(s.slice(at));
}

/** A SHA-256: abbreviated on screen (the full value in its `title`), in full when printed. */
function hash(v: string | null): string {
  if (!v) return '';
  return `<span class="mono v scr" title="${h(v)}">${h(v.slice(0, 16))}…</span><span class="mono v long prt">${h(v)}</span>`;
}

/** A table that scrolls sideways on a narrow screen instead of wrapping values. */
function table(head: readonly string[], rows: readonly string[], cls?: string): string {
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr>${rows.join('')}</table></div>`;
}

function ul(items: readonly string[], empty = 'none', fmt: (s: string) => string = h): string {
  return items.length === 0 ? `<p class="muted">${h(empty)}</p>` : `<ul>${items.map((i) => `<li>${fmt(i)}</li>`).join('')}</ul>`;
}

const pct = (c: number | null): string => (c === null ? '-' : `${Math.round(c * 100)}%`);

/** The anchors a report renders, so links are made only to rows that exist. */
interface Targets {
  /** Ids with an evidence appendix row. */
  appendix: ReadonlySet<string>;
  /** Event ids with a timeline line. */
  timeline: ReadonlySet<string>;
  /** `det:` ids with a detections row. */
  detections: ReadonlySet<string>;
  /** Investigation ids with a verdict history row. */
  history: ReadonlySet<string>;
}

/** A cited id: a link to its appendix row when it has one. */
function citeLink(id: string, t: Targets): string {
  const text = id.length > ABBREVIATE_AT ? `${h(id.slice(0, 60))}…` : h(id);
  const title = id.length > ABBREVIATE_AT ? ` title="${h(id)}"` : '';
  return t.appendix.has(id) ? `<a class="mono" href="#${anchorId('ap', id)}"${title}>${text}</a>` : `<span class="mono"${title}>${text}</span>`;
}

/** Where an appendix row leads: the timeline line(s), the detections row, the verdict history row. */
function leadsTo(e: EvidenceEntry, t: Targets): string {
  const links: string[] = [];
  if (e.kind === 'detection' && t.detections.has(e.id)) links.push(`<a href="#${anchorId('dt', e.id)}">detection</a>`);
  if (e.kind === 'investigation') {
    const inv = [...t.history].find((i) => i.startsWith(e.id.slice(4)));
    if (inv !== undefined) links.push(`<a href="#${anchorId('vh', inv)}">verdict history</a>`);
  }
  const listed = e.event_ids.filter((id) => t.timeline.has(id));
  if (listed.length > 0) {
    const shown = listed.slice(0, 5).map((id, i) => `<a href="#${anchorId('tl', id)}">${e.kind === 'event' ? 'timeline' : i === 0 ? 'events 1' : i + 1}</a>`);
    links.push(shown.join(' ') + (listed.length > 5 ? ` <span class="muted">+${listed.length - 5}</span>` : ''));
  } else if (e.kind === 'event') links.push('<span class="muted" title="the timeline lists the first lines only; the bundle holds every event">not listed</span>');
  return links.join(' · ');
}

/** Render the self-contained HTML report. */
export function renderHtml(m: ReportModel): string {
  const P: string[] = [];
  const t = m.threat;
  const targets: Targets = {
    appendix: new Set(m.evidence_index.map((e) => e.id)),
    timeline: new Set(m.timeline.map((e) => e.event_id)),
    detections: new Set(m.detections.map((d) => d.id)),
    history: new Set(m.verdict_history.length > 1 ? m.verdict_history.flatMap((v) => (v.decided_by === 'machine' && v.investigation_id ? [v.investigation_id] : [])) : []),
  };
  P.push(`<h1>${h(m.title)}</h1>`);
  P.push(`<div class="meta">As of ${val(m.as_of)} UTC · custody chain head ${val(m.custody_head.hash, { long: true })} (entry ${m.custody_head.seq})${m.incident_name ? ` · incident: ${h(m.incident_name)}` : ''}</div>`);

  P.push('<h2>Summary</h2><div class="scroll"><table>');
  if (t) {
    P.push(`<tr><th>Threat</th><td><b>${h(t.id)}</b> ${h(t.title)}</td></tr>`);
    P.push(`<tr><th>Severity</th><td>${h(t.severity)} (priority ${t.priority})</td></tr>`);
    P.push(`<tr><th>Active</th><td>${val(t.first_seen)} to ${val(t.last_seen)}</td></tr>`);
    P.push(`<tr><th>Techniques</th><td>${h(t.techniques.join(', ') || 'none')}${t.tactics.length > 0 ? ` (${h(t.tactics.join(', '))})` : ''}</td></tr>`);
    P.push(`<tr><th>Entities</th><td>${t.entities.length > 0 ? t.entities.map((e) => `${h(e.kind)} ${val(e.value)}`).join('<br>') : 'none'}</td></tr>`);
    for (const n of t.context_notes) P.push(`<tr><th>Context</th><td>${prose(n)}</td></tr>`);
  }
  P.push(
    `<tr><th>Events in scope</th><td>${m.events_total}${m.span.first ? ` (${val(m.span.first)} to ${val(m.span.last)})` : ''}; ${m.layers.map((l) => `${h(l.layer)} ${l.events}`).join(', ') || 'none'}</td></tr>`,
  );
  P.push(`<tr><th>Detections</th><td>${m.detections.length}</td></tr></table></div>`);
  if (m.summary && m.verdict?.reason !== m.summary) P.push(`<p>${prose(m.summary)}</p>`);

  if (m.scope.kind === 'case') {
    P.push('<h2>Threats</h2>');
    if (m.threats.length === 0) P.push('<p class="muted">none</p>');
    else {
      P.push(
        table(
          ['id', 'severity', 'title', 'first seen', 'last seen', 'verdict'],
          m.threats.map(
            (x) => `<tr><td class="v">${h(x.id)}</td><td>${h(x.severity)}</td><td>${prose(x.title)}</td><td>${val(x.first_seen)}</td><td>${val(x.last_seen)}</td><td>${h(x.verdict ? verdictLabel(x.verdict) : 'not investigated')}</td></tr>`,
          ),
        ),
      );
    }
  }

  P.push('<h2 id="verdict">Verdict</h2>');
  if (!m.verdict) P.push(`<p class="muted">${m.scope.kind === 'threat' ? 'Not investigated yet.' : 'See the verdict of each threat above.'}</p>`);
  else {
    const v = m.verdict;
    P.push(
      `<p><span class="verdict v-${h(v.verdict)}">${h(verdictLabel(v.verdict))}</span> ${v.confidence !== null ? `confidence <b>${pct(v.confidence)}</b>, ` : ''}decided by ${v.decided_by === 'analyst' ? `analyst <b>${h(v.who)}</b>` : `machine (${h(v.who)})`} at ${val(v.time)}</p>`,
    );
    if (v.reason) P.push(`<p>${v.decided_by === 'analyst' ? 'Reason' : 'Summary'}: ${prose(v.reason)}</p>`);
  }
  const rp = m.rejected_proposal;
  if (rp) {
    P.push(
      `<p class="note">The model proposed <b>${h(verdictLabel(rp.verdict))}</b>${rp.confidence !== null ? ` (confidence ${pct(rp.confidence)})` : ''}; the checks in code <b>rejected</b> it (${h(rp.rejected_by.join(', '))}). Its summary, not used: ${prose(rp.summary)}</p>`,
    );
  }
  if (m.rationale.length > 0) {
    P.push('<p>Rationale (each claim cites evidence; follow an id to the evidence appendix):</p>');
    P.push(`<ul>${m.rationale.map((c) => `<li>${prose(c.claim)} <span class="cites">[${distinctIds(c.evidence_ids).map((id) => citeLink(id, targets)).join(', ')}]</span></li>`).join('')}</ul>`);
  }
  if (m.verdict_history.length > 1) {
    P.push(
      table(
        ['time', 'verdict', 'confidence', 'decided by', 'reason'],
        m.verdict_history.map((v) => {
          const anchor = v.decided_by === 'machine' && v.investigation_id ? ` id="${anchorId('vh', v.investigation_id)}"` : '';
          return `<tr${anchor}><td>${val(v.time)}</td><td>${h(verdictLabel(v.verdict))}</td><td>${pct(v.confidence)}</td><td>${v.decided_by} ${h(v.who)}</td><td>${prose(v.reason)}</td></tr>`;
        }),
      ),
    );
  }

  P.push('<h2>Regulatory clocks (reminders)</h2>', `<p class="note">${h(CLOCKS_DISCLAIMER)}</p>`);
  if (!m.clocks) P.push("<p class=\"muted\">Not started: the time the organisation became aware is not recorded. Set <code>incident.aware_at</code> in the case's context.yaml.</p>");
  else {
    P.push(
      table(
        ['due (UTC)', 'regime', 'obligation', 'status', 'basis'],
        m.clocks.map((c) => `<tr><td>${val(c.due)}</td><td>${h(c.regime)}</td><td>${h(c.obligation)}</td><td class="${c.status} nowrap">${h(describeHoursLeft(c.hours_left))}</td><td class="muted">${h(c.basis)}</td></tr>`),
      ),
    );
  }

  P.push('<h2 id="timeline">Attack timeline</h2>', timelineSvg(m.chart, targets.timeline));
  P.push(
    '<div class="legend"><span><i class="dot" style="background:#cf222e"></i>detection fired</span><span><i class="dot" style="background:#0969da;opacity:.55"></i>event</span><span><i class="dot" style="background:#9a6700"></i>failed call</span><span class="muted">hover a dot for its time, action and actor; click it for its line below</span></div>',
  );
  if (m.timeline.length === 0) P.push('<p class="muted">none</p>');
  else {
    P.push(
      table(
        ['time (UTC)', 'layer', 'action', 'actor', 'source', 'outcome', 'detection'],
        m.timeline.map((e) => {
          const time = targets.appendix.has(e.event_id) ? `<a href="#${anchorId('ap', e.event_id)}" title="evidence appendix">${val(e.time)}</a>` : val(e.time);
          return `<tr id="${anchorId('tl', e.event_id)}"${e.detections.length > 0 ? ' class="hit"' : ''}><td>${time}</td><td>${h(e.layer)}</td><td>${h(e.action)}${e.excerpt ? `<div class="excerpt" title="untrusted text copied from the log record (irctl show ${h(e.event_id)} --raw has it in full)"><span class="muted">untrusted text:</span> <q class="mono">${h(e.excerpt)}</q></div>` : ''}</td><td>${val(e.actor)}</td><td>${val(e.src_ip)}</td><td>${h(e.outcome)}</td><td>${prose(e.detections.join('; '))}</td></tr>`;
        }),
      ),
    );
    if (m.timeline_omitted > 0) P.push(`<p class="muted">${m.timeline_omitted} more event(s) in scope are not listed (see normalized/events.ndjson in the bundle).</p>`);
  }

  if (m.detections.length > 0) {
    P.push('<h2>Detections</h2>');
    P.push(
      table(
        ['id', 'first seen', 'severity', 'rule', 'events', 'techniques', 'summary'],
        m.detections.map((d) => {
          const first = d.event_ids.find((id) => targets.timeline.has(id));
          const events = first !== undefined ? `<a href="#${anchorId('tl', first)}" title="first listed event">${d.events}</a>` : String(d.events);
          const id = targets.appendix.has(d.id) ? `<a href="#${anchorId('ap', d.id)}">${val(d.id)}</a>` : val(d.id);
          return `<tr id="${anchorId('dt', d.id)}"><td>${id}</td><td>${val(d.first_seen)}</td><td>${h(d.severity)}</td><td>${h(d.title)}</td><td>${events}</td><td>${h(d.techniques.join(', '))}</td><td>${prose(d.summary)}</td></tr>`;
        }),
      ),
    );
  }

  const b = m.blast_radius;
  P.push('<h2>Blast radius</h2>');
  if (m.scope.kind === 'case') P.push('<p class="muted">Entities of the events a detection fired on.</p>');
  const blast = (
    [
      ['Principals', b.principals],
      ['Access keys', b.access_keys],
      ['Source IPs', b.source_ips],
      ['Accounts', b.accounts],
      ['Regions', b.regions],
      ['Resources changed', b.resources_changed],
      ['Crown jewels touched', b.crown_jewels_touched],
    ] as const
  ).map(([k, v]) => `<tr><th>${k}</th><td>${v.length > 0 ? v.map((x) => val(x)).join('<br>') : '<span class="muted">none</span>'}</td></tr>`);
  P.push(`<div class="scroll"><table>${blast.join('')}</table></div>`);

  P.push('<h2>Actions taken</h2>', m.actions.length === 0 ? '<p class="muted">None recorded in the custody log.</p>' : ul(m.actions.map((a) => `${a.time} ${a.action}: ${a.detail}`), 'none', prose));
  const rc = m.recommended_containment;
  if (rc) {
    P.push('<h3>Recommended containment</h3>', '<p class="muted">From <code>irctl contain</code> (dry run; execute with <code>irctl contain &lt;threat&gt; --execute</code>).</p>');
    const steps = rc.steps.map((st) => `${st.id} [${st.status}] ${st.title} (risk ${st.risk}, ${st.reversible ? 'reversible' : 'not reversible'})`);
    P.push(ul([...steps, ...rc.notes.map((n) => `note: ${n}`)], 'No steps planned.', prose));
  }
  P.push('<h2>Open questions and missing evidence</h2>', ul(m.open_questions, 'none', prose));
  P.push('<h2 id="evidence">Evidence appendix</h2>');
  if (m.evidence_index.length === 0) P.push('<p class="muted">none</p>');
  else {
    P.push(
      '<p class="muted">Every id the report cites: what it is, the SHA-256 of an event\'s raw record exactly as stored (evidence/raw-records.ndjson in the bundle), and where it leads. <code>irctl show &lt;id&gt;</code> opens any of them.</p>',
    );
    P.push(
      table(
        ['evidence id', 'time (UTC)', 'what', 'raw record sha256', 'cited by', 'leads to'],
        m.evidence_index.map(
          (e) =>
            `<tr id="${anchorId('ap', e.id)}"><td>${val(e.id)}</td><td>${val(e.time)}</td><td>${e.kind === 'unknown' ? '<b>not found:</b> ' : ''}${prose(e.detail)}</td><td>${hash(e.raw_sha256)}</td><td class="cited">${prose(e.cited_by)}</td><td class="nowrap">${leadsTo(e, targets)}</td></tr>`,
        ),
        'appendix',
      ),
    );
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
