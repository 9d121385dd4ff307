/**
 * Azure end to end through the CLI: an Activity Log ARM page, an Entra sign-in Graph page and an audit Graph page of
 * one intrusion (fixtures/azure-incident) plus a CloudTrail file go into one case; detect groups the Azure attack into
 * one threat, the offline investigation reaches a verdict with cited evidence, the timeline shows the identity and
 * control-plane layers, and the exported bundle verifies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INC = join(ROOT, 'fixtures/azure-incident');

describe('Azure and Entra ID in one case with AWS', () => {
  let dir: string;
  let kase: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-azure-'));
    kase = join(dir, 'case');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports the three Azure exports and a CloudTrail file, quarantining one malformed record per Azure file', async () => {
    // GIVEN Graph and ARM `value[]` pages (auto-detected) and a CloudTrail array file
    // WHEN they are imported into one case
    const r = await runIrctl([
      '--case',
      kase,
      'import',
      join(INC, 'activity-log.arm.json'),
      join(INC, 'signins.graph.json'),
      join(INC, 'audits.graph.json'),
      join(ROOT, 'fixtures/cloudtrail/stratus-iam-create-admin-user.json'),
      '--json',
    ]);
    // THEN 6 + 17 + 3 Azure events, the CloudTrail events, and three records in quarantine (exit 6)
    expect(r.code).toBe(6);
    const s = r.json<{ quarantined: number; inputs: Array<{ format: string; events: number }> }>()[0]!;
    expect(s.quarantined).toBe(3);
    expect(s.inputs.map((i) => [i.format, i.events])).toEqual([
      ['value', 6],
      ['value', 17],
      ['value', 3],
      ['array', 3],
    ]);
    const ev = (await runIrctl(['--case', kase, 'events', '--json'])).json<{ provider: string; layer: string; class: string }>();
    expect(new Set(ev.map((e) => e.provider))).toEqual(new Set(['aws', 'azure']));
    const az = ev.filter((e) => e.provider === 'azure');
    expect(new Set(az.map((e) => `${e.layer}/${e.class}`))).toEqual(
      new Set(['control_plane/api_activity', 'identity/authentication', 'identity/account_change', 'identity/api_activity']),
    );
  });

  it('groups spray, sign-in, role grants and diagnostic-setting deletion by one user into one threat', async () => {
    const d = await runIrctl(['--case', kase, 'detect', '--json']);
    expect(d.code).toBe(0);
    const t = (await runIrctl(['--case', kase, 'threats', '--json'])).json<{ id: string; title: string; entities: Array<{ kind: string; value: string }> }>();
    const azure = t.filter((x) => x.entities.some((e) => e.value === 'alice@fabrikam.example'));
    expect(azure).toHaveLength(1);
    const show = await runIrctl(['--case', kase, 'threats', 'show', azure[0]!.id]);
    for (const rule of [
      'irctl-azure-password-spray',
      'irctl-azure-signin-failures-then-success',
      'irctl-azure-mfa-fatigue',
      'irctl-azure-signin-new-country',
      'irctl-azure-entra-admin-role-added',
      'irctl-azure-privileged-role-assignment',
      'irctl-azure-diagnostic-settings-deleted',
    ])
      expect(show.stdout).toContain(rule);
    // AND the AWS attack is a threat of its own
    expect(t.some((x) => x.entities.some((e) => e.value.startsWith('arn:aws:')))).toBe(true);

    // WHEN the threat is investigated offline
    const id = azure[0]!.id;
    const inv = await runIrctl(['--case', kase, 'investigate', id, '--offline', '--json']);
    expect(inv.code).toBe(0);
    const res = inv.json<{ verdict: string }>()[0]!;
    // THEN a malicious verdict that cites the diagnostic-setting deletion (the provider's tampering table)
    expect(res.verdict).toBe('malicious');
    expect(inv.stdout).toContain('microsoft.insights/diagnosticsettings/delete');
    expect(inv.stdout).toMatch(/azure-activity:[0-9a-f]{32}/);

    // AND the timeline joins the identity and control-plane layers
    const tl = (await runIrctl(['--case', kase, 'timeline', id, '--json'])).json<{ layer: string; provider: string }>();
    expect(new Set(tl.map((l) => l.layer))).toEqual(new Set(['identity', 'control_plane']));

    // AND the export verifies
    const out = join(dir, 'azure.bundle.tar.gz');
    expect((await runIrctl(['--case', kase, 'export', id, '--out', out])).code).toBe(0);
    expect((await runIrctl(['--case', kase, 'verify', out])).code).toBe(0);
  });
});
