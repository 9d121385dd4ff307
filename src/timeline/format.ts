/**
 * Timeline output formats (pure): JSON lines, CSV, Markdown and Timesketch JSONL. Log content is attacker-
 * controlled: text formats strip control characters, CSV neutralises spreadsheet formulas, Markdown escapes pipes.
 */
import type { BlastRadius } from './blast-radius.js';
import type { Timeline, TimelineEntry } from './timeline.js';

/** Output formats of `irctl timeline`. */
export const TIMELINE_FORMATS = ['table', 'json', 'csv', 'md', 'timesketch'] as const;
/** One of {@link TIMELINE_FORMATS}. */
export type TimelineFormat = (typeof TIMELINE_FORMATS)[number];

/** Replace control and bidi characters (terminal escapes, line breaks inside cells). */
export function stripControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '\uFFFD');
}

/** Unique rule ids of an entry's detections, in order. */
export function entryRuleIds(e: TimelineEntry): string[] {
  return [...new Set(e.detections.map((d) => d.rule_id))];
}

/**
 * The JSON object of one entry (`irctl timeline --json`, one per line, time order). `detections` is the list of
 * rule ids the event triggered (possibly empty); `tactic` is the first of `tactics` or null.
 */
export function entryJson(threatId: string, e: TimelineEntry): Record<string, unknown> {
  return {
    threat: threatId,
    time: e.time,
    last_time: e.last_time,
    count: e.count,
    layer: e.layer,
    provider: e.provider,
    class: e.class,
    service: e.service,
    action: e.action,
    actions: e.actions,
    actor: e.actor,
    access_key: e.access_key,
    session: e.session,
    source: e.source,
    user_agent: e.user_agent,
    outcome: e.outcome,
    error_code: e.error_code,
    region: e.region,
    account: e.account,
    resources: e.resources,
    tactic: e.tactics[0] ?? null,
    tactics: e.tactics,
    detections: entryRuleIds(e),
    detection_titles: [...new Set(e.detections.map((d) => d.rule_title))],
    event_ids: e.event_ids,
    // Untrusted text (an AI invocation's prompt and output), already sanitized and cut by its adapter.
    excerpt: e.excerpt,
  };
}

/** What an entry did, for one cell: `service:Action`, or for a read-only burst the first action and how many more. */
export function entryActionLabel(e: TimelineEntry): string {
  const first = e.actions[0] ?? `${e.service ?? ''}:${e.action}`;
  const more = e.actions.length - 1;
  return more > 0 ? `${first} +${more} more read-only action${more > 1 ? 's' : ''}` : first;
}

/** The blast-radius JSON object (`irctl timeline ID --json --blast-radius`). */
export function blastJson(t: Timeline): Record<string, unknown> {
  return { threat: t.threat.id, window: t.window, truncated: t.truncated, ...t.blast_radius };
}

const CSV_HEADER = ['time', 'last_time', 'count', 'layer', 'tactics', 'service', 'action', 'actor', 'access_key', 'source', 'outcome', 'error_code', 'region', 'account', 'detections', 'resources', 'event_ids'];

function csvCell(v: string): string {
  let s = stripControls(v);
  // Spreadsheets execute cells starting with = + - @ (CSV injection): prefix a quote so they stay text.
  if (/^[=+\-@\t]/.test(s)) s = `'${s}`;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV lines, header first (RFC 4180 quoting). Lists are joined with `;`. */
export function timelineCsv(t: Timeline): string[] {
  const lines = [CSV_HEADER.join(',')];
  for (const e of t.entries) {
    lines.push(
      [
        e.time,
        e.last_time,
        String(e.count),
        e.layer,
        e.tactics.join(';'),
        e.service ?? '',
        e.action,
        e.actor ?? '',
        e.access_key ?? '',
        e.source ?? '',
        e.outcome,
        e.error_code ?? '',
        e.region ?? '',
        e.account ?? '',
        entryRuleIds(e).join(';'),
        e.resources.join(';'),
        e.event_ids.join(';'),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines;
}

function mdCell(v: string): string {
  return stripControls(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, '\\`').replace(/</g, '&lt;');
}

/** Markdown: heading, threat facts, the table, then the blast radius. */
export function timelineMarkdown(t: Timeline): string[] {
  const th = t.threat;
  const lines = [
    `# ${mdCell(th.id)}: ${mdCell(th.title)}`,
    '',
    `- Severity: ${th.severity} (priority ${th.priority})`,
    `- Detections from ${th.first_seen} to ${th.last_seen}; window ${t.window.from} to ${t.window.to}`,
    `- Techniques: ${th.techniques.map(mdCell).join(', ') || '-'}`,
    ...th.context_notes.map((n) => `- Context: ${mdCell(n)}`),
    ...(t.truncated ? [`- Truncated: only the first ${t.events} events are shown`] : []),
    '',
    '| Time (UTC) | Count | Layer | Tactic | Action | Actor | Source | Outcome | Detections |',
    '|---|---:|---|---|---|---|---|---|---|',
  ];
  for (const e of t.entries) {
    lines.push(
      `| ${e.time}${e.count > 1 ? ` to ${e.last_time}` : ''} | ${e.count} | ${e.layer} | ${mdCell(e.tactics.join(', '))} | ${mdCell(
        entryActionLabel(e),
      )}${excerptMd(e.excerpt)} | ${mdCell(e.actor ?? '-')} | ${mdCell(e.source ?? '-')} | ${mdCell(e.error_code ? `${e.outcome} (${e.error_code})` : e.outcome)} | ${mdCell(
        e.detections.map((d) => d.rule_title).filter((v, i, a) => a.indexOf(v) === i).join('; '),
      )} |`,
    );
  }
  lines.push('', '## Blast radius', '', ...blastLines(t.blast_radius).map((l) => `- ${mdCell(l)}`));
  return lines;
}

/**
 * An excerpt of untrusted text for a Markdown cell: on its own line, labelled, as inline code (nothing in it renders
 * as Markdown or HTML; backticks inside are replaced so the span cannot be closed early). Empty when none.
 */
export function excerptMd(excerpt: string | null | undefined): string {
  if (!excerpt) return '';
  return `<br>untrusted text: \`${stripControls(excerpt).replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/** Human lines describing the blast radius (used by the table and Markdown formats). */
export function blastLines(b: BlastRadius, max = 10): string[] {
  const list = (name: string, v: readonly string[]): string =>
    `${name} (${v.length}): ${v.length === 0 ? '-' : v.slice(0, max).join(', ') + (v.length > max ? `, ... ${v.length - max} more` : '')}`;
  return [
    list('principals', b.principals),
    list('access keys', b.access_keys),
    list('sessions', b.sessions),
    list('roles assumed', b.roles_assumed),
    list('credentials issued', b.credentials_issued ?? []),
    list('resources read', b.resources_read),
    list('resources written', b.resources_written),
    list('resources attempted (failed)', b.resources_attempted),
    list('regions', b.regions),
    list('accounts', b.accounts),
    list('sources', b.sources),
    `events: ${b.events} (${b.failed_events} failed)`,
  ];
}

/**
 * Timesketch JSONL: one line per EVENT (never collapsed: Timesketch does its own grouping), with the three required
 * fields `message`, `datetime` (ISO 8601) and `timestamp_desc`, plus `timestamp` in microseconds and the event's
 * attributes. Pass a timeline built with `collapse: false`; collapsed entries are expanded by event id anyway.
 */
export function timesketchLines(t: Timeline): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const e of t.entries) {
    const rules = entryRuleIds(e);
    const message = `${e.actor ?? '?'} ${e.service ?? ''}:${e.action} from ${e.source ?? '?'}: ${e.outcome}${e.error_code ? ` (${e.error_code})` : ''}${
      rules.length > 0 ? ` [${[...new Set(e.detections.map((d) => d.rule_title))].join('; ')}]` : ''
    }`;
    for (const id of e.event_ids) {
      out.push({
        message,
        datetime: e.time,
        timestamp: e.time_ms * 1000,
        timestamp_desc: 'Event Time',
        data_type: e.data_type,
        event_id: id,
        threat_id: t.threat.id,
        layer: e.layer,
        service: e.service,
        action: e.action,
        actor: e.actor,
        access_key: e.access_key,
        source: e.source,
        user_agent: e.user_agent,
        outcome: e.outcome,
        region: e.region,
        account: e.account,
        resources: e.resources,
        tactics: e.tactics,
        detections: rules,
        ...(e.excerpt ? { excerpt: e.excerpt } : {}),
        tag: rules.length > 0 ? ['irctl-detection', ...e.tactics] : [],
      });
    }
  }
  return out;
}

/** Layers in lane order (the order an intrusion usually crosses them). */
export const LANE_ORDER = ['identity', 'control_plane', 'ai', 'workload', 'network', 'context'] as const;

/** Display labels of layers (lane headers, chart lanes). */
export const LAYER_LABELS: Readonly<Record<string, string>> = {
  identity: 'IDENTITY',
  control_plane: 'CONTROL PLANE',
  ai: 'AI',
  workload: 'WORKLOAD',
  network: 'NETWORK',
  context: 'CONTEXT',
};

/** The layers a timeline's entries are on, in lane order (unknown layers last, by name). */
export function laneLayers(t: Pick<Timeline, 'entries'>): string[] {
  const present = new Set(t.entries.map((e) => e.layer));
  const known = LANE_ORDER.filter((l) => present.has(l));
  const other = [...present].filter((l) => !(LANE_ORDER as readonly string[]).includes(l)).sort();
  return [...known, ...other];
}

/** One entry in its lane: `!` when it triggered a detection, then the action and who did it. */
export function laneCell(e: TimelineEntry): string {
  const who = e.actor ?? e.source ?? '';
  const short = who.includes('/') ? who.slice(who.lastIndexOf('/') + 1) : who;
  return `${e.detections.length > 0 ? '! ' : ''}${entryActionLabel(e)}${short ? ` (${short})` : ''}`;
}
