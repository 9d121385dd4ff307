/**
 * `irctl contain --execute / --status / --rollback` for an Azure / Entra ID threat (issue 17), through the real
 * @azure/identity credential and @azure/core-rest-pipeline against an https fake of Graph and ARM
 * (test/fakes/azure-cloud.ts + azure-contain.ts): the exact requests are checked, the state is read back from the
 * fake (never from irctl's records), rollback restores it, snapshots are polled to completion before the NIC is
 * isolated, a 403 fails its step (the rest runs, exit 6), a resource already gone is skipped with the reason, and a
 * token that expires mid-run stops the run (exit 4) with what ran recorded.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAzure } from '../fakes/azure-cloud.js';
import { FakeAzureContain } from '../fakes/azure-contain.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';
import { investigatedThreat } from '../helpers/contain-case.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INC = join(ROOT, 'fixtures/azure-incident');
const ALICE = 'a11ce000-0000-4000-8000-00000000a11c';
const OTHER_ADMIN = 'b0b00000-0000-4000-8000-00000000b0b0';
const SUB = '3d9a2e51-0c47-4b8e-9f16-7a2b5c8d4e01';
const ASSIGNMENT = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/1af96ef6-22a5-4fab-81b0-5f6cb30a2163`;
const OWNER = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635`;
const APP = 'b1c7df56-83d0-4c4a-8223-2f9d9bd05353';
const GA = '62e90394-69f5-4237-9190-012177145e10';
const RG = `/subscriptions/${SUB}/resourceGroups/web-prod`;
const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/web-01`;
const DISK_OS = `${RG}/providers/Microsoft.Compute/disks/web-01-os`;
const DISK_DATA = `${RG}/providers/Microsoft.Compute/disks/web-01-data`;
const NIC = `${RG}/providers/Microsoft.Network/networkInterfaces/web-01-nic`;
const WEB_NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/web-nsg`;
const ISO_NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/irctl-isolation-westeurope`;

interface Step {
  id: string;
  kind: string;
  target: string;
  status: string;
  reason: string | null;
  request_ids: string[];
}
interface Run {
  steps: Step[];
  fatal: { message: string } | null;
}

/** The tenant and subscription as they stand after the intrusion. */
function seed(t: FakeAzureContain): void {
  t.users.set(ALICE, { id: ALICE, userPrincipalName: 'alice@fabrikam.example', accountEnabled: true, signInSessionsValidFromDateTime: '2024-01-01T00:00:00Z' });
  t.applications.set(APP, {
    id: APP,
    appId: 'c0ffee00-0000-4000-8000-00000000c0ff',
    displayName: 'payroll-sync',
    passwordCredentials: [
      { keyId: '4f1d2c3b-aaaa-4bbb-8ccc-000000000001', displayName: 'backup', hint: 'Xy~', startDateTime: '2024-05-04T10:20:00Z', endDateTime: '2026-05-04T10:20:00Z', secretText: null },
      { keyId: '9e8d7c6b-aaaa-4bbb-8ccc-000000000002', displayName: 'prod', hint: 'Ab~', startDateTime: '2023-01-01T00:00:00Z', endDateTime: '2025-01-01T00:00:00Z', secretText: null },
    ],
  });
  t.directoryRoles.set(GA, [OTHER_ADMIN, ALICE]);
  t.put(ASSIGNMENT, { name: '1af96ef6-22a5-4fab-81b0-5f6cb30a2163', type: 'Microsoft.Authorization/roleAssignments', properties: { roleDefinitionId: OWNER, principalId: ALICE, principalType: 'User', scope: `/subscriptions/${SUB}` } });
  t.put(VM, {
    name: 'web-01',
    location: 'westeurope',
    properties: {
      storageProfile: { osDisk: { name: 'web-01-os', managedDisk: { id: DISK_OS } }, dataDisks: [{ lun: 0, name: 'web-01-data', managedDisk: { id: DISK_DATA } }] },
      networkProfile: { networkInterfaces: [{ id: NIC }] },
    },
  });
  t.put(DISK_OS, { name: 'web-01-os', location: 'westeurope', properties: {} });
  t.put(DISK_DATA, { name: 'web-01-data', location: 'westeurope', properties: {} });
  t.put(WEB_NSG, { name: 'web-nsg', location: 'westeurope', properties: { securityRules: [{ name: 'https-in', properties: { priority: 200, access: 'Allow', direction: 'Inbound' } }] } });
  t.put(NIC, { name: 'web-01-nic', location: 'westeurope', properties: { provisioningState: 'Succeeded', macAddress: '00-0D-3A-00-00-01', networkSecurityGroup: { id: WEB_NSG }, ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAddress: '10.0.0.4' } }] } });
}

describe('irctl contain --execute: Azure', () => {
  const tmp = tempDir('irctl-contain-azx-');
  const kase = join(tmp.dir, 'case');
  const fake = new FakeAzure({ graphLimit: 10_000 });
  const tenant = new FakeAzureContain();
  let env: NodeJS.ProcessEnv;
  let threat = '';
  const run = (args: string[]) => runIrctl(['--case', kase, ...args], { env });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const base = await fake.start();
    tenant.attach(fake, base);
    env = { ...fake.env(), METADATA_SERVER_DETECTION: 'none', AZURE_POD_IDENTITY_AUTHORITY_HOST: fake.imdsUrl };
    seed(tenant);
    // GIVEN the intrusion of fixtures/azure-incident, plus alice running a command on web-01 (a rule of this test
    // brings it into her threat), detected and investigated offline.
    const act = JSON.parse(readFileSync(join(INC, 'activity-log.arm.json'), 'utf8')) as { value: Array<Record<string, unknown>> };
    const ra = act.value.find((e) => (e.operationName as { value: string }).value === 'Microsoft.Authorization/roleAssignments/write' && (e.status as { value: string }).value === 'Succeeded')!;
    const op = 'Microsoft.Compute/virtualMachines/runCommand/action';
    const runCmd = { ...ra, operationName: { value: op, localizedValue: op }, authorization: { action: op, scope: VM }, resourceId: VM, eventDataId: '5c0c0c0c-1111-4222-8333-444455556666', id: `${VM}/events/5c0c0c0c/ticks/1`, eventTimestamp: '2024-05-04T10:32:00.0000000Z', properties: { statusCode: 'OK' } };
    writeFileSync(join(tmp.dir, 'runcommand.arm.json'), JSON.stringify({ value: [runCmd] }));
    mkdirSync(join(tmp.dir, 'rules'));
    writeFileSync(
      join(tmp.dir, 'rules', 'vm-run-command.yml'),
      'title: test VM run command\nid: test-azure-vm-run-command\nstatus: test\nlogsource:\n  product: azure\n  service: activitylogs\ndetection:\n  selection:\n    operationName: microsoft.compute/virtualmachines/runcommand/action\n  condition: selection\nlevel: high\ntags:\n  - attack.execution\n',
    );
    const inputs = [join(INC, 'activity-log.arm.json'), join(INC, 'signins.graph.json'), join(INC, 'audits.graph.json'), join(tmp.dir, 'runcommand.arm.json')];
    threat = await investigatedThreat(run, inputs, 'alice@fabrikam.example', ['--rules', join(tmp.dir, 'rules')]);
    const plan = (await run(['--json', 'contain', threat])).json<{ steps: Step[]; notes: string[] }>()[0]!;
    for (const s of plan.steps) ids[s.kind] = s.id;
    expect(Object.keys(ids).sort()).toEqual(['delete-role-assignment', 'disable-user', 'isolate-nic', 'remove-app-password', 'remove-directory-role-member', 'revoke-user-sessions', 'snapshot-disks']);
    expect(plan.notes.join('\n')).toContain('irreversible: --rollback cannot undo revoke-user-sessions');
  }, 120_000);
  afterAll(async () => {
    await fake.close();
    tmp.cleanup();
  });

  it('executes every step with the exact Graph and ARM requests; the fake shows the containment in place', async () => {
    // WHEN
    const x = await run(['--json', 'contain', threat, '--execute', '--approve', 'all']);
    // THEN
    expect(x.code, x.stderr).toBe(0);
    const out = x.json<Run>()[0]!;
    expect(out.steps.map((s) => [s.kind, s.status])).toEqual(expect.arrayContaining([['snapshot-disks', 'done'], ['isolate-nic', 'done'], ['disable-user', 'done']]));
    expect(out.steps.every((s) => s.status === 'done')).toBe(true);
    expect(out.steps.find((s) => s.kind === 'disable-user')!.request_ids.length).toBeGreaterThan(0);
    const lines = tenant.lines();
    const body = (line: string) => tenant.log.find((l) => `${l.method} ${l.path}` === line)?.body;
    // Entra ID
    expect(lines).toContain(`POST /v1.0/users/${ALICE}/revokeSignInSessions`);
    expect(body(`PATCH /v1.0/users/${ALICE}`)).toEqual({ accountEnabled: false });
    expect(lines.indexOf(`GET /v1.0/users/${ALICE}?$select=id,userPrincipalName,accountEnabled,signInSessionsValidFromDateTime`)).toBeLessThan(lines.indexOf(`PATCH /v1.0/users/${ALICE}`));
    // The audit showed only "4f1d…": the one secret whose key id starts with it is removed, the other stays.
    expect(body(`POST /v1.0/applications/${APP}/removePassword`)).toEqual({ keyId: '4f1d2c3b-aaaa-4bbb-8ccc-000000000001' });
    expect(lines).toContain(`DELETE /v1.0/directoryRoles(roleTemplateId='${GA}')/members/${ALICE}/$ref`);
    expect(lines).toContain(`DELETE ${ASSIGNMENT}?api-version=2022-04-01`);
    // Snapshots: PUT per managed disk (incremental copies, tagged), polled to Succeeded before the NIC changes.
    const snapOs = `${RG}/providers/Microsoft.Compute/snapshots/irctl-${threat.toLowerCase()}-web-01-os?api-version=2024-03-01`;
    expect(body(`PUT ${snapOs}`)).toMatchObject({ location: 'westeurope', properties: { creationData: { createOption: 'Copy', sourceResourceId: DISK_OS }, incremental: true }, tags: { 'irctl:threat': threat, 'irctl:vm': VM } });
    const polls = lines.filter((l) => /\/providers\/Microsoft\.Compute\/locations\/westeurope\/operations\//.test(l));
    expect(polls.length).toBeGreaterThanOrEqual(4); // InProgress then Succeeded, for each of the two disks
    const nicPut = lines.indexOf(`PUT ${NIC}?api-version=2023-11-01`);
    expect(nicPut).toBeGreaterThan(lines.lastIndexOf(polls.at(-1)!));
    expect(body(`PUT ${ISO_NSG}?api-version=2023-11-01`)).toMatchObject({
      location: 'westeurope',
      properties: { securityRules: [{ name: 'irctl-deny-all-inbound', properties: { priority: 100, direction: 'Inbound', access: 'Deny', protocol: '*' } }, { name: 'irctl-deny-all-outbound', properties: { priority: 100, direction: 'Outbound', access: 'Deny' } }] },
    });
    const nicBody = body(`PUT ${NIC}?api-version=2023-11-01`) as { properties: Record<string, unknown> };
    expect(nicBody.properties.networkSecurityGroup).toEqual({ id: ISO_NSG });
    expect(nicBody.properties.ipConfigurations).toEqual([{ name: 'ipconfig1', properties: { privateIPAddress: '10.0.0.4' } }]);
    expect(nicBody.properties.provisioningState).toBeUndefined();
    // State read back from the fake.
    expect(tenant.users.get(ALICE)!.accountEnabled).toBe(false);
    expect(tenant.users.get(ALICE)!.signInSessionsValidFromDateTime).not.toBe('2024-01-01T00:00:00Z');
    expect(tenant.applications.get(APP)!.passwordCredentials.map((k) => k.displayName)).toEqual(['prod']);
    expect(tenant.directoryRoles.get(GA)).toEqual([OTHER_ADMIN]);
    expect(tenant.get(ASSIGNMENT)).toBeUndefined();
    expect((tenant.get(snapOs.replace(/\?.*$/, ''))!.properties as Record<string, unknown>).provisioningState).toBe('Succeeded');
    expect(tenant.get(snapOs.replace(/\?.*$/, '').replace('-os', '-data'))).toBeDefined();
    expect((tenant.get(NIC)!.properties as { networkSecurityGroup: unknown }).networkSecurityGroup).toEqual({ id: ISO_NSG });
    // --status re-reads the fake.
    const st = await run(['--json', 'contain', threat, '--status']);
    expect(st.code, st.stderr).toBe(0);
    const rows = st.json<{ steps: Array<{ kind: string; in_place: boolean | null }> }>()[0]!.steps;
    expect(Object.fromEntries(rows.map((r) => [r.kind, r.in_place]))).toEqual({
      'snapshot-disks': null,
      'isolate-nic': true,
      'revoke-user-sessions': true,
      'disable-user': true,
      'remove-app-password': true,
      'delete-role-assignment': true,
      'remove-directory-role-member': true,
    });
  });

  it('--rollback restores the recorded before-state (account, role assignment, role member, NIC security group)', async () => {
    const before = tenant.log.length;
    const r = await run(['--json', 'contain', threat, '--rollback']);
    expect(r.code, r.stdout).toBe(0);
    const out = r.json<Run>()[0]!;
    expect(out.steps.map((s) => s.kind).sort()).toEqual(['delete-role-assignment', 'disable-user', 'isolate-nic', 'remove-directory-role-member']);
    expect(out.steps.every((s) => s.status === 'rolled_back')).toBe(true);
    expect(tenant.users.get(ALICE)!.accountEnabled).toBe(true);
    expect(tenant.get(ASSIGNMENT)!.properties).toMatchObject({ roleDefinitionId: OWNER, principalId: ALICE, principalType: 'User' });
    expect(tenant.directoryRoles.get(GA)).toEqual([OTHER_ADMIN, ALICE]);
    expect((tenant.get(NIC)!.properties as { networkSecurityGroup: unknown }).networkSecurityGroup).toEqual({ id: WEB_NSG });
    const after = tenant.log.slice(before);
    expect(after.find((l) => l.method === 'PUT' && l.path.startsWith(ASSIGNMENT))?.body).toEqual({ properties: { roleDefinitionId: OWNER, principalId: ALICE, principalType: 'User' } });
    expect(after.find((l) => l.method === 'POST' && l.path.endsWith('/members/$ref'))?.body).toEqual({ '@odata.id': `${env.IRCTL_AZURE_GRAPH_ENDPOINT ?? ''}/v1.0/directoryObjects/${ALICE}` });
    // Irreversible steps were not attempted: nothing re-adds a secret or un-revokes sessions.
    expect(after.some((l) => /addPassword|revokeSignInSessions/.test(l.path))).toBe(false);
  });

  it('a 403 fails its step and the rest runs (exit 6); a resource already gone is skipped with the reason', async () => {
    tenant.deny.push(/^PATCH \/v1\.0\/users\//);
    tenant.arm.delete(ASSIGNMENT.toLowerCase());
    try {
      const r = await run(['--json', 'contain', threat, '--execute', '--approve', `${ids['disable-user']!},${ids['delete-role-assignment']!},${ids['remove-directory-role-member']!}`]);
      expect(r.code, r.stderr).toBe(6);
      const by = Object.fromEntries(r.json<Run>()[0]!.steps.map((s) => [s.kind, s]));
      expect(by['disable-user']!.status).toBe('failed');
      expect(by['disable-user']!.reason).toMatch(/access denied .*403 Authorization_RequestDenied/);
      expect(by['delete-role-assignment']!.status).toBe('skipped');
      expect(by['delete-role-assignment']!.reason).toMatch(/no longer exists/);
      expect(by['remove-directory-role-member']!.status).toBe('done');
      expect(tenant.users.get(ALICE)!.accountEnabled).toBe(true);
      expect(tenant.directoryRoles.get(GA)).toEqual([OTHER_ADMIN]);
    } finally {
      tenant.deny.length = 0;
    }
  });

  it('a token that expires mid-run stops it: exit 4, what ran is recorded, the rest is not attempted', async () => {
    tenant.expireAfter(2); // GET then PATCH of disable-user; the next step's first call is refused
    try {
      const r = await run(['--json', 'contain', threat, '--execute', '--approve', `${ids['disable-user']!},${ids['remove-directory-role-member']!}`]);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/did not accept the credentials|expired/);
      const steps = r.json<Run>()[0]!.steps;
      const by = Object.fromEntries(steps.map((s) => [s.kind, s]));
      expect(by['disable-user']!.status).toBe('failed'); // its read-back after the PATCH was refused
      expect(tenant.users.get(ALICE)!.accountEnabled).toBe(false);
      const plan = (await run(['--json', 'contain', threat])).json<{ steps: Step[] }>()[0]!;
      expect(plan.steps.find((s) => s.kind === 'disable-user')!.status).toBe('failed');
    } finally {
      tenant.expireAfter(Number.POSITIVE_INFINITY);
    }
    const v = await run(['case', 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
