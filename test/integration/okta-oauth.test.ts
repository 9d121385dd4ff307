/**
 * `irctl collect okta` with an OAuth 2.0 service app instead of an API token, against the local fake's token
 * endpoint (test/fakes/okta.ts): a `private_key_jwt` client assertion verified with the app's public key, DPoP-bound
 * tokens with the server-nonce round trip (Okta's default for new service apps), a token refreshed after a 401
 * mid-run, and clear exit-4 messages for a wrong key or a missing scope. Neither the key nor a token reaches the case.
 */
import Database from 'better-sqlite3';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOkta, makeOktaEvent } from '../fakes/okta.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;
const CLIENT_ID = '0oa9serviceapp01x7';
const ORG = 'https://acme.okta.com';

describe('irctl collect okta with an OAuth service app', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  let fake: FakeOkta;
  let dir: string;
  let cleanup: () => void;
  let keyFile: string;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    keyFile = join(dir, '..', `okta-key-${process.pid}-${Math.random().toString(36).slice(2)}.pem`);
    writeFileSync(keyFile, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  });
  afterEach(async () => {
    await fake.close();
    rmSync(keyFile, { force: true });
    rmSync(join(dir, '..', `garbage-${process.pid}.pem`), { force: true });
    cleanup();
  });

  async function setUp(oauth: Partial<NonNullable<ConstructorParameters<typeof FakeOkta>[0]>['oauth']> = {}, n = 12): Promise<NodeJS.ProcessEnv> {
    fake = new FakeOkta({ oauth: { clientId: CLIENT_ID, publicKey: rsa.publicKey, audience: `${ORG}/oauth2/v1/token`, ...oauth } });
    fake.add(Array.from({ length: n }, (_, i) => makeOktaEvent({ ms: now - 40 * MIN + i * MIN, user: `user${i % 3}@acme.example` })));
    return { OKTA_CLIENT_ID: CLIENT_ID, OKTA_PRIVATE_KEY_FILE: keyFile, IRCTL_OKTA_ENDPOINT: await fake.start(), IRCTL_RETRY_BASE_MS: '10' };
  }
  const collect = (env: NodeJS.ProcessEnv) => runIrctl(['--case', dir, '--json', 'collect', 'okta', '--org', ORG, '--since', '1h'], { env });

  it('gets a DPoP-bound token (missing proof, then the nonce round trip) and collects every page with it', async () => {
    // GIVEN an app that requires DPoP, as Okta makes new service apps
    const env = await setUp({ requireDpop: true });
    // WHEN collecting with the app's client id and private key file
    const r = await collect(env);
    // THEN every event is stored, after exactly the token exchanges Okta's DPoP flow needs
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ events: number; pages: number }>()[0]).toMatchObject({ events: 12, pages: 3 });
    expect(fake.tokenCalls).toEqual(['invalid_dpop_proof', 'use_dpop_nonce', 'issued']);
    expect(fake.requests().filter((q) => q.url.includes('/api/v1/logs')).every((q) => q.status === 200)).toBe(true);
    // AND custody names the client id and the kind of credential, never the key or the token
    const db = new Database(join(dir, 'evidence.sqlite'), { readonly: true });
    const start = db.prepare("SELECT body FROM custody WHERE action = 'collect.start'").pluck().get() as string;
    db.close();
    expect(start).toContain(CLIENT_ID);
    expect(start).toContain('OAuth service app');
    const bytes = readFileSync(join(dir, 'evidence.sqlite'));
    const pem = readFileSync(keyFile, 'utf8').split('\n')[1]!;
    expect(bytes.includes(Buffer.from(pem))).toBe(false);
    expect(bytes.includes(Buffer.from('eyFakeAccess'))).toBe(false);
  });

  it('uses a plain bearer token from an EC JWK key, and gets a new one when the API refuses it mid-run', async () => {
    // GIVEN an app without DPoP whose key is an EC P-256 JWK in OKTA_PRIVATE_KEY, and tokens revoked after 2 pages
    const env = await setUp({ publicKey: ec.publicKey }, 20);
    delete env.OKTA_PRIVATE_KEY_FILE;
    env.OKTA_PRIVATE_KEY = JSON.stringify({ ...ec.privateKey.export({ format: 'jwk' }), kid: 'key-1' });
    fake.revokeAfter(2);
    // WHEN collecting
    const r = await collect(env);
    // THEN the 401 leads to one new token and the run completes with every event once
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ events: number; duplicates: number }>()[0]).toMatchObject({ events: 20, duplicates: 0 });
    expect(fake.tokenCalls).toEqual(['issued', 'issued']);
    expect(fake.requests().filter((q) => q.status === 401)).toHaveLength(1);
  });

  it('a key the app does not hold, a missing scope, or two credentials: clear messages, no stack trace', async () => {
    // GIVEN an app whose registered public key is another key
    const env = await setUp({ publicKey: ec.publicKey });
    const wrong = await collect(env);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('refused the client assertion');
    expect(wrong.stderr).toContain('OKTA_PRIVATE_KEY_FILE');
    expect(wrong.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(fake.requests().filter((q) => q.url.includes('/api/v1/logs'))).toHaveLength(0);
    // AND a scope the app was not granted
    await fake.close();
    const env2 = await setUp();
    const scoped = await collect({ ...env2, OKTA_SCOPES: 'okta.users.read' });
    expect(scoped.code).toBe(4);
    expect(scoped.stderr).toContain('okta.logs.read');
    // AND both credentials at once is a usage error; a client id without a key too
    expect((await collect({ ...env2, OKTA_API_TOKEN: 'x' })).stderr).toContain('both OKTA_API_TOKEN and OKTA_CLIENT_ID are set');
    const nokey = await collect({ OKTA_CLIENT_ID: CLIENT_ID, IRCTL_OKTA_ENDPOINT: env2.IRCTL_OKTA_ENDPOINT });
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toContain('private key is not');
    const garbage = join(dir, '..', `garbage-${process.pid}.pem`);
    writeFileSync(garbage, 'not a key');
    const bad = await collect({ ...env2, OKTA_PRIVATE_KEY_FILE: garbage });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a private key in PEM or JWK form');
  });
});
