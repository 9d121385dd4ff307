/**
 * Excerpts of untrusted text (issue 16): what timelines and reports show of a text an attacker may control (the
 * prompt and output of a model invocation), instead of the text. Made by source adapters when they normalize a
 * record and stored as the event's `excerpt`; the full text stays in the raw record (`irctl show <id> --raw`).
 * Renderers escape it again for their format (defence in depth) and label it as untrusted. Pure.
 */
import { INVISIBLE_RE, VARIATION_RE } from '../investigate/decode.js';

/** Default length of one excerpt, in characters (code points). */
export const EXCERPT_CHARS = 120;

/** Longest input read: a 100 KB prompt is cut before any regex runs over it (the excerpt needs its start only). */
const READ_CHARS = 4096;

// Terminal escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, and two-character escapes), removed whole
// so that no `[31m` residue is left once the ESC itself is stripped.
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]/g;

/**
 * One line of untrusted text, safe to print anywhere: terminal escapes, control, invisible, bidi-override and
 * variation-selector characters removed, whitespace runs (line breaks included) collapsed to one space, cut to `max`
 * code points with `…` (a surrogate pair is never split). Markup is kept as text: HTML and Markdown renderers escape it.
 */
export function untrustedExcerpt(text: string, max = EXCERPT_CHARS): string {
  const long = text.length > READ_CHARS;
  const s = (long ? text.slice(0, READ_CHARS) : text)
    .replace(ANSI_RE, '')
    .replace(INVISIBLE_RE, '')
    .replace(VARIATION_RE, '')
    // Lone surrogates (a cut pair, or invalid text) cannot be printed or stored as UTF-8.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const cps = [...s];
  if (cps.length > max) return `${cps.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
  return long ? `${s}…` : s;
}

/**
 * A labelled excerpt of several untrusted texts, each quoted as a JSON string (`prompt "…" output "…"`): the quotes
 * show where the untrusted text starts and ends, and a quote inside it is escaped. Parts without text are left out;
 * undefined when none has text.
 */
export function labelledExcerpt(parts: ReadonlyArray<readonly [label: string, text: string | undefined, max?: number]>): string | undefined {
  const out: string[] = [];
  for (const [label, text, max] of parts) {
    if (text === undefined) continue;
    const e = untrustedExcerpt(text, max);
    if (e.length > 0) out.push(`${label} ${JSON.stringify(e)}`);
  }
  return out.length > 0 ? out.join(' ') : undefined;
}
