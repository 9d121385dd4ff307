import { describe, expect, it } from 'vitest';
import { orderSteps } from '../plan.js';
import type { ThreatEvent } from '../types.js';
import { planGcp, QUARANTINE_TAG } from './plan.js';

let n = 0;
function ev(protoPayload: Record<string, unknown>): ThreatEvent {
  n++;
  return { id: `ev-${n}`, time: '2026-11-01T00:00:00.000Z', provider: 'gcp', data_type: 'gcp:audit:entry', action: 'x', service: null, outcome: 'success', actor: null, actor_type: null, access_key: null, session: null, account: 'p', region: null, resources: [], raw: JSON.stringify({ protoPayload: { status: {}, ...protoPayload } }) };
}

describe('planGcp', () => {
  it('snapshots an instance the threat changed before the deny-all tag, and plans bucket and service-account policy changes', () => {
    const plan = planGcp({
      threat_id: 'T-2',
      case_id: 'a'.repeat(64),
      entities: [],
      events: [
        ev({ methodName: 'v1.compute.instances.setMetadata', serviceName: 'compute.googleapis.com', resourceName: 'projects/acme-prod/zones/europe-west1-b/instances/web-1', authenticationInfo: { principalEmail: 'eve@acme.example' } }),
        ev({ methodName: 'v1.compute.instances.delete', serviceName: 'compute.googleapis.com', resourceName: 'projects/acme-prod/zones/europe-west1-b/instances/gone-1' }),
        ev({ methodName: 'storage.setIamPermissions', serviceName: 'storage.googleapis.com', resourceName: 'projects/_/buckets/acme-data', serviceData: { policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/storage.objectViewer', member: 'allUsers' }, { action: 'REMOVE', role: 'roles/storage.admin', member: 'user:a@acme.example' }] } } }),
        ev({ methodName: 'google.iam.admin.v1.SetIAMPolicy', serviceName: 'iam.googleapis.com', resourceName: 'projects/-/serviceAccounts/app@acme-prod.iam.gserviceaccount.com', serviceData: { policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/iam.serviceAccountTokenCreator', member: 'user:eve@evil.example' }] } } }),
        // A failed call changes nothing.
        ev({ methodName: 'SetIamPolicy', serviceName: 'cloudresourcemanager.googleapis.com', resourceName: 'projects/acme-prod', status: { code: 7 }, serviceData: { policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/owner', member: 'user:eve@evil.example' }] } } }),
      ],
    });
    const ordered = orderSteps(plan.steps);
    expect(ordered.map((s) => `${s.kind} ${s.target}`)).toEqual([
      'snapshot-disks projects/acme-prod/zones/europe-west1-b/instances/web-1',
      'isolate-instance projects/acme-prod/zones/europe-west1-b/instances/web-1',
      'remove-iam-binding projects/-/serviceAccounts/app@acme-prod.iam.gserviceaccount.com roles/iam.serviceAccountTokenCreator user:eve@evil.example',
      'remove-iam-binding projects/_/buckets/acme-data roles/storage.objectViewer allUsers',
    ]);
    const [snap, iso, sa, bucket] = ordered as [(typeof ordered)[0], (typeof ordered)[0], (typeof ordered)[0], (typeof ordered)[0]];
    expect(snap.phase).toBe('preserve');
    const labels = (snap.calls[1]!.params.body as { labels: Record<string, string> }).labels;
    expect(labels['irctl-threat']).toBe('t-2');
    expect(labels['irctl-case']!.length).toBe(63);
    expect(iso.calls.map((c) => c.api)).toEqual(['compute:instances.get', 'compute:firewalls.get', 'compute:firewalls.insert', 'compute:firewalls.insert', 'compute:instances.setTags']);
    expect(iso.calls[2]!.params.body).toMatchObject({ direction: 'INGRESS', priority: 0, denied: [{ IPProtocol: 'all' }], targetTags: [QUARANTINE_TAG] });
    expect(iso.calls[3]!.params.body).toMatchObject({ direction: 'EGRESS', destinationRanges: ['0.0.0.0/0', '::/0'] });
    expect(sa.calls[0]!.params).toEqual({ method: 'POST', url: 'https://iam.googleapis.com/v1/projects/-/serviceAccounts/app@acme-prod.iam.gserviceaccount.com:getIamPolicy', body: { options: { requestedPolicyVersion: 3 } } });
    expect(bucket.calls[0]!.params).toEqual({ method: 'GET', url: 'https://storage.googleapis.com/storage/v1/b/acme-data/iam?optionsRequestedPolicyVersion=3' });
    expect(bucket.calls[1]!.params).toMatchObject({ method: 'PUT', url: 'https://storage.googleapis.com/storage/v1/b/acme-data/iam' });
    expect(plan.notes.join('\n')).toContain('eve@acme.example');
  });
});
