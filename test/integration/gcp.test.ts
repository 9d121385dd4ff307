/**
 * Google Cloud end to end through the CLI on the synthetic incident (fixtures/gcp-incident/README.md): a week of
 * routine CI activity, then a service-account key created for a privileged account, used from a new IP to make an
 * outside account owner, then a log sink deleted. import -> case info (log kinds) -> detect -> investigate --offline
 * (the five verdicts, with context.yaml naming Google Cloud principals) -> export -> verify.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvestigationResult } from '../../src/investigate/types.js';
import { runIrctl } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INC = join(ROOT, 'fixtures/gcp-incident');
const CI = 'ci-deployer@acme-prod.iam.gserviceaccount.com';

interface Threat {
  id: string;
  title: string;
  entities: Array<{ kind: string; value: string }>;
}
interface CaseInfoJson {
  log_kinds: { present: Array<{ provider: string; kind: string; events: number }>; missing: Array<{ provider: string; kind: string; why: string }> };
}

describe('Google Cloud: the synthetic incident', () => {
  let dir: string;
  let kase: string;
  let threats: Threat[];
  const by = (re: RegExp): string => threats.find((t) => re.test(t.title) || t.entities.some((e) => re.test(e.value)))!.id;
  const investigate = async (id: string): Promise<InvestigationResult & { missing_evidence: string[] }> => {
    const r = await runIrctl(['--case', kase, 'investigate', id, '--offline', '--json']);
    expect(r.code).toBe(0);
    return r.json<InvestigationResult & { missing_evidence: string[] }>()[0]!;
  };
  const context = (yaml: string): void => writeFileSync(join(kase, 'context.yaml'), yaml);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-gcp-'));
    kase = join(dir, 'case');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports Admin Activity alone and says Data Access entries are missing evidence', async () => {
    // GIVEN only the gcloud export of Admin Activity
    const r = await runIrctl(['--case', kase, 'import', join(INC, 'activity.gcloud.json'), '--json']);
    expect(r.code).toBe(0);
    // WHEN case info is read THEN Admin Activity is present and Data Access is named as missing evidence
    const info = (await runIrctl(['--case', kase, 'case', 'info', '--json'])).json<CaseInfoJson>()[0]!;
    expect(info.log_kinds.present).toEqual([{ provider: 'gcp', kind: 'activity', name: 'Admin Activity', events: 108 }]);
    expect(info.log_kinds.missing.map((m) => m.kind)).toEqual(['data_access']);
    const text = await runIrctl(['--case', kase, 'case', 'info']);
    expect(text.stdout).toMatch(/Data Access\s+none\s+MISSING EVIDENCE: no Data Access audit entries: they are off by default/);
  });

  it('imports the rest (entries:list page, Pub/Sub envelopes, the two variants): every kind present', async () => {
    const r = await runIrctl([
      '--case',
      kase,
      'import',
      join(INC, 'data-access.entries.json'),
      join(INC, 'system-event.pubsub.jsonl'),
      join(INC, 'variants/owner-handover.gcloud.json'),
      join(INC, 'variants/key-rotation.gcloud.json'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.json<{ inputs: Array<{ format: string; events: number }> }>()[0]!.inputs.map((i) => [i.format, i.events])).toEqual([
      ['entries', 126],
      ['jsonl', 5],
      ['array', 2],
      ['array', 9],
    ]);
    const info = (await runIrctl(['--case', kase, 'case', 'info', '--json'])).json<CaseInfoJson>()[0]!;
    expect(info.log_kinds.present.map((k) => [k.kind, k.events])).toEqual([
      ['activity', 119],
      ['data_access', 126],
      ['system_event', 5],
    ]);
    expect(info.log_kinds.missing).toEqual([]);
  });

  it('detects the intrusion as one threat and leaves the CI service account quiet', async () => {
    expect((await runIrctl(['--case', kase, 'detect'])).code).toBe(0);
    threats = (await runIrctl(['--case', kase, 'threats', '--json'])).json<Threat>();
    // THEN three threats: the intrusion, the owner hand-over and the nightly key rotation; none involves the CI account
    expect(threats).toHaveLength(3);
    expect(threats.some((t) => t.entities.some((e) => e.value === CI))).toBe(false);
    const id = by(/mallory|198\.51\.100\.77/);
    const show = await runIrctl(['--case', kase, 'threats', 'show', id]);
    for (const rule of [
      'irctl-gcp-principal-new-network',
      'irctl-gcp-sa-key-created',
      'irctl-gcp-sa-key-created-admin',
      'irctl-gcp-iam-owner-editor-granted',
      'irctl-gcp-iam-external-member',
      'irctl-gcp-logging-sink-deleted',
    ])
      expect(show.stdout).toContain(rule);
    // AND the key links who created it to who used it
    const intrusion = threats.find((t) => t.id === id)!;
    expect(intrusion.entities).toEqual(
      expect.arrayContaining([
        { kind: 'principal', value: 'bob@acme.example' },
        { kind: 'principal', value: 'terraform-admin@acme-prod.iam.gserviceaccount.com' },
        { kind: 'access_key', value: '8d1f0c5a9e2b47c3a6f1d0e9b8c7a6f5e4d3c2b1' },
      ]),
    );
    // AND the impersonation chain joins alice to terraform-admin's grant in the hand-over threat
    const handover = threats.find((t) => t.entities.some((e) => e.value === 'alice@acme.example'))!;
    expect(handover.entities.some((e) => e.value === 'terraform-admin@acme-prod.iam.gserviceaccount.com')).toBe(true);
  });

  it('investigates offline: malicious, citing the sink deletion and the owner grant; the bundle verifies', async () => {
    const id = by(/mallory|198\.51\.100\.77/);
    const r = await investigate(id);
    expect(r.verdict).toBe('malicious');
    const text = JSON.stringify(r);
    expect(text).toContain('google.logging.v2.ConfigServiceV2.DeleteSink');
    expect(text).toMatch(/gcp:[0-9a-f]{32}/);
    // The timeline starts where the key was created.
    const tl = await runIrctl(['--case', kase, 'timeline', id, '--json']);
    expect(tl.stdout).toContain('CreateServiceAccountKey');
    const out = join(dir, 'gcp.bundle.tar.gz');
    expect((await runIrctl(['--case', kase, 'export', id, '--out', out])).code).toBe(0);
    expect((await runIrctl(['--case', kase, 'verify', out])).code).toBe(0);
  });

  it('reaches the other four verdicts with context.yaml naming Google Cloud principals by e-mail or name', async () => {
    // The nightly key rotation: routine for key-rotator (same action, network and client every night).
    expect((await investigate(by(/key-rotator/))).verdict).toBe('not_malicious');
    const handover = by(/alice@acme\.example/);
    // The hand-over without context: an owner grant nobody explained.
    context('automation_principals: ["terraform-admin@acme-prod.iam.gserviceaccount.com"]\n');
    expect((await investigate(handover)).verdict).toBe('inconclusive');
    // Inside a change window naming alice by e-mail and the service account by its name.
    context(
      'change_windows:\n  - id: CHG-2199\n    start: 2026-03-04T14:00:00Z\n    end: 2026-03-04T16:00:00Z\n    principals: ["alice@acme.example", "terraform-admin"]\n',
    );
    expect((await investigate(handover)).verdict).toBe('planned_action');
    // The intrusion, when the operator declares 198.51.100.77 a red-team address.
    context('red_team:\n  source_ips: ["198.51.100.77"]\n');
    expect((await investigate(by(/mallory|198\.51\.100\.77/))).verdict).toBe('security_test');
  });
});
