/**
 * Azure and Entra ID containment steps, planned from the threat's own evidence (pure: no SDK, no network, no clock).
 * Reads the threat's Entra sign-ins and directory audits and its Activity Log entries: which users and service
 * principals acted, which app credentials and role assignments (ARM and directory roles) the threat added, which
 * virtual machines and network interfaces it changed. Each call is a REST request (`endpoint` graph or arm: the host
 * follows the cloud, e.g. https://graph.microsoft.com and https://management.azure.com in the public cloud).
 *
 * The runner (runner.ts, loaded only for `--execute`, `--rollback` and `--status`) makes the calls.
 *
 * Every value read here comes from log records the attacker may have shaped: it is used only as an identifier in a
 * planned call (validated by shape), never as an instruction.
 */
import { evidenceIds as evid, obj, type Rec, sortedTargets as sorted, str, Targets } from '../targets.js';
import type { ContainmentSupport, PlannedCall, ProviderPlan, RunnerOptions, StepDraft, StepRunner, ThreatEvent, ThreatEvidence } from '../types.js';

const PROVIDER = 'azure';
const ARM_ROLE_API = '2022-04-01';
const COMPUTE_API = '2024-03-01';
const NETWORK_API = '2023-11-01';

/** Step kinds (the context.yaml policy names these). */
export const AZURE_STEP_KINDS = [
  { kind: 'revoke-user-sessions', phase: 'contain', reversible: false, description: "revoke a user's refresh tokens and session cookies (Graph revokeSignInSessions)" },
  { kind: 'disable-user', phase: 'contain', reversible: true, description: 'block sign-in of an Entra user (accountEnabled false)' },
  { kind: 'disable-service-principal', phase: 'contain', reversible: true, description: 'disable a service principal (accountEnabled false): its app can no longer get tokens in the tenant' },
  { kind: 'remove-app-password', phase: 'contain', reversible: false, description: 'remove a client secret the threat added to an application (the secret cannot be restored)' },
  { kind: 'delete-role-assignment', phase: 'contain', reversible: true, description: 'delete an Azure RBAC role assignment the threat created' },
  { kind: 'remove-directory-role-member', phase: 'contain', reversible: true, description: 'remove a member the threat added to an Entra directory role' },
  { kind: 'snapshot-disks', phase: 'preserve', reversible: false, description: 'incremental snapshot of every managed disk of the VM, tagged with the case and threat ids' },
  { kind: 'isolate-nic', phase: 'contain', reversible: true, description: 'associate every network interface of the VM with an irctl deny-all network security group' },
] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPN = /^[^\s@/?#]{1,113}@[A-Za-z0-9.-]{1,255}$/;
const ROLE_ASSIGNMENT = /^(\/subscriptions\/[0-9a-f-]{36}(?:\/resourceGroups\/[\w().-]{1,90}(?:\/providers\/[\w./-]{1,400})?)?|\/providers\/Microsoft\.Management\/managementGroups\/[\w().-]{1,90})?\/providers\/Microsoft\.Authorization\/roleAssignments\/([0-9a-f-]{36})$/i;
const VM = /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([\w().-]{1,90})\/providers\/Microsoft\.Compute\/virtualMachines\/([\w.-]{1,80})$/i;
const NIC = /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([\w().-]{1,90})\/providers\/Microsoft\.Network\/networkInterfaces\/([\w.-]{1,80})$/i;
/** Activity Log operations on a VM that change it or run code on it (reads alone do not make it a target). */
const VM_CHANGE = /^microsoft\.compute\/virtualmachines\/(write|runcommand\/action|extensions\/write|runcommands\/write|start\/action|restart\/action|redeploy\/action|login\/action|loginasadmin\/action)$/i;

/** `{value: "x"}` (ARM localizable strings) or "x". */
function val(v: unknown): string | undefined {
  return str(v) ?? str(obj(v)?.value);
}
function parseJson(s: unknown): unknown {
  if (typeof s !== 'string') return s;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** The record of a stored event (diagnostic-settings exports nest the API shape in `properties`). */
function recordOf(e: ThreatEvent): Rec | undefined {
  const o = obj(parseJson(e.raw));
  if (!o) return undefined;
  // Diagnostic settings (SignInLogs / AuditLogs categories) carry the Graph object in `properties`.
  const p = obj(o.properties);
  if (p && (o.category === 'SignInLogs' || o.category === 'NonInteractiveUserSignInLogs' || o.category === 'ServicePrincipalSignInLogs' || o.category === 'AuditLogs')) return p;
  return o;
}

interface UserTarget {
  id: string;
  upn: string | undefined;
}
interface AppPassword {
  appObjectId: string;
  appName: string | undefined;
  /** The full key id (a GUID) or the prefix the audit shows. */
  keyId: string;
  complete: boolean;
  displayName: string | undefined;
}
interface RoleAssignment {
  id: string;
  scope: string;
  name: string;
  principalId: string | undefined;
  principalType: string | undefined;
  roleDefinitionId: string | undefined;
}
interface DirectoryRoleMember {
  memberId: string;
  roleTemplateId: string;
  roleName: string | undefined;
}
interface VmTarget {
  subscription: string;
  group: string;
  name: string;
  id: string;
}

/** Key descriptions of an audit's `KeyDescription` value: `[KeyIdentifier=...,KeyType=Password,...,DisplayName=...]`. */
function keyDescriptions(v: unknown): Array<{ keyId: string; type: string | undefined; displayName: string | undefined }> {
  const parsed = parseJson(v);
  const list = Array.isArray(parsed) ? parsed : [];
  const out: Array<{ keyId: string; type: string | undefined; displayName: string | undefined }> = [];
  for (const item of list) {
    if (typeof item !== 'string') continue;
    const fields = new Map<string, string>();
    for (const part of item.replace(/^\[|\]$/g, '').split(',')) {
      const i = part.indexOf('=');
      if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
    }
    const keyId = fields.get('KeyIdentifier');
    if (keyId) out.push({ keyId, type: fields.get('KeyType'), displayName: fields.get('DisplayName') });
  }
  return out;
}

const succeeded = (status: string | undefined): boolean => status === undefined || /^(succeeded|success|accepted|ok|created)$/i.test(status);

/** Read the records: who acted and what the threat created. */
export function readAzureEvidence(ev: ThreatEvidence): {
  users: Targets<UserTarget>;
  sps: Targets<{ id: string; appId: string | undefined }>;
  passwords: Targets<AppPassword>;
  assignments: Targets<RoleAssignment>;
  dirRoles: Targets<DirectoryRoleMember>;
  vms: Targets<VmTarget>;
  nics: Targets<VmTarget>;
  notes: Set<string>;
} {
  const users = new Targets<UserTarget>();
  const sps = new Targets<{ id: string; appId: string | undefined }>();
  const passwords = new Targets<AppPassword>();
  const assignments = new Targets<RoleAssignment>();
  const dirRoles = new Targets<DirectoryRoleMember>();
  const vms = new Targets<VmTarget>();
  const nics = new Targets<VmTarget>();
  const notes = new Set<string>();
  const addUser = (id: unknown, upn: unknown, evid: string): void => {
    const i = str(id);
    if (!i || !GUID.test(i)) return;
    const u = str(upn);
    users.add(i.toLowerCase(), { id: i.toLowerCase(), upn: u && UPN.test(u) ? u.toLowerCase() : undefined }, evid);
  };
  const addSp = (id: unknown, appId: unknown, evid: string): void => {
    const i = str(id);
    if (!i || !GUID.test(i)) return;
    const a = str(appId);
    sps.add(i.toLowerCase(), { id: i.toLowerCase(), appId: a && GUID.test(a) ? a.toLowerCase() : undefined }, evid);
  };
  for (const e of ev.events) {
    const r = recordOf(e);
    if (!r) continue;
    // Entra sign-in: a successful one makes its user (or service principal) a target; failures (a spray's victims) do not.
    if (str(r.createdDateTime) !== undefined && (r.userId !== undefined || r.servicePrincipalId !== undefined) && obj(r.status)) {
      const code = obj(r.status)?.errorCode;
      if (code !== 0 && code !== '0') continue;
      if (str(r.servicePrincipalId) && !str(r.userId)) addSp(r.servicePrincipalId, r.appId, e.id);
      else addUser(r.userId, r.userPrincipalName, e.id);
      continue;
    }
    // Entra directory audit.
    if (str(r.activityDisplayName) !== undefined) {
      if (str(r.result) !== undefined && !/^success$/i.test(str(r.result)!)) continue;
      const by = obj(r.initiatedBy);
      const byUser = obj(by?.user);
      const byApp = obj(by?.app);
      if (byUser) addUser(byUser.id, byUser.userPrincipalName, e.id);
      if (byApp) addSp(byApp.servicePrincipalId, byApp.appId, e.id);
      const activity = str(r.activityDisplayName)!;
      const targets = Array.isArray(r.targetResources) ? r.targetResources.flatMap((t) => (obj(t) ? [obj(t)!] : [])) : [];
      for (const t of targets) {
        const props = Array.isArray(t.modifiedProperties) ? t.modifiedProperties.flatMap((p) => (obj(p) ? [obj(p)!] : [])) : [];
        const type = str(t.type);
        const tid = str(t.id);
        if ((type === 'Application' || type === 'ServicePrincipal') && tid && GUID.test(tid)) {
          for (const p of props) {
            if (p.displayName !== 'KeyDescription') continue;
            const old = new Set(keyDescriptions(p.oldValue).map((k) => k.keyId));
            for (const k of keyDescriptions(p.newValue)) {
              if (old.has(k.keyId)) continue;
              if (k.type !== undefined && !/^password$/i.test(k.type)) {
                notes.add(`the threat added a ${k.type} credential (key ${k.keyId}) to ${type.toLowerCase()} ${str(t.displayName) ?? tid}: remove it by hand (removeKey needs a proof-of-possession token)`);
                continue;
              }
              if (type === 'ServicePrincipal') {
                notes.add(`the threat added a secret (key ${k.keyId}) to service principal ${str(t.displayName) ?? tid}: remove it with POST /servicePrincipals/${tid}/removePassword`);
                continue;
              }
              const prefix = k.keyId.replace(/[…\u2026.]+$/, '');
              const complete = GUID.test(k.keyId);
              if (!complete && !/^[0-9a-f-]{2,36}$/i.test(prefix)) continue;
              passwords.add(`${tid.toLowerCase()} ${prefix.toLowerCase()}`, { appObjectId: tid.toLowerCase(), appName: str(t.displayName), keyId: prefix.toLowerCase(), complete, displayName: k.displayName }, e.id);
            }
          }
        }
        if (/^add member to role$/i.test(activity) && (type === 'User' || type === 'ServicePrincipal') && tid && GUID.test(tid)) {
          let templateId: string | undefined;
          let roleName: string | undefined;
          for (const p of props) {
            const nv = parseJson(p.newValue);
            if (p.displayName === 'Role.TemplateId' && typeof nv === 'string' && GUID.test(nv)) templateId = nv.toLowerCase();
            if (p.displayName === 'Role.DisplayName' && typeof nv === 'string') roleName = nv;
          }
          if (templateId) dirRoles.add(`${templateId} ${tid.toLowerCase()}`, { memberId: tid.toLowerCase(), roleTemplateId: templateId, roleName }, e.id);
        }
      }
      continue;
    }
    // Activity Log entry.
    const op = val(r.operationName);
    if (op === undefined) continue;
    const status = val(r.status);
    const claims = obj(r.claims) ?? {};
    const oid = str(claims['http://schemas.microsoft.com/identity/claims/objectidentifier']);
    if (claims.idtyp === 'app' || (str(claims.appid) && !str(claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']) && oid && oid === str(r.caller))) addSp(oid, claims.appid, e.id);
    else addUser(oid, claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] ?? r.caller, e.id);
    const resourceId = str(r.resourceId) ?? str(obj(r.authorization)?.scope);
    if (/^microsoft\.authorization\/roleassignments\/write$/i.test(op) && resourceId && succeeded(status)) {
      const m = ROLE_ASSIGNMENT.exec(resourceId);
      if (m) {
        const body = obj(parseJson(obj(r.properties)?.requestbody));
        const props = obj(body?.Properties ?? body?.properties);
        const scope = m[1] ?? '/';
        const key = resourceId.toLowerCase();
        const prev = assignments.map.get(key)?.value;
        assignments.add(
          key,
          prev ?? {
            id: resourceId,
            scope,
            name: m[2]!.toLowerCase(),
            principalId: str(props?.PrincipalId ?? props?.principalId),
            principalType: str(props?.PrincipalType ?? props?.principalType),
            roleDefinitionId: str(props?.RoleDefinitionId ?? props?.roleDefinitionId),
          },
          e.id,
        );
      }
    }
    if (VM_CHANGE.test(op) && resourceId && succeeded(status)) {
      const m = VM.exec(resourceId.replace(/\/(extensions|runCommands)\/[^/]+$/i, ''));
      if (m) vms.add(m[0].toLowerCase(), { subscription: m[1]!, group: m[2]!, name: m[3]!, id: m[0] }, e.id);
    }
    if (/^microsoft\.network\/networkinterfaces\/write$/i.test(op) && resourceId && succeeded(status)) {
      const m = NIC.exec(resourceId);
      if (m) nics.add(m[0].toLowerCase(), { subscription: m[1]!, group: m[2]!, name: m[3]!, id: m[0] }, e.id);
    }
    if (/^microsoft\.insights\/diagnosticsettings\/delete$/i.test(op) && resourceId && succeeded(status)) {
      notes.add(`the threat deleted the diagnostic setting ${resourceId}: re-create it by hand (its configuration is not in the records)`);
    }
  }
  return { users, sps, passwords, assignments, dirRoles, vms, nics, notes };
}

/** A REST call: `endpoint` graph or arm (the host follows the cloud), the method, path and query, and the body. */
function rest(api: string, endpoint: 'graph' | 'arm', method: string, path: string, body?: unknown): PlannedCall {
  return { api, params: { endpoint, method, path, ...(body !== undefined ? { body } : {}) } };
}

function base(d: Omit<StepDraft, 'provider'>): StepDraft {
  return { provider: PROVIDER, ...d };
}

/** Plan Azure steps from the threat's events. */
export function planAzure(ev: ThreatEvidence): ProviderPlan {
  const r = readAzureEvidence(ev);
  const steps: StepDraft[] = [];
  for (const [key, { value, evidence }] of sorted(r.vms)) {
    const vmPath = `${value.id}`;
    steps.push(
      base({
        kind: 'snapshot-disks',
        target: value.id,
        resource: `vm/${key}`,
        phase: 'preserve',
        title: `snapshot every managed disk of VM ${value.name} (tagged irctl:case, irctl:threat)`,
        calls: [
          rest('arm:virtualMachines.get', 'arm', 'GET', `${vmPath}?api-version=${COMPUTE_API}`),
          rest('arm:snapshots.createOrUpdate', 'arm', 'PUT', `/subscriptions/${value.subscription}/resourceGroups/${value.group}/providers/Microsoft.Compute/snapshots/<irctl-${ev.threat_id.toLowerCase()}-each disk name>?api-version=${COMPUTE_API}`, {
            location: '<the disk location>',
            properties: { creationData: { createOption: 'Copy', sourceResourceId: '<each managed disk id of the VM (OS and data)>' }, incremental: true },
            tags: { 'irctl:case': ev.case_id, 'irctl:threat': ev.threat_id, 'irctl:vm': value.id },
          }),
        ],
        reversible: false,
        risk: { level: 'none', breaks: 'nothing (snapshots cost storage; they are kept as evidence)' },
        rollback: null,
        preconditions: ['the VM exists', 'each disk is a managed disk (unmanaged VHDs: skipped with the reason)'],
        evidence_ids: evid(evidence),
        params: { vm: value.id, subscription: value.subscription, resourceGroup: value.group, name: value.name },
      }),
    );
    steps.push(
      base({
        kind: 'isolate-nic',
        target: value.id,
        resource: `vm/${key}`,
        phase: 'contain',
        title: `isolate VM ${value.name}: every network interface to a deny-all network security group`,
        calls: [
          rest('arm:networkSecurityGroups.createOrUpdate', 'arm', 'PUT', `/subscriptions/${value.subscription}/resourceGroups/${value.group}/providers/Microsoft.Network/networkSecurityGroups/irctl-isolation-<the NIC's location>?api-version=${NETWORK_API}`, {
            location: "<the NIC's location>",
            properties: {
              securityRules: [
                { name: 'irctl-deny-all-inbound', properties: { priority: 100, direction: 'Inbound', access: 'Deny', protocol: '*', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*' } },
                { name: 'irctl-deny-all-outbound', properties: { priority: 100, direction: 'Outbound', access: 'Deny', protocol: '*', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*' } },
              ],
            },
            tags: { 'irctl:case': ev.case_id, 'irctl:threat': ev.threat_id },
          }),
          rest('arm:networkInterfaces.createOrUpdate', 'arm', 'PUT', `<each NIC id of the VM>?api-version=${NETWORK_API}`, { '...': '<the NIC as read>', properties: { networkSecurityGroup: { id: '<the irctl-isolation NSG id>' } } }),
        ],
        reversible: true,
        risk: { level: 'high', breaks: "all network traffic of the VM (its services go offline); a subnet NSG still applies on top" },
        rollback: { calls: [rest('arm:networkInterfaces.createOrUpdate', 'arm', 'PUT', `<each NIC id of the VM>?api-version=${NETWORK_API}`, { properties: { networkSecurityGroup: '<recorded NSG or none>' } })], note: 'each interface back to its recorded network security group (or none)' },
        preconditions: ['the VM exists', 'every snapshot-disks step of the VM is done'],
        evidence_ids: evid(evidence),
        params: { vm: value.id, subscription: value.subscription, resourceGroup: value.group, name: value.name },
      }),
    );
  }
  for (const [key, { value, evidence }] of sorted(r.nics)) {
    steps.push(
      base({
        kind: 'isolate-nic',
        target: value.id,
        resource: `nic/${key}`,
        phase: 'contain',
        title: `isolate network interface ${value.name} (changed by the threat) with a deny-all network security group`,
        calls: [
          rest('arm:networkSecurityGroups.createOrUpdate', 'arm', 'PUT', `/subscriptions/${value.subscription}/resourceGroups/${value.group}/providers/Microsoft.Network/networkSecurityGroups/irctl-isolation-<the NIC's location>?api-version=${NETWORK_API}`, { location: "<the NIC's location>", properties: { securityRules: '<deny all inbound and outbound, priority 100>' } }),
          rest('arm:networkInterfaces.createOrUpdate', 'arm', 'PUT', `${value.id}?api-version=${NETWORK_API}`, { '...': '<the NIC as read>', properties: { networkSecurityGroup: { id: '<the irctl-isolation NSG id>' } } }),
        ],
        reversible: true,
        risk: { level: 'high', breaks: 'all traffic through the interface' },
        rollback: { calls: [rest('arm:networkInterfaces.createOrUpdate', 'arm', 'PUT', `${value.id}?api-version=${NETWORK_API}`, { properties: { networkSecurityGroup: '<recorded NSG or none>' } })], note: 'the interface back to its recorded network security group (or none)' },
        preconditions: ['the interface exists'],
        evidence_ids: evid(evidence),
        params: { nic: value.id },
      }),
    );
  }
  for (const [key, { value, evidence }] of sorted(r.users)) {
    const who = value.upn ?? value.id;
    steps.push(
      base({
        kind: 'revoke-user-sessions',
        target: value.id,
        resource: `user/${key}`,
        phase: 'contain',
        title: `revoke every refresh token and session of ${who}`,
        calls: [
          rest('graph:users.get', 'graph', 'GET', `/v1.0/users/${value.id}?$select=id,userPrincipalName,accountEnabled,signInSessionsValidFromDateTime`),
          rest('graph:users.revokeSignInSessions', 'graph', 'POST', `/v1.0/users/${value.id}/revokeSignInSessions`),
        ],
        reversible: false,
        risk: { level: 'medium', breaks: `${who} must sign in again everywhere (access tokens already issued stay valid until they expire, up to about an hour)` },
        rollback: null,
        preconditions: ['the user exists'],
        evidence_ids: evid(evidence),
        params: { user: value.id, upn: value.upn ?? null },
      }),
    );
    steps.push(
      base({
        kind: 'disable-user',
        target: value.id,
        resource: `user/${key}`,
        phase: 'contain',
        title: `block sign-in of ${who} (accountEnabled false)`,
        calls: [
          rest('graph:users.get', 'graph', 'GET', `/v1.0/users/${value.id}?$select=id,userPrincipalName,accountEnabled,signInSessionsValidFromDateTime`),
          rest('graph:users.update', 'graph', 'PATCH', `/v1.0/users/${value.id}`, { accountEnabled: false }),
        ],
        reversible: true,
        risk: { level: 'medium', breaks: `${who} cannot sign in; what runs as the user stops at the next token refresh` },
        rollback: { calls: [rest('graph:users.update', 'graph', 'PATCH', `/v1.0/users/${value.id}`, { accountEnabled: true })], note: 'enable the account again (when it was enabled before)' },
        preconditions: ['the user exists', 'the account is enabled (already disabled: skipped)'],
        evidence_ids: evid(evidence),
        params: { user: value.id, upn: value.upn ?? null },
      }),
    );
  }
  for (const [key, { value, evidence }] of sorted(r.sps)) {
    steps.push(
      base({
        kind: 'disable-service-principal',
        target: value.id,
        resource: `sp/${key}`,
        phase: 'contain',
        title: `disable service principal ${value.id}${value.appId ? ` (app ${value.appId})` : ''}`,
        calls: [
          rest('graph:servicePrincipals.get', 'graph', 'GET', `/v1.0/servicePrincipals/${value.id}?$select=id,appId,displayName,accountEnabled`),
          rest('graph:servicePrincipals.update', 'graph', 'PATCH', `/v1.0/servicePrincipals/${value.id}`, { accountEnabled: false }),
        ],
        reversible: true,
        risk: { level: 'high', breaks: 'every automation using this application in the tenant stops getting tokens' },
        rollback: { calls: [rest('graph:servicePrincipals.update', 'graph', 'PATCH', `/v1.0/servicePrincipals/${value.id}`, { accountEnabled: true })], note: 'enable the service principal again (when it was enabled before)' },
        preconditions: ['the service principal exists', 'it is enabled (already disabled: skipped)'],
        evidence_ids: evid(evidence),
        params: { servicePrincipal: value.id, appId: value.appId ?? null },
      }),
    );
  }
  for (const [, { value, evidence }] of sorted(r.passwords)) {
    const app = value.appName ?? value.appObjectId;
    const keyParam = value.complete ? value.keyId : `<the passwordCredentials keyId starting ${value.keyId}${value.displayName ? ` (displayName ${value.displayName})` : ''}, read from the application>`;
    steps.push(
      base({
        kind: 'remove-app-password',
        target: `${value.appObjectId}/passwordCredentials/${value.keyId}`,
        resource: `app/${value.appObjectId}`,
        phase: 'contain',
        title: `remove the client secret ${value.keyId}${value.displayName ? ` ("${value.displayName}")` : ''} the threat added to application ${app}`,
        calls: [
          rest('graph:applications.get', 'graph', 'GET', `/v1.0/applications/${value.appObjectId}?$select=id,appId,displayName,passwordCredentials`),
          rest('graph:applications.removePassword', 'graph', 'POST', `/v1.0/applications/${value.appObjectId}/removePassword`, { keyId: keyParam }),
        ],
        reversible: false,
        risk: { level: 'low', breaks: 'whatever authenticates with that secret (the threat added it; a legitimate user of it would have to be told)' },
        rollback: null,
        preconditions: ['the application exists', value.complete ? 'the secret is still on the application (gone: skipped)' : 'exactly one secret on the application has a keyId with that prefix (none or several: skipped)'],
        evidence_ids: evid(evidence),
        params: { application: value.appObjectId, keyId: value.keyId, complete: value.complete, displayName: value.displayName ?? null },
      }),
    );
  }
  for (const [key, { value, evidence }] of sorted(r.assignments)) {
    const path = `${value.scope === '/' ? '' : value.scope}/providers/Microsoft.Authorization/roleAssignments/${value.name}`;
    const known = value.principalId !== undefined && value.roleDefinitionId !== undefined;
    steps.push(
      base({
        kind: 'delete-role-assignment',
        target: value.id,
        resource: `roleassignment/${key}`,
        phase: 'contain',
        title: `delete the role assignment ${value.name} the threat created${known ? ` (${value.roleDefinitionId!.split('/').pop()} for ${value.principalId} at ${value.scope})` : ''}`,
        calls: [
          rest('arm:roleAssignments.get', 'arm', 'GET', `${path}?api-version=${ARM_ROLE_API}`),
          rest('arm:roleAssignments.delete', 'arm', 'DELETE', `${path}?api-version=${ARM_ROLE_API}`),
        ],
        reversible: true,
        risk: { level: 'low', breaks: `access the assignment grants${value.principalId ? ` to ${value.principalId}` : ''}` },
        rollback: {
          calls: [rest('arm:roleAssignments.create', 'arm', 'PUT', `${path}?api-version=${ARM_ROLE_API}`, { properties: { roleDefinitionId: '<recorded>', principalId: '<recorded>', principalType: '<recorded>' } })],
          note: 're-create the assignment from the recorded before-state (same name, role, principal, scope)',
        },
        preconditions: ['the assignment exists (gone: skipped)', known ? 'it still names the role and principal of the record (changed: skipped)' : 'the record has no request body: the live assignment is recorded before deletion'],
        evidence_ids: evid(evidence),
        params: { id: value.id, scope: value.scope, name: value.name, principalId: value.principalId ?? null, principalType: value.principalType ?? null, roleDefinitionId: value.roleDefinitionId ?? null },
      }),
    );
  }
  for (const [key, { value, evidence }] of sorted(r.dirRoles)) {
    const rolePath = `/v1.0/directoryRoles(roleTemplateId='${value.roleTemplateId}')`;
    steps.push(
      base({
        kind: 'remove-directory-role-member',
        target: `${value.roleTemplateId}/members/${value.memberId}`,
        resource: `dirrole/${key}`,
        phase: 'contain',
        title: `remove ${value.memberId} from the directory role ${value.roleName ?? value.roleTemplateId} (added by the threat)`,
        calls: [rest('graph:directoryRoles.members.list', 'graph', 'GET', `${rolePath}/members?$select=id`), rest('graph:directoryRoles.members.delete', 'graph', 'DELETE', `${rolePath}/members/${value.memberId}/$ref`)],
        reversible: true,
        risk: { level: 'low', breaks: `the ${value.roleName ?? 'directory role'} rights of ${value.memberId}` },
        rollback: { calls: [rest('graph:directoryRoles.members.add', 'graph', 'POST', `${rolePath}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${value.memberId}` })], note: 'add the member back' },
        preconditions: ['the member still holds the role (not: skipped)'],
        evidence_ids: evid(evidence),
        params: { roleTemplateId: value.roleTemplateId, member: value.memberId },
      }),
    );
  }
  const notes = [...r.notes].sort();
  if (steps.some((s) => s.kind === 'revoke-user-sessions' || s.kind === 'remove-app-password')) {
    notes.push('irreversible: --rollback cannot undo revoke-user-sessions (revoked sessions stay revoked; the user signs in again) or remove-app-password (a removed secret is gone; a new one must be issued)');
  }
  return { steps, notes };
}

/** What the Azure provider module registers. */
export const azureContainment: ContainmentSupport = {
  kinds: AZURE_STEP_KINDS,
  plan: planAzure,
  runner: async (opts: RunnerOptions): Promise<StepRunner> => (await import('./runner.js')).azureRunner(opts),
};
