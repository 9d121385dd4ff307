/**
 * issue 11: evidence integrity under attack. Each case is edited behind irctl's back the way an attacker with write
 * access would (the stock sqlite3 CLI, or better-sqlite3 to recompute a SHA-256, dropping and recreating the
 * append-only triggers), then `irctl case verify` must fail with the right exit code and name what differs:
 * (a) a raw record edited and its hash recomputed, (b) the end of the custody log cut, (c) an older copy of the
 * database put back, (d) derived events edited; plus stale derived data, anchors and seals.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/util/hash.js';
import { awsCloudTrail } from '../../src/sources/aws/cloudtrail.js';
import { CASES, seedThreat } from '../helpers/investigate-seed.js';
import { fixture, runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
let caseDir: string;
let db: string;

beforeEach(async () => {
  ({ dir, cleanup } = tempDir('irctl-integrity-'));
  caseDir = join(dir, 'case');
  db = join(caseDir, 'evidence.sqlite');
  const r = await runIrctl(['--case', caseDir, 'import', fixture('cloudtrail', 'stratus-iam-create-admin-user.json'), fixture('cloudtrail', 'lookup-events.json')]);
  expect(r.code, r.stderr).toBe(0);
});
afterEach(() => cleanup());

/** Run SQL on the case with the stock sqlite3 CLI. */
function sqlite(sql: string): string {
  const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** The append-only triggers of a table, as migration 001 creates them. */
function recreateTriggers(table: string): string {
  const msg = table === 'custody' ? 'custody log is append-only' : 'evidence is append-only';
  return `CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${msg}'); END;
          CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${msg}'); END;`;
}

/** Edit a table behind irctl's back, triggers dropped and put back afterwards. */
function tamper(table: string, sql: string): void {
  sqlite(`DROP TRIGGER ${table}_no_update; DROP TRIGGER ${table}_no_delete; ${sql}; ${recreateTriggers(table)}`);
}

interface Report {
  ok: boolean;
  exit_code: number;
  problems: string[];
  incomplete: string[];
  warnings: string[];
  anchors: Array<{ ok: boolean; message: string }>;
  unanchored: string | null;
  custody_head: { seq: number; hash: string };
}

async function verify(...extra: string[]): Promise<{ code: number; stdout: string; report: Report }> {
  const human = await runIrctl(['--case', caseDir, 'case', 'verify', ...extra]);
  const json = await runIrctl(['--case', caseDir, 'case', 'verify', '--json', ...extra]);
  expect(json.code).toBe(human.code);
  expect(human.stderr).not.toMatch(/^\s+at /m);
  return { code: human.code, stdout: human.stdout, report: json.json<Report>()[0]! };
}

function importRunId(): string {
  return sqlite("SELECT run_id FROM custody WHERE action = 'import.end'");
}

describe('(a) a raw record edited and its SHA-256 recomputed', () => {
  it('fails (exit 5) naming the run whose commitment no longer holds, and the event that no longer matches', async () => {
    // GIVEN an attacker who changes the source address of one record and recomputes its hash
    const d = new Database(db);
    const row = d.prepare("SELECT id, event_id, raw FROM raw_records WHERE raw LIKE '%sourceIPAddress%' ORDER BY id LIMIT 1").get() as { id: number; event_id: string; raw: string };
    const edited = row.raw.replace(/"sourceIPAddress":\s*"[^"]*"/, '"sourceIPAddress": "198.51.100.99"');
    expect(edited).not.toBe(row.raw);
    d.exec('DROP TRIGGER raw_records_no_update; DROP TRIGGER raw_records_no_delete;');
    d.prepare('UPDATE raw_records SET raw = ?, sha256 = ? WHERE id = ?').run(edited, sha256Hex(edited), row.id);
    d.exec(recreateTriggers('raw_records'));
    d.close();
    // the per-record hash check alone no longer sees it
    expect(sha256Hex(sqlite(`SELECT raw FROM raw_records WHERE id = ${row.id}`))).toBe(sqlite(`SELECT sha256 FROM raw_records WHERE id = ${row.id}`));
    // WHEN
    const { code, stdout, report } = await verify();
    // THEN
    expect(code).toBe(5);
    expect(report.problems).toContain(
      `run ${importRunId()} (import.end, custody entry 2): its raw_records rows differ from what its entry commits to (${sqlite('SELECT COUNT(*) FROM raw_records')} rows, as committed, but their content changed)`,
    );
    expect(report.problems.join('\n')).toMatch(new RegExp(`event ${row.event_id}: src_ip is "[^"]+" in the store but "198.51.100.99" from its raw record`));
    expect(stdout).toContain('FAILED');
  });

  it('fails when a whole record and its event are deleted, or an input row is edited', async () => {
    const n = Number(sqlite('SELECT COUNT(*) FROM raw_records'));
    tamper('raw_records', 'DELETE FROM raw_records WHERE id = 2');
    sqlite('DELETE FROM events WHERE raw_id = 2');
    tamper('inputs', "UPDATE inputs SET locator = '/elsewhere.json' WHERE id = 1");
    const { code, report } = await verify();
    expect(code).toBe(5);
    const run = importRunId();
    expect(report.problems).toContain(`run ${run} (import.end, custody entry 2): its raw_records rows differ from what its entry commits to (${n - 1} rows now, ${n} committed)`);
    expect(report.problems).toContain(`run ${run} (import.end, custody entry 2): its inputs rows differ from what its entry commits to (2 rows, as committed, but their content changed)`);
  });

  it('fails when evidence rows are added under a run the custody log does not know', async () => {
    tamper('inputs', "INSERT INTO inputs(run_id, kind, locator, status, records, quarantined, received_at) VALUES ('forged-run', 'file', '/forged.json', 'ok', 0, 0, '2026-01-01T00:00:00.000Z')");
    const { code, report } = await verify();
    expect(code).toBe(5);
    expect(report.problems).toContain("1 inputs row(s) belong to run forged-run, which the custody log does not record: added behind irctl's back, or the end of the custody log was cut");
  });
});

describe('(d) derived events edited', () => {
  it('fails (exit 5) naming the event and each field, and export refuses to sign', async () => {
    // GIVEN the source IP, actor and user agent of one event changed (derived table: no trigger to drop)
    const id = sqlite('SELECT id FROM events ORDER BY rowid LIMIT 1');
    const before = sqlite(`SELECT src_ip || '|' || actor || '|' || user_agent FROM events WHERE id = '${id}'`).split('|');
    sqlite(`UPDATE events SET src_ip = '192.0.2.200', actor = 'arn:aws:iam::111122223333:user/innocent', user_agent = 'console.amazonaws.com' WHERE id = '${id}'`);
    // WHEN
    const { code, report } = await verify();
    // THEN
    expect(code).toBe(5);
    const p = report.problems.find((x) => x.startsWith(`event ${id}:`)) ?? '';
    expect(p).toContain(`actor is "arn:aws:iam::111122223333:user/innocent" in the store but ${JSON.stringify(before[1])} from its raw record`);
    expect(p).toContain(`src_ip is "192.0.2.200" in the store but ${JSON.stringify(before[0])} from its raw record`);
    expect(p).toContain(`user_agent is "console.amazonaws.com" in the store but ${JSON.stringify(before[2])} from its raw record`);
    const exp = await runIrctl(['--case', caseDir, 'export', '--all', '--out', join(dir, 'b.tgz')]);
    expect(exp.code).toBe(5);
    expect(exp.stderr).toContain('refusing to sign the bundle: 1 event(s) do not match their raw records');
    expect(exp.stderr).toContain('irctl case rebuild');
    // `case rebuild` re-derives the events from the evidence
    expect((await runIrctl(['--case', caseDir, 'case', 'rebuild'])).code).toBe(0);
    expect((await verify()).code).toBe(0);
  });

  it('the built CLI checks on worker threads and finds exactly what the in-thread check finds', async () => {
    sqlite("UPDATE events SET user_agent = 'console.amazonaws.com' WHERE rowid = 2");
    sqlite("UPDATE entities SET value = '192.0.2.1' WHERE kind = 'ip' AND event_rowid = 3");
    const inThread = (await verify()).report;
    const threaded = await spawnIrctl(['--case', caseDir, 'case', 'verify', '--json'], { env: { IRCTL_VERIFY_THREADS: '1' } });
    expect(threaded.code, threaded.stderr).toBe(5);
    const r = threaded.json<Report & { events_checked: number }>()[0]!;
    expect(r.events_checked).toBe(Number(sqlite('SELECT COUNT(*) FROM events')));
    expect([...r.problems].sort()).toEqual([...inThread.problems].sort());
    expect(r.problems).toHaveLength(2);
  });

  it('fails when entity rows are edited', async () => {
    const ip = sqlite("SELECT value FROM entities WHERE kind = 'ip' LIMIT 1");
    sqlite(`UPDATE entities SET value = '192.0.2.1' WHERE kind = 'ip' AND value = '${ip}'`);
    const { code, report } = await verify();
    expect(code).toBe(5);
    expect(report.problems.join('\n')).toContain(`entity rows differ`);
    expect(report.problems.join('\n')).toContain(`not from its record: ["ip","192.0.2.1"]`);
  });
});

describe('stale derived data', () => {
  it('an older normalizer version is exit 6 ("run irctl case rebuild"), export refuses, and rebuild brings it up to date', async () => {
    // GIVEN events made by an older version of the normalizer
    const n = Number(sqlite("SELECT COUNT(*) FROM events WHERE normalizer LIKE 'aws-cloudtrail@%'"));
    expect(n).toBeGreaterThan(0);
    sqlite("UPDATE events SET normalizer = 'aws-cloudtrail@0' WHERE normalizer LIKE 'aws-cloudtrail@%'");
    // WHEN / THEN
    const { code, stdout, report } = await verify();
    expect(code).toBe(6);
    expect(report.ok).toBe(true);
    expect(report.incomplete.join('\n')).toContain(`${n} event(s) were derived by another normalizer than this irctl's (${n} made by aws-cloudtrail@0 -> aws-cloudtrail@${awsCloudTrail.version}`);
    expect(report.incomplete.join('\n')).toContain('run `irctl case rebuild`');
    expect(stdout).toContain('result          INCOMPLETE');
    const exp = await runIrctl(['--case', caseDir, 'export', '--all', '--out', join(dir, 'b.tgz')]);
    expect(exp.code).toBe(6);
    expect(exp.stderr).toContain('refusing to sign the bundle');
    expect(exp.stderr).toContain('stale derived data');
    const rb = await runIrctl(['--case', caseDir, 'case', 'rebuild']);
    expect(rb.code).toBe(0);
    expect(sqlite(`SELECT COUNT(*) FROM events WHERE normalizer = 'aws-cloudtrail@${awsCloudTrail.version}'`)).toBe(String(n));
    expect((await verify()).code).toBe(0);
  });
});

describe('anchors: (b) the end of the custody log cut', () => {
  it('plain verify cannot see it and says so; --seal, --bundle and --head fail (exit 5)', async () => {
    // GIVEN a bundle (its head: the keys.generate entry export adds), then a seal of the head after the export
    const bundle = join(dir, 'case.bundle.tgz');
    const exp = await runIrctl(['--case', caseDir, 'export', '--all', '--out', bundle, '--json']);
    expect(exp.code, exp.stderr).toBe(0);
    const bundleHead = exp.json<{ bundle_custody_head: { seq: number; hash: string } }>()[0]!.bundle_custody_head;
    const seal = join(dir, 'case.seal.json');
    const s = await runIrctl(['--case', caseDir, 'case', 'seal', '--out', seal, '--json']);
    expect(s.code, s.stderr).toBe(0);
    const sealed = s.json<{ seq: number; hash: string }>()[0]!;
    expect(sealed.seq).toBe(bundleHead.seq + 1);
    const intact = await verify('--seal', seal, '--bundle', bundle, '--head', `${sealed.seq}:${sealed.hash}`);
    expect(intact.code).toBe(0);
    expect(intact.report.anchors.map((a) => a.ok)).toEqual([true, true, true]);
    expect(intact.stdout).toContain('it is the current head');
    // WHEN the custody entries of the export are cut
    tamper('custody', `DELETE FROM custody WHERE seq >= ${bundleHead.seq}`);
    // THEN the chain alone still checks out, and verify says what it cannot see
    const plain = await verify();
    expect(plain.code).toBe(0);
    expect(plain.report.unanchored).toContain('cannot be detected without a head kept outside the case');
    expect(plain.stdout).toContain('anchor          none: no anchor given');
    // while every anchor catches it
    for (const args of [['--seal', seal], ['--bundle', bundle], ['--head', `${sealed.seq}:${sealed.hash}`], ['--head', bundleHead.hash]]) {
      const r = await verify(...args);
      expect(r.code, args.join(' ')).toBe(5);
      expect(r.report.anchors[0]?.ok).toBe(false);
    }
    const r = await verify('--seal', seal);
    expect(r.report.problems).toContain(
      `seal ${seal} records head ${sealed.hash} (entry ${sealed.seq}), but the custody log ends at entry ${bundleHead.seq - 1}: its end was cut, or the database was rolled back to an older copy`,
    );
  });

  it('a seal whose payload was changed, or made for another case, fails', async () => {
    expect((await runIrctl(['--case', caseDir, 'keys', 'generate'])).code).toBe(0);
    const seal = join(dir, 'a.seal.json');
    expect((await runIrctl(['--case', caseDir, 'case', 'seal', '--out', seal])).code).toBe(0);
    // an edited seal (its head moved back one entry) no longer verifies with the case key
    const env = JSON.parse(readFileSync(seal, 'utf8')) as { payload: string };
    const payload = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as { seq: number; hash: string };
    const forged = join(dir, 'forged.seal.json');
    const earlier = sqlite('SELECT hash FROM custody WHERE seq = 2');
    const text = readFileSync(seal, 'utf8').replace(env.payload, Buffer.from(JSON.stringify({ ...payload, seq: 2, hash: earlier })).toString('base64'));
    writeFileSync(forged, text);
    const r = await verify('--seal', forged);
    expect(r.code).toBe(5);
    expect(r.report.problems.join('\n')).toContain('its signature does not verify with the case key');
    // a seal of another case
    const other = join(dir, 'other');
    expect((await runIrctl(['--case', other, 'import', fixture('cloudtrail', 'eventbridge-envelopes.jsonl')])).code).toBe(0);
    rmSync(join(other, 'keys'), { recursive: true, force: true });
    copyFileSync(join(caseDir, 'keys', 'signing-key.pem'), join(dir, 'k.pem'));
    const o = await runIrctl(['--case', other, 'case', 'verify', '--seal', seal, '--json']);
    expect(o.code).toBe(5);
    expect(o.json<Report>()[0]!.problems.join('\n')).toMatch(/it seals case [0-9a-f]{64}, but this case's id/);
  });
});

describe('anchors: (c) an older copy of the database put back', () => {
  it('a verdict and an export vanish: plain verify passes and says what it cannot see; --seal, --bundle, --head fail (exit 5)', async () => {
    // GIVEN a threat and a copy of the database taken now
    seedThreat(caseDir, 'T-1', 'IAM admin user created', [...CASES.stratus.threat]);
    sqlite('PRAGMA wal_checkpoint(TRUNCATE);');
    const old = join(dir, 'old.sqlite');
    copyFileSync(db, old);
    // and later an analyst verdict, an export and a seal
    const v = await runIrctl(['--case', caseDir, 'verdict', 'T-1', '--set', 'malicious', '--reason', 'confirmed with the account owner', '--json']);
    expect(v.code, v.stderr).toBe(0);
    const afterVerdict = v.json<{ custody_head: { seq: number; hash: string } }>()[0]!.custody_head;
    const bundle = join(dir, 'T.bundle.tgz');
    expect((await runIrctl(['--case', caseDir, 'export', '--all', '--out', bundle])).code).toBe(0);
    const seal = join(dir, 'after.seal.json');
    expect((await runIrctl(['--case', caseDir, 'case', 'seal', '--out', seal])).code).toBe(0);
    expect((await verify('--seal', seal, '--bundle', bundle)).code).toBe(0);
    // WHEN the old copy is put back
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    copyFileSync(old, db);
    expect(sqlite('SELECT COUNT(*) FROM verdict_overrides')).toBe('0');
    // THEN
    const plain = await verify();
    expect(plain.code).toBe(0);
    expect(plain.report.unanchored).toMatch(/rolled back to an older copy/);
    for (const args of [['--seal', seal], ['--bundle', bundle], ['--head', `${afterVerdict.seq}:${afterVerdict.hash}`]]) {
      const r = await verify(...args);
      expect(r.code, args.join(' ')).toBe(5);
      expect(r.report.problems.join('\n')).toMatch(/the custody log ends at entry \d+: its end was cut, or the database was rolled back to an older copy/);
    }
  });
});

describe('investigations and verdict decisions', () => {
  it('an edited verdict reason, or an investigation added behind irctl\'s back, fails (exit 5)', async () => {
    seedThreat(caseDir, 'T-1', 'IAM admin user created', [...CASES.stratus.threat]);
    expect((await runIrctl(['--case', caseDir, 'investigate', 'T-1', '--offline', '--json'])).code).toBe(0);
    expect((await runIrctl(['--case', caseDir, 'verdict', 'T-1', '--set', 'security_test', '--reason', 'red team (ticket SEC-77)'])).code).toBe(0);
    expect((await verify()).code).toBe(0);
    tamper('verdict_overrides', "UPDATE verdict_overrides SET reason = 'routine backup' WHERE id = 1");
    tamper(
      'investigations',
      "INSERT INTO investigations(id, threat_id, started_at, finished_at, engine, verdict, confidence, result, transcript, sha256) SELECT 'forged', threat_id, started_at, finished_at, engine, 'not_malicious', 1, result, transcript, sha256 FROM investigations LIMIT 1",
    );
    const { code, report } = await verify();
    expect(code).toBe(5);
    const all = report.problems.join('\n');
    expect(all).toMatch(/verdict decision 1 \(verdict.set, custody entry \d+\): its verdict_overrides rows differ from what its entry commits to \(1 rows, as committed, but their content changed\)/);
    expect(all).toContain("investigation forged (threat T-1) is not recorded in the custody log");
  });
});

describe('exports carry the inputs with their completion', () => {
  it('inputs.ndjson shows each input with its digest, status and counts', async () => {
    const bundle = join(dir, 'b.tgz');
    expect((await runIrctl(['--case', caseDir, 'export', '--all', '--out', bundle])).code).toBe(0);
    const out = spawnSync('tar', ['-xzOf', bundle, 'evidence/inputs.ndjson'], { encoding: 'utf8' });
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).toMatchObject({ status: 'ok', kind: 'file' });
      expect(l.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(l.params).toMatchObject({ format: expect.any(String) as unknown });
    }
    expect((await runIrctl(['--case', caseDir, 'verify', bundle])).code).toBe(0);
  });
});
