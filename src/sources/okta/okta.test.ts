import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pseudonymizer } from '../../investigate/pseudonymize.js';
import { isServicePrincipal } from '../index.js';
import { oktaAdminGrants, OKTA_PSEUDONYM_PATTERNS } from './knowledge.js';
import { normalizeOktaEvent, oktaRuleBody, oktaSystemLog, outcomeOf } from './system-log.js';

const FIX = resolve(import.meta.dirname, '../../../fixtures');
const caseEvents = JSON.parse(readFileSync(`${FIX}/okta-case/system-log.json`, 'utf8')) as Array<Record<string, unknown>>;
const byType = (t: string): Record<string, unknown> => caseEvents.find((e) => e.eventType === t) ?? {};

function norm(rec: unknown) {
  const r = normalizeOktaEvent(rec, 'f'.repeat(64));
  if (!r.ok) throw new Error(r.reason);
  return r.event;
}

describe('Okta System Log adapter', () => {
  it('maps a sign-on to the common schema (actor login, id as related entity, IP, agent, country, session)', () => {
    const rec = caseEvents.find((e) => e.eventType === 'user.session.start' && (e.client as { ipAddress: string }).ipAddress === '198.51.100.77');
    const ev = norm(rec);
    expect(ev).toMatchObject({
      dataType: 'okta:system:entry',
      class: 'authentication',
      time: '2026-11-20T02:16:46.102Z',
      provider: 'okta',
      layer: 'identity',
      region: 'Netherlands',
      service: 'okta',
      action: 'user.session.start',
      actor: { principal: 'alice@acme.example', type: 'User', name: 'Alice Martin', principalId: '00u1a2b3c4d5e6f7g8h9', session: 'idx102Zx9Wq7PaTk3m' },
      srcIp: '198.51.100.77',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
      outcome: 'success',
      resources: [],
      related: [{ kind: 'principal_id', value: '00u1a2b3c4d5e6f7g8h9' }],
    });
    expect(ev.id).toBe(rec?.uuid);
  });

  it('maps outcomes, failure reasons, targets and classes', () => {
    expect(['SUCCESS', 'ALLOW', 'FAILURE', 'DENY', 'CHALLENGE', 'SKIPPED', 'UNKNOWN', undefined].map(outcomeOf)).toEqual([
      'success',
      'success',
      'failure',
      'failure',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
    const deny = norm(byType('user.mfa.okta_verify.deny_push'));
    expect(deny).toMatchObject({ outcome: 'failure', errorCode: 'User rejected Okta push verify', class: 'authentication' });
    const grant = norm(byType('user.account.privilege.grant'));
    expect(grant).toMatchObject({ class: 'account_change', resources: ['svc-sync@acme.example'] });
    expect(norm(byType('system.log_stream.lifecycle.deactivate'))).toMatchObject({ class: 'api_activity', resources: ['siem-eventbridge'] });
  });

  it('gives one event one id across shapes: API, EventBridge envelope, SIEM copy with lower-cased keys and added keys', () => {
    const api = byType('user.account.privilege.grant');
    const envelope = { version: '0', 'detail-type': 'SystemLog', source: 'aws.partner/okta.com/acme/s', detail: api };
    const siem: Record<string, unknown> = Object.fromEntries([...Object.entries(api).map(([k, v]): [string, unknown] => [k.toLowerCase(), v]), ['p_log_type', 'Okta.SystemLog']]);
    const ids = [api, envelope, siem].map((r) => norm(r).id);
    expect(new Set(ids).size).toBe(1);
    for (const r of [envelope, siem]) expect(oktaSystemLog.matches(r)).toBe(true);
    // rules see the API spelling whatever the shape
    expect((oktaRuleBody(siem) as { eventType: string }).eventType).toBe('user.account.privilege.grant');
    expect((oktaRuleBody(envelope) as { eventType: string }).eventType).toBe('user.account.privilege.grant');
  });

  it('identifies an event by its uuid, else by the hash of its bytes (the store keeps apart copies that disagree)', () => {
    const { uuid: _u, ...noUuid } = byType('user.lifecycle.create');
    expect(normalizeOktaEvent(noUuid, 'c'.repeat(64))).toMatchObject({ ok: true, event: { id: `sha256:${'c'.repeat(64)}` } });
  });

  it('quarantines what it cannot place, with the reason', () => {
    const { published: _p, ...noTime } = byType('user.session.start');
    expect(normalizeOktaEvent(noTime, 'a'.repeat(64))).toEqual({ ok: false, reason: 'Okta event user.session.start has no published time' });
    const redacted = normalizeOktaEvent({ ...noTime, published: 'redacted' }, 'a'.repeat(64));
    expect(redacted.ok ? '' : redacted.reason).toBe('Okta event published time "redacted" is not an ISO 8601 time');
    // not Okta: no dotted eventType with an actor, a time or an outcome
    for (const r of [{ uuid: 'x1', eventType: 'user.session.start' }, { eventType: 'login', actor: {} }, { eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' }]) expect(oktaSystemLog.matches(r)).toBe(false);
  });

  it('knows Okta acting for itself, admin grants and its identifiers', () => {
    expect(isServicePrincipal('system@okta.com', 'SystemPrincipal')).toBe(true);
    expect(isServicePrincipal('alice@acme.example', 'User')).toBe(false);
    const grant = byType('user.account.privilege.grant');
    expect(oktaAdminGrants([{ action: 'user.account.privilege.grant', resources: '[]', body: grant }])).toEqual([
      { principal: 'svc-sync@acme.example', why: 'user.account.privilege.grant: Super administrator' },
    ]);
    const p = new Pseudonymizer(OKTA_PSEUDONYM_PATTERNS);
    const out = p.value({ text: 'https://acme.okta.com/admin/user/profile/view/00u1a2b3c4d5e6f7g8h9 by alice@acme.example', id: String(grant.uuid) });
    expect(JSON.stringify(out)).not.toMatch(/acme\.okta|00u1a2b3c4d5e6f7g8h9|alice@acme/);
    expect(out.id).toBe(grant.uuid);
  });
});
