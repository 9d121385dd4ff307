/**
 * Edits of the operator context file (`irctl context add-change-window`, `set-aware`, `add-red-team-marker`):
 * comments and layout of context.yaml are kept (yaml Document API), and the result is validated before it is
 * written. Pure text-in, text-out.
 */
import { parseDocument } from 'yaml';
import { parseContext } from '../context/context.js';

/** A change window to add. */
export interface ChangeWindowInput {
  id: string;
  start: string;
  end: string;
  principals: string[];
  description?: string | undefined;
}

/** Result of an edit: the new text, or the problems that stop it. */
export interface EditResult {
  text: string;
  errors: string[];
  warnings: string[];
}

function finish(text: string, file: string): EditResult {
  const r = parseContext(text, file);
  return { text, errors: r.errors, warnings: r.warnings };
}

/** Add a change window (an existing id is an error). */
export function addChangeWindow(current: string, w: ChangeWindowInput, file: string): EditResult {
  const doc = parseDocument(current === '' ? '{}' : current);
  const existing = doc.getIn(['change_windows']) as { items?: unknown[] } | undefined;
  const parsed = parseContext(current, file);
  if (parsed.context?.change_windows.some((x) => x.id === w.id)) return { text: current, errors: [`${file}: change window ${w.id} already exists`], warnings: [] };
  const item: Record<string, unknown> = { id: w.id, start: w.start, end: w.end };
  if (w.principals.length > 0) item.principals = w.principals;
  if (w.description) item.description = w.description;
  if (existing === undefined || existing === null) doc.setIn(['change_windows'], doc.createNode([item]));
  else doc.addIn(['change_windows'], doc.createNode(item));
  return finish(doc.toString(), file);
}

/** Set incident.aware_at. */
export function setAwareAt(current: string, at: string, file: string): EditResult {
  const doc = parseDocument(current === '' ? '{}' : current);
  doc.setIn(['incident', 'aware_at'], at);
  return finish(doc.toString(), file);
}

/** Declare a red-team user-agent marker. */
export function addRedTeamMarker(current: string, marker: string, file: string): EditResult {
  const parsed = parseContext(current, file);
  if (parsed.context?.red_team.user_agent_markers.includes(marker)) return { text: current, errors: [], warnings: [`${file}: marker "${marker}" is already declared`] };
  const doc = parseDocument(current === '' ? '{}' : current);
  if (doc.getIn(['red_team', 'user_agent_markers']) === undefined) doc.setIn(['red_team', 'user_agent_markers'], doc.createNode([marker]));
  else doc.addIn(['red_team', 'user_agent_markers'], marker);
  return finish(doc.toString(), file);
}
