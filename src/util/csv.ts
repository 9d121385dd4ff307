/**
 * CSV (RFC 4180) cells of one record: fields separated by `,`, a field in double quotes may hold commas, line breaks
 * and doubled quotes (`""`). Pure. Splitting a file into records is the import splitter's (ingest/table-split.ts);
 * this reads one record's text, as stored.
 */

/** The cells of one CSV record, or why it is not one. */
export function parseCsvRecord(text: string): { cells: string[] } | { error: string } {
  const cells: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 0x22) {
      // Quoted field: up to the closing quote; `""` is one quote.
      let out = '';
      let from = i + 1;
      let j = from;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return { error: `field ${cells.length + 1} opens a quote that is never closed` };
        if (text.charCodeAt(q + 1) === 0x22) {
          out += text.slice(from, q + 1);
          j = q + 2;
          from = j;
          continue;
        }
        out += text.slice(from, q);
        i = q + 1;
        break;
      }
      cells.push(out);
      if (i === n) return { cells };
      if (text.charCodeAt(i) !== 0x2c) return { error: `field ${cells.length} has text after its closing quote` };
      i++;
      continue;
    }
    const c = text.indexOf(',', i);
    const end = c === -1 ? n : c;
    // A quote inside an unquoted value is kept as a character (RFC 4180 forbids it; exporters write it anyway).
    cells.push(text.slice(i, end));
    if (c === -1) return { cells };
    i = c + 1;
  }
}
