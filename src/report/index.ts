/**
 * `irctl report`: the after-action report of a threat (or the whole case) as Markdown or self-contained HTML.
 */
import type { CaseHandle } from '../case/case.js';
import { loadContext } from '../context/context.js';
import { UsageError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { chainHead } from '../store/custody.js';
import { clearScope, getThreat, listThreatRows, scopeThreatEvents } from '../store/export-repo.js';
import { buildTimeline, normalizeThreatId } from '../timeline/timeline.js';
import { buildReport } from './gather.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { ReportModel } from './model.js';

export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export type { ReportModel } from './model.js';

/** What to report on. */
export interface ReportRequestOptions {
  /** Threat id, or undefined for the whole case. */
  threatId: string | undefined;
  /** Time the report is "as of" (the regulatory clocks count from here). */
  asOf: Date;
  /** Diagnostics. */
  io: IoHost;
}

/** Build the report model of a threat or the case. */
export function reportModel(kase: CaseHandle, opts: ReportRequestOptions): ReportModel {
  const db = kase.db;
  const threat = opts.threatId !== undefined ? getThreat(db, normalizeThreatId(opts.threatId)) : undefined;
  if (opts.threatId !== undefined && !threat) {
    const known = listThreatRows(db).map((t) => t.id);
    throw new UsageError(`no threat ${opts.threatId} in the case ${kase.dir}`, {
      hint: known.length > 0 ? `Known threats: ${known.slice(0, 10).join(', ')}. Or report on the whole case with --all.` : 'Run `irctl detect` first, or report on the whole case with --all.',
    });
  }
  const { context, warnings } = loadContext(kase.contextPath);
  for (const w of warnings) opts.io.notify({ level: 'warn', code: 'IRCTL_REPORT_W6101', message: w });
  try {
    if (threat) scopeThreatEvents(db, threat, buildTimeline(db, threat.id).entries.flatMap((e) => e.event_ids));
    return buildReport(db, { threat, scoped: threat !== undefined, context, asOf: opts.asOf.toISOString(), custodyHead: chainHead(db) });
  } finally {
    clearScope(db);
  }
}

/** Render a model in a format. */
export function renderReport(model: ReportModel, format: 'md' | 'html'): string {
  return format === 'html' ? renderHtml(model) : renderMarkdown(model);
}
