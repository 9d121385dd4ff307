/**
 * `irctl collect azure --tenant` beyond interactive sign-ins (issue 14): non-interactive, service-principal and
 * managed-identity sign-ins through the Graph beta `signInEventTypes` filter (`--signin-types`), and Entra ID
 * Protection risk detections (a tenant without P2 is a note), against the local fake (test/fakes/azure-cloud.ts)
 * with the real @azure/identity and @azure/core-rest-pipeline.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAzure, makeAudit, makeRiskDetection, makeSignIn } from '../fakes/azure-cloud.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;

type Summary = { events: number; notes: string[]; per_scope: Array<{ scope: string; api: string; status: string; events: number; pages: number; note?: string }> };

describe('irctl collect azure --tenant: sign-in kinds and risk detections', () => {
  let fake: FakeAzure;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let cleanup: () => void;
  const now = Date.now();
  beforeAll(async () => {
    fake = new FakeAzure({ graphLimit: 1000, graphWindowMs: 1000, pageSize: 3 });
    await fake.start();
    env = fake.env();
    fake.signIns.push(
      ...Array.from({ length: 4 }, (_, i) => makeSignIn({ time: now - 50 * MIN + i * MIN })),
      ...Array.from({ length: 5 }, (_, i) => makeSignIn({ time: now - 40 * MIN + i * MIN, types: ['nonInteractiveUser'] })),
      ...Array.from({ length: 2 }, (_, i) => makeSignIn({ time: now - 30 * MIN + i * MIN, types: ['servicePrincipal'] })),
      makeSignIn({ time: now - 20 * MIN, types: ['managedIdentity'] }),
    );
    fake.audits.push(makeAudit({ time: now - 10 * MIN }));
    // Seven detections; two found offline long after the activity (their activity is outside the window)
    fake.riskDetections.push(
      ...Array.from({ length: 5 }, (_, i) => makeRiskDetection({ time: now - 55 * MIN + i * 7 * MIN })),
      ...Array.from({ length: 2 }, (_, i) => makeRiskDetection({ time: now - 15 * MIN + i * MIN, type: 'leakedCredentials', activityLagMs: 3 * 86_400_000 })),
    );
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('reads every sign-in kind (beta filter per kind) and the risk detections detected in the window, storing the bytes received', async () => {
    const before = fake.seen.length;
    const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '1h', '--tenant', fake.tenant, '--signin-types', 'all', '--graph-rate', '100/1s'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = r.json<Summary>()[0]!;
    expect(s.per_scope.map((p) => [p.api, p.status, p.events])).toEqual([
      ['graph:auditLogs/signIns', 'ok', 4],
      ['graph:beta/auditLogs/signIns/nonInteractiveUser', 'ok', 5],
      ['graph:beta/auditLogs/signIns/servicePrincipal', 'ok', 2],
      ['graph:beta/auditLogs/signIns/managedIdentity', 'ok', 1],
      ['graph:auditLogs/directoryAudits', 'ok', 1],
      ['graph:identityProtection/riskDetections', 'ok', 7],
    ]);
    // Three pages of risk detections (page size 3), served oldest first
    expect(s.per_scope.at(-1)?.pages).toBe(3);
    const calls = fake.seen.slice(before).filter((x) => x.api === 'graph');
    const filters = calls.filter((x) => x.path === '/beta/auditLogs/signIns' && x.query.$skiptoken === undefined).map((x) => /eq '([^']+)'/.exec(x.query.$filter ?? '')?.[1]);
    expect(filters).toEqual(['nonInteractiveUser', 'servicePrincipal', 'managedIdentity']);
    expect(calls.every((x) => x.status === 200)).toBe(true);
    const db = new Database(join(dir, 'evidence.sqlite'), { readonly: true });
    const raws = db.prepare("SELECT data_type, raw FROM raw_records WHERE data_type IN ('azure:signin:entry', 'azure:riskdetection:entry')").all() as Array<{ data_type: string; raw: string }>;
    const pages = db.prepare("SELECT sha256, size FROM input_status WHERE kind = 'api_page'").all() as Array<{ sha256: string; size: number }>;
    db.close();
    expect(raws.filter((x) => x.data_type === 'azure:signin:entry').map((x) => x.raw).sort()).toEqual(fake.signIns.map((x) => x.text).sort());
    expect(raws.filter((x) => x.data_type === 'azure:riskdetection:entry').map((x) => x.raw).sort()).toEqual(fake.riskDetections.map((x) => x.text).sort());
    expect(pages).toHaveLength(2 + 2 + 1 + 1 + 1 + 3);
    for (const p of pages) {
      const body = fake.bodies.get(p.sha256);
      expect(body).toBeDefined();
      expect(createHash('sha256').update(body!).digest('hex')).toBe(p.sha256);
      expect(body!.length).toBe(p.size);
    }
    // A second run asks only for the overlap and stores nothing twice
    const again = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '1h', '--tenant', fake.tenant, '--signin-types', 'all', '--graph-rate', '100/1s'], { env });
    expect(again.code).toBe(0);
    expect(again.json<Summary>()[0]!.events).toBe(0);
  });

  it('defaults to interactive sign-ins (Graph v1.0 only) and notes a tenant without Entra ID P2 (exit 0)', async () => {
    fake.noP2 = true;
    try {
      const before = fake.seen.length;
      const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '1h', '--tenant', fake.tenant, '--graph-rate', '100/1s'], { env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const s = r.json<Summary>()[0]!;
      expect(s.per_scope.map((p) => [p.api, p.status, p.events])).toEqual([
        ['graph:auditLogs/signIns', 'ok', 4],
        ['graph:auditLogs/directoryAudits', 'ok', 1],
        ['graph:identityProtection/riskDetections', 'absent', 0],
      ]);
      expect(s.notes.join('\n')).toMatch(/risk detections of tenant .* not collected: the tenant is not licensed for it \(Microsoft Entra ID P2/);
      expect(fake.seen.slice(before).some((x) => x.path.startsWith('/beta/'))).toBe(false);
    } finally {
      fake.noP2 = false;
    }
  });

  it('--no-risk-detections skips them; an unknown --signin-types value is a usage error', async () => {
    const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '1h', '--tenant', fake.tenant, '--no-risk-detections', '--graph-rate', '100/1s'], { env });
    expect(r.code).toBe(0);
    expect(r.json<Summary>()[0]!.per_scope.map((p) => p.api)).toEqual(['graph:auditLogs/signIns', 'graph:auditLogs/directoryAudits']);
    const bad = await runIrctl(['--case', dir, 'collect', 'azure', '--since', '1h', '--tenant', fake.tenant, '--signin-types', 'interactive,robots'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown sign-in type "robots"/);
    expect(bad.stderr).toMatch(/noninteractive, serviceprincipal, managedidentity/);
  });
});
