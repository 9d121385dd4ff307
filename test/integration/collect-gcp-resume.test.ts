/**
 * `irctl collect gcp` killed with SIGKILL mid-way (the built bin/irctl, a real process reading the endpoint and the
 * credentials from its environment), then run again: every entry is in the case exactly once, and the second run
 * starts from the checkpoint instead of the beginning.
 */
import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGcp, makeAuditEntry } from '../fakes/gcp-logging.js';
import { spawnIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;
const built = existsSync(resolve(import.meta.dirname, '../../dist/cli/main.js'));

describe('irctl collect gcp: kill and resume', () => {
  const fake = new FakeGcp({ pageSize: 5 });
  let tmp: { dir: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const url = await fake.start();
    tmp = tempDir();
    const key = join(tmp.dir, 'key.json');
    writeFileSync(key, JSON.stringify(fake.serviceAccountKey('irctl-reader@sec-tools.iam.gserviceaccount.com')));
    env = { GOOGLE_APPLICATION_CREDENTIALS: key, METADATA_SERVER_DETECTION: 'none', IRCTL_GCP_LOGGING_ENDPOINT: url, IRCTL_GCP_RESOURCEMANAGER_ENDPOINT: url, HOME: tmp.dir };
  });
  afterAll(async () => {
    await fake.close();
    tmp.cleanup();
  });

  it('a run killed with SIGKILL resumes from its checkpoint with no gaps and no duplicates', async () => {
    if (!built) throw new Error('this test runs the built bin/irctl: run `npm run build` first (npm test does)');
    // GIVEN 150 entries (30 pages) over the last two hours; the reader is killed after 10 pages
    const N = 150;
    const now = Date.now();
    fake.add(...Array.from({ length: N }, (_, i) => makeAuditEntry({ time: now - 110 * MIN + i * 40_000 })));
    const caseDir = join(tmp.dir, 'case');
    const args = ['--case', caseDir, '--json', 'collect', 'gcp', '--project', 'prod-123', '--since', '2h', '--reads-per-minute', '600'];
    const killed = await spawnIrctl(args, {
      env,
      onSpawn: (child) => {
        const t = setInterval(() => {
          if (fake.listRequests().length >= 10) {
            clearInterval(t);
            child.kill('SIGKILL');
          }
        }, 10);
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const firstRun = fake.listRequests().length;
    const partial = new Database(join(caseDir, 'evidence.sqlite'), { readonly: true });
    const kept = partial.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    partial.close();
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(N);
    // WHEN the same command runs again
    const again = await spawnIrctl(args, { env });
    // THEN it resumes (far fewer pages than a full read) and the case holds every entry exactly once
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()[0]!.events).toBe(N - kept);
    expect(fake.listRequests().length - firstRun).toBeLessThan(N / 5 - 5);
    const d = new Database(join(caseDir, 'evidence.sqlite'), { readonly: true });
    const raws = d.prepare("SELECT event_id FROM raw_records WHERE data_type = 'gcp:audit:entry'").pluck().all() as string[];
    const events = d.prepare("SELECT COUNT(*) FROM events WHERE data_type = 'gcp:audit:entry'").pluck().get() as number;
    d.close();
    expect(raws).toHaveLength(N);
    expect(new Set(raws).size).toBe(N);
    expect(events).toBe(N);
  });
});
