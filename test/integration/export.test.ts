/**
 * `irctl export` through the CLI on the sample case (detected with a test rule pack, with an investigation and an
 * analyst override): bundle layout, contents byte-exact with the store, determinism, custody, keys, errors.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { writeThreatBundle } from '../../src/export/index.js';
import { sha256Hex } from '../../src/util/hash.js';
import { FIXED_NOW, makeDetectedCase, newKey, readBundle } from '../helpers/export-case.js';
import { runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let base: string;
let threatId: string;
let n = 0;

/** A private copy of the detected case (tests that export change its custody log). */
function freshCase(): string {
  const dir = join(tmp.dir, `case-${++n}`);
  cpSync(base, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  tmp = tempDir();
  base = join(tmp.dir, 'base');
  ({ threatId } = await makeDetectedCase(base));
});
afterAll(() => tmp.cleanup());

describe('export --all', () => {
  it('writes a bundle with the required top-level members, generates the case key (0600) and appends export.bundle', async () => {
    // GIVEN a case without a signing key
    const c = freshCase();
    const out = join(tmp.dir, 'all.bundle.tar.gz');
    // WHEN exporting the whole case
    const r = await runIrctl(['--case', c, 'export', '--all', '--out', out, '--json']);
    // THEN
    expect(r.code).toBe(0);
    const res = r.json<{ path: string; sha256: string; fingerprint: string; key_generated: boolean; custody_head: { seq: number; hash: string } }>()[0]!;
    expect(res.path).toBe(out);
    expect(res.key_generated).toBe(true);
    expect(r.stderr).toMatch(/generated .*signing-key\.pem \(fingerprint [0-9a-f]{64}\)/);
    expect(res.sha256).toBe(sha256Hex(readFileSync(out)));
    expect(statSync(join(c, 'keys', 'signing-key.pem')).mode & 0o777).toBe(0o600);
    // top-level names (as a standard tar sees them)
    const names = execFileSync('tar', ['-tzf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(names).toEqual(expect.arrayContaining(['SHA256SUMS', 'signing-key.pub.pem', 'bundle.dsse.json', 'manifest.json', 'report/report.md', 'report/report.html']));
    expect(names.some((x) => x.includes('signing-key.pem') && !x.includes('.pub'))).toBe(false);
    // custody: the export entry carries the bundle hash and is the new head
    const kase = openCase(c);
    try {
      const last = kase.db.prepare('SELECT seq, hash, body FROM custody ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string; body: string };
      const body = JSON.parse(last.body) as { action: string; details: { sha256: string; key_fingerprint: string } };
      expect(body.action).toBe('export.bundle');
      expect(body.details.sha256).toBe(res.sha256);
      expect(body.details.key_fingerprint).toBe(res.fingerprint);
      expect(last.hash).toBe(res.custody_head.hash);
      const actions = kase.db.prepare('SELECT action FROM custody ORDER BY seq').pluck().all() as string[];
      expect(actions).toContain('keys.generate');
    } finally {
      kase.close();
    }
  });

  it('holds every raw record exactly as stored, with its sha256, and the custody head before the export', async () => {
    const c = freshCase();
    const out = join(tmp.dir, 'all2.bundle.tar.gz');
    const kase = openCase(c);
    const stored = kase.db.prepare('SELECT sha256, raw FROM raw_records ORDER BY id').all() as Array<{ sha256: string; raw: string }>;
    kase.close();
    const r = await runIrctl(['--case', c, 'export', '--all', '--out', out]);
    expect(r.code).toBe(0);
    const m = await readBundle(out);
    const raws = m.get('evidence/raw-records.ndjson')!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { sha256: string; raw: string });
    expect(raws.length).toBe(stored.length);
    raws.forEach((x, i) => {
      expect(x.raw).toBe(stored[i]!.raw);
      expect(x.sha256).toBe(sha256Hex(x.raw));
    });
    const manifest = JSON.parse(m.get('manifest.json')!.toString()) as { custody_head: { seq: number }; counts: Record<string, number>; scope: unknown };
    expect(manifest.scope).toEqual({ kind: 'case' });
    expect(manifest.counts['normalized/events.ndjson']).toBe(278);
    const custodyLines = m.get('custody/custody-log.ndjson')!.toString().trim().split('\n');
    expect(custodyLines.length).toBe(manifest.custody_head.seq);
    expect(m.get('investigation/investigations.ndjson')!.toString()).toContain('inv-1');
    const verdicts = m.get('investigation/verdicts.ndjson')!.toString().trim().split('\n').map((l) => JSON.parse(l) as { decided_by: string });
    expect(verdicts.map((v) => v.decided_by).sort()).toEqual(['analyst', 'machine']);
    expect(m.get('containment/actions.ndjson')!.length).toBe(0);
    expect(JSON.stringify(manifest)).toContain('containment actions: none recorded');
  });

  it('says where it wrote by default: <case>/exports/case-<UTC timestamp>.bundle.tar.gz', async () => {
    const c = freshCase();
    const r = await runIrctl(['--case', c, 'export', '--all'], { now: FIXED_NOW });
    expect(r.code).toBe(0);
    const expected = join(c, 'exports', 'case-20261121T120000Z.bundle.tar.gz');
    expect(r.stdout).toContain(`bundle        ${expected}`);
    expect(existsSync(expected)).toBe(true);
    expect(readdirSync(join(c, 'exports'))).toEqual(['case-20261121T120000Z.bundle.tar.gz']);
  });
});

describe('export of a threat', () => {
  it('scopes the bundle to the threat and verifies', async () => {
    const c = freshCase();
    const out = join(tmp.dir, 'threat.bundle.tar.gz');
    const r = await runIrctl(['--case', c, 'export', threatId, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const m = await readBundle(out);
    const manifest = JSON.parse(m.get('manifest.json')!.toString()) as { scope: unknown; counts: Record<string, number> };
    expect(manifest.scope).toEqual({ kind: 'threat', threat_id: threatId });
    const events = manifest.counts['normalized/events.ndjson']!;
    expect(events).toBeGreaterThan(0);
    expect(events).toBeLessThan(278);
    expect(manifest.counts['timeline/timeline.ndjson']).toBeGreaterThan(0);
    expect(manifest.counts['detect/threats.ndjson']).toBe(1);
    expect(m.get('normalized/events.ndjson')!.toString()).toContain('StopLogging');
    expect(m.get('report/report.md')!.toString()).toContain(`Incident report: ${threatId}`);
    const v = await runIrctl(['--case', c, 'verify', out]);
    expect(v.code).toBe(0);
  });

  it('accepts a lower-case or bare-number id', async () => {
    const c = freshCase();
    const out = join(tmp.dir, 'threat-lc.bundle.tar.gz');
    const r = await runIrctl(['--case', c, 'export', threatId.toLowerCase(), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`threat ${threatId}`);
  });

  it('writeThreatBundle (for investigate) writes into <case>/exports and returns path, sha256, fingerprint', async () => {
    const c = freshCase();
    const kase = openCase(c);
    try {
      const r = await writeThreatBundle(kase, threatId, { now: FIXED_NOW });
      expect(r.path).toBe(join(c, 'exports', `${threatId}-20261121T120000Z.bundle.tar.gz`));
      expect(r.sha256).toBe(sha256Hex(readFileSync(r.path)));
      expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      kase.close();
    }
  });

  it('gives the same member contents for the same case state, apart from the signature time', async () => {
    // GIVEN two identical copies of a case and one key
    const c1 = freshCase();
    const c2 = freshCase();
    const key = newKey(tmp.dir, 'det');
    const o1 = join(tmp.dir, 'det1.tgz');
    const o2 = join(tmp.dir, 'det2.tgz');
    // WHEN each is exported at a different time
    expect((await runIrctl(['--case', c1, 'export', threatId, '--out', o1, '--key', key.privPath], { now: () => new Date('2026-11-21T12:00:00Z') })).code).toBe(0);
    expect((await runIrctl(['--case', c2, 'export', threatId, '--out', o2, '--key', key.privPath], { now: () => new Date('2026-11-23T08:00:00Z') })).code).toBe(0);
    // THEN every member but the envelope is byte-identical, and the envelopes differ only by the signature time
    const a = await readBundle(o1);
    const b = await readBundle(o2);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, data] of a) if (name !== 'bundle.dsse.json') expect(data.equals(b.get(name)!), name).toBe(true);
    const payload = (m: Map<string, Buffer>): Record<string, unknown> => {
      const env = JSON.parse(m.get('bundle.dsse.json')!.toString()) as { payload: string };
      const st = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as { predicate: Record<string, unknown> };
      return { ...st, predicate: { ...st.predicate, signed_at: 'X' } };
    };
    expect(payload(a)).toEqual(payload(b));
    // members are sorted and have fixed metadata
    const listing = execFileSync('tar', ['-tvzf', o1], { encoding: 'utf8' });
    expect(listing).toContain('2000-01-01');
    expect(listing).toMatch(/^-rw-r--r-- 0\/0/m);
  });
});

describe('export --all with the events member on its own thread (built CLI)', () => {
  it('writes the same members as in-thread, and the bundle verifies', async () => {
    // GIVEN two identical copies of a case and one key
    const c1 = freshCase();
    const c2 = freshCase();
    const key = newKey(tmp.dir, 'thr');
    const o1 = join(tmp.dir, 'thr1.tgz');
    const o2 = join(tmp.dir, 'thr2.tgz');
    // WHEN the built CLI exports one with the member thread and one without
    const a = await spawnIrctl(['--case', c1, 'export', '--all', '--out', o1, '--key', key.privPath], { env: { IRCTL_EXPORT_THREADS: '1' } });
    const b = await spawnIrctl(['--case', c2, 'export', '--all', '--out', o2, '--key', key.privPath], { env: { IRCTL_EXPORT_THREADS: '0' } });
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // THEN every member but the envelope (signature time) is byte-identical, and the threaded bundle verifies
    const ma = await readBundle(o1);
    const mb = await readBundle(o2);
    expect(ma.get('normalized/events.ndjson')!.length).toBeGreaterThan(1000);
    for (const [name, data] of ma) {
      if (name === 'bundle.dsse.json') continue;
      expect(data.equals(mb.get(name)!), name).toBe(true);
    }
    const v = await spawnIrctl(['--case', join(tmp.dir, 'no-case'), 'verify', o1, '--key', key.pubPath]);
    expect(v.code, v.stdout).toBe(0);
  });
});

describe('Ctrl-C during export', () => {
  it('writes no bundle, leaves no staging files and records no export', async () => {
    const c = freshCase();
    const out = join(tmp.dir, 'interrupted.tgz');
    const ctl = new AbortController();
    ctl.abort();
    const r = await runIrctl(['--case', c, 'export', '--all', '--out', out], { signal: ctl.signal });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('export interrupted: no bundle was written');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.irctl-export-'))).toEqual([]);
    const info = await runIrctl(['--case', c, 'case', 'verify', '--json']);
    expect(info.code).toBe(0);
    const k = openCase(c);
    try {
      expect(k.db.prepare("SELECT COUNT(*) FROM custody WHERE action = 'export.bundle'").pluck().get()).toBe(0);
    } finally {
      k.close();
    }
  });
});

describe('keys and errors', () => {
  it('keys generate refuses to overwrite without --force; keys show prints the SPKI fingerprint', async () => {
    const c = freshCase();
    const g = await runIrctl(['--case', c, 'keys', 'generate', '--json']);
    expect(g.code).toBe(0);
    const gen = g.json<{ fingerprint: string; public_key: string }>()[0]!;
    const again = await runIrctl(['--case', c, 'keys', 'generate']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).not.toMatch(/\n\s+at /);
    const show = await runIrctl(['--case', c, 'keys', 'show']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`fingerprint   ${gen.fingerprint}`);
    // the documented definition: sha256 of the DER SubjectPublicKeyInfo
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', gen.public_key, '-outform', 'DER']);
    expect(sha256Hex(der)).toBe(gen.fingerprint);
    const forced = await runIrctl(['--case', c, 'keys', 'generate', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(forced.json<{ fingerprint: string }>()[0]!.fingerprint).not.toBe(gen.fingerprint);
  });

  it('signs with --key and rejects a non-Ed25519 key with a clear message', async () => {
    const c = freshCase();
    const key = newKey(tmp.dir, 'k-ed');
    const out = join(tmp.dir, 'withkey.tgz');
    const r = await runIrctl(['--case', c, 'export', '--all', '--out', out, '--key', key.privPath, '--json']);
    expect(r.code).toBe(0);
    expect(existsSync(join(c, 'keys', 'signing-key.pem'))).toBe(false);
    const rsa = join(tmp.dir, 'rsa.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsa], { stdio: 'ignore' });
    const bad = await runIrctl(['--case', c, 'export', '--all', '--out', join(tmp.dir, 'rsa.tgz'), '--key', rsa]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('is a rsa key; bundles are signed with Ed25519');
    expect(existsSync(join(tmp.dir, 'rsa.tgz'))).toBe(false);
  });

  it('rejects a missing scope, an unknown threat and an existing output file', async () => {
    const c = freshCase();
    expect((await runIrctl(['--case', c, 'export'])).code).toBe(2);
    expect((await runIrctl(['--case', c, 'export', 'T-1', '--all'])).code).toBe(2);
    const unknown = await runIrctl(['--case', c, 'export', 'T-999']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no threat T-999');
    expect(unknown.stderr).toContain('Known threats:');
    const out = join(tmp.dir, 'exists.tgz');
    expect((await runIrctl(['--case', c, 'export', '--all', '--out', out])).code).toBe(0);
    const again = await runIrctl(['--case', c, 'export', '--all', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });
});
