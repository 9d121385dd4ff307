/**
 * Okta and Google Workspace end to end. The rule packs on the fixtures (built-in identity rules, SigmaHQ's Okta rules
 * through the field map), then one case through the CLI: the synthetic Okta intrusion (fixtures/okta-case: push
 * fatigue -> sign-on from a new country -> admin grant -> log stream off, among routine sign-ons), real-format samples
 * (Panther and StreamAlert Okta events, an EventBridge Log Streaming file, Workspace Reports API items), import ->
 * detect -> investigate --offline -> timeline -> export -> verify.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRulePack, runRules } from '../../src/detect/engine.js';
import { inputsFromRecords } from '../../src/detect/record-inputs.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

const jsonl = (...p: string[]): unknown[] =>
  readFileSync(fixture(...p), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('identity rules on the Okta and Workspace fixtures', () => {
  const pack = loadRulePack({ builtin: true });
  const caseHits = runRules(inputsFromRecords(JSON.parse(readFileSync(fixture('okta-case', 'system-log.json'), 'utf8')) as unknown[]), pack);

  it('fires the whole chain on the intrusion, and nothing on the routine sign-ons (a stray deny, a typo)', () => {
    expect(caseHits.map((h) => h.rule.id).sort()).toEqual([
      'irctl-okta-admin-role-granted',
      'irctl-okta-log-stream-disabled',
      'irctl-okta-mfa-push-fatigue',
      'irctl-okta-signin-new-country',
      'irctl-okta-signin-new-device',
    ]);
    const s = Object.fromEntries(caseHits.map((h) => [h.rule.id, h.summary]));
    expect(s['irctl-okta-mfa-push-fatigue']).toBe('5 Okta Verify pushes denied or failed for Alice Martin, then an MFA success from 198.51.100.77');
    expect(s['irctl-okta-signin-new-country']).toBe('Alice Martin started an Okta session from new country Netherlands (198.51.100.77); baseline of 8 sign-ons from United States');
    expect(s['irctl-okta-admin-role-granted']).toBe('Alice Martin granted an Okta admin role (Super administrator) to svc-sync@acme.example');
    expect(caseHits.every((h) => h.rule.techniques.some((t) => /^T\d{4}/.test(t)))).toBe(true);
  });

  it('sees a password spray and a session right after an MFA factor reset', () => {
    const hits = runRules(inputsFromRecords(jsonl('okta', 'detections.jsonl')), pack);
    const s = Object.fromEntries(hits.map((h) => [h.rule.id, h.summary]));
    expect(s['irctl-okta-password-spray']).toBe('5 Okta users failed to sign in from 192.0.2.66 within 30m');
    expect(s['irctl-okta-session-after-mfa-reset']).toBe('MFA factors of dave@acme.example reset, then a session from 198.51.100.200 (AS 9009) within 2h');
    // dave's sign-ons before the reset do not fire it
    expect(hits.filter((h) => h.rule.id === 'irctl-okta-session-after-mfa-reset')).toHaveLength(1);
  });

  it('sees Workspace admin grants and a login-failure spray in a Reports API page', () => {
    const page = JSON.parse(readFileSync(fixture('workspace', 'reports-page.json'), 'utf8')) as { items: unknown[] };
    const hits = runRules(inputsFromRecords(page.items), pack);
    const ids = hits.map((h) => h.rule.id);
    expect(ids.filter((i) => i === 'irctl-workspace-admin-role-granted')).toHaveLength(2);
    expect(ids).toContain('irctl-workspace-password-spray');
    expect(hits.find((h) => h.rule.id === 'irctl-workspace-admin-role-granted')?.summary).toBe('ana granted Workspace admin rights (_SEED_ADMIN_ROLE) to backup-ops@globex.example');
  });

  it('runs SigmaHQ Okta rules (fixtures/sigma) through the field map', () => {
    const sigma = loadRulePack({ builtin: false, dirs: [fixture('sigma', 'identity', 'okta')] });
    expect(sigma.rules).toHaveLength(21);
    const titles = new Set(runRules(inputsFromRecords([...(JSON.parse(readFileSync(fixture('okta-case', 'system-log.json'), 'utf8')) as unknown[]), ...jsonl('okta', 'detections.jsonl')]), sigma).map((h) => h.rule.title));
    for (const t of ['Okta Admin Role Assigned to an User or Group', 'Okta MFA Reset or Deactivated', 'New Okta User Created']) expect(titles).toContain(t);
    // the Panther copies (lower-cased keys) answer to the same rules
    const panther = new Set(runRules(inputsFromRecords(jsonl('okta', 'panther-systemlog.jsonl')), sigma).map((h) => h.rule.title));
    expect(panther.size).toBeGreaterThan(3);
  });
});

describe('Okta and Workspace in one case through the CLI', () => {
  let dir: string;
  let cleanup: () => void;
  let kase: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('irctl-okta-'));
    kase = join(dir, 'case');
  });
  afterAll(() => cleanup());

  it('imports every shape; only records without a time (trimmed rule-test snippets) and the planted bad line are quarantined', async () => {
    const r = await runIrctl([
      '--case',
      kase,
      'import',
      fixture('okta-case', 'system-log.json'),
      fixture('okta', 'eventbridge-stream.jsonl'),
      fixture('okta', 'okta-stream-1-2026-11-16-09-12-00-5f2b'),
      fixture('okta', 'streamalert-new-login.json'),
      fixture('okta', 'panther-systemlog.jsonl'),
      fixture('workspace', 'reports-page.json'),
      fixture('workspace', 'dftimewolf-activities.jsonl'),
      '--json',
    ]);
    expect(r.code).toBe(6);
    const s = r.json<{ inputs: Array<{ path: string; format: string; events: number; quarantined: number }> }>()[0]!;
    expect(s.inputs.map((i) => [i.path.split('/').slice(-2).join('/'), i.format, i.events, i.quarantined])).toEqual([
      ['okta-case/system-log.json', 'array', 69, 0],
      // two sign-ons in EventBridge Log Streaming envelopes; the third has no published time
      ['okta/eventbridge-stream.jsonl', 'jsonl', 2, 1],
      // the same two envelopes as Firehose writes them to S3 (concatenated, no newline): the same events
      ['okta/okta-stream-1-2026-11-16-09-12-00-5f2b', 'json', 0, 0],
      ['okta/streamalert-new-login.json', 'array', 1, 0],
      ['okta/panther-systemlog.jsonl', 'jsonl', 46, 8],
      ['workspace/reports-page.json', 'items', 10, 1],
      ['workspace/dftimewolf-activities.jsonl', 'jsonl', 2, 0],
    ]);
    expect(r.stderr).toContain('eventbridge-stream.jsonl: record 2: Okta event user.session.start has no published time');
    expect(r.stderr).toContain('reports-page.json: record 10: Google Workspace admin activity CHANGE_PASSWORD has no id.time');
    const ev = (await runIrctl(['--case', kase, 'events', '--provider', 'okta', '--json'])).json<{ layer: string; provider: string }>();
    expect(ev.length).toBeGreaterThan(100);
    expect(new Set(ev.map((e) => e.layer))).toEqual(new Set(['identity']));
  });

  it('groups the intrusion into one threat; routine users stay out of every threat; offline verdict malicious', async () => {
    expect((await runIrctl(['--case', kase, 'detect'])).code).toBe(0);
    const threats = (await runIrctl(['--case', kase, 'threats', '--json'])).json<{ id: string; title: string; entities: Array<{ kind: string; value: string }> }>();
    const alice = threats.filter((t) => t.entities.some((e) => e.value === 'alice@acme.example' && e.kind === 'principal'));
    expect(alice).toHaveLength(1);
    for (const quiet of ['bob@acme.example', 'carol@acme.example']) expect(threats.some((t) => t.entities.some((e) => e.value === quiet && e.kind === 'principal'))).toBe(false);
    const id = alice[0]!.id;
    const show = await runIrctl(['--case', kase, 'threats', 'show', id]);
    for (const rule of ['irctl-okta-mfa-push-fatigue', 'irctl-okta-signin-new-country', 'irctl-okta-admin-role-granted', 'irctl-okta-log-stream-disabled']) expect(show.stdout).toContain(rule);

    // WHEN investigated offline
    const inv = await runIrctl(['--case', kase, 'investigate', id, '--offline', '--json']);
    expect(inv.code).toBe(0);
    const res = inv.json<{ verdict: string; confidence: number }>()[0]!;
    // THEN malicious, citing the log stream deactivation through Okta's tampering table
    expect(res.verdict).toBe('malicious');
    expect(inv.stdout).toContain('system.log_stream.lifecycle.deactivate');

    // AND the timeline is the identity layer, in order, from the first push to the log stream
    const tl = (await runIrctl(['--case', kase, 'timeline', id, '--json'])).json<{ layer: string; action: string }>();
    expect(new Set(tl.map((l) => l.layer))).toEqual(new Set(['identity']));
    expect(tl.map((l) => l.action)).toContain('user.account.privilege.grant');

    // AND the bundle verifies
    const out = join(dir, 'okta.bundle.tar.gz');
    expect((await runIrctl(['--case', kase, 'export', id, '--out', out])).code).toBe(0);
    expect((await runIrctl(['--case', kase, 'verify', out])).code).toBe(0);
  });

  it('same uuid: a copy with added keys is another raw record of one event; different content is a conflict, kept apart', async () => {
    // GIVEN an event, the same event as a SIEM copy (an added key, other whitespace) and a different event with its uuid
    const r = await runIrctl(['--case', kase, 'import', fixture('okta', 'uuid-conflict.json'), '--json']);
    // THEN two events, one conflict named in the summary (exit 6)
    expect(r.code).toBe(6);
    const s = r.json<{ events: number; duplicates: number; conflicts: number; conflict_examples: Array<{ id: string; event_id: string; differs: string[] }> }>()[0]!;
    const uuid = (JSON.parse(readFileSync(fixture('okta', 'uuid-conflict.json'), 'utf8')) as Array<{ uuid: string }>)[0]!.uuid;
    expect(s).toMatchObject({ events: 2, duplicates: 1, conflicts: 1 });
    expect(s.conflict_examples[0]).toMatchObject({ event_id: uuid, differs: ['class', 'time', 'action'] });
    expect(s.conflict_examples[0]!.id).toMatch(new RegExp(`^${uuid}#[0-9a-f]{12}$`));
    const db = new Database(join(kase, 'evidence.sqlite'), { readonly: true });
    const ids = db.prepare("SELECT id FROM events WHERE id = ? OR id LIKE ? || '#%' ORDER BY time_ms").pluck().all(uuid, uuid) as string[];
    const raws = db.prepare("SELECT COUNT(*) FROM raw_records WHERE event_id = ? OR event_id LIKE ? || '#%'").pluck().get(uuid, uuid) as number;
    db.close();
    expect(ids).toEqual([uuid, s.conflict_examples[0]!.id]);
    // three distinct byte sequences: the event, its SIEM copy (same event), the other event
    expect(raws).toBe(3);
    // AND case verify lists the conflict
    const verify = await runIrctl(['--case', kase, 'case', 'verify', '--json']);
    expect(verify.json<{ conflicts: string[] }>()[0]!.conflicts.some((c) => c.startsWith(`event id ${uuid} is carried by 2 records that disagree`))).toBe(true);
  });
});
