/** Human-readable summary of a detect run (pure). Threat titles come from rule titles and log values: sanitized. */
import type { DetectSummary } from './run-detect.js';

// eslint-disable-next-line no-control-regex
const clean = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '\uFFFD');
const n = (v: number): string => v.toLocaleString('en-US');

/** Lines printed by `irctl detect` without --json. */
export function renderDetectSummary(s: DetectSummary, maxThreats = 15): string[] {
  const skipped = s.rule_errors > 0 ? ` (${n(s.rule_errors)} skipped with errors, see warnings above)` : '';
  const lines = [
    `detect: ${n(s.events)} events, ${n(s.rules)} rules${skipped}`,
    `${n(s.detections)} detection(s) -> ${n(s.threats)} threat(s)${s.new_threats > 0 ? `, ${n(s.new_threats)} new` : ''}${
      s.merged_threats.length > 0 ? `; merged: ${s.merged_threats.map((m) => `${m.id} into ${m.into}`).join(', ')}` : ''
    }`,
  ];
  const sev = ['critical', 'high', 'medium', 'low', 'informational'].filter((k) => (s.by_severity[k] ?? 0) > 0);
  if (sev.length > 0) lines.push(`detections by severity: ${sev.map((k) => `${k} ${n(s.by_severity[k] ?? 0)}`).join(', ')}`);
  if (s.threat_list.length > 0) {
    lines.push('');
    const idw = Math.max(2, ...s.threat_list.map((t) => t.id.length));
    for (const t of s.threat_list.slice(0, maxThreats)) {
      lines.push(
        `${t.id.padEnd(idw)}  ${t.severity.padEnd(13)} ${String(t.priority).padStart(3)}  ${t.first_seen.slice(0, 16).replace('T', ' ')}  ${clean(t.title)}${
          t.kept ? '' : '  [new]'
        }`,
      );
    }
    if (s.threat_list.length > maxThreats) lines.push(`... ${s.threat_list.length - maxThreats} more: irctl threats`);
  }
  if (!s.exposure_context && s.threats > 0) lines.push('', 'note: no EC2 context in the case, so public exposure could not raise any severity');
  if (s.threat_list[0]) lines.push('', `next: irctl threats show ${s.threat_list[0].id}   irctl timeline ${s.threat_list[0].id}`);
  // The new custody head, as every writing command prints it: the last line.
  if (s.custody_head) lines.push(`custody   head ${s.custody_head.hash} (entry ${s.custody_head.seq})`);
  return lines;
}
