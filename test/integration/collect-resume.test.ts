/**
 * Resumability: a collection killed with SIGKILL mid-way (the built bin/irctl, a real process reading
 * AWS_ENDPOINT_URL from its environment) or stopped with Ctrl-C, then run again, ends with every event exactly once.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCloudTrail, makeEvent } from '../fakes/fake-cloudtrail.js';
import { runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;
const built = existsSync(resolve(import.meta.dirname, '../../dist/cli/main.js'));

describe('irctl collect aws: resume', () => {
  let fake: FakeCloudTrail;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let cleanup: () => void;
  const N = 150;
  beforeEach(async () => {
    fake = new FakeCloudTrail({ pageSize: 5, ratePerSec: 0 });
    env = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: await fake.start(), AWS_REGION: 'us-east-1' };
    const now = Date.now();
    fake.add('us-east-1', Array.from({ length: N }, (_, i) => makeEvent({ region: 'us-east-1', time: now - 110 * MIN + i * 40_000 })));
    ({ dir, cleanup } = tempDir());
  });
  afterEach(async () => {
    await fake.close();
    cleanup();
  });

  function assertExactlyOnce(): void {
    const db = new Database(join(dir, 'evidence.sqlite'), { readonly: true });
    const ids = db.prepare("SELECT event_id FROM raw_records WHERE data_type = 'aws:cloudtrail:entry'").pluck().all() as string[];
    const events = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    db.close();
    const want = [...fake.events.values()].flat().map((e) => e.id).sort();
    expect(ids.sort()).toEqual(want); // no gap, and no event stored twice
    expect(events).toBe(N);
  }

  it('a run killed with SIGKILL mid-collection resumes with no gaps and no duplicates', async () => {
    if (!built) throw new Error('this test runs the built bin/irctl: run `npm run build` first (npm test does)');
    // GIVEN a collection of 30 pages at 10 requests/s, killed after 10 pages
    const args = ['--case', dir, '--json', 'collect', 'aws', '--no-context', '--since', '2h', '--region', 'us-east-1', '--rate', '10'];
    const killed = await spawnIrctl(args, {
      env,
      onSpawn: (child) => {
        const t = setInterval(() => {
          if (fake.requests('LookupEvents').length >= 10) {
            clearInterval(t);
            child.kill('SIGKILL');
          }
        }, 20);
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const firstRun = fake.requests('LookupEvents').length;
    const partial = new Database(join(dir, 'evidence.sqlite'), { readonly: true });
    const kept = partial.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    partial.close();
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(N);
    // WHEN the same command runs again
    const again = await spawnIrctl(args, { env });
    // THEN it resumes (fewer pages than a full run) and the case holds every event exactly once
    expect(again.code).toBe(0);
    const s = again.json()[0]!;
    expect(s.events).toBe(N - kept);
    expect(fake.requests('LookupEvents').length - firstRun).toBeLessThan(N / 5);
    assertExactlyOnce();
  });

  it('Ctrl-C saves what was collected, exits 130, and the next run finishes the job', async () => {
    // GIVEN a collection interrupted after a few pages
    const ctl = new AbortController();
    const t = setInterval(() => {
      if (fake.requests('LookupEvents').length >= 6) {
        clearInterval(t);
        ctl.abort();
      }
    }, 10);
    const args = ['--case', dir, '--json', 'collect', 'aws', '--no-context', '--since', '2h', '--region', 'us-east-1', '--rate', '20'];
    const first = await runIrctl(args, { env, signal: ctl.signal });
    clearInterval(t);
    // THEN it exits 130 with a summary of what it saved
    expect(first.code).toBe(130);
    const s1 = first.json()[0]!;
    expect(s1.interrupted).toBe(true);
    expect(s1.events).toBeGreaterThan(0);
    // WHEN run again, THEN it completes
    const second = await runIrctl(args, { env });
    expect(second.code).toBe(0);
    expect((s1.events as number) + (second.json()[0]!.events as number)).toBe(N);
    assertExactlyOnce();
  });

  it('says where credentials can come from when there are none (exit 4), in a real process', async () => {
    if (!built) throw new Error('this test runs the built bin/irctl: run `npm run build` first (npm test does)');
    // GIVEN an environment with no credential source at all
    const none: NodeJS.ProcessEnv = {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
      AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL,
      AWS_REGION: 'us-east-1',
    };
    // WHEN
    const r = await spawnIrctl(['--case', dir, 'collect', 'aws', '--since', '1h', '--no-context'], { env: none });
    // THEN
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no AWS credentials found/);
    expect(r.stderr).toMatch(/--profile/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(fake.seen).toHaveLength(0);
  });
});

