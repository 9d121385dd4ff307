/**
 * The fields of one line of a space-separated text log (flow logs, object-storage server access logs, web-server style
 * access logs): fields are separated by spaces; a field that starts with `"` runs to the next `"` followed by a space
 * or the end of the line (some services write quotes inside user agents unescaped), and a field that starts with `[` runs to the
 * next `]` followed by a space or the end (bracketed times with a space inside). The delimiters are not part of the
 * cell. Runs of spaces separate like one (these logs write `-` for an empty field, never nothing). Pure.
 */

/** The cells of one text log line, or why it is not one. */
export function splitTextFields(line: string): { cells: string[] } | { error: string } {
  const cells: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && line.charCodeAt(i) === 0x20) i++;
    if (i >= n) return { cells };
    const c = line.charCodeAt(i);
    if (c === 0x22 || c === 0x5b) {
      const close = c === 0x22 ? '"' : ']';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf(close, j);
        if (q === -1) return { error: `field ${cells.length + 1} opens ${close === '"' ? 'a quote' : 'a bracket'} that is never closed` };
        if (q + 1 === n || line.charCodeAt(q + 1) === 0x20) {
          cells.push(line.slice(i + 1, q));
          i = q + 1;
          break;
        }
        j = q + 1;
      }
      continue;
    }
    let j = line.indexOf(' ', i);
    if (j === -1) j = n;
    cells.push(line.slice(i, j));
    i = j;
  }
}
