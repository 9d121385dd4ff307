/**
 * Pinned signers (issue 11, defect 8): `irctl verify` authenticates who signed a bundle only against `--key`, the
 * user's trusted keys (`irctl keys trust`, kept in $XDG_CONFIG_HOME/irctl/trusted-keys/) or the case key inside the
 * case. Otherwise an intact bundle exits 9 ("intact, signer not authenticated") and shows the fingerprint to compare
 * out of band; a failed integrity check is exit 5 whoever signed.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/export/keys.js';
import { makeDetectedCase, newKey, readBundle, writeBundle } from '../helpers/export-case.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;
let bundle: string;
let teamBundle: string;
let casePub: string;
let caseFp: string;
let team: ReturnType<typeof newKey>;
let teamFp: string;
let k = 0;

beforeAll(async () => {
  tmp = tempDir();
  caseDir = join(tmp.dir, 'case');
  const { threatId } = await makeDetectedCase(caseDir);
  bundle = join(tmp.dir, 'case-key.bundle.tar.gz');
  expect((await runIrctl(['--case', caseDir, 'export', threatId, '--out', bundle])).code).toBe(0);
  // A bundle of the same case signed with a team key kept outside the case.
  team = newKey(tmp.dir, 'team');
  teamFp = fingerprintOf(team.publicKey);
  teamBundle = join(tmp.dir, 'team-key.bundle.tar.gz');
  expect((await runIrctl(['--case', caseDir, 'export', threatId, '--out', teamBundle, '--signing-key', team.privPath])).code).toBe(0);
  casePub = join(caseDir, 'keys', 'signing-key.pub.pem');
  caseFp = (await runIrctl(['keys', 'show', '--key', casePub, '--json'])).json<{ fingerprint: string }>()[0]!.fingerprint;
});
afterAll(() => tmp.cleanup());

/** A fresh per-user configuration directory (XDG_CONFIG_HOME) with nothing trusted yet. */
function freshConfig(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: join(tmp.dir, `config-${++k}`) };
}

/** `irctl ...` outside any case with the given environment. */
function irctl(env: NodeJS.ProcessEnv, ...args: string[]): ReturnType<typeof runIrctl> {
  return runIrctl(['--case', join(tmp.dir, 'no-case'), ...args], { env });
}

describe('who signed', () => {
  it('without --key, trusted keys or the case: intact but not authenticated, exit 9, fingerprint shown', async () => {
    const r = await irctl(freshConfig(), 'verify', bundle);
    expect(r.code).toBe(9);
    expect(r.stdout).toContain(`signing key   ${caseFp}`);
    expect(r.stdout).toMatch(/trusted by\s+none of your 0 trusted key\(s\)/);
    expect(r.stdout).toMatch(new RegExp(`WARN\\s+signer\\s+NOT AUTHENTICATED: key ${caseFp} is not pinned with --key, not in your trusted keys and not the case key`));
    expect(r.stdout).toContain('result        INTACT, SIGNER NOT AUTHENTICATED');
    expect(r.stdout).toContain(`compare the signing key fingerprint ${caseFp} with the one you received out of band`);
    expect(r.stdout).not.toMatch(/FAIL/);
  });

  it('with --key of the signing key: exit 0', async () => {
    const r = await irctl(freshConfig(), 'verify', bundle, '--key', casePub);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok\s+signer\s+signed by the expected key \(--key /);
  });

  it('with --key of another key: exit 5, even when the signer is trusted', async () => {
    const env = freshConfig();
    expect((await irctl(env, 'keys', 'trust', casePub)).code).toBe(0);
    const r = await irctl(env, 'verify', bundle, '--key', team.pubPath);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/FAIL\s+signer\s+NOT the expected key/);
    expect(r.stdout).toContain('the bundle was signed by someone else');
  });

  it('inside the case: the case key authenticates its bundles, not a bundle signed with another key', async () => {
    const env = freshConfig();
    const own = await runIrctl(['--case', caseDir, 'verify', bundle], { env });
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/trusted by\s+case key /);
    const other = await runIrctl(['--case', caseDir, 'verify', teamBundle], { env });
    expect(other.code).toBe(9);
    expect(other.stdout).toContain(`NOT AUTHENTICATED: key ${teamFp}`);
  });

  it('a tampered bundle is exit 5 whether or not its signer is authenticated (5 wins over 9)', async () => {
    const m = await readBundle(bundle);
    const html = m.get('report/report.html')!;
    html[10] = html[10]! ^ 1;
    const f = join(tmp.dir, 'tampered.tgz');
    await writeBundle(m, f);
    const r = await irctl(freshConfig(), 'verify', f);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('report/report.html was altered');
  });
});

describe('irctl keys trust, list, untrust', () => {
  it('a trusted key authenticates the bundles it signed until it is untrusted', async () => {
    // GIVEN a user who checked the team key's fingerprint out of band and trusts it
    const env = freshConfig();
    const t = await irctl(env, 'keys', 'trust', team.pubPath, '--json');
    expect(t.code, t.stderr).toBe(0);
    const added = t.json<{ fingerprint: string; file: string; added: boolean }>()[0]!;
    expect(added).toMatchObject({ fingerprint: teamFp, added: true });
    expect(added.file).toBe(join(env.XDG_CONFIG_HOME!, 'irctl', 'trusted-keys', `${teamFp}.pub.pem`));
    expect((await irctl(env, 'keys', 'trust', team.pubPath, '--json')).json<{ added: boolean }>()[0]!.added).toBe(false);
    const list = await irctl(env, 'keys', 'list');
    expect(list.stdout.trim()).toBe(`${teamFp}  ${added.file}`);
    // WHEN verifying without --key: authenticated by the trusted key (exit 0)
    const ok = await irctl(env, 'verify', teamBundle);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`ok\\s+signer\\s+signed by a key you trust \\(trusted key ${added.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    // a bundle signed by another key is still not authenticated
    expect((await irctl(env, 'verify', bundle)).code).toBe(9);
    // THEN untrusting it (by a fingerprint prefix) takes that back
    const u = await irctl(env, 'keys', 'untrust', teamFp.slice(0, 12));
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toContain(`no longer trusted  ${teamFp}`);
    expect((await irctl(env, 'verify', teamBundle)).code).toBe(9);
    expect((await irctl(env, 'keys', 'list')).stdout).toContain('no trusted keys in');
  });

  it('defaults to ~/.config/irctl/trusted-keys when XDG_CONFIG_HOME is unset', async () => {
    const home = join(tmp.dir, 'home');
    const t = await irctl({ HOME: home }, 'keys', 'trust', team.pubPath, '--json');
    expect(t.json<{ file: string }>()[0]!.file).toBe(join(home, '.config', 'irctl', 'trusted-keys', `${teamFp}.pub.pem`));
    expect((await irctl({ HOME: home }, 'verify', teamBundle)).code).toBe(0);
  });

  it('ignores a trusted-keys directory other users can write to, with a warning', async () => {
    const env = freshConfig();
    expect((await irctl(env, 'keys', 'trust', team.pubPath)).code).toBe(0);
    const dir = join(env.XDG_CONFIG_HOME!, 'irctl', 'trusted-keys');
    chmodSync(dir, 0o777);
    const r = await irctl(env, 'verify', teamBundle);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(`${dir} is writable by other users: no key in it is trusted`);
  });

  it('refuses a file that is not an Ed25519 public key (exit 2) and an unknown fingerprint', async () => {
    const env = freshConfig();
    const junk = join(tmp.dir, 'junk.pem');
    writeFileSync(junk, 'not a key\n');
    expect((await irctl(env, 'keys', 'trust', junk)).code).toBe(2);
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'irctl', 'trusted-keys'), { recursive: true });
    const u = await irctl(env, 'keys', 'untrust', 'abcdef0123');
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('no trusted key abcdef0123');
  });
});
