/**
 * The Google Workspace provider: Admin SDK Reports API activities (login, admin audit, token, drive...), and what
 * irctl knows about Workspace administrator grants. Import only (no `collect google_workspace` yet).
 */
import { asObject, asString } from '../../normalize/event.js';
import type { AdminGrant, ContainerFormat, GrantEvent, Provider } from '../types.js';
import { activityOf, workspaceActivity } from './reports.js';

/** A Reports API `activities.list` page: `{"kind": "admin#reports#activities", "items": [...], "nextPageToken"}`. */
export const itemsContainer: ContainerFormat = {
  format: 'items',
  description: 'an object with an "items" array of records (Google Admin SDK Reports API activities.list pages)',
  keys: ['items'],
  unwrap: (bytes, parsed) => (asObject(parsed) ? { bytes, parsed } : { error: 'element of "items" is not a JSON object' }),
};

/** Admin audit events that grant administrator rights. */
export const WORKSPACE_GRANT_ACTIONS = ['ASSIGN_ROLE', 'GRANT_ADMIN_PRIVILEGE', 'GRANT_DELEGATED_ADMIN_PRIVILEGES'] as const;

/** Users granted an admin role or super administrator rights (the `USER_EMAIL` parameter, the role from `ROLE_NAME`). */
export function workspaceAdminGrants(events: readonly GrantEvent[]): AdminGrant[] {
  const out = new Map<string, string>();
  for (const ev of events) {
    const a = activityOf(ev.body);
    for (const e of a?.events ?? []) {
      if (!(WORKSPACE_GRANT_ACTIONS as readonly string[]).includes(e.name)) continue;
      const user = asString(e.params.USER_EMAIL)?.toLowerCase();
      if (user === undefined) continue;
      const role = asString(e.params.ROLE_NAME);
      out.set(user, role !== undefined ? `${e.name}: ${role}` : `${e.name}: super administrator`);
    }
  }
  return [...out.entries()].map(([principal, why]) => ({ principal, why }));
}

/** Google Workspace. */
export const googleWorkspaceProvider: Provider = {
  name: 'google_workspace',
  description: 'Google Workspace audit activities (Admin SDK Reports API pages, JSON Lines, SIEM-flattened rows)',
  adapters: [workspaceActivity],
  containers: [itemsContainer],
  privilege: {
    isRoot: () => false,
    adminNamedRole: () => undefined,
    grantActions: [{ service: 'admin', actions: WORKSPACE_GRANT_ACTIONS }],
    adminGrants: workspaceAdminGrants,
  },
  pseudonymPatterns: [{ name: 'Google Workspace customer id', pattern: /\bC0[0-9a-z]{6,9}\b/g, kind: 'account' }],
};
