import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { MEMBER_MTIME, MemberWriter, packTarGz, readTarGz, ustarHeader } from './bundle.js';

/** The header tar-stream writes for the same entry (first 512 bytes of its pack stream). */
async function tarStreamHeader(name: string, size: number): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name, size, mode: 0o644, mtime: MEMBER_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' });
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const c of pack as AsyncIterable<Buffer>) {
    chunks.push(c);
    got += c.length;
    if (got >= 512) break;
  }
  pack.destroy();
  return Buffer.concat(chunks).subarray(0, 512);
}

describe('ustarHeader', () => {
  it('writes the same bytes as tar-stream, including the base-256 size of members of 8 GiB and more', async () => {
    for (const [name, size] of [
      ['evidence/raw-records.ndjson', 1_554_270_208],
      ['SHA256SUMS', 0],
      ['normalized/events.ndjson', 9 * 1024 ** 3],
    ] as const) {
      expect(ustarHeader(name, size).equals(await tarStreamHeader(name, size))).toBe(true);
    }
  });

  it('refuses a name a ustar header cannot hold', () => {
    expect(() => ustarHeader('x'.repeat(101), 1)).toThrow(/cannot be written/);
    expect(() => ustarHeader('r\u00e9sum\u00e9.md', 1)).toThrow(/cannot be written/);
  });
});

describe('packTarGz', () => {
  it('packs members compressed on their own into one tar.gz that reads back member by member', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'irctl-bundle-'));
    try {
      const members = [
        { path: 'b/two.ndjson', lines: Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i % 700) })) },
        { path: 'a.txt', lines: ['hello'] },
        { path: 'empty.ndjson', lines: [] },
      ];
      const staged = [];
      for (const [i, m] of members.entries()) {
        const w = new MemberWriter(m.path, join(dir, `${i}.gz`));
        for (const l of m.lines) if (!w.line(l)) await w.drain();
        const f = w.close(true);
        await w.finished();
        staged.push({ path: m.path, file: w.file, size: f.size });
      }
      const out = join(dir, 'out.tar.gz');
      packTarGz(staged, out);
      const seen: Array<{ name: string; text: string }> = [];
      await readTarGz(Readable.from([readFileSync(out)]), async (e) => {
        const parts: Buffer[] = [];
        for await (const c of e.stream) parts.push(c);
        seen.push({ name: e.name, text: Buffer.concat(parts).toString('utf8') });
      });
      expect(seen.map((s) => s.name)).toEqual(['a.txt', 'b/two.ndjson', 'empty.ndjson']);
      expect(seen[0]?.text).toBe('hello\n');
      expect(seen[1]?.text).toBe(`${members[0]?.lines.join('\n')}\n`);
      expect(seen[2]?.text).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
