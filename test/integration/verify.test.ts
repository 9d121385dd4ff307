/**
 * `irctl verify` against real bundles and tampered copies: each kind of member altered, members dropped and added,
 * truncated and non-gzip archives, a consistent re-signature with another key; each must fail with exit 5 and the
 * message naming what does not match (a consistent re-signature without a pinned key: exit 9, signer not
 * authenticated).
 */
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDetectedCase, newKey, readBundle, resign, writeBundle } from '../helpers/export-case.js';
import { runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;
let bundle: string;
let members: Map<string, Buffer>;
let pub: string;
let k = 0;

beforeAll(async () => {
  tmp = tempDir();
  caseDir = join(tmp.dir, 'case');
  const { threatId } = await makeDetectedCase(caseDir);
  bundle = join(tmp.dir, 'good.bundle.tar.gz');
  const r = await runIrctl(['--case', caseDir, 'export', threatId, '--out', bundle]);
  expect(r.code).toBe(0);
  members = await readBundle(bundle);
  pub = join(caseDir, 'keys', 'signing-key.pub.pem');
});
afterAll(() => tmp.cleanup());

/** Verify outside any case and with no trusted keys (no implicit expected key) unless args say otherwise. */
function verify(file: string, ...extra: string[]): ReturnType<typeof runIrctl> {
  return runIrctl(['--case', join(tmp.dir, 'no-case'), 'verify', file, ...extra], { env: { XDG_CONFIG_HOME: join(tmp.dir, 'no-config') } });
}

async function tampered(change: (m: Map<string, Buffer>) => void): Promise<string> {
  const m = new Map([...members].map(([n, b]) => [n, Buffer.from(b)]));
  change(m);
  const file = join(tmp.dir, `t${++k}.tgz`);
  await writeBundle(m, file);
  return file;
}

/** Replace the first occurrence of `from` in a member. */
function edit(m: Map<string, Buffer>, name: string, from: string, to: string): void {
  const text = m.get(name)!.toString('utf8');
  expect(text.includes(from), `${name} contains ${from}`).toBe(true);
  m.set(name, Buffer.from(text.replace(from, to), 'utf8'));
}

function flipByte(m: Map<string, Buffer>, name: string, at = 0.5): void {
  const b = m.get(name)!;
  const i = Math.floor(b.length * at);
  b[i] = b[i]! ^ 0x01;
}

describe('a good bundle', () => {
  it('verifies, prints the fingerprint and what was checked; exit 0', async () => {
    const r = await verify(bundle, '--key', pub);
    expect(r.code).toBe(0);
    const fp = (await runIrctl(['--case', caseDir, 'keys', 'show', '--json'])).json<{ fingerprint: string }>()[0]!.fingerprint;
    expect(r.stdout).toContain(`signing key   ${fp}`);
    for (const name of ['signature', 'signer', 'statement', 'sha256sums', 'raw-records', 'events', 'custody', 'manifest', 'investigations']) {
      expect(r.stdout).toMatch(new RegExp(`ok\\s+${name}\\s`));
    }
    expect(r.stdout).toContain('result        OK');
  });

  it('authenticates the signer with the case key when run inside the case', async () => {
    const r = await runIrctl(['--case', caseDir, 'verify', bundle], { env: { XDG_CONFIG_HOME: join(tmp.dir, 'no-config') } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/trusted by\s+case key /);
    expect(r.stdout).toMatch(/ok\s+signer\s+signed by a key you trust \(case key /);
  });

  it('--json gives the machine-readable report', async () => {
    const r = await verify(bundle, '--json', '--key', pub);
    expect(r.code).toBe(0);
    const j = r.json<{ ok: boolean; intact: boolean; authenticated: boolean; checks: Array<{ name: string; ok: boolean }>; problems: string[] }>()[0]!;
    expect(j).toMatchObject({ ok: true, intact: true, authenticated: true });
    expect(j.problems).toEqual([]);
    expect(j.checks.every((c) => c.ok)).toBe(true);
  });

  it('without --key, trusted keys or the case: intact, signer not authenticated (exit 9)', async () => {
    const r = await verify(bundle, '--json');
    expect(r.code).toBe(9);
    const j = r.json<{ ok: boolean; intact: boolean; authenticated: boolean; checks: Array<{ name: string; ok: boolean }>; problems: string[] }>()[0]!;
    expect(j).toMatchObject({ ok: false, intact: true, authenticated: false, problems: [] });
    expect(j.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['signer']);
  });
});

describe('tampering', () => {
  it('a raw record changed: its hash, the signed digest and SHA256SUMS all disagree', async () => {
    const f = await tampered((m) => edit(m, 'evidence/raw-records.ndjson', '203.0.113.77', '203.0.113.78'));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/evidence\/raw-records\.ndjson line \d+ \(raw record \d+, event [^)]+\): the raw bytes hash to [0-9a-f]{64}, the record says [0-9a-f]{64}/);
    expect(r.stdout).toContain('evidence/raw-records.ndjson was altered: its sha256 is');
    expect(r.stdout).toMatch(/evidence\/raw-records\.ndjson: sha256 [0-9a-f]{64} does not match SHA256SUMS/);
    expect(r.stdout).toMatch(/FAIL\s+raw-records/);
  });

  for (const name of [
    'normalized/events.ndjson',
    'detect/detections.ndjson',
    'timeline/timeline.ndjson',
    'investigation/verdicts.ndjson',
    'evidence/inputs.ndjson',
    'evidence/verdict-overrides.ndjson',
    'report/report.md',
    'report/report.html',
  ]) {
    it(`a byte flipped in ${name} is named`, async () => {
      const f = await tampered((m) => flipByte(m, name));
      const r = await verify(f, '--key', pub);
      expect(r.code).toBe(5);
      expect(r.stdout).toContain(`${name} was altered: its sha256 is`);
      expect(r.stdout).toMatch(/FAIL\s+statement/);
    });
  }

  it('a custody entry edited: the chain check names the entry', async () => {
    const f = await tampered((m) => edit(m, 'custody/custody-log.ndjson', '"action\\":\\"import.start', '"action\\":\\"import.begin'));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/custody entry 1: content does not match its hash \(altered\)/);
    expect(r.stdout).toMatch(/FAIL\s+custody/);
  });

  it('an investigation transcript edited: its stored hash no longer matches', async () => {
    const f = await tampered((m) => edit(m, 'investigation/investigations.ndjson', 'AKIASVCBACKUPLEAKED1', 'AKIASVCBACKUPLEAKED2'));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('(investigation inv-1): result and transcript do not match their sha256 (altered)');
  });

  it('the manifest edited', async () => {
    const f = await tampered((m) => edit(m, 'manifest.json', '"normalized/events.ndjson":', '"normalized/events.ndjson":1'));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('manifest.json was altered');
    expect(r.stdout).toMatch(/normalized\/events\.ndjson has \d+ records, the manifest says 1\d+/);
  });

  it('SHA256SUMS edited', async () => {
    const f = await tampered((m) => flipByte(m, 'SHA256SUMS', 0.1));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('SHA256SUMS was altered');
    expect(r.stdout).toMatch(/FAIL\s+sha256sums/);
  });

  it('the signature flipped', async () => {
    const f = await tampered((m) => {
      const env = JSON.parse(m.get('bundle.dsse.json')!.toString()) as { payload: string; payloadType: string; signatures: Array<{ keyid: string; sig: string }> };
      const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
      sig[5] = sig[5]! ^ 0xff;
      env.signatures[0]!.sig = sig.toString('base64');
      m.set('bundle.dsse.json', Buffer.from(JSON.stringify(env)));
    });
    const r = await verify(f);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('the signature does not verify with signing-key.pub.pem: the statement or the signature was altered');
  });

  it('the signed statement changed (payload edited without re-signing)', async () => {
    const f = await tampered((m) => {
      const env = JSON.parse(m.get('bundle.dsse.json')!.toString()) as { payload: string };
      const st = Buffer.from(env.payload, 'base64').toString().replace('"kind":"threat"', '"kind":"case!"');
      env.payload = Buffer.from(st).toString('base64');
      m.set('bundle.dsse.json', Buffer.from(JSON.stringify({ ...JSON.parse(m.get('bundle.dsse.json')!.toString()), payload: env.payload })));
    });
    const r = await verify(f);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('the signature does not verify');
  });

  it('the public key swapped for another: the envelope names a different key and nothing verifies', async () => {
    const other = newKey(tmp.dir, 'other-pub');
    const f = await tampered((m) => m.set('signing-key.pub.pem', readFileSync(other.pubPath)));
    const r = await verify(f);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('the signature does not verify');
    expect(r.stdout).toContain('signing-key.pub.pem was altered');
  });

  it('a member dropped', async () => {
    const f = await tampered((m) => m.delete('detect/detections.ndjson'));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('missing member detect/detections.ndjson (listed in the signed statement)');
  });

  it('a member added', async () => {
    const f = await tampered((m) => m.set('evidence/extra.ndjson', Buffer.from('{"planted":true}\n')));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('extra member evidence/extra.ndjson is not covered by the signed statement');
    expect(r.stdout).toContain('evidence/extra.ndjson is not listed in SHA256SUMS');
  });

  it('a truncated archive gets a clear message, no stack trace', async () => {
    const f = join(tmp.dir, 'truncated.tgz');
    cpSync(bundle, f);
    truncateSync(f, Math.floor(readFileSync(f).length / 2));
    const r = await verify(f, '--key', pub);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('the archive is truncated');
    expect(r.stdout).toMatch(/FAIL\s+archive/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it('the built CLI checking raw records on a worker thread finds the same problems (and passes a good bundle)', async () => {
    // GIVEN a good bundle and one with an altered raw record and a line that is not JSON
    const bad = await tampered((m) => {
      edit(m, 'evidence/raw-records.ndjson', '203.0.113.77', '203.0.113.78');
      const text = m.get('evidence/raw-records.ndjson')!.toString('utf8').split('\n');
      text.splice(3, 0, '{"raw": not json');
      m.set('evidence/raw-records.ndjson', Buffer.from(text.join('\n'), 'utf8'));
    });
    const env = { IRCTL_VERIFY_THREADS: '1' };
    // WHEN the built CLI verifies them with the raw-record check on its thread
    const good = await spawnIrctl(['--case', join(tmp.dir, 'no-case'), 'verify', bundle, '--key', pub, '--json'], { env });
    const r = await spawnIrctl(['--case', join(tmp.dir, 'no-case'), 'verify', bad, '--key', pub], { env });
    const inline = await spawnIrctl(['--case', join(tmp.dir, 'no-case'), 'verify', bad, '--key', pub], { env: { IRCTL_VERIFY_THREADS: '0' } });
    // THEN
    expect(good.code, good.stderr).toBe(0);
    const j = JSON.parse(good.stdout) as { ok: boolean; checks: Array<{ name: string; detail: string }> };
    expect(j.ok).toBe(true);
    expect(j.checks.find((c) => c.name === 'raw-records')?.detail).toMatch(/^[1-9]\d* raw records re-hashed/);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/evidence\/raw-records\.ndjson line \d+ \(raw record \d+, event [^)]+\): the raw bytes hash to [0-9a-f]{64}, the record says [0-9a-f]{64}/);
    expect(r.stdout).toContain('evidence/raw-records.ndjson line 4 is not valid JSON');
    expect(r.stdout).toMatch(/FAIL\s+raw-records/);
    expect(r.stdout).toBe(inline.stdout);
  });

  it('a file that is not a bundle at all', async () => {
    const f = join(tmp.dir, 'not-a-bundle.tgz');
    writeFileSync(f, 'hello, this is not gzip\n');
    const r = await verify(f);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/not valid gzip|cannot be read as tar\.gz/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing file is a usage error', async () => {
    const r = await verify(join(tmp.dir, 'nope.tgz'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no bundle file at');
  });
});

describe('re-signed with another key', () => {
  it('is intact on its own but not authenticated (the attacker\'s fingerprint shown), and fails against the expected key', async () => {
    // GIVEN an attacker who re-signs everything consistently with their own key
    const attacker = newKey(tmp.dir, 'attacker');
    const m = new Map([...members].map(([n, b]) => [n, Buffer.from(b)]));
    const f = join(tmp.dir, 'resigned.tgz');
    await writeBundle(resign(m, attacker.privateKey, attacker.publicKey), f);
    // WHEN verified without an expected key: internally consistent, but nothing vouches for the attacker's key (exit 9)
    const loose = await verify(f, '--json');
    expect(loose.code).toBe(9);
    const j = loose.json<{ ok: boolean; intact: boolean; authenticated: boolean; fingerprint: string }>()[0]!;
    expect(j).toMatchObject({ ok: false, intact: true, authenticated: false });
    const show = await runIrctl(['keys', 'show', '--key', attacker.pubPath, '--json']);
    expect(j.fingerprint).toBe(show.json<{ fingerprint: string }>()[0]!.fingerprint);
    // THEN with the expected key it fails (exit 5); inside the case the case key does not vouch for it either (exit 9)
    const strict = await verify(f, '--key', pub);
    expect(strict.code).toBe(5);
    expect(strict.stdout).toMatch(/but NOT for the expected key [0-9a-f]{64} \(--key .*\): the bundle was signed by someone else/);
    expect(strict.stdout).toMatch(/FAIL\s+signer/);
    const inCase = await runIrctl(['--case', caseDir, 'verify', f], { env: { XDG_CONFIG_HOME: join(tmp.dir, 'no-config') } });
    expect(inCase.code).toBe(9);
    expect(inCase.stdout).toContain(`WARN  signer          NOT AUTHENTICATED: key ${j.fingerprint}`);
  });
});
