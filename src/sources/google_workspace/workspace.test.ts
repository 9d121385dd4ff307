import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceAdminGrants } from './index.js';
import { activityRuleBody, normalizeActivity, workspaceActivity } from './reports.js';

const FIX = resolve(import.meta.dirname, '../../../fixtures/workspace');
const page = JSON.parse(readFileSync(`${FIX}/reports-page.json`, 'utf8')) as { items: Array<Record<string, unknown>> };
const named = (n: string): Record<string, unknown> => page.items.find((i) => JSON.stringify(i.events).includes(`"name":"${n}"`)) ?? {};

function norm(rec: unknown) {
  const r = normalizeActivity(rec, 'e'.repeat(64));
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('Google Workspace Reports API adapter', () => {
  it('maps a login failure (identity layer, authentication, failure with its type)', () => {
    expect(norm(named('login_failure'))).toMatchObject({
      dataType: 'google_workspace:reports:activity',
      class: 'authentication',
      provider: 'google_workspace',
      layer: 'identity',
      account: 'C03xk2p9q',
      service: 'login',
      action: 'login_failure',
      actor: { principal: 'ana@globex.example', type: 'USER' },
      srcIp: '192.0.2.99',
      outcome: 'failure',
      errorCode: 'login_failure_invalid_password',
    });
  });

  it('maps an admin role assignment and names the grantee', () => {
    const a = named('ASSIGN_ROLE');
    const ev = norm(a);
    expect(ev).toMatchObject({ layer: 'identity', class: 'account_change', service: 'admin', action: 'ASSIGN_ROLE', outcome: 'success' });
    expect(ev.resources.sort()).toEqual(['_SEED_ADMIN_ROLE', 'backup-ops@globex.example']);
    expect(ev.id).toBe('gws:admin:2026-11-20T05:02:44.871Z:6512093381123340981:ASSIGN_ROLE');
    expect(workspaceAdminGrants([{ action: 'ASSIGN_ROLE', resources: '[]', body: a }, { action: 'GRANT_ADMIN_PRIVILEGE', resources: '[]', body: named('GRANT_ADMIN_PRIVILEGE') }])).toEqual([
      { principal: 'backup-ops@globex.example', why: 'GRANT_ADMIN_PRIVILEGE: super administrator' },
    ]);
    expect((activityRuleBody(a) as { parameters: Record<string, unknown> }).parameters.USER_EMAIL).toBe('backup-ops@globex.example');
  });

  it('gives the API shape and a SIEM-flattened row of the same activity one id; other apps are control plane', () => {
    const a = named('ASSIGN_ROLE');
    const ev0 = (a.events as Array<{ name: string; type: string; parameters: Array<{ name: string; value: string }> }>)[0]!;
    const flat = { ...a, events: undefined, name: ev0.name, type: ev0.type, parameters: Object.fromEntries(ev0.parameters.map((p) => [p.name, p.value])), p_log_type: 'GSuite.ActivityEvent' };
    expect(norm(flat).id).toBe(norm(a).id);
    const drive = { ...a, id: { ...(a.id as object), applicationName: 'drive' }, events: [{ name: 'download', parameters: [{ name: 'doc_id', value: '1AbC' }] }] };
    expect(norm(drive)).toMatchObject({ layer: 'control_plane', resources: ['1AbC'] });
  });

  it('quarantines an activity without a time, with the reason', () => {
    const bad = page.items.find((i) => (i.id as { time?: string }).time === undefined);
    expect(workspaceActivity.matches(bad)).toBe(true);
    expect(normalizeActivity(bad, 'e'.repeat(64))).toEqual({ ok: false, reason: 'Google Workspace admin activity CHANGE_PASSWORD has no id.time' });
  });
});
