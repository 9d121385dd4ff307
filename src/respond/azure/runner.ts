/**
 * Executes Azure and Entra ID containment steps: Microsoft Graph and Azure Resource Manager REST calls through the
 * same credential, pipeline and endpoints as `irctl collect azure` (src/collect/azure: `--cloud`, the
 * `IRCTL_AZURE_*_ENDPOINT` overrides, `IRCTL_AZURE_CA_FILE`, a service principal from the environment or
 * DefaultAzureCredential). Each step reads the live state first (the before-state rollback restores), checks its
 * preconditions, acts, and reads the after-state. Long-running ARM operations (snapshots, network security groups,
 * network interfaces) are polled through `Azure-AsyncOperation` / `Location` until they end.
 */
import { azureEndpoints, type AzureEndpoints } from '../../collect/azure/cloud.js';
import { azureAuth } from '../../collect/azure/credential.js';
import { explainAzureError, isAzureAbort } from '../../collect/azure/errors.js';
import { AzureApiError, AzureHttp, type AzureResponse } from '../../collect/azure/http.js';
import { runPacing, type Timer } from '../../collect/rate-limit.js';
import { PRESERVED, readLiveStatus, runStep, Skip } from '../runner-kit.js';
import { obj, str, type Rec } from '../targets.js';
import type { MadeCall, RunnableStep, RunnerOptions, StepLiveStatus, StepOutcome, StepRunner } from '../types.js';

const ROLE_API = '2022-04-01';
const COMPUTE_API = '2024-03-01';
const NETWORK_API = '2023-11-01';
/** Longest a long-running ARM operation is polled before the step fails. */
const LRO_LIMIT_MS = 30 * 60_000;


/** Error codes meaning the resource is gone (Graph and ARM). */
const GONE = /^(Request_ResourceNotFound|ResourceNotFound|NotFound|RoleAssignmentNotFound|ResourceGroupNotFound|HTTP404)$/;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Api = 'graph' | 'arm';

/** Options of the runner beyond the generic ones (tests inject pacing). */
export interface AzureRunnerDeps {
  timer?: Timer;
}

/** The deny-all rules of the isolation network security group (priority 100, both directions). */
export function isolationRules(): Rec[] {
  const rule = (direction: 'Inbound' | 'Outbound'): Rec => ({
    name: `irctl-deny-all-${direction.toLowerCase()}`,
    properties: { priority: 100, direction, access: 'Deny', protocol: '*', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*', description: 'irctl containment: deny all' },
  });
  return [rule('Inbound'), rule('Outbound')];
}

/** Resource-name-safe text (snapshot and NSG names: letters, digits, `_`, `-`, `.`; at most 80 characters). */
function armName(s: string): string {
  return s.replace(/[^\w.-]/g, '-').slice(0, 80).replace(/[.-]+$/, '');
}

/** `/subscriptions/{s}/resourceGroups/{g}/providers/...` -> subscription and group. */
function scopeOf(id: string): { subscription: string; group: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(id);
  return m ? { subscription: m[1]!, group: m[2]! } : undefined;
}

/** Build the Azure runner. */
export async function azureRunner(opts: RunnerOptions, deps: AzureRunnerDeps = {}): Promise<StepRunner> {
  const endpoints: AzureEndpoints = azureEndpoints(opts.cloud, opts.env);
  const { timer, random, retryBaseMs } = runPacing({ env: opts.env, signal: opts.signal, now: opts.now, ...(deps.timer ? { timer: deps.timer } : {}) }, 500);
  const auth = await azureAuth(opts.env, endpoints);
  const http = new AzureHttp({ credential: auth.credential, tlsOptions: auth.tlsOptions, timer, random, signal: opts.signal, maxRetries: 4, retryBaseMs });
  const base = (api: Api): string => (api === 'graph' ? endpoints.graph : endpoints.arm);
  const audience = (api: Api): string => (api === 'graph' ? endpoints.graphAudience : endpoints.armAudience);

  /** One step's call log. */
  class Calls {
    readonly made: MadeCall[] = [];
    /** One REST call; the parsed JSON body (undefined when empty). */
    async rest(name: string, api: Api, method: Method, path: string, body?: unknown): Promise<{ json: unknown; res: AzureResponse }> {
      const params: Rec = { endpoint: api, method, path, ...(body !== undefined ? { body } : {}) };
      try {
        const res = await http.call(audience(api), method, path.startsWith('https://') ? path : `${base(api)}${path}`, body === undefined ? undefined : JSON.stringify(body));
        this.made.push({ api: name, params, request_id: res.headers['x-ms-request-id'] ?? res.headers['request-id'], ok: true });
        return { json: parse(res.body), res };
      } catch (err) {
        const e = err instanceof AzureApiError ? err : undefined;
        this.made.push({ api: name, params, ok: false, error: e ? `${e.status ?? ''} ${e.code}: ${e.message}`.trim() : String(err) });
        throw err;
      }
    }
    /** A GET that answers undefined when the resource does not exist (404). */
    async find(name: string, api: Api, path: string): Promise<Rec | undefined> {
      try {
        return obj((await this.rest(name, api, 'GET', path)).json) ?? {};
      } catch (err) {
        if (err instanceof AzureApiError && (err.status === 404 || GONE.test(err.code))) {
          this.made[this.made.length - 1]!.ok = true; // "not there" is an answer, not a failure
          return undefined;
        }
        throw err;
      }
    }
    /** A PUT/DELETE of ARM, polled to its end when it is long-running (201/202 with an operation URL). */
    async armLro(name: string, method: 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
      const { json, res } = await this.rest(name, 'arm', method, path, body);
      const op = res.headers['azure-asyncoperation'];
      const loc = res.headers.location;
      // ARM's long-running operation contract: an Azure-AsyncOperation header (any 2xx) or a 202 with Location.
      if (op === undefined && (res.status !== 202 || loc === undefined)) return json;
      const started = timer.now();
      let retryAfter = res.headers['retry-after'];
      for (let i = 0; ; i++) {
        if (i === 0 && op !== undefined && /^succeeded$/i.test(str(obj(obj(json)?.properties)?.provisioningState) ?? '')) break;
        // Retry-After when the service gives one (capped at a minute), else 1 s.
        const ra = Number(retryAfter);
        await timer.sleep(retryAfter !== undefined && Number.isFinite(ra) && ra >= 0 ? Math.min(ra * 1000, 60_000) : 1000, opts.signal);
        if (op !== undefined) {
          const r = await this.rest(`${name}:poll`, 'arm', 'GET', op);
          retryAfter = r.res.headers['retry-after'] ?? retryAfter;
          const st = obj(r.json) ?? {};
          const status = str(st.status) ?? 'InProgress';
          if (/^succeeded$/i.test(status)) break;
          if (/^(failed|canceled|cancelled)$/i.test(status)) {
            const e = obj(st.error);
            throw new Error(`${name} ended ${status}${e ? `: ${str(e.code) ?? ''} ${str(e.message) ?? ''}` : ''}`);
          }
        } else {
          const r = await this.rest(`${name}:poll`, 'arm', 'GET', loc!);
          retryAfter = r.res.headers['retry-after'] ?? retryAfter;
          if (r.res.status !== 202) break;
        }
        if (timer.now() - started > LRO_LIMIT_MS) throw new Error(`${name} still running after ${LRO_LIMIT_MS / 60_000} minutes: check it in the portal`);
      }
      return method === 'PUT' ? obj((await this.rest(`${name}:get`, 'arm', 'GET', path)).json) : undefined;
    }
  }

  const outcomeOfError = (err: unknown, c: Calls, before: unknown): StepOutcome => {
    if (err instanceof Skip) return { status: 'skipped', reason: err.message, before, calls: c.made };
    if (isAzureAbort(err)) return { status: 'failed', reason: 'interrupted during the step (the calls made are recorded)', before, calls: c.made };
    if (err instanceof AzureApiError && (err.status === 404 || GONE.test(err.code))) return { status: 'skipped', reason: `the resource is gone (${err.code}: ${err.message.slice(0, 200)})`, before, calls: c.made };
    const x = explainAzureError(err, 'the step');
    // Credentials missing, refused or expired, or the endpoint unreachable: every later step would fail the same way.
    const fatal = x.kind === 'no_credentials' || x.kind === 'auth_failed' || x.kind === 'network';
    return { status: 'failed', reason: x.message, before, calls: c.made, ...(fatal ? { fatal: { message: x.message, hint: x.hint } } : {}) };
  };

  const run = (fn: (c: Calls, setBefore: (b: unknown) => void) => Promise<{ after: unknown }>): Promise<StepOutcome> => runStep(new Calls(), fn, outcomeOfError);

  const p = (s: RunnableStep, k: string): string => {
    const v = s.params[k];
    if (typeof v !== 'string' || v === '') throw new Skip(`the plan has no ${k} for this step`);
    return v;
  };

  // Graph objects ------------------------------------------------------------------------------------------------
  const USER_SELECT = '$select=id,userPrincipalName,accountEnabled,signInSessionsValidFromDateTime';
  const SP_SELECT = '$select=id,appId,displayName,accountEnabled';
  const account = async (c: Calls, kind: 'users' | 'servicePrincipals', id: string): Promise<Rec> => {
    const o = await c.find(`graph:${kind}.get`, 'graph', `/v1.0/${kind}/${id}?${kind === 'users' ? USER_SELECT : SP_SELECT}`);
    if (!o) throw new Skip(`${kind === 'users' ? 'user' : 'service principal'} ${id} no longer exists`);
    return o;
  };
  const enabledState = (kind: 'users' | 'servicePrincipals', o: Rec): Rec =>
    kind === 'users' ? { id: o.id, userPrincipalName: o.userPrincipalName ?? null, accountEnabled: o.accountEnabled ?? null } : { id: o.id, appId: o.appId ?? null, displayName: o.displayName ?? null, accountEnabled: o.accountEnabled ?? null };
  const setEnabled = async (c: Calls, kind: 'users' | 'servicePrincipals', id: string, on: boolean): Promise<void> => {
    await c.rest(`graph:${kind}.update`, 'graph', 'PATCH', `/v1.0/${kind}/${id}`, { accountEnabled: on });
  };

  const appPasswords = async (c: Calls, app: string): Promise<Rec[]> => {
    const o = await c.find('graph:applications.get', 'graph', `/v1.0/applications/${app}?$select=id,appId,displayName,passwordCredentials`);
    if (!o) throw new Skip(`application ${app} no longer exists`);
    // secretText is never returned by GET; keep only the metadata (hint, dates, names) in the record.
    return (Array.isArray(o.passwordCredentials) ? o.passwordCredentials : []).flatMap((x) => {
      const k = obj(x);
      return k ? [{ keyId: k.keyId ?? null, displayName: k.displayName ?? null, hint: k.hint ?? null, startDateTime: k.startDateTime ?? null, endDateTime: k.endDateTime ?? null }] : [];
    });
  };
  const matchingKeys = (s: RunnableStep, creds: Rec[]): Rec[] => {
    const key = p(s, 'keyId').toLowerCase();
    const complete = s.params.complete === true;
    return creds.filter((k) => {
      const id = typeof k.keyId === 'string' ? k.keyId.toLowerCase() : '';
      return complete ? id === key : id.startsWith(key);
    });
  };

  const dirRolePath = (s: RunnableStep): string => `/v1.0/directoryRoles(roleTemplateId='${p(s, 'roleTemplateId')}')`;
  const roleMembers = async (c: Calls, s: RunnableStep): Promise<string[]> => {
    const ids: string[] = [];
    let next: string | undefined = `${dirRolePath(s)}/members?$select=id`;
    for (let page = 0; next !== undefined && page < 100; page++) {
      const found = await c.find('graph:directoryRoles.members.list', 'graph', next);
      if (!found) throw new Skip(`the directory role ${p(s, 'roleTemplateId')} is not activated in the tenant (it has no members)`);
      for (const m of Array.isArray(found.value) ? found.value : []) {
        const id = str(obj(m)?.id);
        if (id) ids.push(id.toLowerCase());
      }
      next = str(found['@odata.nextLink']);
    }
    return ids;
  };

  // ARM ----------------------------------------------------------------------------------------------------------
  const assignmentPath = (s: RunnableStep): string => {
    const scope = p(s, 'scope');
    return `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/${p(s, 'name')}?api-version=${ROLE_API}`;
  };
  const vm = async (c: Calls, s: RunnableStep): Promise<Rec> => {
    const id = p(s, 'vm');
    const o = await c.find('arm:virtualMachines.get', 'arm', `${id}?api-version=${COMPUTE_API}`);
    if (!o) throw new Skip(`VM ${id} no longer exists`);
    return o;
  };
  const vmNics = (v: Rec): string[] =>
    (Array.isArray(obj(obj(v.properties)?.networkProfile)?.networkInterfaces) ? (obj(obj(v.properties)?.networkProfile)!.networkInterfaces as unknown[]) : []).flatMap((n) => (str(obj(n)?.id) ? [str(obj(n)?.id)!] : []));
  const nicsOf = async (c: Calls, s: RunnableStep): Promise<string[]> => {
    if (typeof s.params.nic === 'string') return [s.params.nic];
    const ids = vmNics(await vm(c, s));
    if (ids.length === 0) throw new Skip(`VM ${p(s, 'vm')} has no network interface`);
    return ids;
  };
  const getNic = async (c: Calls, id: string): Promise<Rec> => {
    const o = await c.find('arm:networkInterfaces.get', 'arm', `${id}?api-version=${NETWORK_API}`);
    if (!o) throw new Skip(`network interface ${id} no longer exists`);
    return o;
  };
  const nsgOf = (nic: Rec): string | null => str(obj(obj(nic.properties)?.networkSecurityGroup)?.id) ?? null;
  /** A NIC as read, ready to PUT back with another network security group (read-only members dropped). */
  const nicWith = (nic: Rec, nsg: string | null): Rec => {
    const props = { ...(obj(nic.properties) ?? {}) };
    delete props.provisioningState;
    delete props.resourceGuid;
    delete props.macAddress;
    delete props.virtualMachine;
    if (nsg === null) delete props.networkSecurityGroup;
    else props.networkSecurityGroup = { id: nsg };
    const out: Rec = { location: nic.location, properties: props };
    if (nic.tags !== undefined) out.tags = nic.tags;
    return out;
  };
  const isolationNsg = async (c: Calls, nic: Rec): Promise<string> => {
    const id = str(nic.id) ?? '';
    const where = scopeOf(id);
    const location = str(nic.location);
    if (!where || !location) throw new Skip(`network interface ${id} has no resource group or location`);
    const nsgId = `/subscriptions/${where.subscription}/resourceGroups/${where.group}/providers/Microsoft.Network/networkSecurityGroups/${armName(`irctl-isolation-${location}`)}`;
    // Always written: the PUT is idempotent and puts back the deny-all rules should anyone have changed them.
    const made = obj(
      await c.armLro('arm:networkSecurityGroups.createOrUpdate', 'PUT', `${nsgId}?api-version=${NETWORK_API}`, {
        location,
        properties: { securityRules: isolationRules() },
        tags: { 'irctl:case': opts.case_id, 'irctl:threat': opts.threat_id },
      }),
    );
    return str(made?.id) ?? nsgId;
  };

  const execute = (s: RunnableStep): Promise<StepOutcome> =>
    run(async (c, setBefore) => {
      switch (s.kind) {
        case 'revoke-user-sessions': {
          const id = p(s, 'user');
          const u = await account(c, 'users', id);
          setBefore({ ...enabledState('users', u), signInSessionsValidFromDateTime: u.signInSessionsValidFromDateTime ?? null });
          const r = await c.rest('graph:users.revokeSignInSessions', 'graph', 'POST', `/v1.0/users/${id}/revokeSignInSessions`);
          const now = await account(c, 'users', id);
          return { after: { id, revoked: obj(r.json)?.value ?? true, signInSessionsValidFromDateTime: now.signInSessionsValidFromDateTime ?? null } };
        }
        case 'disable-user':
        case 'disable-service-principal': {
          const kind = s.kind === 'disable-user' ? 'users' : 'servicePrincipals';
          const id = p(s, kind === 'users' ? 'user' : 'servicePrincipal');
          const o = enabledState(kind, await account(c, kind, id));
          setBefore(o);
          if (o.accountEnabled === false) throw new Skip(`${kind === 'users' ? 'user' : 'service principal'} ${id} is already disabled: the state changed since the evidence (nothing done)`);
          await setEnabled(c, kind, id, false);
          return { after: enabledState(kind, await account(c, kind, id)) };
        }
        case 'remove-app-password': {
          const app = p(s, 'application');
          const creds = await appPasswords(c, app);
          setBefore({ application: app, passwordCredentials: creds });
          const hits = matchingKeys(s, creds);
          if (hits.length === 0) throw new Skip(`application ${app} has no secret ${p(s, 'keyId')} any more: the state changed since the evidence (nothing done)`);
          if (hits.length > 1) throw new Skip(`${hits.length} secrets of application ${app} have a key id starting ${p(s, 'keyId')}: remove the right one by hand (nothing done)`);
          await c.rest('graph:applications.removePassword', 'graph', 'POST', `/v1.0/applications/${app}/removePassword`, { keyId: hits[0]!.keyId });
          return { after: { application: app, removed: hits[0], passwordCredentials: await appPasswords(c, app) } };
        }
        case 'delete-role-assignment': {
          const path = assignmentPath(s);
          const a = await c.find('arm:roleAssignments.get', 'arm', path);
          if (!a) throw new Skip(`role assignment ${p(s, 'id')} no longer exists`);
          setBefore(a);
          const props = obj(a.properties) ?? {};
          const want = typeof s.params.principalId === 'string' ? s.params.principalId.toLowerCase() : undefined;
          const wantRole = typeof s.params.roleDefinitionId === 'string' ? s.params.roleDefinitionId.toLowerCase() : undefined;
          if ((want && str(props.principalId)?.toLowerCase() !== want) || (wantRole && str(props.roleDefinitionId)?.toLowerCase() !== wantRole)) {
            throw new Skip(`role assignment ${p(s, 'name')} now names another role or principal than the record: the state changed since the evidence (nothing done)`);
          }
          await c.armLro('arm:roleAssignments.delete', 'DELETE', path);
          const still = await c.find('arm:roleAssignments.get', 'arm', path);
          return { after: { id: p(s, 'id'), exists: still !== undefined } };
        }
        case 'remove-directory-role-member': {
          const member = p(s, 'member').toLowerCase();
          const members = await roleMembers(c, s);
          setBefore({ roleTemplateId: p(s, 'roleTemplateId'), member, isMember: members.includes(member) });
          if (!members.includes(member)) throw new Skip(`${member} no longer holds the directory role ${p(s, 'roleTemplateId')}: the state changed since the evidence (nothing done)`);
          await c.rest('graph:directoryRoles.members.delete', 'graph', 'DELETE', `${dirRolePath(s)}/members/${member}/$ref`);
          return { after: { roleTemplateId: p(s, 'roleTemplateId'), member, isMember: (await roleMembers(c, s)).includes(member) } };
        }
        case 'snapshot-disks': {
          const v = await vm(c, s);
          const where = scopeOf(p(s, 'vm'));
          const location = str(v.location);
          if (!where || !location) throw new Skip(`VM ${p(s, 'vm')} has no resource group or location`);
          const storage = obj(obj(v.properties)?.storageProfile) ?? {};
          const disks = [obj(storage.osDisk), ...(Array.isArray(storage.dataDisks) ? storage.dataDisks.map(obj) : [])].filter((d): d is Rec => d !== undefined);
          const managed = disks.flatMap((d) => (str(obj(d.managedDisk)?.id) ? [{ name: str(d.name) ?? 'disk', id: str(obj(d.managedDisk)?.id)! }] : []));
          const unmanaged = disks.filter((d) => !str(obj(d.managedDisk)?.id)).map((d) => str(d.name) ?? '?');
          setBefore({ vm: p(s, 'vm'), location, disks: managed, unmanaged });
          if (managed.length === 0) throw new Skip(`VM ${p(s, 'vm')} has no managed disk to snapshot${unmanaged.length > 0 ? ` (unmanaged VHDs ${unmanaged.join(', ')}: copy the blobs by hand)` : ''}`);
          const snapshots: Rec[] = [];
          for (const d of managed) {
            const name = armName(`irctl-${opts.threat_id.toLowerCase()}-${d.name}`);
            const path = `/subscriptions/${where.subscription}/resourceGroups/${where.group}/providers/Microsoft.Compute/snapshots/${name}?api-version=${COMPUTE_API}`;
            const snap = obj(
              await c.armLro('arm:snapshots.createOrUpdate', 'PUT', path, {
                location,
                properties: { creationData: { createOption: 'Copy', sourceResourceId: d.id }, incremental: true },
                tags: { 'irctl:case': opts.case_id, 'irctl:threat': opts.threat_id, 'irctl:vm': p(s, 'vm') },
              }),
            );
            snapshots.push({ disk: d.id, snapshot: str(snap?.id) ?? path.replace(/\?.*$/, ''), provisioningState: str(obj(snap?.properties)?.provisioningState) ?? null });
          }
          return { after: { vm: p(s, 'vm'), snapshots, unmanaged } };
        }
        case 'isolate-nic': {
          const ids = await nicsOf(c, s);
          const nics: Rec[] = [];
          for (const id of ids) nics.push(await getNic(c, id));
          setBefore({ target: s.target, interfaces: nics.map((n) => ({ id: str(n.id) ?? '', networkSecurityGroup: nsgOf(n) })) });
          const done: Rec[] = [];
          let changed = 0;
          for (const n of nics) {
            const nsg = await isolationNsg(c, n);
            if (nsgOf(n)?.toLowerCase() !== nsg.toLowerCase()) {
              await c.armLro('arm:networkInterfaces.createOrUpdate', 'PUT', `${str(n.id)!}?api-version=${NETWORK_API}`, nicWith(n, nsg));
              changed++;
            }
            done.push({ id: str(n.id), networkSecurityGroup: nsgOf(await getNic(c, str(n.id)!)) });
          }
          if (changed === 0) throw new Skip(`every network interface of ${s.target} is already in an irctl isolation network security group`);
          return { after: { target: s.target, interfaces: done } };
        }
        default:
          throw new Skip(`step kind ${s.kind} is not known to this irctl`);
      }
    });

  const rollback = (s: RunnableStep, before: unknown): Promise<StepOutcome> =>
    run(async (c, setBefore) => {
      const b = obj(before) ?? {};
      switch (s.kind) {
        case 'disable-user':
        case 'disable-service-principal': {
          const kind = s.kind === 'disable-user' ? 'users' : 'servicePrincipals';
          const id = p(s, kind === 'users' ? 'user' : 'servicePrincipal');
          const now = enabledState(kind, await account(c, kind, id));
          setBefore(now);
          if (b.accountEnabled !== true) throw new Skip(`the account was not enabled before the step (recorded accountEnabled ${String(b.accountEnabled)}): nothing to restore`);
          if (now.accountEnabled === true) throw new Skip(`${id} is already enabled`);
          await setEnabled(c, kind, id, true);
          return { after: enabledState(kind, await account(c, kind, id)) };
        }
        case 'delete-role-assignment': {
          const path = assignmentPath(s);
          const props = obj(b.properties);
          if (!props || !str(props.roleDefinitionId) || !str(props.principalId)) throw new Skip('no recorded role assignment to re-create');
          const existing = await c.find('arm:roleAssignments.get', 'arm', path);
          setBefore(existing ?? null);
          if (existing) throw new Skip(`role assignment ${p(s, 'name')} exists again: nothing to re-create`);
          const body: Rec = { properties: { roleDefinitionId: props.roleDefinitionId, principalId: props.principalId } };
          const bp = obj(body.properties)!;
          for (const k of ['principalType', 'condition', 'conditionVersion', 'description', 'delegatedManagedIdentityResourceId']) if (props[k] !== undefined && props[k] !== null) bp[k] = props[k];
          await c.armLro('arm:roleAssignments.create', 'PUT', path, body);
          return { after: (await c.find('arm:roleAssignments.get', 'arm', path)) ?? null };
        }
        case 'remove-directory-role-member': {
          const member = p(s, 'member').toLowerCase();
          if (b.isMember !== true) throw new Skip('the member did not hold the role before the step: nothing to restore');
          const members = await roleMembers(c, s);
          setBefore({ member, isMember: members.includes(member) });
          if (members.includes(member)) throw new Skip(`${member} holds the role again: nothing to restore`);
          await c.rest('graph:directoryRoles.members.add', 'graph', 'POST', `${dirRolePath(s)}/members/$ref`, { '@odata.id': `${endpoints.graph}/v1.0/directoryObjects/${member}` });
          return { after: { member, isMember: (await roleMembers(c, s)).includes(member) } };
        }
        case 'isolate-nic': {
          const recorded = (Array.isArray(b.interfaces) ? b.interfaces : []).flatMap((x) => (obj(x) && str(obj(x)!.id) ? [{ id: str(obj(x)!.id)!, nsg: str(obj(x)!.networkSecurityGroup) ?? null }] : []));
          if (recorded.length === 0) throw new Skip('no recorded network interfaces to restore');
          const now: Rec[] = [];
          for (const r of recorded) now.push(await getNic(c, r.id));
          setBefore({ interfaces: now.map((n) => ({ id: str(n.id), networkSecurityGroup: nsgOf(n) })) });
          const after: Rec[] = [];
          for (const [i, r] of recorded.entries()) {
            const n = now[i]!;
            if ((nsgOf(n) ?? '').toLowerCase() !== (r.nsg ?? '').toLowerCase()) await c.armLro('arm:networkInterfaces.createOrUpdate', 'PUT', `${r.id}?api-version=${NETWORK_API}`, nicWith(n, r.nsg));
            after.push({ id: r.id, networkSecurityGroup: nsgOf(await getNic(c, r.id)) });
          }
          return { after: { interfaces: after } };
        }
        default:
          throw new Skip(`${s.kind} is not reversible`);
      }
    });

  const status = (s: RunnableStep): Promise<StepLiveStatus> =>
    readLiveStatus(new Calls(), s.kind, async (c) => {
      switch (s.kind) {
        case 'revoke-user-sessions': {
          const u = await account(c, 'users', p(s, 'user'));
          const from = str(u.signInSessionsValidFromDateTime);
          const ran = (s as { last_action?: { at?: string } | null }).last_action?.at;
          return { in_place: from && ran ? Date.parse(from) >= Date.parse(ran) - 5 * 60_000 : null, detail: `sessions issued before ${from ?? '(unknown)'} are revoked` };
        }
        case 'disable-user':
        case 'disable-service-principal': {
          const kind = s.kind === 'disable-user' ? 'users' : 'servicePrincipals';
          const o = await account(c, kind, p(s, kind === 'users' ? 'user' : 'servicePrincipal'));
          return { in_place: o.accountEnabled === false, detail: `accountEnabled ${String(o.accountEnabled)}` };
        }
        case 'remove-app-password': {
          const hits = matchingKeys(s, await appPasswords(c, p(s, 'application')));
          return { in_place: hits.length === 0, detail: hits.length === 0 ? 'the secret is not on the application' : `the application holds ${hits.length} secret(s) with key id ${p(s, 'keyId')}` };
        }
        case 'delete-role-assignment': {
          const a = await c.find('arm:roleAssignments.get', 'arm', assignmentPath(s));
          return { in_place: a === undefined, detail: a === undefined ? 'the role assignment does not exist' : 'the role assignment exists' };
        }
        case 'remove-directory-role-member': {
          const on = (await roleMembers(c, s)).includes(p(s, 'member').toLowerCase());
          return { in_place: !on, detail: `${p(s, 'member')} ${on ? 'holds' : 'does not hold'} the role` };
        }
        case 'isolate-nic': {
          const nics: Rec[] = [];
          for (const id of await nicsOf(c, s)) nics.push(await getNic(c, id));
          const iso = nics.every((n) => /\/networkSecurityGroups\/irctl-isolation-[^/]+$/i.test(nsgOf(n) ?? ''));
          return { in_place: iso, detail: nics.map((n) => `${str(n.name) ?? str(n.id) ?? '?'}: ${nsgOf(n)?.split('/').pop() ?? 'no NSG'}`).join('; ') };
        }
        case 'snapshot-disks':
          return PRESERVED;
        default:
          return undefined;
      }
    }, outcomeOfError);

  return { execute, rollback, status, close: () => undefined };
}

function parse(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
