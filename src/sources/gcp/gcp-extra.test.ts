/**
 * Pure parts of the Google Cloud module added for BigQuery / CSV re-shaping, exposure and the IAM audit
 * configuration: what the CLI tests do not pin down case by case.
 */
import { describe, expect, it } from 'vitest';
import { dataAccessSettings, iamPolicyRecord } from './audit-config.js';
import { gcpExposureOf } from './exposure.js';
import { auditEntryFromCsvRow, bigQueryAuditEntry, bqTime } from './reshaped.js';

describe('BigQuery sink rows', () => {
  it('read back into the LogEntry: payload, JSON members, typed service data, times', () => {
    const e = bigQueryAuditEntry({
      logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: '2026-03-09 09:19:02.123456 UTC',
      insertId: 'x',
      httpRequest: null,
      protopayload_auditlog: {
        methodName: 'SetIamPolicy',
        requestJson: '{"policy":{"version":3}}',
        responseJson: 'not json',
        servicedata_v1_iam: { policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/owner', member: 'user:m@x.example' }] } },
      },
    })!;
    expect(e).toEqual({
      logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: '2026-03-09T09:19:02.123456Z',
      insertId: 'x',
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        methodName: 'SetIamPolicy',
        request: { policy: { version: 3 } },
        response: 'not json',
        serviceData: {
          '@type': 'type.googleapis.com/google.iam.v1.logging.AuditData',
          policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/owner', member: 'user:m@x.example' }] },
        },
      },
    });
    expect(bigQueryAuditEntry({ protoPayload: {}, protopayload_auditlog: {} })).toBeUndefined();
    expect(bqTime('2026-03-09 09:19:02 UTC')).toBe('2026-03-09T09:19:02Z');
    expect(bqTime('2026-03-09T09:19:02.5Z')).toBe('2026-03-09T09:19:02.5Z');
  });
});

describe('Logs Explorer CSV rows', () => {
  it('unflattens dotted and bracketed paths; label keys stay whole', () => {
    const cols = ['timestamp', 'logName', 'protoPayload.methodName', 'protoPayload.authorizationInfo[1].permission', 'protoPayload.authorizationInfo[0].permission', 'labels.compute.googleapis.com/resource_name', 'severity'];
    const made = auditEntryFromCsvRow({ format: 'csv', columns: cols }, ['2026-03-09T09:00:00Z', 'projects/p/logs/cloudaudit.googleapis.com%2Factivity', 'm', 'b', 'a', 'vm-1', ''])!;
    expect(made.origin).toBe('reshaped');
    expect(made.record).toEqual({
      timestamp: '2026-03-09T09:00:00Z',
      logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
      protoPayload: { methodName: 'm', authorizationInfo: [{ permission: 'a' }, { permission: 'b' }] },
      labels: { 'compute.googleapis.com/resource_name': 'vm-1' },
    });
    // Not a Logs Explorer download: no protoPayload column, or not CSV
    expect(auditEntryFromCsvRow({ format: 'csv', columns: ['timestamp', 'logName'] }, ['t', 'l'])).toBeUndefined();
    expect(auditEntryFromCsvRow({ format: 'table', columns: cols }, [])).toBeUndefined();
  });
});

describe('exposure of a Cloud Asset snapshot', () => {
  const fw = (resource: Record<string, unknown>): string[] => gcpExposureOf('firewall', '//compute.googleapis.com/projects/p/global/firewalls/r', { versionedResources: [{ resource }] });
  it('reports ingress allow rules from the whole internet only', () => {
    expect(fw({ direction: 'INGRESS', sourceRanges: ['::/0'], allowed: [{ IPProtocol: 'all' }], targetServiceAccounts: ['sa@p.iam.gserviceaccount.com'] })).toEqual([
      'firewall rule r allows all from ::/0 to sa@p.iam.gserviceaccount.com',
    ]);
    expect(fw({ direction: 'INGRESS', sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp' }], disabled: true })).toEqual([]);
    expect(fw({ direction: 'EGRESS', sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp' }] })).toEqual([]);
    expect(fw({ direction: 'INGRESS', sourceRanges: ['35.235.240.0/20'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] })).toEqual([]);
    // A deny rule has no `allowed`
    expect(fw({ direction: 'INGRESS', sourceRanges: ['0.0.0.0/0'], denied: [{ IPProtocol: 'all' }] })).toEqual([]);
    expect(gcpExposureOf('firewall', 'x', {})).toEqual([]);
  });
  it('reports only user-managed keys', () => {
    const name = '//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/k1';
    expect(gcpExposureOf('service-account-key', name, { versionedResources: [{ resource: { keyType: 'SYSTEM_MANAGED' } }] })).toEqual([]);
    expect(gcpExposureOf('service-account-key', name, { versionedResources: [{ resource: { keyType: 'USER_MANAGED' } }] })).toEqual(['service account a@p.iam.gserviceaccount.com has user-managed key k1']);
  });
});

describe('IAM audit configuration', () => {
  it('says which services write Data Access logs, from the latest snapshot of each scope', () => {
    const older = JSON.parse(iamPolicyRecord('projects/p', { auditConfigs: [{ service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ' }] }] }, '2026-03-01T00:00:00.000Z')) as unknown;
    const newer = JSON.parse(iamPolicyRecord('projects/p', { version: 1 }, '2026-03-09T00:00:00.000Z')) as unknown;
    const all = JSON.parse(iamPolicyRecord('projects/q', { auditConfigs: [{ service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ' }, { logType: 'ADMIN_READ' }] }] }, '2026-03-09T00:00:00.000Z')) as unknown;
    expect(dataAccessSettings([older, newer, all])).toEqual({
      data_access:
        'IAM audit config of projects/p read 2026-03-09T00:00:00.000Z: Data Access logs are off for every service (BigQuery writes its own regardless); IAM audit config of projects/q read 2026-03-09T00:00:00.000Z: Data Access logs on for allServices (DATA_READ)',
    });
    expect(dataAccessSettings([{ other: 1 }])).toEqual({});
  });
});
