import { describe, expect, it } from 'vitest';
import { orderSteps } from '../plan.js';
import type { ThreatEvent } from '../types.js';
import { planAzure } from './plan.js';

const SUB = '11111111-2222-4333-8444-555555555555';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-02`;
const SP = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
let n = 0;
function ev(record: Record<string, unknown>): ThreatEvent {
  n++;
  return { id: `ev-${n}`, time: '2026-11-01T00:00:00.000Z', provider: 'azure', data_type: 'azure:activity:entry', action: 'x', service: null, outcome: 'success', actor: null, actor_type: null, access_key: null, session: null, account: SUB, region: null, resources: [], raw: JSON.stringify(record) };
}
const spClaims = { appid: '7a1f3c5e-2b4d-4e6f-8a9b-0c1d2e3f4a5b', idtyp: 'app', 'http://schemas.microsoft.com/identity/claims/objectidentifier': SP };

describe('planAzure', () => {
  it('snapshots the disks of a VM the threat ran code on before isolating its NICs, and disables the acting service principal', () => {
    // GIVEN a service principal that ran a command on a VM and only read another one
    const plan = planAzure({
      threat_id: 'T-9',
      case_id: 'c'.repeat(64),
      entities: [],
      events: [
        ev({ operationName: { value: 'Microsoft.Compute/virtualMachines/runCommand/action' }, status: { value: 'Succeeded' }, resourceId: VM, caller: SP, claims: spClaims }),
        ev({ operationName: { value: 'Microsoft.Compute/virtualMachines/read' }, status: { value: 'Succeeded' }, resourceId: VM.replace('web-02', 'db-01'), caller: SP, claims: spClaims }),
        // A failed write changes nothing: no target.
        ev({ operationName: { value: 'Microsoft.Compute/virtualMachines/write' }, status: { value: 'Failed' }, resourceId: VM.replace('web-02', 'web-03'), caller: SP, claims: spClaims }),
      ],
    });
    const ordered = orderSteps(plan.steps);
    // THEN the VM it changed is preserved first, then isolated; the VM it only read is left alone
    expect(ordered.map((s) => `${s.kind} ${s.target}`)).toEqual([`snapshot-disks ${VM}`, `isolate-nic ${VM}`, `disable-service-principal ${SP}`]);
    const snap = ordered[0]!;
    expect(snap.phase).toBe('preserve');
    expect(snap.calls[1]!.params).toMatchObject({ endpoint: 'arm', method: 'PUT', body: { properties: { creationData: { createOption: 'Copy' }, incremental: true }, tags: { 'irctl:threat': 'T-9', 'irctl:vm': VM } } });
    const iso = ordered[1]!;
    expect(JSON.stringify(iso.calls[0]!.params)).toContain('"access":"Deny"');
    expect(iso.reversible).toBe(true);
    expect(ordered[2]!.calls[1]).toEqual({ api: 'graph:servicePrincipals.update', params: { endpoint: 'graph', method: 'PATCH', path: `/v1.0/servicePrincipals/${SP}`, body: { accountEnabled: false } } });
  });

  it('takes a full key id from the audit and ignores identifiers of the wrong shape', () => {
    const plan = planAzure({
      threat_id: 'T-1',
      case_id: 'c',
      entities: [],
      events: [
        ev({
          activityDisplayName: 'Update application – Certificates and secrets management',
          activityDateTime: '2026-11-01T00:00:00Z',
          result: 'success',
          initiatedBy: { user: { id: 'not-a-guid', userPrincipalName: 'x@y.example' } },
          targetResources: [
            {
              id: 'b1c7df56-83d0-4c4a-8223-2f9d9bd05353',
              type: 'Application',
              displayName: 'payroll-sync',
              modifiedProperties: [{ displayName: 'KeyDescription', oldValue: '[]', newValue: '["[KeyIdentifier=0f0e0d0c-0b0a-4909-8807-060504030201,KeyType=Password,KeyUsage=Verify,DisplayName=x]"]' }],
            },
          ],
        }),
      ],
    });
    expect(plan.steps.map((s) => s.kind)).toEqual(['remove-app-password']);
    expect(plan.steps[0]!.calls[1]!.params).toEqual({ endpoint: 'graph', method: 'POST', path: '/v1.0/applications/b1c7df56-83d0-4c4a-8223-2f9d9bd05353/removePassword', body: { keyId: '0f0e0d0c-0b0a-4909-8807-060504030201' } });
  });
});
