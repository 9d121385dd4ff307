import { describe, expect, it } from 'vitest';
import { flowLogTextFormat } from '../sources/aws/flow-logs.js';
import { splitTextFields } from '../util/text-fields.js';
import type { SplitItem } from './json-split.js';
import { TextLineSplitter } from './text-split.js';

function split(input: Buffer, size: number, maxRecordBytes?: number): SplitItem[] {
  const s = new TextLineSplitter(flowLogTextFormat, maxRecordBytes === undefined ? {} : { maxRecordBytes });
  const out: SplitItem[] = [];
  for (let i = 0; i < input.length; i += size) s.push(input.subarray(i, i + size), out);
  s.end(out);
  return out;
}

function plain(items: SplitItem[]): unknown[] {
  return items.map((it) => {
    if (it.type === 'record') return { line: it.bytes.toString('utf8'), index: it.index, offset: it.offset, at: it.line, header: it.header?.name };
    if (it.type === 'header') return { header: it.header.name, columns: it.header.columns.length, raw: it.raw.toString('utf8'), index: it.index };
    return { [it.type]: it.reason, index: 'index' in it ? it.index : undefined };
  });
}

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const L1 = '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.23 10.0.2.40 44321 5432 6 12 4840 1795168800 1795168860 ACCEPT OK';
const L2 = '2 111122223333 eni-0a1b2c3d4e5f60718 - - - - - - - 1795168920 1795168980 - NODATA';

describe('TextLineSplitter', () => {
  it.each([1, 3, 64, 4096])('keeps each line byte-exact after its header; CRLF, BOM, blank lines and a second header (chunks of %i bytes)', (size) => {
    // GIVEN two flow log files joined with cat (a BOM, CRLF line ends, a blank line)
    const text = `\ufeff${HEADER}\r\n${L1}\r\n\r\n${HEADER}\n${L2}`;
    const input = Buffer.from(text);
    // WHEN split; THEN each header once where it stands, then the lines without their line ends
    expect(plain(split(input, size))).toEqual([
      { header: 'aws-vpc-flow', columns: 14, raw: HEADER, index: 0 },
      { line: L1, index: 0, offset: input.indexOf(L1), at: 2, header: 'aws-vpc-flow' },
      { header: 'aws-vpc-flow', columns: 14, raw: HEADER, index: 1 },
      { line: L2, index: 1, offset: input.indexOf(L2), at: 5, header: 'aws-vpc-flow' },
    ]);
  });

  it('gives a headerless file the header its first line implies, stored with no bytes', () => {
    const items = plain(split(Buffer.from(`${L1}\n2026-11-20T10:00:00.000Z ${L2}\n`), 5));
    expect(items[0]).toEqual({ header: 'aws-vpc-flow default format (no header line)', columns: 14, raw: '', index: 0 });
    expect(items[1]).toMatchObject({ line: L1, index: 0 });
    // The implied header stays: a later export-task line is a row of it (its field count is checked when read).
    expect(items[2]).toMatchObject({ line: `2026-11-20T10:00:00.000Z ${L2}`, index: 1 });
  });

  it('quarantines a first line that names no fields, and an over-long line with its head', () => {
    const items = plain(split(Buffer.from(`hello world\n${HEADER}\n${'9'.repeat(200)}\n${L1}\n`), 7, 135));
    expect(items[0]).toMatchObject({ issue: expect.stringContaining('line 1 is neither a header line') as string, index: 0 });
    expect(items[2]).toMatchObject({ issue: 'line 3 is longer than 135 bytes (first 1048576 bytes kept)', index: 1 });
    expect(items[3]).toMatchObject({ line: L1, index: 2, at: 4 });
  });
});

describe('splitTextFields', () => {
  it('splits on spaces, keeping quoted and bracketed fields whole', () => {
    const line = 'owner bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57 REST.GET.OBJECT a/b.txt "GET /bkt/a/b.txt HTTP/1.1" 200 - 113 "-" "curl/8.0 (x86_64 "pc") linux"';
    expect(splitTextFields(line)).toEqual({
      cells: ['owner', 'bkt', '06/Feb/2019:00:00:38 +0000', '192.0.2.3', '-', '3E57', 'REST.GET.OBJECT', 'a/b.txt', 'GET /bkt/a/b.txt HTTP/1.1', '200', '-', '113', '-', 'curl/8.0 (x86_64 "pc") linux'],
    });
    expect(splitTextFields('a  b ')).toEqual({ cells: ['a', 'b'] });
    expect(splitTextFields('a "open')).toEqual({ error: 'field 2 opens a quote that is never closed' });
  });
});
