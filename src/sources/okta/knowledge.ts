/**
 * What irctl knows about Okta beyond parsing System Log events: Okta acting for itself, administrator grants,
 * logging and security-policy tampering, and identifier shapes to pseudonymize. The generic stages reach it only
 * through the provider registry (`sources/index.ts`). Pure.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { AdminGrant, GrantEvent, PseudonymPattern } from '../types.js';
import { principalForm, targetsOf } from './system-log.js';

/**
 * Okta acting for itself: the `SystemPrincipal` actor (`system@okta.com`, "Okta System": scheduled jobs,
 * lifecycle automation, ThreatInsight). Conservative on purpose: API service apps and OAuth clients (`PublicClientApp`,
 * `AppInstance`) are not listed, because a stolen API token or a rogue service app acts through them.
 */
export function isOktaSystemValue(value: string, actorType?: string | null): boolean {
  return actorType === 'SystemPrincipal' || value.toLowerCase() === 'system@okta.com';
}

/** Event types that grant administrator rights (a role to a user, to a group, a custom role's resource set binding). */
export const OKTA_GRANT_ACTIONS = ['user.account.privilege.grant', 'group.privilege.grant', 'iam.resourceset.bindings.add'] as const;

/**
 * Principals granted administrator rights: the target user of a privilege grant (the role from
 * `debugContext.debugData.privilegeGranted`), the group of a group grant, the members of a custom-role binding.
 */
export function oktaAdminGrants(events: readonly GrantEvent[]): AdminGrant[] {
  const out = new Map<string, string>();
  for (const ev of events) {
    const body = asObject(ev.body);
    if (!body) continue;
    const dbg = asObject(asObject(body.debugContext)?.debugData) ?? {};
    const role = asString(dbg.privilegeGranted) ?? asString(dbg.roleName) ?? 'an administrator role';
    for (const t of targetsOf(body)) {
      const type = asString(t.type);
      if (type !== 'User' && type !== 'UserGroup') continue;
      const who = principalForm(asString(t.alternateId) ?? asString(t.displayName) ?? asString(t.id));
      if (who !== undefined && who !== 'unknown') out.set(who, `${ev.action}: ${role}`);
    }
  }
  return [...out.entries()].map(([principal, why]) => ({ principal, why }));
}

/**
 * Tampering with what Okta records or enforces: log streams (the SIEM feed) deactivated or deleted, sign-on / MFA /
 * password policies and their rules deactivated or deleted, network zones (IP block lists) removed, an MFA factor
 * deactivated for the whole org, ThreatInsight reconfigured. From the SigmaHQ and Panther Okta rules (docs/okta.md).
 */
export const OKTA_TAMPER_ACTIONS = [
  'system.log_stream.lifecycle.deactivate',
  'system.log_stream.lifecycle.delete',
  'policy.lifecycle.deactivate',
  'policy.lifecycle.delete',
  'policy.rule.deactivate',
  'policy.rule.delete',
  'zone.deactivate',
  'zone.delete',
  'system.mfa.factor.deactivate',
  'security.threat.configuration.update',
  'application.policy.sign_on.deactivate',
] as const;

/** Of those, the ones that stop a log's delivery outright. */
export const OKTA_TAMPER_STOPS = ['system.log_stream.lifecycle.deactivate', 'system.log_stream.lifecycle.delete'] as const;

/** Event types that (re)start delivery. */
export const OKTA_TAMPER_STARTS = ['system.log_stream.lifecycle.activate', 'system.log_stream.lifecycle.create'] as const;

/**
 * Okta identifier shapes the pseudonymizer replaces (logins are e-mail addresses: the generic e-mail rule handles
 * them). The org's own domain (`acme.okta.com`, `acme.oktapreview.com`, `acme.okta-emea.com`) becomes an account
 * pseudonym, and Okta object ids of users (`00u...`), groups (`00g...`) and apps (`0oa...`) become principal ids.
 */
export const OKTA_PSEUDONYM_PATTERNS: readonly PseudonymPattern[] = [
  { name: 'Okta org domain', pattern: /\b(?<account>[a-z0-9][a-z0-9-]{0,62})(?:-admin)?\.(?:okta|oktapreview|okta-emea|okta-gov|okta-mil)\.com\b/gi, kind: 'account' },
  { name: 'Okta object id (user 00u, group 00g, app 0oa)', pattern: /\b(?:00u|00g|0oa)[0-9A-Za-z]{14,17}\b/g, kind: 'principal_id' },
];
