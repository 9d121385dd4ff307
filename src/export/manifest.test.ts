import { describe, expect, it } from 'vitest';
import { buildManifest, buildStatement, parseSha256Sums, parseStatement, PREDICATE_TYPE, sha256SumsText, STATEMENT_TYPE, type BundlePredicate } from './manifest.js';

const H = (c: string): string => c.repeat(64);
const PRED: BundlePredicate = {
  bundle_format: 'irctl-evidence-bundle/1',
  scope: { kind: 'threat', threat_id: 'T-3' },
  custody_head: { seq: 7, hash: H('c') },
  signed_at: '2026-11-21T12:00:00.000Z',
  signer: { os_user: 'ana', host: 'ws1', tool_version: '0.1.0' },
  key_fingerprint: H('f'),
};

describe('SHA256SUMS', () => {
  it('is sha256sum format, sorted in byte order, and parses back', () => {
    const text = sha256SumsText([
      { path: 'report/report.md', sha256: H('b') },
      { path: 'SHA-lower/x', sha256: H('1') },
      { path: 'evidence/raw-records.ndjson', sha256: H('a') },
    ]);
    expect(text).toBe(`${H('1')}  SHA-lower/x\n${H('a')}  evidence/raw-records.ndjson\n${H('b')}  report/report.md\n`);
    const { sums, problems } = parseSha256Sums(text);
    expect(problems).toEqual([]);
    expect(sums.get('report/report.md')).toBe(H('b'));
  });

  it('names malformed and duplicate lines', () => {
    const { problems } = parseSha256Sums(`xyz  a\n${H('a')}  b\n${H('a')}  b\n`);
    expect(problems).toEqual(['SHA256SUMS line 1 is not "<sha256>  <file>"', 'SHA256SUMS lists b twice']);
  });
});

describe('in-toto statement', () => {
  it('lists every file as a subject, sorted, with canonical JSON', () => {
    const text = buildStatement([{ path: 'b', sha256: H('2') }, { path: 'a', sha256: H('1') }], PRED);
    expect(text.startsWith(`{"_type":"${STATEMENT_TYPE}","predicate":`)).toBe(true);
    expect(text).toContain(`"subject":[{"digest":{"sha256":"${H('1')}"},"name":"a"},{"digest":{"sha256":"${H('2')}"},"name":"b"}]`);
    const back = parseStatement(text);
    expect('statement' in back && back.statement.predicateType).toBe(PREDICATE_TYPE);
    expect('statement' in back && back.statement.subject.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('rejects statements of another type or without a predicate', () => {
    expect(parseStatement('{"_type":"x"}')).toHaveProperty('problem');
    expect(parseStatement(`{"_type":"${STATEMENT_TYPE}","subject":[],"predicateType":"${PREDICATE_TYPE}","predicate":{}}`)).toHaveProperty('problem');
    expect(parseStatement('nope')).toEqual({ problem: 'the signed payload is not valid JSON' });
  });
});

describe('manifest', () => {
  it('sorts files and carries the format', () => {
    const m = buildManifest({
      scope: { kind: 'case' },
      tool_version: '0.1.0',
      custody_head: { seq: 1, hash: H('0') },
      time_span: { first: null, last: null },
      counts: {},
      files: [{ path: 'z', sha256: H('1'), size: 1 }, { path: 'a', sha256: H('2'), size: 2, records: 0 }],
      notes: [],
    });
    expect(m.format).toBe('irctl-evidence-bundle/1');
    expect(m.files.map((f) => f.path)).toEqual(['a', 'z']);
  });
});
