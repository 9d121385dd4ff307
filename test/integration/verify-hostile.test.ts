/**
 * `irctl verify` against generated hostile bundles (issue 11, defect 5): members without newlines, lines longer than
 * the cap, many envelopes, a large envelope, deeply nested JSON, gzip bombs, tar entries with odd sizes, thousands of
 * members, millions of records. Each bundle is a few MB; the built CLI must reject it with exit 5 and a message that
 * names the member, in bounded time and memory. Limits are generous (the machine is shared and has 2 cores): time
 * under 60 s where an unbounded verify took minutes, peak RSS under 300 MB where it took gigabytes, read in the
 * child process itself at exit (VmHWM of /proc/self/status, threads included).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileArchive, lowEntropy, padding, paxEntry, tarHeader } from '../helpers/hostile-bundle.js';
import { spawnIrctl, tempDir } from '../helpers/run-irctl.js';

const RSS_LIMIT_MB = 300;
const TIME_LIMIT_MS = 60_000;
const RAW = 'evidence/raw-records.ndjson';
const CUSTODY = 'custody/custody-log.ndjson';
const EVENTS = 'normalized/events.ndjson';
const INPUTS = 'evidence/inputs.ndjson';
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

let tmp: { dir: string; cleanup: () => void };
let preload: string;
let k = 0;

beforeAll(() => {
  tmp = tempDir();
  preload = join(tmp.dir, 'max-rss.mjs');
  // VmHWM is the peak RSS of this process image. (getrusage's maxrss, and so process.resourceUsage().maxRSS, keeps
  // the peak of the image before exec: the test runner's, which forked the child.)
  writeFileSync(
    preload,
    `import { readFileSync, writeSync } from 'node:fs';
process.on('exit', () => {
  let kb = process.resourceUsage().maxRSS;
  try { kb = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}
  writeSync(2, '\\nIRCTL_TEST_MAXRSS_KB=' + kb + '\\n');
});
`,
  );
});
afterAll(() => tmp.cleanup());

/** A new archive file in the temp dir. */
function archive(): { file: string; a: HostileArchive } {
  const file = join(tmp.dir, `h${++k}.tar.gz`);
  return { file, a: new HostileArchive(file) };
}

/** Run the built CLI on `file`, with its wall time and peak RSS. */
async function verifyMeasured(file: string): Promise<{ code: number; stdout: string; stderr: string; ms: number; rssMb: number }> {
  const t0 = performance.now();
  const r = await spawnIrctl(['--case', join(tmp.dir, 'no-case'), 'verify', file], {
    nodeArgs: ['--import', preload],
    env: { XDG_CONFIG_HOME: join(tmp.dir, 'no-config') },
    timeoutMs: 2 * TIME_LIMIT_MS,
  });
  const ms = performance.now() - t0;
  const m = /IRCTL_TEST_MAXRSS_KB=(\d+)/.exec(r.stderr);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms, rssMb: m ? Number(m[1]) / 1024 : Number.NaN };
}

/** Verify and check the common promises: exit 5, the message, bounded time and memory, no stack trace. */
async function rejects(file: string, message: string | RegExp): Promise<void> {
  const r = await verifyMeasured(file);
  expect(r.code, r.stdout + r.stderr).toBe(5);
  if (typeof message === 'string') expect(r.stdout).toContain(message);
  else expect(r.stdout).toMatch(message);
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  expect(r.ms).toBeLessThan(TIME_LIMIT_MS);
  expect(r.rssMb).toBeLessThan(RSS_LIMIT_MB);
}

describe('members without newlines and lines over the cap', () => {
  it('a raw-records member of 30 MB without a newline: one line, read once, not JSON', async () => {
    const { file, a } = archive();
    a.repeated(RAW, lowEntropy(1 << 20, 0.02), 30, Buffer.from('{"raw":"')).end();
    await rejects(file, `${RAW} line 1 is not valid JSON`);
  });

  it('a raw-records member of 200 MB without a newline: dropped at the line cap, streamed to the end', async () => {
    const { file, a } = archive();
    a.repeated(RAW, lowEntropy(1 << 20, 0.02), 200).end();
    expect(a.size).toBeLessThan(4 << 20);
    await rejects(file, `${RAW} line 1 is longer than 32 MiB: not read`);
  });

  for (const name of [CUSTODY, EVENTS, INPUTS]) {
    it(`${name}: 60 MB without a newline after a good line`, async () => {
      const { file, a } = archive();
      a.repeated(name, lowEntropy(1 << 20, 0.02), 60, Buffer.from('{"id":1}\n')).end();
      await rejects(file, `${name} line 2 is longer than 32 MiB: not read`);
    });
  }

  it('a raw-records member of four million short lines that are not JSON: parsing stops after 100 of them', async () => {
    const { file, a } = archive();
    a.repeated(RAW, Buffer.from('{x}\n'.repeat(1 << 18)), 16).end();
    await rejects(file, `${RAW} line 1 is not valid JSON`);
  });
});

describe('envelopes', () => {
  it('thousands of top-level *.dsse.json members: reading stops at the envelope cap', async () => {
    const { file, a } = archive();
    const body = lowEntropy(64 << 10, 0.02);
    for (let i = 0; i < 200; i++) a.file(`e${String(i).padStart(5, '0')}.dsse.json`, body);
    a.end();
    await rejects(file, /more than 16 envelopes \(\*\.dsse\.json; a bundle has one\): not read further/);
  });

  it('an envelope of 12 MB: hashed, not held', async () => {
    const { file, a } = archive();
    a.repeated('bundle.dsse.json', lowEntropy(1 << 20, 0.02), 12).end();
    await rejects(file, `bundle.dsse.json is ${12 << 20} bytes, more than a bundle ever writes (${1 << 20}): not read`);
  });
});

describe('deeply nested JSON', () => {
  it('a custody line of 15 million open brackets is not parsed', async () => {
    const { file, a } = archive();
    a.file(CUSTODY, Buffer.concat([Buffer.alloc(15 << 20, 0x5b), Buffer.from('\n')])).end();
    await rejects(file, `${CUSTODY} line 1 holds more than 1000000 JSON values: not parsed`);
  });

  it('an inputs line of a million nested objects is not parsed', async () => {
    const { file, a } = archive();
    const n = 1_100_000;
    a.file(INPUTS, Buffer.from(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}\n`)).end();
    await rejects(file, `${INPUTS} line 1 holds more than 1000000 JSON values: not parsed`);
  });

  it('a raw record nested 400,000 deep (under the value cap) parses and is reported', async () => {
    const { file, a } = archive();
    const n = 400_000;
    a.file(RAW, Buffer.from(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}\n`)).end();
    await rejects(file, `${RAW} line 1: no raw text or sha256`);
  });
});

describe('gzip bombs', () => {
  it('4 GB of zeros in the raw records from 4 MB of gzip: stopped at the inflate ratio', async () => {
    const { file, a } = archive();
    a.repeated(RAW, Buffer.alloc(1 << 20), 4096).end();
    expect(a.size).toBeLessThan(5 << 20);
    await rejects(file, /evidence\/raw-records\.ndjson inflates to more than 100 times its compressed size .*: a decompression bomb, not read further/);
  });

  it('a bomb in a member verify only hashes (the HTML report)', async () => {
    const { file, a } = archive();
    a.repeated('report/report.html', Buffer.alloc(1 << 20, 0x20), 4096).end();
    await rejects(file, /report\/report\.html inflates to more than 100 times/);
  });

  it('a bomb between members (in the padding of the tar stream)', async () => {
    const { file, a } = archive();
    a.file('SHA256SUMS', Buffer.from('x'));
    const zeros = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
    for (let i = 0; i < 4096; i++) a.gzipped(zeros);
    a.end();
    await rejects(file, /inflates to more than 100 times its compressed size/);
  });
});

describe('tar entries with odd sizes and names', () => {
  it('a member that declares 100 GB and holds 1 MB', async () => {
    const { file, a } = archive();
    a.plain(tarHeader({ name: RAW, size: 100e9 }), Buffer.from(`{"raw":"","sha256":"${EMPTY_SHA}"}\n`.repeat(10_000)));
    a.end();
    await rejects(file, 'the archive is truncated');
  });

  it('a size field that is not a number', async () => {
    const { file, a } = archive();
    a.plain(tarHeader({ name: RAW, size: 0, rawSize: 'zzzzzzzzzzz' })).end();
    await rejects(file, /the archive cannot be read as tar\.gz|the archive is truncated/);
  });

  it('a pax header that raises the size of a small member to a petabyte', async () => {
    const { file, a } = archive();
    a.plain(...paxEntry({ size: '1000000000000000' }), tarHeader({ name: RAW, size: 10 }), Buffer.from('0123456789'), padding(10)).end();
    await rejects(file, 'the archive is truncated');
  });

  it('a pax path of 3 MB', async () => {
    const { file, a } = archive();
    a.plain(...paxEntry({ path: 'x'.repeat(3 << 20) }), tarHeader({ name: 'short', size: 1 }), Buffer.from('y'), padding(1)).end();
    await rejects(file, /a member's name is 3145728 characters long \("x{80}\.\.\."\): not a bundle member, not read/);
  });

  it('a hundred thousand empty members: reading stops at the member cap', async () => {
    const { file, a } = archive();
    const headers: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) headers.push(tarHeader({ name: `m/${i}`, size: 0 }));
    a.plain(...headers).end();
    await rejects(file, 'the archive has more than 1000 members (a bundle has about 20): not read further');
  });
});

describe('many records', () => {
  it('a million well-formed raw records with distinct events: cross-check keys stay compact', async () => {
    // GIVEN records whose text matches their hash (the empty string) and that name a million events and inputs
    const { file, a } = archive();
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(`{"event_id":"e${i}","id":${i},"input_id":${i},"raw":"","sha256":"${EMPTY_SHA}"}\n`);
    a.file(RAW, Buffer.from(lines.join(''))).file(INPUTS, Buffer.alloc(0)).file(EVENTS, Buffer.alloc(0)).end();
    expect(a.size).toBeLessThan(8 << 20);
    // THEN each record's input and event are missing, reported with the first lines and counted
    await rejects(file, /evidence\/raw-records\.ndjson line 1: its input 0 is not in evidence\/inputs\.ndjson[\s\S]*\.\.\. and \d+ more reference problem\(s\)/);
  });
});
