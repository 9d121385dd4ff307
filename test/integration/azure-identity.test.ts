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
    expect(s).toContain('risky sign-in of g-risky then Update application – Certificates and secrets management  on payroll-sync within 4h');
    expect(s).toContain('risky sign-in of t-risky@contoso.example then microsoft.authorization/roleassignments/write on /subscriptions/3d9a2e51-0c47-4b8e-9f16-7a2b5c8d4e01/providers/microsoft.authorization/roleassignments/9b1c2d3e-0000-4000-8000-0000000000a1 within 4h');
  });

  it('rules list shows the multi-source rule and its ATT&CK tags', async () => {
    const r = await runIrctl(['rules', 'list', '--json']);
    const rules = r.json<{ id: string; techniques: string[]; kind: string }>();
    const byId = new Map(rules.map((x) => [x.id, x]));
    expect(byId.get('irctl-azure-impossible-travel')?.kind).toBe('travel');
    expect(byId.get('irctl-azure-risky-signin-then-privilege')?.techniques).toContain('T1098.003');
  });
});
