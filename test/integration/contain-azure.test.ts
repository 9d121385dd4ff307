/**
 * `irctl contain` for an Azure / Entra ID threat (issue 17): the synthetic intrusion of fixtures/azure-incident is
 * detected and investigated offline (malicious), then the plan names the exact Graph and ARM requests for the
 * threat's own user, the app secret and the role assignments it added; the password-spray victims (failed sign-ins
 * only) get no step. Execution against a fake of Graph and ARM: contain-azure-execute.test.ts.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';
import { investigatedThreat } from '../helpers/contain-case.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INC = join(ROOT, 'fixtures/azure-incident');
const ALICE = 'a11ce000-0000-4000-8000-00000000a11c';
const SUB = '3d9a2e51-0c47-4b8e-9f16-7a2b5c8d4e01';
const ASSIGNMENT = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/1af96ef6-22a5-4fab-81b0-5f6cb30a2163`;

interface Call {
  api: string;
  params: { endpoint: string; method: string; path: string; body?: unknown };
}
interface Step {
  id: string;
  kind: string;
  provider: string;
  target: string;
  phase: string;
  calls: Call[];
  reversible: boolean;
  rollback: { calls: Call[]; note: string } | null;
  evidence_ids: string[];
  status: string;
  reason?: string | null;
}

describe('irctl contain: Azure', () => {
  const tmp = tempDir('irctl-contain-azure-');
  const kase = join(tmp.dir, 'case');
  let threat = '';
  const run = (args: string[]) => runIrctl(['--case', kase, ...args]);

  beforeAll(async () => {
    threat = await investigatedThreat(run, [join(INC, 'activity-log.arm.json'), join(INC, 'signins.graph.json'), join(INC, 'audits.graph.json')], 'alice@fabrikam.example');
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('plans the exact Graph and ARM requests for what the threat used and added', async () => {
    const r = await run(['--json', 'contain', threat]);
    expect(r.code, r.stderr).toBe(0);
    const plan = r.json<{ verdict: string; steps: Step[]; notes: string[] }>()[0]!;
    expect(plan.verdict).toBe('malicious');
    expect(plan.steps.every((s) => s.provider === 'azure' && s.status === 'planned')).toBe(true);
    const by = (kind: string) => plan.steps.filter((s) => s.kind === kind);
    // The threat's user: sessions revoked, sign-in blocked (reversible). The spray's victims (failures only): nothing.
    expect(by('revoke-user-sessions').map((s) => s.target)).toEqual([ALICE]);
    expect(by('revoke-user-sessions')[0]!.calls.at(-1)).toEqual({ api: 'graph:users.revokeSignInSessions', params: { endpoint: 'graph', method: 'POST', path: `/v1.0/users/${ALICE}/revokeSignInSessions` } });
    expect(by('revoke-user-sessions')[0]!.reversible).toBe(false);
    const disable = by('disable-user');
    expect(disable.map((s) => s.target)).toEqual([ALICE]);
    expect(disable[0]!.calls[1]).toEqual({ api: 'graph:users.update', params: { endpoint: 'graph', method: 'PATCH', path: `/v1.0/users/${ALICE}`, body: { accountEnabled: false } } });
    expect(disable[0]!.reversible).toBe(true);
    expect(disable[0]!.rollback!.calls).toEqual([{ api: 'graph:users.update', params: { endpoint: 'graph', method: 'PATCH', path: `/v1.0/users/${ALICE}`, body: { accountEnabled: true } } }]);
    // The secret alice added to payroll-sync: the audit shows only a key id prefix, read from the application at execution.
    const secret = by('remove-app-password');
    expect(secret.map((s) => s.target)).toEqual(['b1c7df56-83d0-4c4a-8223-2f9d9bd05353/passwordCredentials/4f1d']);
    expect(secret[0]!.calls[1]!.params).toMatchObject({ endpoint: 'graph', method: 'POST', path: '/v1.0/applications/b1c7df56-83d0-4c4a-8223-2f9d9bd05353/removePassword' });
    expect(JSON.stringify(secret[0]!.calls[1]!.params.body)).toContain('keyId starting 4f1d');
    expect(secret[0]!.reversible).toBe(false);
    expect(secret[0]!.evidence_ids).toEqual(['Directory_645b8cb8-e1da-4118-8ba2-6698fc817594']);
    // The Owner assignment on the subscription: deleted, re-created from the recorded before-state on rollback.
    const ra = by('delete-role-assignment');
    expect(ra.map((s) => s.target)).toEqual([ASSIGNMENT]);
    expect(ra[0]!.calls.map((c) => `${c.params.method} ${c.params.path}`)).toEqual([`GET ${ASSIGNMENT}?api-version=2022-04-01`, `DELETE ${ASSIGNMENT}?api-version=2022-04-01`]);
    expect(ra[0]!.rollback!.calls[0]!.params).toMatchObject({ method: 'PUT', path: `${ASSIGNMENT}?api-version=2022-04-01` });
    // Global Administrator: the directory role membership the threat added.
    const dr = by('remove-directory-role-member');
    expect(dr.map((s) => s.target)).toEqual([`62e90394-69f5-4237-9190-012177145e10/members/${ALICE}`]);
    expect(dr[0]!.calls[1]!.params).toEqual({ endpoint: 'graph', method: 'DELETE', path: `/v1.0/directoryRoles(roleTemplateId='62e90394-69f5-4237-9190-012177145e10')/members/${ALICE}/$ref` });
    // No VM was changed by the threat (it only read web-01): no isolation.
    expect(by('isolate-nic')).toEqual([]);
    expect(plan.notes.join('\n')).toContain('diagnosticSettings/send-to-soc: re-create it by hand');
    expect(plan.notes.join('\n')).toContain('irreversible: --rollback cannot undo revoke-user-sessions');
    expect(plan.notes.join('\n')).not.toContain('no containment steps for provider azure');
  });

  it('--execute without Azure credentials stops at the first Azure step: exit 4, nothing changed, the rest not attempted', async () => {
    const x = await runIrctl(['--case', kase, '--json', 'contain', threat, '--execute', '--approve', 'all'], { env: { IRCTL_RETRY_BASE_MS: '5', METADATA_SERVER_DETECTION: 'none', IRCTL_AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9', AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000000', AZURE_CLIENT_ID: '00000000-0000-4000-8000-000000000001', AZURE_CLIENT_SECRET: 'x' } });
    expect(x.code, x.stderr).toBe(4);
    const out = x.json<{ steps: Step[] }>()[0]!;
    expect(out.steps[0]!.status).toBe('failed');
    expect(out.steps.slice(1).every((s) => s.status === 'planned' && (s.reason ?? '').includes('not attempted'))).toBe(true);
  }, 60_000);
});
