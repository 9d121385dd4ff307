import { describe, expect, it } from 'vitest';
import { countJsonValues, eachLine, JsonLines, LineCutter, MAX_BAD_LINES, type LinePiece } from './lines.js';

/** Feed chunks through a cutter; the lines it yields (as text with numbers) and the lines it dropped. */
function cut(chunks: string[], max: number): { lines: Array<[number, string]>; long: number[]; count: number } {
  const long: number[] = [];
  const c = new LineCutter(max, (n) => long.push(n));
  const lines: Array<[number, string]> = [];
  const take = (p: LinePiece | undefined): void => {
    if (p) eachLine(p, (s, e, n) => lines.push([n, p.buf.toString('utf8', s, e)]));
  };
  for (const ch of chunks) take(c.take(Buffer.from(ch)));
  take(c.finish());
  return { lines, long, count: c.count };
}

describe('LineCutter', () => {
  it('numbers lines across chunk boundaries and keeps a last line without newline', () => {
    // GIVEN lines split anywhere
    const r = cut(['{"a"', ':1}\n{"b":2}\n{', '"c":3}\n', 'tail'], 100);
    // THEN
    expect(r.lines).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
      [3, '{"c":3}'],
      [4, 'tail'],
    ]);
    expect(r.count).toBe(4);
    expect(r.long).toEqual([]);
  });

  it('drops a line as soon as it passes the cap, skips to its newline, and keeps counting', () => {
    const r = cut(['ok\n', 'x'.repeat(8), 'x'.repeat(8), 'xx\nnext\n', 'y'.repeat(20)], 10);
    expect(r.lines).toEqual([
      [1, 'ok'],
      [3, 'next'],
    ]);
    expect(r.long).toEqual([2, 4]);
    expect(r.count).toBe(4);
  });

  it('holds a long line as its chunks and joins them once (linear in the line)', () => {
    // GIVEN a 64 MB line in 4 KB chunks: joining on every chunk copied 512 GB
    const chunk = Buffer.alloc(4096, 0x61);
    const c = new LineCutter(128 << 20, () => undefined);
    const t0 = Date.now();
    for (let i = 0; i < (64 << 20) / 4096; i++) expect(c.take(chunk)).toBeUndefined();
    const p = c.take(Buffer.from('\n'));
    // THEN
    expect(p?.buf.length).toBe((64 << 20) + 1);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('JsonLines', () => {
  const parse = (text: string, j = new JsonLines('m', () => undefined)): unknown => {
    const b = Buffer.from(text);
    return j.parse(b, 0, b.length, 1)?.value;
  };

  it('parses objects and refuses anything else without an exception per line', () => {
    expect(parse('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(parse('[1]')).toBeUndefined();
    expect(parse('{x}')).toBeUndefined();
    expect(parse('')).toBeUndefined();
  });

  it('refuses a long line with more values than the cap, and gives up after too many bad lines', () => {
    const reports: string[] = [];
    const j = new JsonLines('m', (_n, t) => reports.push(t));
    expect(parse(`{"a":${'['.repeat(2 << 20)}`, j)).toBeUndefined();
    expect(reports[0]).toBe('m line 1 holds more than 1000000 JSON values: not parsed');
    for (let i = 0; i < MAX_BAD_LINES; i++) parse('nope', j);
    expect(reports[1]).toBe(`m: ${MAX_BAD_LINES} lines are not valid JSON; the rest of the member is not parsed`);
    expect(parse('{"fine":true}', j)).toBeUndefined();
    expect(j.firstBad).toBe(1);
  });

  it('counts structural characters outside strings only', () => {
    const b = Buffer.from('{"a,b:[{":[1,2],"c":{"d":"\\"[,"}}');
    expect(countJsonValues(b, 0, b.length, 100)).toBe(8);
  });
});
