/**
 * What irctl knows about Azure and Entra ID beyond parsing records: the platform acting for itself, privileged role
 * grants, logging and monitoring tampering, crown-jewel forms and identifier shapes to pseudonymize. The generic
 * stages reach it only through the provider registry (`sources/index.ts`). Pure.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { AdminGrant, GrantEvent, PseudonymPattern } from '../types.js';
import { principalForm } from './common.js';
import { auditTargets } from './directory-audit.js';

/**
 * Values that name the Azure platform rather than an actor: a resource provider namespace as caller
 * (`Microsoft.Advisor`, `Microsoft.Resourcehealth`: platform-generated entries) and events the adapter typed
 * `Platform`. Conservative on purpose: application ids are not listed, because an attacker's consented app or a
 * stolen first-party token (Azure CLI, Azure PowerShell) acts through the same ids as everyone else.
 */
export function isAzurePlatformValue(value: string, actorType?: string | null): boolean {
  if (actorType === 'Platform') return true;
  return /^Microsoft\.[A-Za-z]+(?:\.[A-Za-z]+)*$/.test(value);
}

/** Built-in Azure RBAC roles that amount to administrator rights over their scope (role definition ids are global). */
export const AZURE_ADMIN_ROLE_DEFINITIONS: Readonly<Record<string, string>> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
};

/** Entra ID directory roles that amount to tenant administrator rights (role template ids are global). */
export const ENTRA_ADMIN_ROLES: Readonly<Record<string, string>> = {
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13': 'Privileged Authentication Administrator',
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': 'Application Administrator',
  '158c047a-c907-4556-b7ef-446551a6b5f7': 'Cloud Application Administrator',
};

const ADMIN_ROLE_NAMES = new Set([...Object.values(ENTRA_ADMIN_ROLES), ...Object.values(AZURE_ADMIN_ROLE_DEFINITIONS)].map((n) => n.toLowerCase()));

/** Activity Log operations (lower case, as the action column holds them) that can grant administrator rights. */
export const ARM_GRANT_ACTIONS = ['microsoft.authorization/roleassignments/write', 'microsoft.authorization/elevateaccess/action'] as const;
/** Directory audit activities that can grant administrator rights. */
export const ENTRA_GRANT_ACTIONS = [
  'Add member to role',
  'Add eligible member to role',
  'Add member to role completed (PIM activation)',
  // PIM role schedule requests (pim.ts): an activation or an assignment by an administrator.
  'roleScheduleRequest/selfActivate',
  'roleScheduleRequest/adminAssign',
  'roleAssignmentScheduleRequest/selfActivate',
  'roleAssignmentScheduleRequest/adminAssign',
  'roleEligibilityScheduleRequest/adminAssign',
] as const;

/** The role definition GUID at the end of a `roleDefinitionId` (a path or a bare id). */
export function roleDefinitionGuid(v: string | undefined): string | undefined {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i.exec(v ?? '');
  return m?.[1]?.toLowerCase();
}

/** The role assignment a `roleAssignments/write` requested: its principal and role definition (request body JSON). */
export function requestedAssignment(body: unknown): { principalId?: string | undefined; roleDefinition?: string | undefined } {
  const props = asObject(asObject(body)?.properties);
  const text = asString(props?.requestbody) ?? asString(props?.requestBody);
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const p = asObject(parsed);
  const inner = asObject(p?.Properties) ?? asObject(p?.properties) ?? {};
  return {
    principalId: asString(inner.PrincipalId ?? inner.principalId)?.toLowerCase(),
    roleDefinition: roleDefinitionGuid(asString(inner.RoleDefinitionId ?? inner.roleDefinitionId)),
  };
}

const CLAIM_OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const CLAIM_UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';

/** The caller's object id and UPN from the claims of either Activity Log shape. */
function callerOf(body: Record<string, unknown>): { oid?: string | undefined; upn?: string | undefined } {
  const claims = asObject(body.claims) ?? asObject(asObject(body.identity)?.claims) ?? {};
  return { oid: asString(claims[CLAIM_OID])?.toLowerCase(), upn: principalForm(asString(claims[CLAIM_UPN]) ?? asString(body.caller)) };
}

/**
 * Principals granted administrator rights in the evidence: an Owner / User Access Administrator role assignment
 * (named by object id, or by UPN when the caller assigned the role to itself), a caller elevating its access to
 * the root scope, and members added to a privileged Entra directory role (by UPN).
 */
export function azureAdminGrants(events: readonly GrantEvent[]): AdminGrant[] {
  const out = new Map<string, string>();
  for (const ev of events) {
    const body = asObject(ev.body);
    if (!body) continue;
    if (ev.action === 'microsoft.authorization/elevateaccess/action') {
      const c = callerOf(body);
      const who = c.upn ?? c.oid;
      if (who !== undefined) out.set(who, 'elevateAccess: User Access Administrator at the root scope');
      continue;
    }
    if (ev.action === 'microsoft.authorization/roleassignments/write') {
      const a = requestedAssignment(body);
      const role = a.roleDefinition !== undefined ? AZURE_ADMIN_ROLE_DEFINITIONS[a.roleDefinition] : undefined;
      if (role === undefined || a.principalId === undefined) continue;
      const c = callerOf(body);
      const who = c.oid === a.principalId && c.upn !== undefined ? c.upn : a.principalId;
      out.set(who, `role assignment ${role}`);
      continue;
    }
    if (/^role(?:Assignment|Eligibility)?ScheduleRequest\//.test(ev.action)) {
      // A PIM request names the principal and the role definition (a built-in role's template id).
      const roleId = asString(body.roleDefinitionId)?.toLowerCase();
      const role = (roleId !== undefined ? ENTRA_ADMIN_ROLES[roleId] : undefined) ?? asString(asObject(body.roleDefinition)?.displayName);
      const who = principalForm(asString(asObject(body.principal)?.userPrincipalName)) ?? asString(body.principalId)?.toLowerCase();
      if (role !== undefined && ADMIN_ROLE_NAMES.has(role.toLowerCase()) && who !== undefined) out.set(who, `PIM ${ev.action.split('/')[1] ?? ''}: ${role}`);
      continue;
    }
    // Directory role membership: the role is a target resource or a modified property (`Role.DisplayName`).
    const api = asObject(body.properties) && 'activityDisplayName' in (asObject(body.properties) ?? {}) ? (asObject(body.properties) ?? {}) : body;
    const targets = auditTargets(api).map(asObject);
    let role: string | undefined;
    const users: string[] = [];
    for (const t of targets) {
      if (!t) continue;
      const type = asString(t.type) ?? asString(t.Type);
      const name = asString(t.displayName);
      if (type === 'Role' && name !== undefined) role ??= name;
      const upn = principalForm(asString(t.userPrincipalName));
      if (upn !== undefined) users.push(upn);
      for (const m of Array.isArray(t.modifiedProperties) ? (t.modifiedProperties as unknown[]) : []) {
        const mp = asObject(m);
        const pname = asString(mp?.displayName);
        const nv = asString(mp?.newValue)?.replace(/^"|"$/g, '');
        if (pname === 'Role.DisplayName' && nv !== undefined) role ??= nv;
        if (pname === 'Role.TemplateId' && nv !== undefined) role ??= ENTRA_ADMIN_ROLES[nv.toLowerCase()];
      }
    }
    if (role !== undefined && ADMIN_ROLE_NAMES.has(role.toLowerCase())) for (const u of users) out.set(u, `${ev.action}: ${role}`);
  }
  return [...out.entries()].map(([principal, why]) => ({ principal, why }));
}

/**
 * Logging and monitoring tampering (Activity Log operations, lower case): diagnostic settings (resource, subscription
 * and Entra ID), activity log alerts, alert rules and action groups, Log Analytics workspaces, Defender for Cloud
 * plans and suppression rules, Sentinel rules and connectors, Network Watcher and flow logs, Event Hubs that receive
 * logs. From the SigmaHQ and Panther Azure rules (docs/azure.md).
 */
export const AZURE_TAMPER_ACTIONS = [
  'microsoft.insights/diagnosticsettings/delete',
  'microsoft.aadiam/diagnosticsettings/delete',
  'microsoft.insights/activitylogalerts/delete',
  'microsoft.insights/activitylogalerts/write',
  'microsoft.insights/alertrules/delete',
  'microsoft.insights/metricalerts/delete',
  'microsoft.insights/scheduledqueryrules/delete',
  'microsoft.insights/actiongroups/delete',
  'microsoft.insights/logprofiles/delete',
  'microsoft.operationalinsights/workspaces/delete',
  'microsoft.operationalinsights/workspaces/datasources/delete',
  'microsoft.security/pricings/write',
  'microsoft.security/alertssuppressionrules/write',
  'microsoft.security/securitycontacts/delete',
  'microsoft.securityinsights/alertrules/delete',
  'microsoft.securityinsights/dataconnectors/delete',
  'microsoft.network/networkwatchers/delete',
  'microsoft.network/networkwatchers/flowlogs/delete',
  'microsoft.eventhub/namespaces/eventhubs/delete',
  'microsoft.alertsmanagement/actionrules/write',
] as const;

/** Of those, the ones that stop a log's delivery outright. */
export const AZURE_TAMPER_STOPS = [
  'microsoft.insights/diagnosticsettings/delete',
  'microsoft.aadiam/diagnosticsettings/delete',
  'microsoft.insights/logprofiles/delete',
  'microsoft.operationalinsights/workspaces/delete',
] as const;

/** Operations that (re)start delivery. */
export const AZURE_TAMPER_STARTS = ['microsoft.insights/diagnosticsettings/write', 'microsoft.aadiam/diagnosticsettings/write', 'microsoft.insights/logprofiles/write'] as const;

/** Other forms of a crown-jewel entry: ARM resource ids are case-insensitive and events hold them in lower case. */
export function azureJewelForms(jewel: string): string[] {
  return /^\/subscriptions\//i.test(jewel) && jewel !== jewel.toLowerCase() ? [jewel.toLowerCase()] : [];
}

/**
 * Azure identifier shapes the pseudonymizer replaces (UPNs and e-mail addresses are handled by the generic e-mail
 * rule). Only ids inside paths that say what they are: a GUID alone may be an event or correlation id, which must
 * stay citable. Subscription ids in ARM paths become account pseudonyms and resource group names are learnt as
 * resources; tenant ids in `/tenants/` paths and token issuers become account pseudonyms.
 */
export const AZURE_PSEUDONYM_PATTERNS: readonly PseudonymPattern[] = [
  {
    name: 'ARM subscription path (subscription id, resource group)',
    pattern: /\/subscriptions\/(?<account>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:\/resourceGroups\/(?<name>[\w.()-]+))?/gi,
    kind: 'resource',
  },
  {
    name: 'Entra tenant path or token issuer',
    pattern: /(?:\/tenants\/|sts\.windows\.net\/|login\.microsoftonline\.com\/)(?<account>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/gi,
    kind: 'account',
  },
];
