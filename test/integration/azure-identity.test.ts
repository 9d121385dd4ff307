/**
 * Entra ID identity rules through the CLI (issue 14 §4): impossible travel, MFA fatigue, sign-in from a new network
 * (ASN) and a risky sign-in followed by a privilege change, fed by the three shapes sign-ins come in (a Graph beta
 * signIns page, a Log Analytics SigninLogs query response, the Entra portal's CSV download) plus a directory-audit
 * page and an Activity Log page for the privilege steps (fixtures/azure-identity). Each rule has users it must fire
 * on and users it must not (`<shape>-<scenario>@contoso.example`).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

type Det = { rule_id: string; summary: string; entities: string };

describe('Entra ID sign-in identity rules, every sign-in shape', () => {
  let dir: { dir: string; cleanup: () => void };
  let kase: string;
  let dets: Det[] = [];
  beforeAll(async () => {
    dir = tempDir('irctl-azid-');
    kase = join(dir.dir, 'case');
    const f = (n: string): string => fixture('azure-identity', n);
    const imp = await runIrctl([
      '--case',
      kase,
      'import',
      f('signins.graph-beta.json'),
      f('signinlogs.query-response.json'),
      f('entra-signins.portal.csv'),
      f('audits.graph.json'),
      f('activity-log.arm.json'),
      '--json',
    ]);
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    expect((await runIrctl(['--case', kase, 'detect', '--json'])).code).toBe(0);
    const db = new Database(join(kase, 'evidence.sqlite'), { readonly: true });
    dets = db.prepare("SELECT rule_id, summary, entities FROM detections WHERE rule_id LIKE 'irctl-azure-%' ORDER BY rule_id, first_ms").all() as Det[];
    db.close();
    if (process.env.AZID_DEBUG) console.log(dets.map((d) => `${d.rule_id} | ${d.summary}`).join('\n'));
  });
  afterAll(() => dir.cleanup());

  /** Users (the local part) a rule fired on. */
  const usersOf = (rule: string): string[] =>
    [
      ...new Set(
        dets
          .filter((d) => d.rule_id === rule)
          .flatMap((d) => (JSON.parse(d.entities) as Array<{ kind: string; value: string }>).filter((e) => e.kind === 'principal').map((e) => e.value.split('@')[0] ?? '')),
      ),
    ].sort();

  it('impossible travel: from coordinates (Graph, SigninLogs) and from a country change without them (portal CSV)', () => {
    // fires: Amsterdam -> Singapore in 40 min, each shape; not: Amsterdam -> London in 2 h, Amsterdam -> Rotterdam
    // in 5 min (under the 300 km floor), NL -> BE after 3 h without coordinates (outside the 1 h fallback window)
    expect(usersOf('irctl-azure-impossible-travel')).toEqual(['g-travel', 'p-travel', 't-travel']);
    const s = dets.filter((d) => d.rule_id === 'irctl-azure-impossible-travel').map((d) => d.summary);
    expect(s).toContain('g-travel signed in from NL then SG 40 min later (10492 km, 15738 km/h; coordinates) from 203.0.113.50');
    expect(s).toContain('p-travel signed in from NL then SG 40 min later (? km, ? km/h; no coordinates, event.region changed) from 203.0.113.50');
  });

  it('MFA fatigue: repeated 500121 / 50074 then a success, in every shape', () => {
    // not: denials without a success, or only two failures before the success
    expect(usersOf('irctl-azure-mfa-fatigue')).toEqual(['g-fatigue', 'p-fatigue', 't-fatigue']);
  });

  it('new ASN: a success from an autonomous system outside the user\'s baseline, in every shape that carries the ASN', () => {
    // not: a failed sign-in from the new network; users without a baseline
    expect(usersOf('irctl-azure-signin-new-asn')).toEqual(['g-newnet', 'p-newnet', 't-newnet']);
    expect(dets.find((d) => d.rule_id === 'irctl-azure-signin-new-asn' && d.summary.startsWith('t-newnet'))?.summary).toBe(
      't-newnet signed in from new network AS64511 (192.0.2.40, NL); baseline of 6 sign-ins from AS 64500',
    );
  });

  it('risky sign-in then a privilege change: directory audit (Graph) and Activity Log (SigninLogs row) joined by UPN', () => {
    // fires: g-risky adds an app secret 30 min after a high-risk sign-in; t-risky assigns itself Owner 20 min after.
    // not: g-late's role grant 5 h after a medium-risk sign-in; g-calm / t-calm's grants after an unremarkable sign-in
    expect(usersOf('irctl-azure-risky-signin-then-privilege')).toEqual(['g-risky', 't-risky']);
    const s = dets.filter((d) => d.rule_id === 'irctl-azure-risky-signin-then-privilege').map((d) => d.summary);
    expect(s).toContain('g-risky flagged at risk, then Update application – Certificates and secrets management  on payroll-sync within 4h');
    expect(s).toContain('t-risky@contoso.example flagged at risk, then microsoft.authorization/roleassignments/write on /subscriptions/3d9a2e51-0c47-4b8e-9f16-7a2b5c8d4e01/providers/microsoft.authorization/roleassignments/9b1c2d3e-0000-4000-8000-0000000000a1 within 4h');
  });

  it('rules list shows the multi-source rule and its ATT&CK tags', async () => {
    const r = await runIrctl(['rules', 'list', '--json']);
    const rules = r.json<{ id: string; techniques: string[]; kind: string }>();
    const byId = new Map(rules.map((x) => [x.id, x]));
    expect(byId.get('irctl-azure-impossible-travel')?.kind).toBe('travel');
    expect(byId.get('irctl-azure-risky-signin-then-privilege')?.techniques).toContain('T1098.003');
  });
});

describe('Entra ID Protection risk detections, risky users and PIM requests', () => {
  let dir: { dir: string; cleanup: () => void };
  let kase: string;
  type Ev = { id: string; service: string; layer: string; action: string; actor: string | null; outcome: string; resources: string[] };
  let events: Ev[] = [];
  beforeAll(async () => {
    dir = tempDir('irctl-azrisk-');
    kase = join(dir.dir, 'case');
    const f = (n: string): string => fixture('azure-identity', n);
    const imp = await runIrctl(['--case', kase, 'import', f('riskdetections.graph.json'), f('aaduserriskevents.query-response.json'), f('aadriskyusers.query-response.json'), f('pim-requests.graph.json'), f('pim-audits.graph.json'), '--json']);
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    events = (await runIrctl(['--case', kase, 'events', '--json'])).json<Ev>();
  });
  afterAll(() => dir.cleanup());

  it('reads Graph riskDetection objects and AADUserRiskEvents rows as one event per detection version', () => {
    const risk = events.filter((e) => e.service === 'identityprotection' && !e.action.startsWith('riskyUser/'));
    // 4 Graph detections; the table's copy of detection 1 joins it, its later version of detection 3 is an event of its own
    expect(risk.map((e) => e.id).sort()).toEqual([
      '6c000001-3f2e-4a1b-9c8d-000000000001@1795251600000',
      '6c000002-3f2e-4a1b-9c8d-000000000002@1795251630000',
      '6c000003-3f2e-4a1b-9c8d-000000000003@1795248000000',
      '6c000003-3f2e-4a1b-9c8d-000000000003@1795262400000',
      '6c000004-3f2e-4a1b-9c8d-000000000004@1795240800000',
    ]);
    expect(new Set(risk.map((e) => `${e.layer}/${e.action.length > 0}`))).toEqual(new Set(['identity/true']));
    expect(risk.find((e) => e.id.startsWith('6c000001'))).toMatchObject({ action: 'unfamiliarFeatures', actor: 'r-risky@contoso.example' });
    const users = events.filter((e) => e.action.startsWith('riskyUser/'));
    expect(users.map((e) => [e.action, e.actor])).toEqual([['riskyUser/atRisk', 'r-risky@contoso.example']]);
  });

  it('reads PIM role schedule requests as control-plane events of the requester, naming principal, role and scope', () => {
    const pim = events.filter((e) => e.action.startsWith('roleScheduleRequest/'));
    expect(pim.map((e) => [e.layer, e.action, e.actor, e.outcome, e.resources])).toEqual([
      ['control_plane', 'roleScheduleRequest/selfActivate', 'r-risky@contoso.example', 'success', ['r-risky@contoso.example', 'Global Administrator', '/']],
      ['control_plane', 'roleScheduleRequest/adminAssign', 'fc4c56d7-42ac-53a7-9b67-52b32a222223', 'failure', ['r-quiet@contoso.example', 'User Administrator', '/']],
    ]);
  });

  it('runs the SigmaHQ risk detection and PIM rules through the field map, and the risky-then-privilege rule', async () => {
    const rules = fixture('sigma', 'cloud', 'azure');
    const d = await runIrctl(['--case', kase, 'detect', '--rules', join(rules, 'identity_protection'), '--rules', join(rules, 'privileged_identity_management'), '--json']);
    expect(d.code).toBe(0);
    const db = new Database(join(kase, 'evidence.sqlite'), { readonly: true });
    const hits = db.prepare('SELECT rule_title, summary FROM detections ORDER BY rule_title').all() as Array<{ rule_title: string; summary: string }>;
    db.close();
    const titles = [...new Set(hits.map((h) => h.rule_title))];
    // One SigmaHQ rule per riskEventType present; the PIM alert rules match alert incidents, which are not events
    expect(titles).toEqual([
      'Anonymous IP Address',
      'Atypical Travel',
      'Azure AD Account Credential Leaked',
      'Risky Entra ID sign-in or risk detection followed by a privilege change by the same user',
      'Unfamiliar Sign-In Properties',
    ]);
    expect(hits.find((h) => h.rule_title.startsWith('Risky'))?.summary).toBe(
      'r-risky@contoso.example flagged at risk, then roleScheduleRequest/selfActivate on r-risky@contoso.example within 4h',
    );
  });
});

describe('PIM requests as privilege evidence', () => {
  it('a PIM activation of Global Administrator makes the requester a privileged actor of the threat', async () => {
    const { dir, cleanup } = tempDir('irctl-azpim-');
    try {
      const kase = join(dir, 'case');
      const f = (n: string): string => fixture('azure-identity', n);
      expect((await runIrctl(['--case', kase, 'import', f('riskdetections.graph.json'), f('pim-requests.graph.json')])).code).toBe(0);
      expect((await runIrctl(['--case', kase, 'detect'])).code).toBe(0);
      const t = (await runIrctl(['--case', kase, 'threats', '--json'])).json<{ severity: string; context_notes: string[] }>();
      // the denied request of r-quiet grants nothing; r-risky's provisioned activation does
      expect(t).toHaveLength(1);
      expect(t[0]!.context_notes).toContain('privileged actor: r-risky@contoso.example was granted admin in the evidence (PIM selfActivate: Global Administrator)');
      expect(t[0]!.severity).toBe('critical');
    } finally {
      cleanup();
    }
  });
});

describe('Entra portal audit CSV and the Graph copy of the same audits', () => {
  it('a download whose view includes the Id column joins the Graph copy (one event each), and the audit rules read its targets', async () => {
    const { dir, cleanup } = tempDir('irctl-azaudit-');
    try {
      const kase = join(dir, 'case');
      // GIVEN the portal download first: its rows are events of their own, and the role-grant rule reads the
      // Target<n> columns (Role.DisplayName among the modified properties)
      const csv = await runIrctl(['--case', kase, 'import', fixture('azure-identity', 'audits-with-id.portal.csv'), '--json']);
      expect(csv.json<{ events: number }>()[0]!.events).toBe(3);
      expect((await runIrctl(['--case', kase, 'detect'])).code).toBe(0);
      const db1 = new Database(join(kase, 'evidence.sqlite'), { readonly: true });
      const hits = db1.prepare("SELECT COUNT(*) FROM detections WHERE rule_id = 'irctl-azure-entra-admin-role-added'").pluck().get() as number;
      db1.close();
      expect(hits).toBe(2);
      // WHEN the Graph page of the same audits is imported
      const graph = await runIrctl(['--case', kase, 'import', fixture('azure-identity', 'audits.graph.json'), '--json']);
      // THEN every record is another copy of an event already there: no new event, no conflict
      expect(graph.code, graph.stderr).toBe(0);
      expect(graph.json<{ events: number; duplicates: number; conflicts: number }>()[0]).toMatchObject({ events: 0, duplicates: 3, conflicts: 0 });
      const shown = await runIrctl(['--case', kase, 'show', 'Directory_a00000d5-0000-4000-8000-0000000000d5', '--json']);
      expect(shown.json<{ copies: Array<{ origin: string }> }>()[0]!.copies.map((c) => c.origin)).toEqual(['reshaped', 'native']);
    } finally {
      cleanup();
    }
  });
});
