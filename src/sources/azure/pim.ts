/**
 * Entra ID Privileged Identity Management requests: Microsoft Graph `unifiedRoleAssignmentScheduleRequest` and
 * `unifiedRoleEligibilityScheduleRequest` objects (`/roleManagement/directory/roleAssignmentScheduleRequests`,
 * `/roleEligibilityScheduleRequests`, optionally `$expand=principal,roleDefinition`): `id`, `action` (`selfActivate`,
 * `adminAssign`, `adminRemove`, ...), `status` (`Provisioned`, `Granted`, `PendingApproval`, `Denied`, ...),
 * `createdDateTime`, `completedDateTime`, `createdBy`, `principalId`, `roleDefinitionId`, `directoryScopeId`,
 * `justification`, `scheduleInfo`, `ticketInfo`. Layer `control_plane`: a request changes who holds a role.
 *
 * PIM's directory audits ("Add member to role completed (PIM activation)", category RoleManagement, service PIM) are
 * directory audits and go through that adapter. Pure.
 */
import { asObject, asString, normalizeTime, type NormalizeResult, type Outcome } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';
import { firstString, principalForm, ruleView } from './common.js';
import { ENTRA_ADMIN_ROLES } from './knowledge.js';

function isScheduleRequest(record: unknown): Record<string, unknown> | undefined {
  const o = asObject(record);
  if (!o) return undefined;
  return typeof o.roleDefinitionId === 'string' && typeof o.principalId === 'string' && typeof o.action === 'string' && 'createdDateTime' in o && ('status' in o || 'scheduleInfo' in o) ? o : undefined;
}

/**
 * The request's collection, when the object says (`@odata.type`); list pages do not repeat it per element, so a
 * bare element is a `roleScheduleRequest`.
 */
function kindOf(o: Record<string, unknown>): string {
  const t = asString(o['@odata.type'])?.toLowerCase() ?? '';
  return t.includes('eligibility') ? 'roleEligibilityScheduleRequest' : t.includes('assignmentschedulerequest') ? 'roleAssignmentScheduleRequest' : 'roleScheduleRequest';
}

function outcomeOf(status: string | undefined): Outcome {
  const s = status?.toLowerCase();
  if (s === 'provisioned' || s === 'granted' || s === 'scheduledcreation' || s === 'revoked') return 'success';
  if (s === 'denied' || s === 'failed' || s === 'canceled' || s === 'timedout' || s === 'failedasresourceislocked') return 'failure';
  return 'unknown';
}

/** Pure mapping of one PIM schedule request to the common schema. */
export function normalizePimRequest(record: unknown, rawSha256: string): NormalizeResult {
  const o = isScheduleRequest(record);
  if (!o) return { ok: false, reason: 'not a PIM role schedule request (no roleDefinitionId/principalId/action/createdDateTime)' };
  const timeText = asString(o.createdDateTime);
  if (timeText === undefined) return { ok: false, reason: 'PIM role schedule request has no createdDateTime' };
  const t = normalizeTime(timeText);
  if (!t) return { ok: false, reason: `PIM role schedule request time ${JSON.stringify(timeText).slice(0, 60)} is not an ISO 8601 time` };
  const principalId = asString(o.principalId)?.toLowerCase();
  const principal = asObject(o.principal);
  const principalUpn = principalForm(asString(principal?.userPrincipalName));
  const by = asObject(o.createdBy);
  const byUser = asObject(by?.user);
  const byApp = asObject(by?.application);
  const byId = asString(byUser?.id)?.toLowerCase();
  // Self-service (`selfActivate`): the creator is the principal, whose UPN the expanded `principal` may carry.
  const actorId = byId ?? asString(byApp?.id)?.toLowerCase() ?? principalId;
  const actor = actorId !== undefined && actorId === principalId && principalUpn !== undefined ? principalUpn : actorId;
  const roleDef = asObject(o.roleDefinition);
  const roleId = asString(o.roleDefinitionId)?.toLowerCase();
  const role = firstString(roleDef?.displayName, roleId !== undefined ? ENTRA_ADMIN_ROLES[roleId] : undefined) ?? roleId;
  const status = asString(o.status);
  const outcome = outcomeOf(status);
  const kind = kindOf(o);
  return {
    ok: true,
    event: {
      id: asString(o.id) ?? `sha256:${rawSha256}`,
      dataType: 'azure:pim:entry',
      class: 'account_change',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'control_plane',
      service: 'entra',
      action: `${kind}/${asString(o.action) ?? 'unknown'}`,
      actor: { principal: actor, type: byApp && !byUser ? 'ServicePrincipal' : 'User', name: asString(byUser?.displayName) ?? asString(byApp?.displayName), principalId: actorId },
      outcome,
      errorCode: outcome === 'failure' ? status : undefined,
      readOnly: false,
      // The principal whose role changes (UPN when expanded), the role and its scope.
      resources: [principalUpn ?? principalId, role, asString(o.directoryScopeId)].filter((x): x is string => x !== undefined && x !== ''),
    },
  };
}

/** The PIM request adapter. */
export const azurePim: SourceAdapter = {
  id: 'azure-pim',
  dataType: 'azure:pim:entry',
  provider: 'azure',
  description: 'Entra ID PIM role assignment / eligibility schedule requests (Graph roleManagement pages)',
  version: 1,
  matches: (record) => isScheduleRequest(record) !== undefined,
  normalize: normalizePimRequest,
  ruleBody: (record) => {
    const o = isScheduleRequest(record);
    return o ? ruleView(o, o, {}) : record;
  },
  logSources: [{ product: 'azure', service: 'pim', description: 'Entra ID PIM role schedule requests' }],
  detailPaths: {
    request: ['$.justification', '$.scheduleInfo', '$.ticketInfo', '$.directoryScopeId'],
    error: ['$.status'],
    response: ['$.completedDateTime', '$.targetScheduleId'],
  },
};
