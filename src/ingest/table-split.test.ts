import { describe, expect, it } from 'vitest';
import { parseCsvRecord } from '../util/csv.js';
import type { SplitItem } from './json-split.js';
import { CsvSplitter, TablesSplitter, type Splitter } from './table-split.js';

/** Feed `input` in chunks of `size` bytes (so every state crosses a chunk boundary somewhere). */
function split(s: Splitter, input: Buffer, size: number): SplitItem[] {
  const out: SplitItem[] = [];
  for (let i = 0; i < input.length; i += size) s.push(input.subarray(i, i + size), out);
  s.end(out);
  return out;
}

function plain(items: SplitItem[]): unknown[] {
  return items.map((it) => {
    if (it.type === 'record') return { row: it.bytes.toString('utf8'), index: it.index, offset: it.offset, line: it.line };
    if (it.type === 'header') return { header: it.header.columns, raw: it.raw.toString('utf8'), index: it.index };
    return { [it.type]: it.reason };
  });
}

describe('CsvSplitter', () => {
  const csv = Buffer.from('\ufeffTime,Name,Note\r\n2026-01-01T00:00:00Z,"a, b","say ""hi""\r\nnext line"\r\n\r\n2026-01-02T00:00:00Z,c,\r\n');

  it.each([1, 2, 7, 4096])('keeps each row byte-exact, quoted commas, quotes and line breaks included (chunks of %i bytes)', (size) => {
    // GIVEN a CSV with a BOM, CRLF line ends, a quoted field holding a line break and doubled quotes, a blank line
    // WHEN it is split
    const items = plain(split(new CsvSplitter(), csv, size));
    // THEN the header comes once, then each row's exact bytes without its line end
    expect(items).toEqual([
      { header: ['Time', 'Name', 'Note'], raw: 'Time,Name,Note', index: 0 },
      { row: '2026-01-01T00:00:00Z,"a, b","say ""hi""\r\nnext line"', index: 0, offset: csv.indexOf('2026-01-01'), line: 2 },
      { row: '2026-01-02T00:00:00Z,c,', index: 1, offset: csv.indexOf('2026-01-02'), line: 5 },
    ]);
    const first = (split(new CsvSplitter(), csv, size)[1] as { bytes: Buffer }).bytes.toString('utf8');
    expect(parseCsvRecord(first)).toEqual({ cells: ['2026-01-01T00:00:00Z', 'a, b', 'say "hi"\r\nnext line'] });
  });

  it('reports a quote never closed at the end of the input, keeping the rows before it', () => {
    const items = plain(split(new CsvSplitter(), Buffer.from('a,b\n1,2\n3,"open\n4,5\n'), 3));
    expect(items[1]).toEqual({ row: '1,2', index: 0, offset: 4, line: 2 });
    expect(items[2]).toEqual({ issue: 'row 2 (line 3): the input ends inside a quoted field (a quote opened and never closed, or a truncated file)' });
  });

  it('quarantines every row when the header is not UTF-8', () => {
    const items = plain(split(new CsvSplitter(), Buffer.concat([Buffer.from('a,'), Buffer.from([0xff]), Buffer.from('\n1,2\n')]), 64));
    expect(items[0]).toMatchObject({ issue: expect.stringContaining('not valid UTF-8') as unknown });
    expect(items[1]).toMatchObject({ issue: expect.stringContaining('row 1 (line 2)') as unknown });
  });
});

describe('TablesSplitter', () => {
  const doc = Buffer.from(
    '{"tables":[{"name":"PrimaryResult","rows":[["x", {"k":"]"}], [2,null]],"columns":[{"name":"A","type":"string"},{"name":"B","type":"dynamic"}]},' +
      '{"name":"Second","columns":[{"name":"C","type":"long"}],"rows":[[3]]}]}',
  );

  it.each([1, 5, 4096])('emits each table header then its rows as the bytes of each row array (chunks of %i bytes)', (size) => {
    const items = plain(split(new TablesSplitter(), doc, size));
    expect(items).toEqual([
      { header: ['A', 'B'], raw: '[{"name":"A","type":"string"},{"name":"B","type":"dynamic"}]', index: 0 },
      { row: '["x", {"k":"]"}]', index: 0, offset: doc.indexOf('["x"'), line: undefined },
      { row: '[2,null]', index: 1, offset: doc.indexOf('[2,null]'), line: undefined },
      { header: ['C'], raw: '[{"name":"C","type":"long"}]', index: 2 },
      { row: '[3]', index: 2, offset: doc.indexOf('[3]'), line: undefined },
    ]);
  });

  it('quarantines the rows of a table without columns, naming the table', () => {
    const items = plain(split(new TablesSplitter(), Buffer.from('{"tables":[{"name":"T","rows":[[1],[2]]}]}'), 4096));
    expect(items).toEqual([
      { issue: 'row 1 of table 1 (T) has no usable "columns" array (a list of {"name", "type"}): its rows have no column names' },
      { issue: 'row 2 of table 1 (T) has no usable "columns" array (a list of {"name", "type"}): its rows have no column names' },
    ]);
  });
});

describe('rowsOfTableResponse', () => {
  it('turns a query API page into a header row and accepted rows (what a collector writes)', async () => {
    const { rowsOfTableResponse } = await import('./records.js');
    const body = Buffer.from(
      '{"tables":[{"name":"PrimaryResult","columns":[{"name":"Id","type":"string"},{"name":"CreatedDateTime","type":"datetime"},{"name":"UserPrincipalName","type":"string"},' +
        '{"name":"AppId","type":"string"},{"name":"IPAddress","type":"string"},{"name":"ResultType","type":"string"},{"name":"Type","type":"string"}],' +
        '"rows":[["5e6f7a8b-0000-4000-8000-000000000001","2026-11-01T10:00:00Z","Admin@Contoso.com","c44b4083-3bb0-49c1-b47d-974e53cbdf3c","203.0.113.9","50126","SigninLogs"],' +
        '["x"]]}]}',
    );
    const rows = rowsOfTableResponse(body);
    expect(rows.map((r) => r.kind)).toEqual(['header', 'accepted', 'rejected']);
    const ok = rows[1] as Extract<(typeof rows)[number], { kind: 'accepted' }>;
    expect(ok.raw).toBe('["5e6f7a8b-0000-4000-8000-000000000001","2026-11-01T10:00:00Z","Admin@Contoso.com","c44b4083-3bb0-49c1-b47d-974e53cbdf3c","203.0.113.9","50126","SigninLogs"]');
    expect(ok.origin).toBe('native');
    expect(ok.event).toMatchObject({ id: '5e6f7a8b-0000-4000-8000-000000000001', actor: { principal: 'admin@contoso.com' }, srcIp: '203.0.113.9', outcome: 'failure', errorCode: '50126' });
    expect((rows[2] as { reason: string }).reason).toBe('row 2: has 1 cell(s) but the header names 7 column(s) (a cell with an unquoted comma or line break, or a cut row)');
  });
});
