/**
 * Bulk loads drop the lookup indexes and build them once at the end (docs/benchmarks.md). The case must end up with
 * exactly the same schema, fully queryable; a load killed before the rebuild is repaired by the next writer.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { deferIndexes, IngestWriter } from '../../src/store/ingest-repo.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';
import { ctRecord, s3LogText, writeFile } from '../helpers/cloudtrail.js';

let dir: string;
let cleanup: () => void;
let caseDir: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  caseDir = join(dir, 'case');
});
afterEach(() => cleanup());

function schema(): string {
  const r = spawnSync('sqlite3', [join(caseDir, 'evidence.sqlite'), "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('bulk import with deferred indexes', () => {
  it('a large import into an empty case rebuilds the same indexes and leaves the case queryable', async () => {
    // GIVEN the schema of a fresh case, and an input over the bulk threshold (16 MB)
    expect((await runIrctl(['--case', caseDir, 'import', fixture('cloudtrail', 'lookup-events.json')])).code).toBe(0);
    const before = schema();
    expect(before).toContain('entities_lookup: CREATE INDEX entities_lookup ON entities(kind, value, event_rowid)');
    const pad = 'p'.repeat(1400);
    const recs = Array.from({ length: 12_000 }, (_, i) => ctRecord(i, { who: i % 2 ? 'alice' : 'ci-role', requestParameters: { pad } }));
    const path = writeFile(join(dir, 'big.json'), s3LogText(recs));
    // WHEN
    const run = await runIrctl(['--case', caseDir, 'import', path, '--json']);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/building indexes \(entities_event, entities_lookup, events_time, raw_records_event\)/);
    expect(run.json()[0]).toMatchObject({ events: 12_000 });
    expect(schema()).toBe(before);
    const alice = await runIrctl(['--case', caseDir, 'events', '--actor', 'alice', '--json']);
    expect(alice.json()).toHaveLength(6_000);
    const verify = await runIrctl(['--case', caseDir, 'case', 'verify']);
    expect(verify.code).toBe(0);
  }, 60_000);

  it('indexes left dropped by a killed bulk load are rebuilt by the next writer', async () => {
    // GIVEN a case whose bulk load died after dropping its indexes
    expect((await runIrctl(['--case', caseDir, 'import', fixture('cloudtrail', 'lookup-events.json')])).code).toBe(0);
    const before = schema();
    const kase = openCase(caseDir);
    try {
      expect(deferIndexes(kase.db)).toEqual(['entities_event', 'entities_lookup', 'events_time', 'raw_records_event']);
      expect(deferIndexes(kase.db)).toEqual([]); // already pending: nothing more to drop
    } finally {
      kase.close();
    }
    expect(schema()).not.toContain('entities_lookup');
    // WHEN any writer opens the case
    const again = openCase(caseDir);
    try {
      new IngestWriter(again.db);
    } finally {
      again.close();
    }
    // THEN the indexes are back, identical
    expect(schema()).toBe(before);
  });
});
