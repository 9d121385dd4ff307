import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pseudonymizer } from '../../investigate/pseudonymize.js';
import { adapterFor } from '../index.js';
import { normalizeAuditEntry } from './audit-log.js';
import { pubsubPushEnvelope } from './containers.js';
import { gcpProvider } from './index.js';
import { gcpAdminGrants, gcpJewelForms, gcpRolesAssumed, isGcpServiceValue } from './knowledge.js';

const FIX = resolve(import.meta.dirname, '../../../fixtures/gcp-audit');
const SHA = 'e'.repeat(64);

function lines(name: string): unknown[] {
  return readFileSync(join(FIX, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** A minimal Admin Activity entry. */
function entry(pp: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    insertId: 'abc123',
    logName: 'projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity',
    protoPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', serviceName: 'iam.googleapis.com', methodName: 'google.iam.admin.v1.CreateServiceAccount', ...pp },
    resource: { type: 'service_account', labels: { project_id: 'acme-prod' } },
    timestamp: '2026-03-09T09:12:03.884120123Z',
    ...over,
  };
}

const ok = (r: ReturnType<typeof normalizeAuditEntry>): Extract<ReturnType<typeof normalizeAuditEntry>, { ok: true }>['event'] => {
  if (!r.ok) throw new Error(r.reason);
  return r.event;
};

describe('Cloud Audit Logs entries', () => {
  it('normalizes every entry of the public samples (dftimewolf export, Panther tests)', () => {
    // GIVEN 98 entries of a real project export and 168 Panther test logs
    const dft = lines('dftimewolf-project-logs.jsonl').map((r) => normalizeAuditEntry(r, SHA));
    const panther = lines('panther-tests.jsonl');
    const pn = panther.map((r) => normalizeAuditEntry(r, SHA));
    // THEN every entry of the export is an event; Google's maintenance entries are Google-managed
    expect(dft.filter((r) => r.ok)).toHaveLength(98);
    expect(dft.map(ok).filter((e) => e.actor.principal === 'system@google.com').every((e) => e.actor.type === 'GoogleManaged')).toBe(true);
    // AND 115 Panther logs are events; the other 53 are trimmed test logs (no logName and no AuditLog @type, keys
    // lower-cased, or no methodName), which are not recognisable as audit entries and go to quarantine with the reason
    expect(panther).toHaveLength(168);
    expect(pn.filter((r) => r.ok)).toHaveLength(115);
    expect(pn.filter((r) => !r.ok).every((r) => !r.ok && /not a Cloud Audit Logs entry|no protoPayload.methodName/.test(r.reason))).toBe(true);
    // AND Panther's `callerIP` spelling is read
    expect(pn.filter((r) => r.ok).map(ok).some((e) => e.srcIp === '1.2.3.4')).toBe(true);
  });

  it('maps one entry field by field', () => {
    const e = ok(
      normalizeAuditEntry(
        entry({
          authenticationInfo: {
            principalEmail: 'terraform-admin@acme-prod.iam.gserviceaccount.com',
            serviceAccountKeyName: '//iam.googleapis.com/projects/acme-prod/serviceAccounts/terraform-admin@acme-prod.iam.gserviceaccount.com/keys/8d1f',
            serviceAccountDelegationInfo: [{ firstPartyPrincipal: { principalEmail: 'Alice@acme.example' } }, { firstPartyPrincipal: { principalEmail: 'service-412345678901@gcp-sa-cloudbuild.iam.gserviceaccount.com' } }],
          },
          requestMetadata: { callerIp: '198.51.100.77', callerSuppliedUserAgent: 'python-requests/2.31' },
          resourceName: 'projects/acme-prod',
          status: { code: 7, message: 'denied' },
        }),
        SHA,
      ),
    );
    const { id, ...rest } = e;
    expect(id).toMatch(/^gcp:[0-9a-f]{32}$/);
    expect(rest).toEqual({
      dataType: 'gcp:audit:entry',
      class: 'account_change',
      time: '2026-03-09T09:12:03.884Z',
      timeMs: Date.parse('2026-03-09T09:12:03.884Z'),
      provider: 'gcp',
      layer: 'control_plane',
      account: 'acme-prod',
      region: undefined,
      service: 'iam',
      action: 'google.iam.admin.v1.CreateServiceAccount',
      actor: { principal: 'terraform-admin@acme-prod.iam.gserviceaccount.com', type: 'ServiceAccount', name: 'terraform-admin', principalId: undefined, accessKey: '8d1f' },
      srcIp: '198.51.100.77',
      srcHost: undefined,
      userAgent: 'python-requests/2.31',
      outcome: 'failure',
      errorCode: 'PERMISSION_DENIED',
      readOnly: false,
      resources: ['projects/acme-prod'],
      // The human behind the service account links; Google's service agent in the chain does not.
      related: [{ kind: 'principal', value: 'alice@acme.example' }],
    });
  });

  it('takes the federated subject when there is no e-mail; Policy Denied entries are failures', () => {
    const subject = 'principal://iam.googleapis.com/locations/global/workforcePools/corp/subject/alice';
    const e = ok(normalizeAuditEntry(entry({ authenticationInfo: { principalSubject: subject } }, { logName: 'projects/acme-prod/logs/cloudaudit.googleapis.com%2Fpolicy' }), SHA));
    expect(e.actor).toMatchObject({ principal: subject, type: 'FederatedPrincipal', name: 'alice' });
    expect(e.outcome).toBe('failure');
    expect(e.errorCode).toBe('POLICY_DENIED');
  });

  it('identity: insertId + log name + timestamp; the log id encoded or not is one log', () => {
    const a = ok(normalizeAuditEntry(entry({}), SHA)).id;
    const b = ok(normalizeAuditEntry(entry({}, { logName: 'projects/acme-prod/logs/cloudaudit.googleapis.com/activity' }), SHA)).id;
    const c = ok(normalizeAuditEntry(entry({}, { timestamp: '2026-03-09T09:12:04Z' }), SHA)).id;
    const d = ok(normalizeAuditEntry(entry({}, { insertId: undefined }), SHA)).id;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(d).toBe(`sha256:${SHA}`);
  });

  it('a created key is an entity of the creating event; a minted token names the service account as a role', () => {
    const key = ok(
      normalizeAuditEntry(
        entry({ methodName: 'google.iam.admin.v1.CreateServiceAccountKey', authenticationInfo: { principalEmail: 'bob@acme.example' }, response: { name: 'projects/acme-prod/serviceAccounts/sa@acme-prod.iam.gserviceaccount.com/keys/k1' } }),
        SHA,
      ),
    );
    expect(key.related).toEqual([{ kind: 'access_key', value: 'k1' }]);
    const mint = ok(
      normalizeAuditEntry(
        entry({ serviceName: 'iamcredentials.googleapis.com', methodName: 'GenerateAccessToken', authenticationInfo: { principalEmail: 'bob@acme.example' }, resourceName: 'projects/-/serviceAccounts/sa@acme-prod.iam.gserviceaccount.com' }),
        SHA,
      ),
    );
    expect(mint.class).toBe('authentication');
    expect(mint.related).toEqual([{ kind: 'role', value: 'sa@acme-prod.iam.gserviceaccount.com' }]);
    expect(gcpRolesAssumed({ action: mint.action, outcome: 'success', actor: 'bob@acme.example', related: null }, mint.resources)).toEqual(['sa@acme-prod.iam.gserviceaccount.com']);
  });

  it('is not claimed by another provider, and claims no CloudTrail or Azure record', () => {
    expect(adapterFor(entry({}))?.id).toBe('gcp-audit');
    expect(adapterFor({ eventVersion: '1.09', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' })?.id).toBe('aws-cloudtrail');
    expect(adapterFor({ logName: 'projects/p/logs/run.googleapis.com%2Fstdout', textPayload: 'hello', timestamp: '2026-01-01T00:00:00Z' })).toBeUndefined();
  });

  it('unwraps a Pub/Sub push envelope to the decoded LogEntry bytes', () => {
    const inner = JSON.stringify(entry({}));
    const env = { message: { data: Buffer.from(inner).toString('base64'), messageId: '1' }, subscription: 'projects/p/subscriptions/s' };
    expect(pubsubPushEnvelope.matches(env)).toBe(true);
    const r = pubsubPushEnvelope.unwrap(Buffer.from(JSON.stringify(env)), env);
    expect('bytes' in r && r.bytes.toString('utf8')).toBe(inner);
    expect(pubsubPushEnvelope.unwrap(Buffer.from(''), { message: { data: '!!!', messageId: '9' } })).toEqual({ error: 'Pub/Sub message 9: "data" is not base64' });
  });
});

describe('Google Cloud knowledge', () => {
  it('service agents and Google are never actors; default service accounts are', () => {
    expect(isGcpServiceValue('system@google.com')).toBe(true);
    expect(isGcpServiceValue('service-412345678901@gcp-sa-cloudbuild.iam.gserviceaccount.com')).toBe(true);
    expect(isGcpServiceValue('412345678901@cloudservices.gserviceaccount.com')).toBe(true);
    expect(isGcpServiceValue('412345678901-compute@developer.gserviceaccount.com')).toBe(false);
    expect(isGcpServiceValue('412345678901@cloudbuild.gserviceaccount.com')).toBe(false);
    expect(isGcpServiceValue('bob@acme.example')).toBe(false);
  });

  it('admin grants come from ADD binding deltas of administrator roles; admin-named service accounts are privileged', () => {
    const body = (deltas: Array<[string, string, string]>): unknown => ({
      protoPayload: { serviceData: { policyDelta: { bindingDeltas: deltas.map(([action, role, member]) => ({ action, role, member })) } } },
    });
    const grants = gcpAdminGrants([
      { action: 'SetIamPolicy', resources: '[]', body: body([['ADD', 'roles/owner', 'user:Mallory.Ops@gmail.com'], ['ADD', 'roles/viewer', 'user:carol@acme.example']]) },
      { action: 'SetIamPolicy', resources: '[]', body: body([['REMOVE', 'roles/owner', 'user:dave@acme.example'], ['ADD', 'roles/iam.serviceAccountTokenCreator', 'serviceAccount:ci@p.iam.gserviceaccount.com']]) },
    ]);
    expect(grants.map((g) => g.principal).sort()).toEqual(['ci@p.iam.gserviceaccount.com', 'mallory.ops@gmail.com']);
    expect(gcpProvider.privilege?.adminNamedRole('terraform-admin@acme-prod.iam.gserviceaccount.com')).toBe('terraform-admin');
    expect(gcpProvider.privilege?.adminNamedRole('badminton@acme-prod.iam.gserviceaccount.com')).toBeUndefined();
    expect(gcpProvider.privilege?.adminNamedRole('admin@acme.example')).toBeUndefined();
  });

  it('crown-jewel forms of a bucket and a service account', () => {
    expect(gcpJewelForms('gs://acme-prod-exports')).toEqual(['projects/_/buckets/acme-prod-exports', 'gs://acme-prod-exports', 'acme-prod-exports']);
    expect(gcpJewelForms('terraform-admin@acme-prod.iam.gserviceaccount.com')).toEqual([
      'terraform-admin@acme-prod.iam.gserviceaccount.com',
      'projects/-/serviceAccounts/terraform-admin@acme-prod.iam.gserviceaccount.com',
      'projects/acme-prod/serviceAccounts/terraform-admin@acme-prod.iam.gserviceaccount.com',
    ]);
  });

  it('pseudonymizes project ids and numbers, service-account names, resource names; keeps roles and API hosts; redacts tokens', () => {
    const p = new Pseudonymizer();
    const text = p.text(
      'terraform-admin@acme-prod.iam.gserviceaccount.com granted roles/owner on projects/acme-prod via cloudresourcemanager.googleapis.com; ' +
        'sink projects/acme-prod/sinks/audit-to-siem; agent service-412345678901@gcp-sa-logging.iam.gserviceaccount.com; ' +
        'bucket gs://acme-secret-exports and projects/_/buckets/acme-secret-exports; token ya29.a0AfB_byC1234567890abcdefghijk',
    );
    for (const secret of ['terraform-admin', 'acme-prod', 'audit-to-siem', '412345678901', 'acme-secret-exports', 'ya29.a0AfB']) expect(text).not.toContain(secret);
    expect(text).toContain('roles/owner');
    expect(text).toContain('cloudresourcemanager.googleapis.com');
    expect(text).toContain('.iam.gserviceaccount.com');
  });
});
