/**
 * The Okta provider: System Log events (API pages, JSON Lines, EventBridge Log Streaming and SIEM copies) and what
 * irctl knows about Okta principals, privilege and tampering. Collection: `irctl collect okta` (src/collect/okta).
 */
import type { Provider } from '../types.js';
import { isOktaSystemValue, OKTA_GRANT_ACTIONS, OKTA_PSEUDONYM_PATTERNS, OKTA_TAMPER_ACTIONS, OKTA_TAMPER_STARTS, OKTA_TAMPER_STOPS, oktaAdminGrants } from './knowledge.js';
import { oktaSystemLog } from './system-log.js';

/** Okta. */
export const oktaProvider: Provider = {
  name: 'okta',
  description: 'Okta System Log (API pages, JSON Lines, EventBridge Log Streaming, SIEM copies)',
  adapters: [oktaSystemLog],
  isServicePrincipal: isOktaSystemValue,
  privilege: {
    // Okta has no all-powerful account principal to recognise by name: Super Administrator is a role (grants below).
    isRoot: () => false,
    adminNamedRole: () => undefined,
    grantActions: [{ service: 'okta', actions: OKTA_GRANT_ACTIONS }],
    adminGrants: oktaAdminGrants,
  },
  tampering: { actions: OKTA_TAMPER_ACTIONS, stops: OKTA_TAMPER_STOPS, starts: OKTA_TAMPER_STARTS },
  pseudonymPatterns: OKTA_PSEUDONYM_PATTERNS,
};
