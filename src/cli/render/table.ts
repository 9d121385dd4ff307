/** Plain-text table rendering for human output (no dependency: column widths and truncation only). */

/** A column: header and how to get the cell text. */
export interface Column<T> {
  header: string;
  get: (row: T) => string;
  /** Maximum width; longer cells are cut with an ellipsis. */
  max?: number;
}

/** Render rows as aligned columns. `paint` may colour a whole line (after padding). */
export function renderTable<T>(rows: readonly T[], cols: readonly Column<T>[], paint?: (row: T, line: string) => string): string[] {
  const cells = rows.map((r) =>
    cols.map((c) => {
      const v = sanitize(c.get(r));
      return c.max !== undefined && v.length > c.max ? `${v.slice(0, c.max - 1)}…` : v;
    }),
  );
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((row) => (row[i] ?? '').length)));
  const fmt = (vals: string[]): string => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const lines = [fmt(cols.map((c) => c.header))];
  cells.forEach((row, i) => {
    const line = fmt(row);
    lines.push(paint ? paint(rows[i] as T, line) : line);
  });
  return lines;
}

/**
 * Log content is attacker-controlled: strip control characters (terminal escapes) before printing it.
 */
export function sanitize(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '�');
}
