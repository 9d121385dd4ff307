/**
 * The detect stage's read of the case (src/store/event-batches.ts) on a real case: every event exactly as stored, in
 * time order with ties by id, through batch and dictionary boundaries; raw text prefetched for the chosen actions and
 * fetched by id otherwise; the reader thread of the built CLI giving the same detections as the in-thread reader; and
 * Ctrl-C between batches leaving the previous detect results untouched.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { loadContext } from '../../src/context/context.js';
import { loadRules } from '../../src/correlate/rule-loader.js';
import { runDetect } from '../../src/correlate/run-detect.js';
import { custodyEntries } from '../../src/store/custody.js';
import { openDatabase } from '../../src/store/db.js';
import { BatchDecoder, encodedBatches, rawText, type DetectRow } from '../../src/store/event-batches.js';
import { ctRecord, s3LogText, writeFile } from '../helpers/cloudtrail.js';
import { fixture, runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;

/** Routine and odd records: same-second ties, control characters and non-ASCII text in columns, other principals. */
function extraRecords(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 4000; i++) {
    const who = i % 7 === 0 ? 'ci-role' : i % 11 === 0 ? 'service' : 'alice';
    const rec = ctRecord(i, {
      who,
      // Several events share each second (ties are ordered by event id).
      time: new Date(Date.UTC(2024, 2, 1, 9, 0, 0) + Math.floor(i / 3) * 1000).toISOString(),
      eventName: ['GetObject', 'ListBuckets', 'DescribeInstances', 'GetCallerIdentity'][i % 4] as string,
      ip: `198.51.100.${i % 40}`,
    });
    if (i % 500 === 1) rec.userAgent = 'evil\u001f\u001e\u0007 agent ☃ \u2028 "quoted" \\ [x]';
    if (i % 500 === 2) delete rec.userAgent;
    out.push(rec);
  }
  return out;
}

beforeAll(async () => {
  tmp = tempDir();
  caseDir = join(tmp.dir, 'case');
  mkdirSync(caseDir);
  cpSync(fixture('sample-case', 'context.yaml'), join(caseDir, 'context.yaml'));
  expect((await runIrctl(['--case', caseDir, 'import', fixture('sample-case', 'logs')])).code).toBe(0);
  const extra = writeFile(join(tmp.dir, 'extra', 'routine.json'), s3LogText(extraRecords()));
  expect((await runIrctl(['--case', caseDir, 'import', extra])).code).toBe(0);
});
afterAll(() => tmp.cleanup());

describe('the detect reader', () => {
  it('yields every event as stored, in time order with ties by id, across batch and dictionary resets', () => {
    const k = openCase(caseDir);
    const expected = k.db
      .prepare(
        `SELECT e.rowid AS rowid, e.id, e.time, e.time_ms, e.provider, e.layer, e.class, e.account, e.region, e.service, e.action,
          e.actor, e.actor_type, e.actor_name, e.access_key, e.session, e.assumed_from, e.src_ip, e.src_host, e.user_agent, e.outcome,
          e.error_code, e.read_only, e.resources, e.data_type, e.raw_id, r.raw FROM events e JOIN raw_records r ON r.id = e.raw_id
          ORDER BY e.time_ms, e.id`,
      )
      .all() as Array<Record<string, unknown>>;
    k.close();
    expect(expected.length).toBeGreaterThan(4000);
    const db = openDatabase(join(caseDir, 'evidence.sqlite'), { readonly: true });
    try {
      // Tiny batches and dictionaries: every boundary is crossed many times.
      const dec = new BatchDecoder();
      const rows: DetectRow[] = [];
      const prefetch = [{ dataType: 'aws:cloudtrail:entry', actions: ['getobject', 'stop*'] }];
      let batches = 0;
      for (const b of encodedBatches(db, prefetch, 7, 5)) {
        batches++;
        rows.push(...dec.decode(b));
      }
      expect(batches).toBeGreaterThan(400);
      expect(rows).toHaveLength(expected.length);
      const odd = rows.filter((r) => r.event.user_agent?.startsWith('evil'));
      expect(odd.length).toBeGreaterThan(0);
      expect(odd[0]?.event.user_agent).toBe('evil\u001f\u001e\u0007 agent ☃ \u2028 "quoted" \\ [x]');
      rows.forEach((r, i) => {
        const { raw_id: rawId, raw, ...event } = expected[i] as Record<string, unknown>;
        expect(r.event).toEqual(event);
        expect(r.rawId).toBe(rawId);
        const action = String(event.action).toLowerCase();
        if (action === 'getobject' || action.startsWith('stop')) expect(r.raw).toBe(raw);
        else {
          expect(r.raw).toBeUndefined();
          expect(rawText(db, r.rawId)).toBe(raw);
        }
      });
    } finally {
      db.close();
    }
  });

  it('gives the same detections on a reader thread (built CLI) as in-thread', async () => {
    const detections = (): string =>
      spawnSync('sqlite3', [join(caseDir, 'evidence.sqlite'), 'SELECT fingerprint, rule_id, summary, entities, event_ids FROM detections ORDER BY fingerprint'], {
        encoding: 'utf8',
      }).stdout;
    const threaded = await spawnIrctl(['--case', caseDir, 'detect', '--json'], { env: { IRCTL_DETECT_THREADS: '1' } });
    expect(threaded.code, threaded.stderr).toBe(0);
    const a = JSON.parse(threaded.stdout) as { reader: string; detections: number; events: number };
    const viaThread = detections();
    const inline = await spawnIrctl(['--case', caseDir, 'detect', '--json'], { env: { IRCTL_DETECT_THREADS: '0' } });
    expect(inline.code, inline.stderr).toBe(0);
    const b = JSON.parse(inline.stdout) as { reader: string; detections: number; events: number };
    expect(a.reader).toBe('thread');
    expect(b.reader).toBe('inline');
    expect(a.detections).toBeGreaterThan(0);
    expect(a.events).toBe(b.events);
    expect(a.detections).toBe(b.detections);
    expect(viaThread).not.toBe('');
    expect(detections()).toBe(viaThread);
  });

  it('stops between batches on Ctrl-C and leaves the previous results as they were', async () => {
    const k = openCase(caseDir);
    try {
      const base = { builtin: true, ruleDirs: [], windowMs: 86_400_000, marginMs: 3_600_000, context: loadContext(k.contextPath).context, now: () => new Date() };
      // GIVEN a completed run
      const first = await runDetect(k, loadRules, base);
      expect(first.interrupted).toBe(false);
      const before = k.db.prepare('SELECT fingerprint FROM detections ORDER BY fingerprint').pluck().all();
      const runs = custodyEntries(k.db, ['detect.run']).length;
      // WHEN Ctrl-C arrives after the first batch of the next run
      const ctl = new AbortController();
      const s = await runDetect(k, loadRules, { ...base, signal: ctl.signal, onProgress: () => ctl.abort() });
      // THEN the run stops early and writes nothing
      expect(s.interrupted).toBe(true);
      expect(s.events).toBeGreaterThan(0);
      expect(s.events).toBeLessThan(first.events);
      expect(k.db.prepare('SELECT fingerprint FROM detections ORDER BY fingerprint').pluck().all()).toEqual(before);
      expect(custodyEntries(k.db, ['detect.run'])).toHaveLength(runs);
    } finally {
      k.close();
    }
  });
});
