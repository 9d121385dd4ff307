/**
 * `irctl collect okta` against a local fake of the System Log API (test/fakes/okta.ts): Link-header paging, 429 with
 * X-Rate-Limit-Reset, pacing by X-Rate-Limit-Remaining, resume after Ctrl-C with no gaps and no duplicates, raw
 * records equal to the bytes received, the token kept out of the case, and a bad token refused with exit 4.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOkta, makeOktaEvent } from '../fakes/okta.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;
const TOKEN = 'test-token-00aBcD';

describe('irctl collect okta', () => {
  let fake: FakeOkta;
  let dir: string;
  let cleanup: () => void;
  let env: NodeJS.ProcessEnv;
  const now = Date.now();

  async function setUp(opts: ConstructorParameters<typeof FakeOkta>[0] = {}, n = 23): Promise<void> {
    fake = new FakeOkta(opts);
    env = { OKTA_API_TOKEN: TOKEN, IRCTL_OKTA_ENDPOINT: await fake.start(), IRCTL_RETRY_BASE_MS: '10' };
    fake.add(Array.from({ length: n }, (_, i) => makeOktaEvent({ ms: now - 50 * MIN + i * 60_000, user: `user${i % 4}@acme.example` })));
  }
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(async () => {
    await fake.close();
    cleanup();
  });

  const collect = (extra: string[] = [], opts: { signal?: AbortSignal } = {}) =>
    runIrctl(['--case', dir, '--json', 'collect', 'okta', '--org', 'https://acme.okta.com', '--since', '1h', ...extra], { env, ...opts });

  function stored(): { raws: string[]; ids: string[]; events: number; inputs: Array<{ sha256: string; kind: string }> } {
    const db = new Database(join(dir, 'evidence.sqlite'), { readonly: true });
    const raws = db.prepare("SELECT raw FROM raw_records WHERE data_type = 'okta:system:entry' ORDER BY id").pluck().all() as string[];
    const ids = db.prepare('SELECT id FROM events ORDER BY time_ms').pluck().all() as string[];
    const inputs = db.prepare("SELECT i.kind, c.sha256 FROM inputs i JOIN input_completions c ON c.input_id = i.id WHERE i.kind = 'api_page' ORDER BY i.id").all() as Array<{ sha256: string; kind: string }>;
    db.close();
    return { raws, ids, events: ids.length, inputs };
  }

  it('follows Link rel="next" pages and stores each event as the exact bytes received, with page hashes and custody', async () => {
    // GIVEN 23 events and a fake serving 5 per page
    await setUp();
    // WHEN collecting the last hour
    const r = await collect();
    // THEN 5 pages, every event once, exit 0
    expect(r.code, r.stderr).toBe(0);
    const s = r.json<{ events: number; pages: number; duplicates: number; org: string; status: string }>()[0]!;
    expect(s).toMatchObject({ events: 23, pages: 5, duplicates: 0, org: 'https://acme.okta.com', status: 'ok' });
    const req = fake.requests();
    expect(req[0]!.url).toContain('sortOrder=ASCENDING');
    expect(req[0]!.url).toContain('until=');
    expect(req.slice(1).every((x) => x.url.includes('after='))).toBe(true);
    // AND each raw record is the event's exact text as sent, each page's SHA-256 the hash of the body as sent
    const st = stored();
    expect(st.raws.sort()).toEqual(fake.events.map((e) => e.raw).sort());
    expect(st.inputs.map((i) => i.sha256)).toEqual(fake.pageHashes);
    // AND the custody log names the org and where the token came from, and the case holds the token nowhere
    const db = new Database(join(dir, 'evidence.sqlite'), { readonly: true });
    const custody = (db.prepare("SELECT body FROM custody WHERE action = 'collect.start'").pluck().all() as string[]).join('\n');
    db.close();
    expect(custody).toContain('https://acme.okta.com');
    expect(custody).toContain('OKTA_API_TOKEN');
    expect(readFileSync(join(dir, 'evidence.sqlite')).includes(Buffer.from(TOKEN))).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('waits for X-Rate-Limit-Reset after a 429 and paces itself when X-Rate-Limit-Remaining runs low', async () => {
    // GIVEN 18 events (4 pages), a fake that throttles the next request (reset in about a second) and allows 4
    // requests per 1 s window
    await setUp({ rateLimit: 4, windowMs: 1000 }, 18);
    fake.throttle(1);
    // WHEN collecting
    const t0 = Date.now();
    const r = await collect();
    // THEN the run succeeds after waiting: 1 throttled answer, at least one paced wait, every event once
    expect(r.code, r.stderr).toBe(0);
    const s = r.json<{ events: number; throttled: number; paced: number; pages: number }>()[0]!;
    expect(s.events).toBe(18);
    expect(s.throttled).toBe(1);
    expect(s.paced).toBeGreaterThanOrEqual(1);
    const seen = fake.requests();
    expect(seen.filter((x) => x.status === 429)).toHaveLength(1);
    // the retry after the 429 came after the reset it announced (whole seconds), not at once
    const i429 = seen.findIndex((x) => x.status === 429);
    expect(seen[i429 + 1]!.at - seen[i429]!.at).toBeGreaterThanOrEqual(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    // no request beyond the window's limit was ever refused: the pacing kept within it
    expect(seen.filter((x) => x.status === 200)).toHaveLength(4);
  });

  it('stops at an empty page when Okta keeps sending rel="next" (polling behaviour)', async () => {
    await setUp({ alwaysNext: true }, 10);
    const r = await collect();
    expect(r.code, r.stderr).toBe(0);
    // two full pages, then the empty page that ends the query
    expect(r.json<{ events: number; pages: number }>()[0]).toMatchObject({ events: 10, pages: 3 });
    expect(fake.requests()).toHaveLength(3);
  });

  it('resumes after Ctrl-C with no gaps and no duplicates, and a later run re-reads only the overlap', async () => {
    // GIVEN 40 events (8 pages); the run is interrupted after 3 pages
    await setUp({}, 40);
    const ac = new AbortController();
    fake.holdAfter(3, () => ac.abort());
    fake.throttle(0);
    const first = await collect([], { signal: ac.signal });
    expect(first.code).toBe(130);
    const part = stored().events;
    expect(part).toBeGreaterThan(0);
    expect(part).toBeLessThan(40);
    const firstRequests = fake.requests().length;
    // WHEN the same command runs again
    const second = await collect();
    expect(second.code, second.stderr).toBe(0);
    // THEN it starts after what was saved (not from the beginning), and every event is stored exactly once
    const resumed = fake.requests()[firstRequests]!.url;
    expect(new URL(resumed).searchParams.get('since')).not.toBe(new URL(fake.requests()[0]!.url).searchParams.get('since'));
    const st = stored();
    expect(st.events).toBe(40);
    expect(new Set(st.ids).size).toBe(40);
    expect(st.raws).toHaveLength(40);
    // AND a third run only re-reads the late-delivery overlap: nothing new, nothing stored twice
    const third = await collect(['--overlap', '5m']);
    expect(third.code).toBe(0);
    expect(third.json<{ events: number }>()[0]!.events).toBe(0);
    expect(stored().raws).toHaveLength(40);
  });

  it('refuses a bad token with exit 4 and a message that says what to do', async () => {
    await setUp();
    env.OKTA_API_TOKEN = 'wrong-token';
    const r = await runIrctl(['--case', dir, 'collect', 'okta', '--org', 'acme.okta.com', '--since', '1h'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Okta rejected the API token for https://acme.okta.com (HTTP 401 E0000011: Invalid token provided)');
    expect(r.stderr).toContain('OKTA_API_TOKEN');
    expect(r.stderr).not.toContain('wrong-token');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('without OKTA_API_TOKEN: exit 4 before any request; plain http and missing --org are usage errors', async () => {
    await setUp();
    const { OKTA_API_TOKEN: _t, ...noToken } = env;
    const r = await runIrctl(['--case', dir, 'collect', 'okta', '--org', 'https://acme.okta.com'], { env: noToken });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('neither OKTA_API_TOKEN nor OKTA_CLIENT_ID is set');
    expect(fake.requests()).toHaveLength(0);
    const http = await runIrctl(['--case', dir, 'collect', 'okta', '--org', 'http://acme.okta.com'], { env });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('is not https');
    expect((await runIrctl(['--case', dir, 'collect', 'okta'], { env })).code).toBe(2);
  });

  it('keeps apart an event that reuses a stored uuid with other content: a conflict, exit 6', async () => {
    // GIVEN two different events with one uuid
    await setUp({}, 4);
    fake.add([makeOktaEvent({ ms: now - 10 * MIN, uuid: fake.events[0]!.uuid, eventType: 'user.account.lock', result: 'FAILURE' })]);
    const r = await collect();
    expect(r.code).toBe(6);
    expect(r.json<{ events: number; conflicts: number }>()[0]).toMatchObject({ events: 5, conflicts: 1 });
    expect(stored().ids.filter((id) => id.startsWith(fake.events[0]!.uuid))).toHaveLength(2);
  });

  it('retries a 500 and reports exit 0 when the retry succeeds', async () => {
    await setUp({}, 6);
    fake.fail(1, 503);
    const r = await collect();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ events: number; retried: number }>()[0]).toMatchObject({ events: 6, retried: 1 });
  });
});
