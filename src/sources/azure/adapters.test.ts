import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../index.js';
import { azureActivity, normalizeActivity } from './activity-log.js';
import { normalizeAudit } from './directory-audit.js';
import { azureAdminGrants, isAzurePlatformValue } from './knowledge.js';
import { normalizeSignIn, signInRuleBody } from './signin.js';
import type { NormalizeResult } from '../../normalize/event.js';

const FIX = resolve(import.meta.dirname, '../../../fixtures');
const SHA = 'e'.repeat(64);

/** Elements of a `value` page, `records` file or JSON Lines file (parsed; unparsable lines count as warnings). */
function load(path: string): { records: unknown[]; unparsable: number } {
  const text = readFileSync(join(FIX, path), 'utf8');
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    const list = (doc.value ?? doc.records ?? [doc]) as unknown[];
    return { records: list, unparsable: 0 };
  } catch {
    const records: unknown[] = [];
    let unparsable = 0;
    for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
      try {
        records.push(JSON.parse(line));
      } catch {
        unparsable++;
      }
    }
    return { records, unparsable };
  }
}

function counts(path: string, normalize: (r: unknown, sha: string) => NormalizeResult): { events: number; warnings: number } {
  const { records, unparsable } = load(path);
  const results = records.map((r) => normalize(r, SHA));
  return { events: results.filter((r) => r.ok).length, warnings: unparsable + results.filter((r) => !r.ok).length };
}

function ok(r: NormalizeResult) {
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('Azure Activity Log', () => {
  it('reads the ARM list page of the incident: six events, one warning (no eventTimestamp)', () => {
    expect(counts('azure-incident/activity-log.arm.json', normalizeActivity)).toEqual({ events: 6, warnings: 1 });
  });

  it('maps one ARM entry to the full common schema', () => {
    // GIVEN the successful Owner role assignment of the incident
    const { records } = load('azure-incident/activity-log.arm.json');
    // WHEN it is normalized
    const e = ok(normalizeActivity(records[3], SHA));
    // THEN every field
    expect(e).toEqual({
      id: expect.stringMatching(/^azure-activity:[0-9a-f]{32}$/) as string,
      dataType: 'azure:activity:entry',
      class: 'api_activity',
      time: '2024-05-04T10:30:03.400Z',
      timeMs: Date.parse('2024-05-04T10:30:03.400Z'),
      provider: 'azure',
      layer: 'control_plane',
      account: '3d9a2e51-0c47-4b8e-9f16-7a2b5c8d4e01',
      region: undefined,
      service: 'microsoft.authorization',
      action: 'microsoft.authorization/roleassignments/write',
      actor: { principal: 'alice@fabrikam.example', type: 'User', name: 'Alice', principalId: 'a11ce000-0000-4000-8000-00000000a11c' },
      srcIp: '198.51.100.23',
      outcome: 'success',
      errorCode: undefined,
      readOnly: false,
      resources: [expect.stringMatching(/^\/subscriptions\/3d9a2e51-.*\/providers\/microsoft\.authorization\/roleassignments\//) as string],
    });
  });

  it('reads the diagnostic-settings shapes (records[] and JSON Lines) and the REST example', () => {
    expect(counts('azure-activity/otel-administrative.records.json', normalizeActivity)).toEqual({ events: 1, warnings: 0 });
    expect(counts('azure-activity/otel-pim.records.json', normalizeActivity)).toEqual({ events: 3, warnings: 0 });
    expect(counts('azure-activity/docs-resourcehealth.PT1H.jsonl', normalizeActivity)).toEqual({ events: 1, warnings: 0 });
    expect(counts('azure-activity/rest-api-example.value.json', normalizeActivity)).toEqual({ events: 1, warnings: 0 });
    const diag = ok(normalizeActivity(load('azure-activity/otel-administrative.records.json').records[0], SHA));
    expect(diag).toMatchObject({ action: 'microsoft.insights/diagnosticsettings/write', outcome: 'unknown', srcIp: '203.0.113.10', actor: { principal: 'user@example.com' } });
  });

  it('gives one entry read through ARM and through a diagnostic export the same id', () => {
    // GIVEN the same operation in both shapes (different case, status vocabulary and field names)
    const arm = {
      eventDataId: 'x',
      eventTimestamp: '2024-05-04T10:34:21.6000000Z',
      operationName: { value: 'microsoft.insights/diagnosticSettings/delete' },
      status: { value: 'Succeeded' },
      correlationId: 'C-1',
      resourceId: '/subscriptions/3d9a2e51-0c47-4b8e-9f16-7a2b5c8d4e01/providers/microsoft.insights/diagnosticSettings/a',
      caller: 'Alice@fabrikam.example',
    };
    const diag = {
      time: '2024-05-04T10:34:21.6000000Z',
      operationName: 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE',
      category: 'Administrative',
      resultType: 'Success',
      correlationId: 'c-1',
      resourceId: '/SUBSCRIPTIONS/3D9A2E51-0C47-4B8E-9F16-7A2B5C8D4E01/PROVIDERS/MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/A',
      identity: { claims: { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'alice@fabrikam.example' } },
    };
    // THEN one event identity, one actor, one action
    const a = ok(normalizeActivity(arm, SHA));
    const d = ok(normalizeActivity(diag, SHA));
    expect(d.id).toBe(a.id);
    expect([d.actor.principal, d.action, d.outcome]).toEqual([a.actor.principal, a.action, a.outcome]);
    expect(azureActivity.matches(arm) && azureActivity.matches(diag)).toBe(true);
  });
});

describe('Entra ID sign-ins', () => {
  it('reads the Graph page of the incident: 17 events, one warning (no status)', () => {
    expect(counts('azure-incident/signins.graph.json', normalizeSignIn)).toEqual({ events: 17, warnings: 1 });
  });

  it('maps one failed Graph sign-in to the full common schema', () => {
    const { records } = load('azure-incident/signins.graph.json');
    const e = ok(normalizeSignIn(records[6], SHA));
    expect(e).toEqual({
      id: expect.any(String) as string,
      dataType: 'azure:signin:entry',
      class: 'authentication',
      time: '2024-05-04T10:00:30.500Z',
      timeMs: Date.parse('2024-05-04T10:00:30.500Z'),
      provider: 'azure',
      layer: 'identity',
      account: undefined,
      region: 'NL',
      service: 'entra',
      action: 'Sign-in activity',
      actor: { principal: 'bob@fabrikam.example', type: 'User', name: 'Bob', principalId: expect.any(String) as string },
      srcIp: '198.51.100.23',
      userAgent: expect.stringContaining('Mozilla/5.0') as string,
      outcome: 'failure',
      errorCode: '50126',
      readOnly: false,
      resources: ['c44b4083-3bb0-49c1-b47d-974e53cbdf3c'],
    });
  });

  it('reads SignInLogs diagnostic records and the Graph docs examples', () => {
    expect(counts('azure-signin/signinlogs.PT1H.json', normalizeSignIn)).toEqual({ events: 2, warnings: 1 });
    expect(counts('azure-signin/beta_signin-list.example1.response.json', normalizeSignIn)).toEqual({ events: 1, warnings: 0 });
    const d = ok(normalizeSignIn(load('azure-signin/signinlogs.PT1H.json').records[0], SHA));
    // The UPN is lower-cased: one person is one principal across logs.
    expect(d).toMatchObject({ id: '1b0c9d8e-7f6a-4b5c-9d8e-7f6a5b4c3d21', outcome: 'success', actor: { principal: 'ops.admin@fabrikam.example' }, account: '5f1c1b2a-7d3e-4c8f-9a6b-0e2d4c6a8b10' });
  });

  it('lets rules use Log Analytics column names on either shape', () => {
    const graph = load('azure-incident/signins.graph.json').records[6];
    const diag = load('azure-signin/signinlogs.PT1H.json').records[1];
    for (const r of [graph, diag]) expect(signInRuleBody(r)).toMatchObject({ ResultType: '50126', UserPrincipalName: expect.any(String) as string, properties: expect.any(Object) as object });
  });
});

describe('Entra ID directory audits', () => {
  it('reads the Graph page of the incident: three events, one warning (bad time)', () => {
    expect(counts('azure-incident/audits.graph.json', normalizeAudit)).toEqual({ events: 3, warnings: 1 });
  });

  it('maps one Graph audit to the full common schema', () => {
    const e = ok(normalizeAudit(load('azure-incident/audits.graph.json').records[2], SHA));
    expect(e).toEqual({
      id: expect.stringMatching(/^Directory_/) as string,
      dataType: 'azure:audit:entry',
      class: 'account_change',
      time: '2024-05-04T10:24:40.000Z',
      timeMs: Date.parse('2024-05-04T10:24:40.000Z'),
      provider: 'azure',
      layer: 'identity',
      account: undefined,
      service: 'entra',
      action: 'Add member to role',
      actor: { principal: 'alice@fabrikam.example', type: 'User', name: 'Alice', principalId: 'a11ce000-0000-4000-8000-00000000a11c' },
      srcIp: '198.51.100.23',
      outcome: 'success',
      errorCode: undefined,
      readOnly: false,
      resources: ['alice@fabrikam.example'],
    });
  });

  it('reads AuditLogs diagnostic records and the Graph docs examples', () => {
    expect(counts('azure-audit/auditlogs.records.json', normalizeAudit)).toEqual({ events: 1, warnings: 1 });
    expect(counts('azure-audit/v1.0_directoryaudit-list.example1.response.json', normalizeAudit)).toEqual({ events: 1, warnings: 0 });
    expect(counts('azure-audit/beta_directoryaudit-list.example1.response.json', normalizeAudit)).toEqual({ events: 1, warnings: 0 });
  });
});

describe('recognition and knowledge', () => {
  it('routes each shape to its adapter, never to CloudTrail', () => {
    const arm = load('azure-incident/activity-log.arm.json').records[0];
    expect(adapterFor(arm)?.id).toBe('azure-activity');
    expect(adapterFor(load('azure-signin/signinlogs.PT1H.json').records[0])?.id).toBe('azure-signin');
    expect(adapterFor(load('azure-audit/auditlogs.records.json').records[0])?.id).toBe('azure-audit');
  });

  it('reads admin grants: a self-assigned Owner by UPN, a Global Administrator member by UPN', () => {
    const acts = load('azure-incident/activity-log.arm.json').records;
    const auds = load('azure-incident/audits.graph.json').records;
    const grants = azureAdminGrants([
      { action: 'microsoft.authorization/roleassignments/write', resources: '[]', body: acts[3] },
      { action: 'Add member to role', resources: '[]', body: auds[2] },
    ]);
    expect(grants).toEqual([{ principal: 'alice@fabrikam.example', why: 'Add member to role: Global Administrator' }]);
    expect(azureAdminGrants([{ action: 'microsoft.authorization/roleassignments/write', resources: '[]', body: acts[3] }])).toEqual([
      { principal: 'alice@fabrikam.example', why: 'role assignment Owner' },
    ]);
  });

  it('treats only the platform itself as a service principal', () => {
    expect(isAzurePlatformValue('Microsoft.Advisor')).toBe(true);
    expect(isAzurePlatformValue('alice@fabrikam.example')).toBe(false);
    expect(isAzurePlatformValue('7a1f3c5e-2b4d-4e6f-8a9b-0c1d2e3f4a5b')).toBe(false);
  });
});
