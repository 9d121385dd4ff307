import { describe, expect, it } from 'vitest';
import { detectFormat, splitModeFor, unwrapElement } from './formats.js';

const detect = (s: string | Buffer, complete = true): ReturnType<typeof detectFormat> =>
  detectFormat(typeof s === 'string' ? Buffer.from(s) : s, complete);

describe('detectFormat', () => {
  it('recognises CloudTrail S3 log files by their Records array', () => {
    expect(detect('{"Records":[{"eventVersion":"1.08"}]}')).toEqual({ format: 'records' });
    expect(detect('\n  { "Records" :\n [ ')).toEqual({ format: 'records' });
    expect(detect('{"records":[]}')).toEqual({ format: 'records' });
  });

  it('finds Records or Events even when another top-level key comes first', () => {
    expect(detect('{"NextToken":"abc","Events":[{"CloudTrailEvent":"{}"}]}')).toEqual({ format: 'lookup' });
    expect(detect('{"meta":{"Records":1,"x":[1]},"Records":[{}]}')).toEqual({ format: 'records' });
  });

  it('recognises lookup-events output', () => {
    expect(detect('{\n  "Events": [\n    {\n      "EventId": "x"')).toEqual({ format: 'lookup' });
  });

  it('does not mistake a Records key whose value is not an array', () => {
    expect(detect('{"Records":"none"}')).toEqual({ format: 'json' });
  });

  it('recognises a bare array', () => {
    expect(detect('[{"eventName":"X"}]')).toEqual({ format: 'array' });
    expect(detect('  \n[')).toEqual({ format: 'array' });
  });

  it('tells JSON Lines from one object and from pretty-printed objects one after another', () => {
    expect(detect('{"eventName":"A"}\n{"eventName":"B"}\n')).toEqual({ format: 'jsonl' });
    expect(detect('{"eventName":"A"}\r\n{"eventName":"B"}')).toEqual({ format: 'jsonl' });
    expect(detect('{"detail":{"eventName":"A"}}\n')).toEqual({ format: 'json' });
    expect(detect('{\n "a": 1\n}\n{\n "b": 2\n}\n')).toEqual({ format: 'json' });
    expect(detect('{"a":"}\\"{"} {"b":2}')).toEqual({ format: 'json' });
  });

  it('calls an object longer than the head one object', () => {
    expect(detect(`{"detail":{"x":"${'a'.repeat(100)}`, false)).toEqual({ format: 'json' });
  });

  it('skips a byte-order mark', () => {
    expect(detect(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"Records":[')]))).toEqual({ format: 'records' });
  });

  it('reports empty and whitespace-only input as empty', () => {
    expect(detect('')).toEqual({ format: 'empty' });
    expect(detect(' \n\t\r\n')).toEqual({ format: 'empty' });
    expect(detect(' '.repeat(10), false)).toMatchObject({ format: 'unknown' });
  });

  it('reports what non-JSON input starts with, without control characters', () => {
    const d = detect('PK\u0003\u0004 zip archive');
    expect(d).toEqual({ format: 'unknown', reason: 'not JSON (starts with "PK.. zip archive")' });
    expect(detect(Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x41]))).toEqual({ format: 'unknown', reason: 'not JSON (starts with ".[31mA")' });
  });
});

describe('splitModeFor', () => {
  it('maps each format to its splitter mode', () => {
    expect(splitModeFor('records')).toEqual({ kind: 'key', keys: ['Records', 'records'] });
    expect(splitModeFor('lookup')).toEqual({ kind: 'key', keys: ['Events'] });
    expect(splitModeFor('array')).toEqual({ kind: 'array' });
    expect(splitModeFor('jsonl')).toEqual({ kind: 'lines' });
    expect(splitModeFor('json')).toEqual({ kind: 'values' });
  });
});

describe('unwrapElement', () => {
  it('takes the CloudTrailEvent string of a lookup-events element as the raw record', () => {
    const inner = '{"eventID":"e1", "eventName":"X"}';
    const el = JSON.stringify({ EventId: 'e1', CloudTrailEvent: inner });
    const r = unwrapElement('lookup', Buffer.from(el), JSON.parse(el));
    expect('bytes' in r && r.bytes.toString()).toBe(inner);
    expect('parsed' in r && r.parsed).toEqual({ eventID: 'e1', eventName: 'X' });
  });

  it('reports a lookup element without a valid CloudTrailEvent', () => {
    expect(unwrapElement('lookup', Buffer.from('{}'), {})).toEqual({ error: 'LookupEvents element has no CloudTrailEvent string' });
    expect(unwrapElement('lookup', Buffer.from('x'), { CloudTrailEvent: '{bad' })).toMatchObject({ error: expect.stringMatching(/^CloudTrailEvent string is not valid JSON/) as unknown });
  });

  it('passes other formats through unchanged', () => {
    const b = Buffer.from('{"a":1}');
    const r = unwrapElement('records', b, { a: 1 });
    expect('bytes' in r && r.bytes).toBe(b);
  });
});
