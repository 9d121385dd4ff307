import { describe, expect, it } from 'vitest';
import { KEEP_HEAD, RecordSplitter, type SplitItem, type SplitMode } from './json-split.js';

/** Items as plain data (bytes as latin1 text so any byte survives), for deep comparison. */
type Plain = { type: string; text?: string; index?: number; offset: number; reason?: string };

function plain(items: SplitItem[]): Plain[] {
  return items.map((it) => {
    if (it.type === 'record') return { type: 'record', text: it.bytes.toString('latin1'), index: it.index, offset: it.offset };
    if (it.type === 'issue') {
      const p: Plain = { type: 'issue', text: it.bytes.toString('latin1'), offset: it.offset, reason: it.reason };
      if (it.index !== undefined) p.index = it.index;
      return p;
    }
    if (it.type === 'header') throw new Error('the JSON splitter emits no table headers');
    return { type: 'note', offset: it.offset, reason: it.reason };
  });
}

/** Split `input` fed as the given chunks. */
function splitChunks(chunks: Buffer[], mode: SplitMode, maxRecordBytes?: number): Plain[] {
  const s = new RecordSplitter(mode, maxRecordBytes === undefined ? {} : { maxRecordBytes });
  const out: SplitItem[] = [];
  for (const c of chunks) s.push(c, out);
  s.end(out);
  return plain(out);
}

/**
 * Split in one piece, then at EVERY single chunk boundary, then byte by byte; every way must give the same items.
 * Returns the one-piece result.
 */
function splitEverywhere(input: string | Buffer, mode: SplitMode, maxRecordBytes?: number): Plain[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const whole = splitChunks([buf], mode, maxRecordBytes);
  for (let k = 0; k <= buf.length; k++) {
    const cut = splitChunks([buf.subarray(0, k), buf.subarray(k)], mode, maxRecordBytes);
    expect(cut, `cut at byte ${k}`).toEqual(whole);
  }
  const bytes = [...buf].map((b) => Buffer.from([b]));
  expect(splitChunks(bytes, mode, maxRecordBytes), 'byte by byte').toEqual(whole);
  // Every record's offset points at its exact bytes in the input.
  for (const it of whole) {
    if (it.type === 'record') expect(buf.subarray(it.offset, it.offset + Buffer.byteLength(it.text ?? '', 'latin1')).toString('latin1')).toBe(it.text);
  }
  return whole;
}

const records = (items: Plain[]): string[] => items.filter((i) => i.type === 'record').map((i) => i.text ?? '');
const RECORDS: SplitMode = { kind: 'key', keys: ['Records', 'records'] };

describe('RecordSplitter key mode ({"Records":[...]})', () => {
  it('splits elements byte-exactly, with strings holding braces, brackets and escaped quotes', () => {
    // GIVEN a CloudTrail-style container whose strings contain structural characters
    const a = '{"eventName":"A","x":"}{ ][ \\"quoted\\" \\\\"}';
    const b = '{ "eventName" : "B",\n  "nested": [1, {"c": "]"}] }';
    const input = `{"Records": [${a},\n ${b}]}`;
    // WHEN split at every chunk boundary
    const items = splitEverywhere(input, RECORDS);
    // THEN exactly the two records, byte for byte, with their indexes
    expect(items).toEqual([
      { type: 'record', text: a, index: 0, offset: input.indexOf(a) },
      { type: 'record', text: b, index: 1, offset: input.indexOf(b) },
    ]);
  });

  it('skips a UTF-8 byte-order mark even when it is split across chunks', () => {
    const body = '{"Records":[{"eventName":"A"}]}';
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
    const items = splitEverywhere(input, RECORDS);
    expect(records(items)).toEqual(['{"eventName":"A"}']);
    expect(items[0]?.offset).toBe(3 + body.indexOf('{"eventName"'));
  });

  it('finds Records when it is not the first key and ignores a nested "Records"', () => {
    const input = '{"meta":{"Records":[{"wrong":1}]},"n":"Records","Records":[{"right":1}],"NextToken":"x"}';
    expect(records(splitEverywhere(input, RECORDS))).toEqual(['{"right":1}']);
  });

  it('reads concatenated log files (cat *.json > all.json)', () => {
    const input = '{"Records":[{"a":1}]}\n{"Records":[{"b":2},{"c":3}]}\n';
    const items = splitEverywhere(input, RECORDS);
    expect(items.map((i) => [i.type, i.text, i.index])).toEqual([
      ['record', '{"a":1}', 0],
      ['record', '{"b":2}', 1],
      ['record', '{"c":3}', 2],
    ]);
  });

  it('reports an object without a Records array', () => {
    const items = splitEverywhere('{"foo":"bar","Records":null}', RECORDS);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ type: 'issue', reason: 'no "Records" or "records" array found in the top-level object' });
  });

  it('reports input that is not an object at all, keeping its bytes', () => {
    const items = splitEverywhere('hello', RECORDS);
    expect(items).toEqual([{ type: 'issue', text: 'hello', offset: 0, reason: 'input is not a JSON object' }]);
  });

  it('keeps complete records of a truncated file and quarantines the cut one', () => {
    const input = '{"Records":[{"a":1},{"b":"cut here';
    const items = splitEverywhere(input, RECORDS);
    expect(items).toEqual([
      { type: 'record', text: '{"a":1}', index: 0, offset: 12 },
      { type: 'issue', text: '{"b":"cut here', index: 1, offset: 20, reason: 'input ends inside record 1 (truncated file?)' },
    ]);
  });

  it('reports an array that is never closed', () => {
    const items = splitEverywhere('{"Records":[{"a":1},', RECORDS);
    expect(items.map((i) => i.type)).toEqual(['record', 'issue']);
    expect(items[1]?.reason).toMatch(/ends before the record array is closed/);
  });

  it('keeps both records when the comma between them is missing, with a note (nothing quarantined)', () => {
    const input = '{"Records":[{"a":1}\n{"b":2}]}';
    const items = splitEverywhere(input, RECORDS);
    expect(items).toEqual([
      { type: 'record', text: '{"a":1}', index: 0, offset: 12 },
      { type: 'note', offset: 20, reason: 'missing "," before record 1 (malformed container; the record itself is kept)' },
      { type: 'record', text: '{"b":2}', index: 1, offset: 20 },
    ]);
  });
});

describe('RecordSplitter array mode', () => {
  const ARRAY: SplitMode = { kind: 'array' };

  it('quarantines junk between records and keeps the records around it', () => {
    // GIVEN junk (with a string holding separators) between two records
    const input = '[{"a":1}, garbage "x,{]" , {"b":2}]';
    // WHEN split everywhere
    const items = splitEverywhere(input, ARRAY);
    // THEN both records survive and the junk is one issue with its bytes
    expect(items).toEqual([
      { type: 'record', text: '{"a":1}', index: 0, offset: 1 },
      { type: 'issue', text: 'garbage "x,{]" ', offset: 10, reason: 'bytes before record 1 are not a JSON record' },
      { type: 'record', text: '{"b":2}', index: 1, offset: 27 },
    ]);
  });

  it('treats a nested array element as one element, not as the end of the array', () => {
    const input = '[[1,2],{"a":1},3,{"b":2}]';
    const items = splitEverywhere(input, ARRAY);
    expect(items.map((i) => [i.type, i.text])).toEqual([
      ['record', '[1,2]'],
      ['record', '{"a":1}'],
      ['issue', '3'],
      ['record', '{"b":2}'],
    ]);
  });

  it('reads arrays one after another and quarantines trailing junk', () => {
    const items = splitEverywhere('[{"a":1}]\n[{"b":2}] trailing', ARRAY);
    expect(items.map((i) => [i.type, i.text])).toEqual([
      ['record', '{"a":1}'],
      ['record', '{"b":2}'],
      ['issue', 'trailing'],
    ]);
  });

  it('rejects records larger than the limit, keeps their head, and goes on', () => {
    const big = `{"a":"${'x'.repeat(40)}"}`;
    const items = splitEverywhere(`[${big},{"b":1}]`, ARRAY, 20);
    expect(items).toEqual([
      { type: 'issue', text: big, index: 0, offset: 1, reason: 'record 0 is larger than 20 bytes (first 1048576 bytes kept)' },
      { type: 'record', text: '{"b":1}', index: 1, offset: big.length + 2 },
    ]);
  });

  it('keeps only the first KEEP_HEAD bytes of an oversized record', () => {
    const big = Buffer.from(`[{"a":"${'y'.repeat(KEEP_HEAD + 5000)}"},{"b":1}]`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < big.length; i += 65536) chunks.push(big.subarray(i, i + 65536));
    const items = splitChunks(chunks, ARRAY, 4096);
    expect(items).toHaveLength(2);
    expect(items[0]?.type).toBe('issue');
    expect(items[0]?.text?.length).toBe(KEEP_HEAD);
    expect(items[1]?.text).toBe('{"b":1}');
  });

  it('reports a file that is not an array', () => {
    expect(splitEverywhere('{"a":1}', ARRAY)).toEqual([{ type: 'issue', text: '{"a":1}', offset: 0, reason: 'input is not a JSON array' }]);
  });

  it('gives nothing for an empty array and for empty input reports it is not an array', () => {
    expect(splitEverywhere(' [ ] ', ARRAY)).toEqual([]);
    expect(splitEverywhere('', ARRAY)).toEqual([{ type: 'issue', text: undefined, offset: 0, reason: 'input is not a JSON array' }].map((i) => ({ ...i, text: '' })));
  });
});

describe('RecordSplitter values mode', () => {
  const VALUES: SplitMode = { kind: 'values' };

  it('splits one pretty-printed object and concatenated objects', () => {
    const a = '{\n  "detail": {"eventName": "X"}\n}';
    const input = `${a}{"b":2}\n\n{"c":"}"}`;
    expect(records(splitEverywhere(input, VALUES))).toEqual([a, '{"b":2}', '{"c":"}"}']);
  });

  it('quarantines junk between objects', () => {
    const items = splitEverywhere('{"a":1} junk {"b":2}', VALUES);
    expect(items.map((i) => [i.type, i.text])).toEqual([
      ['record', '{"a":1}'],
      ['issue', 'junk '],
      ['record', '{"b":2}'],
    ]);
  });
});

describe('RecordSplitter lines mode', () => {
  const LINES: SplitMode = { kind: 'lines' };

  it('gives one record per non-blank line, trimming CR, and a broken line does not swallow the next', () => {
    // GIVEN JSON Lines with a broken line, CRLF endings, blank lines and no final newline
    const input = '{"a":1}\r\n{"b": {"unclosed": \n\n   \n{"c":"}{"}\n{"d":4}';
    // WHEN split everywhere
    const items = splitEverywhere(input, LINES);
    // THEN each line is its own record (the broken one fails JSON.parse later, alone)
    expect(items.map((i) => [i.type, i.text, i.index])).toEqual([
      ['record', '{"a":1}', 0],
      ['record', '{"b": {"unclosed":', 1],
      ['record', '{"c":"}{"}', 2],
      ['record', '{"d":4}', 3],
    ]);
  });

  it('skips a BOM before the first line', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n{"b":2}\n')]);
    expect(records(splitEverywhere(input, LINES))).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('passes invalid UTF-8 bytes through untouched (the UTF-8 check happens later)', () => {
    const input = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n{"b":1}\n')]);
    const items = splitEverywhere(input, LINES);
    expect(items[0]?.text).toBe(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]).toString('latin1'));
    expect(items[1]?.text).toBe('{"b":1}');
  });

  it('rejects an oversized line and keeps reading', () => {
    const items = splitEverywhere(`{"a":"${'z'.repeat(30)}"}\n{"b":1}\n`, LINES, 16);
    expect(items.map((i) => [i.type, i.index])).toEqual([
      ['issue', 0],
      ['record', 1],
    ]);
    expect(items[0]?.reason).toBe('line record 0 is larger than 16 bytes (first 1048576 bytes kept)');
  });

  it('gives nothing for an empty or blank input', () => {
    expect(splitEverywhere('', LINES)).toEqual([]);
    expect(splitEverywhere('\n \r\n', LINES)).toEqual([]);
  });
});
