/**
 * `irctl investigate` through the real chain: import -> detect -> investigate --offline, on the five-verdict
 * fixtures (fixtures/investigate/ATTRIBUTION.md) and on the bundled sample case.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCase } from '../../src/case/case.js';
import type { InvestigationResult } from '../../src/investigate/types.js';
import { custodyEntries } from '../../src/store/custody.js';
import { sha256Hex } from '../../src/util/hash.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));

/** import + detect a case; returns the case dir and its threats. */
async function detectedCase(files: string[], contextFixture?: string): Promise<{ dir: string; threats: Array<{ id: string; title: string }> }> {
  const { dir, cleanup } = tempDir('irctl-inv-');
  cleanups.push(cleanup);
  if (contextFixture) copyFileSync(fixture(contextFixture), join(dir, 'context.yaml'));
  const imp = await runIrctl(['--case', dir, 'import', ...files.map((f) => fixture(f)), '--json']);
  expect(imp.code, imp.stderr).toBe(0);
  const det = await runIrctl(['--case', dir, 'detect', '--json']);
  expect(det.code, det.stderr).toBe(0);
  const th = await runIrctl(['--case', dir, 'threats', '--json']);
  expect(th.code, th.stderr).toBe(0);
  return { dir, threats: th.json<{ id: string; title: string }>() };
}

async function investigateJson(dir: string, id: string): Promise<InvestigationResult> {
  const r = await runIrctl(['--case', dir, 'investigate', id, '--offline', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1); // ONE JSON object
  return JSON.parse(lines[0]!) as InvestigationResult;
}

function threatBy(threats: Array<{ id: string; title: string }>, re: RegExp): string {
  const t = threats.find((x) => re.test(x.title));
  expect(t, `no threat matching ${String(re)} in ${JSON.stringify(threats)}`).toBeDefined();
  return t!.id;
}

describe('investigate --offline: the five verdicts from detected threats', () => {
  it('Stratus detonation with a 14-day baseline and no declared red team: malicious, with the lead noted', async () => {
    // GIVEN the Stratus iam-create-admin-user detonation and the principal's usual activity
    const { dir, threats } = await detectedCase(['investigate/stratus', 'investigate/baseline']);
    // WHEN the threat is investigated offline
    const r = await investigateJson(dir, threatBy(threats, /christophe/));
    // THEN malicious, and the Stratus user agent is a lead to confirm, not a reason to clear it
    expect(r.verdict).toBe('malicious');
    expect(r.confidence).toBeGreaterThanOrEqual(0.8);
    expect(r.engine).toBe('deterministic');
    expect(r.missing_evidence.join('\n')).toMatch(/looks like Stratus Red Team, but no red-team marker is declared/);
    const moves = r.questions.flatMap((q) => q.moves.map((m) => m.signal));
    expect(moves).toEqual(expect.arrayContaining(['severity', 'new-action', 'new-source', 'new-user-agent']));
    // the interface: every field the acceptance checks use
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['threat_id', 'verdict', 'confidence', 'summary', 'rationale', 'questions', 'missing_evidence', 'injection_flags', 'engine']));
    for (const c of r.rationale) expect(c.evidence_ids.length).toBeGreaterThan(0);
    for (const q of r.questions) expect(Object.keys(q)).toEqual(expect.arrayContaining(['question', 'tool', 'answer', 'evidence_ids']));
    expect(r.injection_flags).toEqual([]);
  });

  it('the same detonation with the marker declared in context.yaml: security_test, resting on the context', async () => {
    const { dir, threats } = await detectedCase(['investigate/stratus', 'investigate/baseline'], 'investigate/context-redteam.yaml');
    const r = await investigateJson(dir, threatBy(threats, /christophe/));
    expect(r.verdict).toBe('security_test');
    expect(r.rationale[0]?.evidence_ids).toContain('ctx:red_team.user_agent_markers[0]');
    expect(r.checks.find((c) => c.check === 'benign-basis')?.status).toBe('passed');
  });

  it('an admin change inside the declared change window: planned_action; the same change outside it: not planned', async () => {
    const inside = await detectedCase(['investigate/change-window/baseline.json', 'investigate/change-window/inside.json'], 'investigate/context-change-window.yaml');
    const rIn = await investigateJson(inside.dir, threatBy(inside.threats, /terraform-deploy/));
    expect(rIn.verdict).toBe('planned_action');
    expect(rIn.rationale[0]?.evidence_ids).toContain('ctx:change_windows[0]');

    const outside = await detectedCase(['investigate/change-window/baseline.json', 'investigate/change-window/outside.json'], 'investigate/context-change-window.yaml');
    const rOut = await investigateJson(outside.dir, threatBy(outside.threats, /terraform-deploy/));
    expect(rOut.verdict).toBe('inconclusive');
    expect(rOut.summary).not.toMatch(/planned/i);
  });

  it('a nightly key rotation from its usual IP and client: not_malicious on behavioural evidence', async () => {
    const { dir, threats } = await detectedCase(['investigate/routine']);
    const r = await investigateJson(dir, threatBy(threats, /key-rotator/));
    expect(r.verdict).toBe('not_malicious');
    expect(r.questions.flatMap((q) => q.moves).find((m) => m.signal === 'routine')?.supports).toBe('not_malicious');
    expect(r.checks.find((c) => c.check === 'benign-basis')?.status).toBe('passed');
  });

  it('a lone detection while the trail is stopped: inconclusive, with the missing coverage listed and confidence capped', async () => {
    const { dir, threats } = await detectedCase(['investigate/lone']);
    const r = await investigateJson(dir, threatBy(threats, /dana/));
    expect(r.verdict).toBe('inconclusive');
    expect(r.confidence).toBeLessThanOrEqual(0.6);
    expect(r.missing_evidence.join('\n')).toMatch(/logging stopped at 2026-11-10T09:00:00.000Z/);
    expect(r.missing_evidence.join('\n')).toMatch(/baseline for .*dana/);
  });
});

describe('investigate: output, storage and custody', () => {
  it('on the sample case: shows questions, data and moves; stores the run append-only with a custody entry', async () => {
    // GIVEN the sample case with its operator context
    const { dir, threats } = await detectedCase(['sample-case/logs'], 'sample-case/context.yaml');
    const attack = threatBy(threats, /svc-backup/);
    // WHEN investigated with human output
    const r = await runIrctl(['--case', dir, 'investigate', attack, '--offline']);
    expect(r.code, r.stderr).toBe(0);
    // THEN each question, the data retrieved and how the assessment moved are shown, then the verdict
    expect(r.stdout).toMatch(/\[1\] What was detected, on which events, and how severe is it\?/);
    expect(r.stdout).toMatch(/ {4}data\n {6}det:/);
    expect(r.stdout).toMatch(/moved {3}\+3 severity/);
    expect(r.stdout).toMatch(/Were logs tampered with/);
    expect(r.stdout).toMatch(/VERDICT {5}MALICIOUS/);
    // AND it ends with where the bundle is and the new custody head, as its last line; no chatter on stderr without -v
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^custody {3}head [0-9a-f]{64} \(entry \d+\)$/);
    expect(r.stdout).toMatch(/^bundle {4}\S+\.bundle\.tar\.gz$/m);
    expect(r.stderr).not.toMatch(/stored investigation/);
    expect((await runIrctl(['--case', dir, '-v', 'investigate', attack, '--offline', '--no-bundle'])).stderr).toMatch(/stored investigation [0-9a-f-]{36}/);

    // AND the run is stored with its hash and a custody entry carrying the result hash
    const shown = await runIrctl(['--case', dir, 'investigate', attack, '--show', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const stored = JSON.parse(shown.stdout) as InvestigationResult;
    expect(stored.verdict).toBe('malicious');
    // The sequence question reports the span of all the events (the last one at 02:50), not of the 40 rows shown,
    // and says it the way a person reads it (issue 13).
    const sequence = stored.questions.find((q) => q.question === 'What happened around it, in order?');
    expect(sequence?.truncated).toBe(true);
    expect(sequence?.answer).toMatch(/^48 event\(s\), 2026-11-21 02:13:05 to 02:50:00 UTC \(37 min\): GetCallerIdentity -> /);
    const kase = openCase(dir);
    try {
      const entry = custodyEntries(kase.db, ['investigate.run']).at(-1)!;
      const details = entry.body.details as Record<string, unknown>;
      expect(details.investigation_id).toBe(stored.investigation_id);
      expect(details.result_sha256).toBe(sha256Hex(shown.stdout.trim()));
      expect(details.sent_to_model).toBe(false);
      // append-only
      expect(() => kase.db.prepare('UPDATE investigations SET verdict = ?').run('not_malicious')).toThrow(/append-only/);
      expect(() => kase.db.prepare('DELETE FROM investigations').run()).toThrow(/append-only/);
    } finally {
      kase.close();
    }
    // AND the human --show renders the stored run
    const human = await runIrctl(['--case', dir, 'investigate', attack, '--show']);
    expect(human.stdout).toMatch(/VERDICT {5}MALICIOUS/);

    // AND the other two sample threats are the red-team test and the planned change
    expect((await investigateJson(dir, threatBy(threats, /red-team-operator/))).verdict).toBe('security_test');
    expect((await investigateJson(dir, threatBy(threats, /terraform-deploy/))).verdict).toBe('planned_action');
    // AND a later run remembers the earlier ones (investigation memory)
    const again = await investigateJson(dir, attack);
    const memory = again.questions.find((q) => q.tool === 'past_investigations');
    expect(memory?.answer).not.toMatch(/no similar/);
  });

  it('explains unknown threats, a case without threats, and refuses --interactive without a terminal', async () => {
    const { dir } = await detectedCase(['investigate/routine']);
    const unknown = await runIrctl(['--case', dir, 'investigate', 'T-99', '--offline']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no threat T-99 in this case/);
    expect(unknown.stderr).toMatch(/Known threats: T-1/);

    const { dir: bare, cleanup } = tempDir('irctl-inv-bare-');
    cleanups.push(cleanup);
    await runIrctl(['--case', bare, 'import', fixture('investigate/lone'), '--json']);
    const none = await runIrctl(['--case', bare, 'investigate', 'T-1', '--offline']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/this case has no threats yet/);
    expect(none.stderr).toMatch(/irctl detect/);

    const inter = await runIrctl(['--case', dir, 'investigate', 'T-1', '--offline', '--interactive']);
    expect(inter.code).toBe(2);
    expect(inter.stderr).toMatch(/--interactive needs a terminal/);

    const noShow = await runIrctl(['--case', dir, 'investigate', 'T-1', '--show']);
    expect(noShow.code).toBe(2);
    expect(noShow.stderr).toMatch(/has not been investigated yet/);

    const nb = await runIrctl(['--case', dir, 'investigate', '1', '--offline', '--no-bundle', '--json']);
    expect(nb.code, nb.stderr).toBe(0);
    expect((JSON.parse(nb.stdout) as InvestigationResult).threat_id).toBe('T-1');
  });
});

describe('investigate: the right subject, true attributions', () => {
  it('profiles the principal carrying the most severe detections, says why, and attributes only its own actions to it', async () => {
    // GIVEN the sample case, whose intrusion spans svc-backup (leaked key) and support-admin (the admin it created)
    const { dir, threats } = await detectedCase(['sample-case/logs'], 'sample-case/context.yaml');
    const r = await investigateJson(dir, threatBy(threats, /svc-backup/));
    // THEN the profile question names the subject and the reason
    const who = r.questions.find((q) => q.tool === 'entity_profile')!;
    expect(who.question).toMatch(/investigated first: its own events carry the threat's most severe detections/);
    // AND no statement about svc-backup's history names what support-admin did (StopLogging, DeleteDetector, InvokeModel)
    const svcStatements = [...r.questions.flatMap((q) => q.moves.map((m) => m.note)), ...r.rationale.map((c) => c.claim)].filter((t) => /user\/svc-backup never did/.test(t));
    expect(svcStatements.length).toBeGreaterThan(0);
    for (const s of svcStatements) expect(s).not.toMatch(/StopLogging|DeleteDetector|InvokeModel/);
    expect(r.verdict).toBe('malicious');
  });
});
