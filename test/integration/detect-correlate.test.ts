/**
 * The detect stage's correlation over a real case (the sample case), with a tiny test-only rule pack so these tests
 * pin grouping, stable ids, context-raised severity and the timeline independently of the rule engine.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCase, type CaseHandle } from '../../src/case/case.js';
import { emptyContext, loadContext } from '../../src/context/context.js';
import { runDetect, type DetectOptions } from '../../src/correlate/run-detect.js';
import { listThreats, showThreat } from '../../src/correlate/threats.js';
import { buildTimeline } from '../../src/timeline/timeline.js';
import { custodyEntries, verifyChain } from '../../src/store/custody.js';
import { actionRule, fakeLoader, type FakeRule } from '../helpers/fake-rules.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

const RULES: FakeRule[] = [
  actionRule('t-stoplogging', 'StopLogging', 'high', ['defense-evasion']),
  actionRule('t-guardduty', 'DeleteDetector', 'high', ['defense-evasion']),
  actionRule('t-createuser', 'CreateUser', 'medium', ['persistence']),
  actionRule('t-share-snapshot', 'ModifySnapshotAttribute', 'high', ['exfiltration'], (raw) =>
    JSON.stringify(raw.requestParameters ?? {}).includes('createVolumePermission'),
  ),
  actionRule('t-bucket-policy', 'PutBucketPolicy', 'medium', ['exfiltration']),
  actionRule('t-deleteuser', 'DeleteUser', 'low', ['impact']),
];

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;

function opts(kase: CaseHandle, over: Partial<DetectOptions> = {}): DetectOptions {
  return {
    builtin: true,
    ruleDirs: [],
    windowMs: 24 * 3_600_000,
    marginMs: 3_600_000,
    context: loadContext(kase.contextPath).context,
    now: () => new Date('2026-11-22T10:00:00Z'),
    ...over,
  };
}

async function withKase<T>(fn: (k: CaseHandle) => Promise<T> | T): Promise<T> {
  const k = openCase(caseDir);
  try {
    return await fn(k);
  } finally {
    k.close();
  }
}

beforeEach(async () => {
  tmp = tempDir();
  caseDir = join(tmp.dir, 'case');
  mkdirSync(caseDir);
  cpSync(fixture('sample-case', 'context.yaml'), join(caseDir, 'context.yaml'));
  const r = await runIrctl(['--case', caseDir, 'import', fixture('sample-case', 'logs'), '--json']);
  expect(r.code).toBe(0);
});
afterEach(() => tmp.cleanup());

describe('runDetect over the sample case', () => {
  it('groups linked detections into threats, raises severity from context, writes custody', async () => {
    // GIVEN the sample case and a test pack
    const stats = { rawParsed: 0 };
    // WHEN detect runs
    const s = await withKase((k) => runDetect(k, fakeLoader(RULES, stats), opts(k)));
    // THEN every event was evaluated, raw bodies parsed only for the rule that asks (ModifySnapshotAttribute)
    expect(s.events).toBeGreaterThan(250);
    expect(stats.rawParsed).toBeGreaterThan(0);
    expect(stats.rawParsed).toBeLessThan(10);
    expect(s.rule_errors).toBe(1);
    await withKase((k) => {
      const { threats } = listThreats(k.db);
      // attacker (svc-backup key + support-admin, linked by 203.0.113.77), red team, change window: 3 threats
      expect(threats).toHaveLength(3);
      const attack = threats.find((t) => t.entities.some((e) => e.value === '203.0.113.77'));
      expect(attack).toBeDefined();
      expect(attack?.rules).toEqual(expect.arrayContaining(['t-createuser', 't-stoplogging', 't-guardduty', 't-share-snapshot', 't-bucket-policy']));
      expect(attack?.entities).toEqual(expect.arrayContaining([{ kind: 'principal', value: 'arn:aws:iam::111122223333:user/support-admin' }]));
      // support-admin got AdministratorAccess in the evidence, and the customer-exports bucket is a crown jewel
      expect(attack?.context_notes.join('\n')).toMatch(/privileged actor: arn:aws:iam::111122223333:user\/support-admin was granted admin/);
      expect(attack?.context_notes.join('\n')).toMatch(/crown jewel: arn:aws:s3:::customer-exports/);
      expect(attack?.severity).toBe('critical');
      // the attack is the top priority
      expect(threats[0]?.id).toBe(attack?.id);
      expect(attack?.detections).toBe(attack?.detection_ids.length);
      // ids are T-1.. in order of first detection
      expect(threats.map((t) => t.id).sort()).toEqual(['T-1', 'T-2', 'T-3']);
      const byTime = [...threats].sort((a, b) => (a.first_seen < b.first_seen ? -1 : 1));
      expect(byTime.map((t) => t.id)).toEqual(['T-1', 'T-2', 'T-3']);
      // custody entry with the pack hash and counts
      const c = custodyEntries(k.db, ['detect.run']);
      expect(c).toHaveLength(1);
      expect(c[0]?.body.details).toMatchObject({ rule_pack_sha256: 'f'.repeat(64), detections: s.detections, threats: 3 });
      expect(verifyChain(k.db).problems).toEqual([]);
      // show: detections with rule title, id, author
      const shown = showThreat(k.db, attack?.id ?? '');
      expect(shown.detections[0]).toMatchObject({ rule_author: 'irctl tests' });
      expect(shown.detections.map((d) => d.rule_id)).toContain('t-stoplogging');
    });
  });

  it('keeps threat ids when detect re-runs after more evidence arrives, and gives new groups new numbers', async () => {
    // GIVEN a first run
    await withKase((k) => runDetect(k, fakeLoader(RULES), opts(k)));
    const before = await withKase((k) => new Map(listThreats(k.db).threats.map((t) => [t.first_seen, t.id])));
    // AND new evidence: an EARLIER attacker action (a new earliest detection of the attack group) and an unrelated actor
    const extra = join(tmp.dir, 'more.json');
    const rec = (id: string, time: string, user: string, ip: string, action: string, source: string): Record<string, unknown> => ({
      eventVersion: '1.09',
      userIdentity: { type: 'IAMUser', principalId: `AIDA${id}`, arn: `arn:aws:iam::111122223333:user/${user}`, accountId: '111122223333', accessKeyId: `AKIA${id}`, userName: user },
      eventTime: time,
      eventSource: source,
      eventName: action,
      awsRegion: 'us-east-1',
      sourceIPAddress: ip,
      userAgent: 'aws-cli/2',
      requestParameters: { userName: 'x' },
      eventID: `00000000-0000-0000-0000-${id}`,
      eventType: 'AwsApiCall',
      recipientAccountId: '111122223333',
    });
    writeFileSync(
      extra,
      JSON.stringify({
        Records: [
          rec('000000000001', '2026-11-21T02:10:00Z', 'svc-backup', '203.0.113.77', 'CreateUser', 'iam.amazonaws.com'),
          rec('000000000002', '2026-11-21T05:00:00Z', 'mallory', '198.51.100.9', 'StopLogging', 'cloudtrail.amazonaws.com'),
        ],
      }),
    );
    expect((await runIrctl(['--case', caseDir, 'import', extra])).code).toBe(0);
    // WHEN detect runs again
    const s2 = await withKase((k) => runDetect(k, fakeLoader(RULES), opts(k)));
    // THEN the three known threats keep their ids; the new actor's threat is T-4
    expect(s2.new_threats).toBe(1);
    await withKase((k) => {
      const after = listThreats(k.db).threats;
      expect(after).toHaveLength(4);
      const attack = after.find((t) => t.entities.some((e) => e.value === '203.0.113.77'));
      const oldAttackId = [...before.values()].find((id) => id === attack?.id);
      expect(oldAttackId).toBeDefined();
      expect(attack?.first_seen).toBe('2026-11-21T02:10:00.000Z');
      const mallory = after.find((t) => t.entities.some((e) => e.value === '198.51.100.9'));
      expect(mallory?.id).toBe('T-4');
      const kept = after.filter((t) => t.id !== 'T-4').map((t) => t.id).sort();
      expect(kept).toEqual([...before.values()].sort());
    });
  });

  it('merges two threats joined by new evidence under the older id and retires the other', async () => {
    // GIVEN a window so small that the attacker's early and late detections are separate threats
    await withKase((k) => runDetect(k, fakeLoader(RULES), opts(k, { windowMs: 60_000 })));
    const ids1 = await withKase((k) => listThreats(k.db).threats.map((t) => t.id));
    expect(ids1.length).toBeGreaterThan(3);
    // WHEN detect re-runs with the default window
    const s = await withKase((k) => runDetect(k, fakeLoader(RULES), opts(k)));
    // THEN they merge: the oldest id survives, the others are retired and say where they went
    expect(s.merged_threats.length).toBeGreaterThan(0);
    const m = s.merged_threats[0]!;
    await withKase((k) => {
      expect(() => showThreat(k.db, m.id)).toThrow(new RegExp(`merged into ${m.into}`));
      expect(() => buildTimeline(k.db, m.id)).toThrow(/merged into/);
      expect(Number(m.into.slice(2))).toBeLessThan(Number(m.id.slice(2)));
    });
    // AND a retired number is never handed out again
    const s3 = await withKase((k) => runDetect(k, fakeLoader(RULES), opts(k, { windowMs: 60_000 })));
    expect(s3.new_threats).toBeGreaterThan(0);
    await withKase((k) => {
      const ids = listThreats(k.db).threats.map((t) => t.id);
      for (const r of s.merged_threats) expect(ids).not.toContain(r.id);
    });
  });

  it('builds the timeline of the attack: time order, layers, detections marked, runs collapsed, blast radius', async () => {
    await withKase((k) => runDetect(k, fakeLoader(RULES), opts(k)));
    await withKase((k) => {
      const attack = listThreats(k.db).threats.find((t) => t.entities.some((e) => e.value === '203.0.113.77'))!;
      const t = buildTimeline(k.db, attack.id);
      const times = t.entries.map((e) => e.time);
      expect([...times].sort()).toEqual(times);
      // the 12 consecutive GetObject calls of support-admin are one collapsed entry
      const gets = t.entries.filter((e) => e.action === 'GetObject');
      expect(gets).toHaveLength(1);
      expect(gets[0]?.count).toBe(12);
      expect(gets[0]?.event_ids).toHaveLength(12);
      expect(gets[0]!.last_time > gets[0]!.time).toBe(true);
      // StopLogging is marked with its detection and tactic
      const stop = t.entries.find((e) => e.action === 'StopLogging');
      expect(stop?.detections.map((d) => d.rule_id)).toEqual(['t-stoplogging']);
      expect(stop?.tactics).toEqual(['defense-evasion']);
      // layers across the attack
      expect(new Set(t.entries.map((e) => e.layer))).toEqual(new Set(['identity', 'control_plane', 'ai']));
      // blast radius
      const b = t.blast_radius;
      expect(b.principals).toEqual(expect.arrayContaining(['arn:aws:iam::111122223333:user/svc-backup', 'arn:aws:iam::111122223333:user/support-admin']));
      expect(b.access_keys).toContain('AKIASVCBACKUPLEAKED1');
      expect(b.resources_read.some((r) => r.startsWith('arn:aws:s3:::customer-exports'))).toBe(true);
      expect(b.resources_written).toContain('arn:aws:iam::111122223333:user/support-admin');
      expect(b.regions).toEqual(['us-east-1', 'us-west-2']);
      expect(b.accounts).toEqual(['111122223333']);
      expect(b.failed_events).toBeGreaterThanOrEqual(1);
      // uncollapsed: one entry per event
      const flat = buildTimeline(k.db, attack.id, { collapse: false });
      expect(flat.entries.length).toBe(flat.events);
      expect(flat.events).toBe(t.events);
    });
  });

  it('uses no context when there is no context.yaml', async () => {
    const s = await withKase((k) => runDetect(k, fakeLoader(RULES), opts(k, { context: emptyContext() })));
    expect(s.threats).toBe(3);
    await withKase((k) => {
      const attack = listThreats(k.db).threats.find((t) => t.entities.some((e) => e.value === '203.0.113.77'))!;
      expect(attack.context_notes.join('\n')).not.toMatch(/crown jewel/);
    });
  });
});
