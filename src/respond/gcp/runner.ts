/**
 * Executes Google Cloud containment steps over the REST APIs (IAM, Resource Manager, Cloud Storage, Compute Engine)
 * with a write-scoped token (credentials.ts: the same credential sources as `collect gcp`). Each step reads the live
 * state first (the before-state rollback restores), checks its preconditions, acts, and reads the after-state.
 * IAM policies are changed read-modify-write with the etag read: a concurrent change (409 ABORTED, 412) makes the
 * step read the policy again and re-plan the change, at most three times, then fail saying so. Compute operations
 * are polled (`operations/{name}/wait`) until DONE.
 *
 * Endpoint overrides (proxies, private endpoints, tests): `IRCTL_GCP_IAM_ENDPOINT`,
 * `IRCTL_GCP_RESOURCEMANAGER_ENDPOINT`, `IRCTL_GCP_STORAGE_ENDPOINT`, `IRCTL_GCP_COMPUTE_ENDPOINT` replace the
 * `https://<service>.googleapis.com` origin of each call.
 */
import { errorFromResponse } from '../../collect/gcp/client.js';
import { explainGcpError, isGcpAbort } from '../../collect/gcp/errors.js';
import { GcpApiError } from '../../collect/gcp/ports.js';
import { realTimer, withRetries, type Timer } from '../../collect/rate-limit.js';
import { PRESERVED, readLiveStatus, runStep, Skip } from '../runner-kit.js';
import { canonical, obj, str, type Rec } from '../targets.js';
import type { MadeCall, PlannedCall, RunnableStep, RunnerOptions, StepLiveStatus, StepOutcome, StepRunner } from '../types.js';
import { gcpWriteCredentials, tokenError } from './credentials.js';
import { policyEndpoint, QUARANTINE_TAG } from './plan.js';

const COMPUTE = 'https://compute.googleapis.com/compute/v1';
const OVERRIDES: Record<string, string> = {
  'https://iam.googleapis.com': 'IRCTL_GCP_IAM_ENDPOINT',
  'https://cloudresourcemanager.googleapis.com': 'IRCTL_GCP_RESOURCEMANAGER_ENDPOINT',
  'https://storage.googleapis.com': 'IRCTL_GCP_STORAGE_ENDPOINT',
  'https://compute.googleapis.com': 'IRCTL_GCP_COMPUTE_ENDPOINT',
};
/** Read-modify-write attempts of an IAM policy before a concurrent writer wins. */
const POLICY_ATTEMPTS = 3;
/** Longest a Compute operation is waited for. */
const OPERATION_LIMIT_MS = 30 * 60_000;

/** Injection points (tests). */
export interface GcpRunnerDeps {
  timer?: Timer;
}

/** GCE resource names: lowercase letter first, then letters, digits, `-`; at most 63; no trailing `-`. */
export function gceName(s: string): string {
  const n = s.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, '');
  return `${/^[a-z]/.test(n) ? '' : 'x'}${n}`.slice(0, 63).replace(/-+$/, '');
}

/** `.../projects/P/zones/Z/disks/D` or `.../regions/R/disks/D` -> its parts. */
function diskOf(url: string): { project: string; where: 'zones' | 'regions'; loc: string; disk: string } | undefined {
  const m = /projects\/([^/]+)\/(zones|regions)\/([^/]+)\/disks\/([^/]+)$/.exec(url);
  return m ? { project: m[1]!, where: m[2] as 'zones' | 'regions', loc: m[3]!, disk: m[4]! } : undefined;
}

/** Build the GCP runner. */
export function gcpRunner(opts: RunnerOptions, deps: GcpRunnerDeps = {}): StepRunner {
  const timer = deps.timer ?? realTimer;
  const envBase = Number(opts.env.IRCTL_RETRY_BASE_MS);
  const retryBase = Number.isFinite(envBase) && envBase > 0 ? envBase : 500;
  let creds: ReturnType<typeof gcpWriteCredentials> | undefined;
  const actual = (url: string): string => {
    const origin = /^https:\/\/[^/]+/.exec(url)?.[0] ?? '';
    const o = OVERRIDES[origin];
    const v = o !== undefined ? opts.env[o] : undefined;
    return v !== undefined && v.trim() !== '' ? `${v.trim().replace(/\/+$/, '')}${url.slice(origin.length)}` : url;
  };

  /** One step's call log. */
  class Calls {
    readonly made: MadeCall[] = [];
    /** One REST call (retried when throttled or transient); the parsed JSON answer. */
    async rest(api: string, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<Rec> {
      const params: Rec = { method, url, ...(body !== undefined ? { body } : {}) };
      try {
        const out = await withRetries(() => this.once(api, method, url, body), {
          classify: (e) => (e instanceof GcpApiError ? e.retryClass : 'fatal'),
          maxRetries: 4,
          baseMs: retryBase,
          timer,
          signal: opts.signal,
        });
        this.made.push({ api, params, ok: true, ...(str(out.name) && out.kind === 'compute#operation' ? { request_id: `operation ${str(out.name)!}` } : {}) });
        return out;
      } catch (err) {
        const e = err instanceof GcpApiError ? err : undefined;
        this.made.push({ api, params, ok: false, error: e ? `${e.httpStatus ?? ''} ${e.status}: ${e.message}`.trim() : String(err) });
        throw err;
      }
    }
    private async once(api: string, method: string, url: string, body: unknown): Promise<Rec> {
      creds ??= gcpWriteCredentials(opts.env, opts.impersonate);
      let c: Awaited<typeof creds>;
      try {
        c = await creds;
      } catch (err) {
        creds = undefined;
        throw err;
      }
      let headers: Headers;
      try {
        headers = await c.client.getRequestHeaders(url);
      } catch (err) {
        throw tokenError(err);
      }
      headers.set('accept', 'application/json');
      if (body !== undefined) headers.set('content-type', 'application/json');
      const timeout = AbortSignal.timeout(120_000);
      let res: Response;
      let bytes: Buffer;
      try {
        res = await fetch(actual(url), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.any([opts.signal, timeout]) });
        bytes = Buffer.from(await res.arrayBuffer());
      } catch (err) {
        if (opts.signal.aborted) throw new GcpApiError('aborted', api, 'AbortError', undefined, 'fatal', { cause: err });
        const cause = (err as { cause?: { code?: unknown } }).cause;
        throw new GcpApiError(`${err instanceof Error ? err.message : String(err)}`, api, typeof cause?.code === 'string' ? cause.code : timeout.aborted ? 'ETIMEDOUT' : 'NETWORK', undefined, 'transient', { cause: err });
      }
      if (!res.ok) throw errorFromResponse(api, res.status, bytes);
      if (bytes.length === 0) return {};
      try {
        return obj(JSON.parse(bytes.toString('utf8'))) ?? {};
      } catch {
        return {};
      }
    }
    /** A GET that answers undefined for 404. */
    async find(api: string, url: string): Promise<Rec | undefined> {
      try {
        return await this.rest(api, 'GET', url);
      } catch (err) {
        if (err instanceof GcpApiError && (err.httpStatus === 404 || err.status === 'NOT_FOUND')) {
          this.made[this.made.length - 1]!.ok = true;
          return undefined;
        }
        throw err;
      }
    }
    /** A planned call (from the plan's policy endpoints). */
    planned(call: PlannedCall): Promise<Rec> {
      const p = call.params as { method: 'GET' | 'POST' | 'PUT'; url: string; body?: unknown };
      return this.rest(call.api, p.method, p.url, p.body);
    }
    /** Wait for a Compute operation to be DONE; throws its error. */
    async operation(op: Rec, project: string): Promise<Rec> {
      const started = timer.now();
      let cur = op;
      for (;;) {
        if (str(cur.status) === 'DONE') break;
        const name = str(cur.name);
        if (!name) break;
        const zone = str(cur.zone)?.split('/').pop();
        const region = str(cur.region)?.split('/').pop();
        const scope = zone ? `zones/${zone}` : region ? `regions/${region}` : 'global';
        cur = await this.rest('compute:operations.wait', 'POST', `${COMPUTE}/projects/${project}/${scope}/operations/${name}/wait`);
        if (timer.now() - started > OPERATION_LIMIT_MS) throw new Error(`operation ${name} still running after ${OPERATION_LIMIT_MS / 60_000} minutes: check it in the console`);
      }
      const errors = Array.isArray(obj(cur.error)?.errors) ? (obj(cur.error)!.errors as unknown[]) : [];
      if (errors.length > 0) {
        const e = obj(errors[0]) ?? {};
        throw new GcpApiError(`operation ${str(cur.name) ?? ''} failed: ${str(e.code) ?? ''} ${str(e.message) ?? ''}`, str(cur.operationType) ?? 'compute.operation', str(e.code) === 'RESOURCE_ALREADY_EXISTS' ? 'ALREADY_EXISTS' : 'OPERATION_FAILED', undefined, 'fatal');
      }
      return cur;
    }
  }

  const outcomeOfError = (err: unknown, c: Calls, before: unknown): StepOutcome => {
    if (err instanceof Skip) return { status: 'skipped', reason: err.message, before, calls: c.made };
    if (isGcpAbort(err)) return { status: 'failed', reason: 'interrupted during the step (the calls made are recorded)', before, calls: c.made };
    if (err instanceof GcpApiError && (err.httpStatus === 404 || err.status === 'NOT_FOUND')) return { status: 'skipped', reason: `the resource is gone (${err.status}: ${err.message.slice(0, 200)})`, before, calls: c.made };
    const x = explainGcpError(err, 'the step');
    const impersonation = err instanceof GcpApiError && err.method === 'iam.serviceAccounts.getAccessToken';
    const fatal = x.kind === 'no_credentials' || x.kind === 'unauthenticated' || x.kind === 'network' || impersonation;
    return { status: 'failed', reason: x.message, before, calls: c.made, ...(fatal ? { fatal: { message: x.message, hint: x.hint } } : {}) };
  };
  const run = (fn: (c: Calls, setBefore: (b: unknown) => void) => Promise<{ after: unknown }>): Promise<StepOutcome> => runStep(new Calls(), fn, outcomeOfError);

  const p = (s: RunnableStep, k: string): string => {
    const v = s.params[k];
    if (typeof v !== 'string' || v === '') throw new Skip(`the plan has no ${k} for this step`);
    return v;
  };

  // Service-account keys ----------------------------------------------------------------------------------------
  const keyUrl = (s: RunnableStep): string => `https://iam.googleapis.com/v1/projects/-/serviceAccounts/${p(s, 'serviceAccount')}/keys/${p(s, 'key')}`;
  const keyState = async (c: Calls, s: RunnableStep): Promise<Rec> => {
    const k = await c.find('iam:projects.serviceAccounts.keys.get', keyUrl(s));
    if (!k) throw new Skip(`key ${p(s, 'key')} of ${p(s, 'serviceAccount')} no longer exists`);
    return { name: k.name ?? null, disabled: k.disabled === true, keyType: k.keyType ?? null, validAfterTime: k.validAfterTime ?? null, validBeforeTime: k.validBeforeTime ?? null };
  };

  // IAM policies ------------------------------------------------------------------------------------------------
  const endpointOf = (s: RunnableStep): NonNullable<ReturnType<typeof policyEndpoint>> => {
    const ep = policyEndpoint(typeof s.params.service === 'string' ? s.params.service : undefined, p(s, 'resource'));
    if (!ep) throw new Skip(`irctl does not know the IAM API of ${p(s, 'resource')}`);
    return ep;
  };
  const sameCondition = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
  const bindingOf = (policy: Rec, s: RunnableStep): Rec | undefined =>
    (Array.isArray(policy.bindings) ? policy.bindings : []).map(obj).find((b): b is Rec => b !== undefined && b.role === p(s, 'role') && sameCondition(b.condition, s.params.condition));
  const holds = (policy: Rec, s: RunnableStep): boolean => {
    const b = bindingOf(policy, s);
    return Array.isArray(b?.members) && b.members.includes(p(s, 'member'));
  };
  /** The policy with the member removed from (or added back to) the step's binding. */
  const changed = (policy: Rec, s: RunnableStep, add: boolean): Rec => {
    const role = p(s, 'role');
    const member = p(s, 'member');
    const bindings = (Array.isArray(policy.bindings) ? policy.bindings : []).flatMap((x) => (obj(x) ? [{ ...obj(x)! }] : []));
    let hit = bindings.find((b) => b.role === role && sameCondition(b.condition, s.params.condition));
    if (!hit && add) bindings.push((hit = { role, members: [], ...(s.params.condition ? { condition: s.params.condition } : {}) }));
    if (hit) {
      const members = (Array.isArray(hit.members) ? hit.members : []).filter((m): m is string => typeof m === 'string' && m !== member);
      hit.members = add ? [...members, member] : members;
    }
    const kept = bindings.filter((b) => Array.isArray(b.members) && b.members.length > 0);
    // Conditional bindings need version 3 in setIamPolicy; keep the version read otherwise.
    const version = kept.some((b) => b.condition !== undefined) ? 3 : (policy.version ?? 1);
    return { ...policy, version, bindings: kept };
  };
  /** Read-modify-write with the etag; a concurrent change re-reads and re-plans. */
  const rewritePolicy = async (c: Calls, s: RunnableStep, add: boolean, setBefore: (b: unknown) => void): Promise<Rec> => {
    const ep = endpointOf(s);
    for (let attempt = 1; ; attempt++) {
      const policy = await c.planned(ep.get);
      if (attempt === 1) setBefore({ resource: p(s, 'resource'), policy });
      if (holds(policy, s) === add) {
        throw new Skip(add ? `${p(s, 'member')} holds ${p(s, 'role')} on ${p(s, 'resource')} again: nothing to restore` : `the policy of ${p(s, 'resource')} no longer grants ${p(s, 'role')} to ${p(s, 'member')}: the state changed since the evidence (nothing done)`);
      }
      try {
        return await c.planned(ep.set(changed(policy, s, add)));
      } catch (err) {
        const conflict = err instanceof GcpApiError && (err.status === 'ABORTED' || err.httpStatus === 409 || err.httpStatus === 412);
        if (!conflict) throw err;
        if (attempt >= POLICY_ATTEMPTS) {
          throw new GcpApiError(`the IAM policy of ${p(s, 'resource')} changed under irctl ${POLICY_ATTEMPTS} times (etag conflict): another writer is active; nothing was changed by the last attempt, run the step again once it is quiet`, err.method, 'ABORTED', err.httpStatus, 'fatal');
        }
        // Someone wrote the policy between our read and write: read it again and re-plan from what it is now.
      }
    }
  };

  // Compute -----------------------------------------------------------------------------------------------------
  const instanceUrl = (s: RunnableStep): string => `${COMPUTE}/projects/${p(s, 'project')}/zones/${p(s, 'zone')}/instances/${p(s, 'instance')}`;
  const instance = async (c: Calls, s: RunnableStep): Promise<Rec> => {
    const i = await c.find('compute:instances.get', instanceUrl(s));
    if (!i) throw new Skip(`instance ${p(s, 'instance')} no longer exists`);
    return i;
  };
  const tagsOf = (i: Rec): { items: string[]; fingerprint: string | null } => ({
    items: (Array.isArray(obj(i.tags)?.items) ? (obj(i.tags)!.items as unknown[]) : []).filter((x): x is string => typeof x === 'string'),
    fingerprint: str(obj(i.tags)?.fingerprint) ?? null,
  });
  const setTags = async (c: Calls, s: RunnableStep, items: string[], fingerprint: string | null): Promise<void> => {
    const op = await c.rest('compute:instances.setTags', 'POST', `${instanceUrl(s)}/setTags`, { items, ...(fingerprint !== null ? { fingerprint } : {}) });
    await c.operation(op, p(s, 'project'));
  };
  const networks = (i: Rec): string[] => [...new Set((Array.isArray(i.networkInterfaces) ? i.networkInterfaces : []).flatMap((n) => (str(obj(n)?.network) ? [str(obj(n)?.network)!] : [])))];
  /** The deny-all rule of one direction on a network: made when absent, checked when present. */
  const denyRule = async (c: Calls, network: string, dir: 'INGRESS' | 'EGRESS'): Promise<string> => {
    const m = /projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(network);
    if (!m) throw new Skip(`cannot tell the project of network ${network}`);
    const [, project, net] = m as unknown as [string, string, string];
    const name = gceName(`irctl-deny-all-${dir.toLowerCase()}-${net}`);
    const url = `${COMPUTE}/projects/${project}/global/firewalls/${name}`;
    const found = await c.find('compute:firewalls.get', url);
    if (found) {
      const ok = found.disabled !== true && found.priority === 0 && found.direction === dir && Array.isArray(found.targetTags) && found.targetTags.includes(QUARANTINE_TAG) && (Array.isArray(found.denied) ? found.denied : []).some((d) => obj(d)?.IPProtocol === 'all');
      if (!ok) throw new Skip(`firewall rule ${name} exists but is no longer a deny-all rule for tag ${QUARANTINE_TAG} (someone changed it): fix or delete it, then run again`);
      return name;
    }
    const op = await c.rest('compute:firewalls.insert', 'POST', `${COMPUTE}/projects/${project}/global/firewalls`, {
      name,
      network: `projects/${project}/global/networks/${net}`,
      direction: dir,
      priority: 0,
      denied: [{ IPProtocol: 'all' }],
      ...(dir === 'INGRESS' ? { sourceRanges: ['0.0.0.0/0', '::/0'] } : { destinationRanges: ['0.0.0.0/0', '::/0'] }),
      targetTags: [QUARANTINE_TAG],
      description: `irctl containment of ${opts.threat_id} (case ${opts.case_id.slice(0, 12)})`,
    });
    await c.operation(op, project);
    return name;
  };

  const execute = (s: RunnableStep): Promise<StepOutcome> =>
    run(async (c, setBefore) => {
      switch (s.kind) {
        case 'disable-sa-key': {
          const k = await keyState(c, s);
          setBefore(k);
          if (k.disabled === true) throw new Skip(`key ${p(s, 'key')} is already disabled: the state changed since the evidence (nothing done)`);
          await c.rest('iam:projects.serviceAccounts.keys.disable', 'POST', `${keyUrl(s)}:disable`, {});
          return { after: await keyState(c, s) };
        }
        case 'remove-iam-binding': {
          const policy = await rewritePolicy(c, s, false, setBefore);
          return { after: { resource: p(s, 'resource'), policy, holds: holds(policy, s) } };
        }
        case 'snapshot-disks': {
          const i = await instance(c, s);
          const disks = (Array.isArray(i.disks) ? i.disks : []).flatMap((d) => (str(obj(d)?.source) ? [{ source: str(obj(d)?.source)!, deviceName: str(obj(d)?.deviceName) ?? null, boot: obj(d)?.boot === true }] : []));
          setBefore({ instance: instanceUrl(s), id: i.id ?? null, status: i.status ?? null, disks });
          if (disks.length === 0) throw new Skip(`instance ${p(s, 'instance')} has no persistent disk to snapshot`);
          const snapshots: Rec[] = [];
          for (const d of disks) {
            const where = diskOf(d.source);
            if (!where) throw new Skip(`cannot read the disk ${d.source}`);
            const name = gceName(`irctl-${opts.threat_id}-${where.disk}`);
            const labels = { 'irctl-case': gceName(opts.case_id).slice(0, 63), 'irctl-threat': gceName(opts.threat_id), 'irctl-instance': gceName(p(s, 'instance')) };
            const snapUrl = `${COMPUTE}/projects/${where.project}/global/snapshots/${name}`;
            try {
              const op = await c.rest('compute:disks.createSnapshot', 'POST', `${COMPUTE}/projects/${where.project}/${where.where}/${where.loc}/disks/${where.disk}/createSnapshot`, { name, labels, description: `irctl evidence of ${opts.threat_id}: ${d.source}` });
              await c.operation(op, where.project);
            } catch (err) {
              // An earlier run made it: keep that snapshot when it is of the same disk.
              if (!(err instanceof GcpApiError && (err.status === 'ALREADY_EXISTS' || err.httpStatus === 409))) throw err;
              const had = await c.find('compute:snapshots.get', snapUrl);
              if (!had || !(str(had.sourceDisk) ?? '').endsWith(`/${where.where}/${where.loc}/disks/${where.disk}`)) throw err;
            }
            const snap = await c.find('compute:snapshots.get', snapUrl);
            snapshots.push({ disk: d.source, snapshot: snapUrl, status: snap?.status ?? null, storageBytes: snap?.storageBytes ?? null });
          }
          return { after: { instance: instanceUrl(s), snapshots } };
        }
        case 'isolate-instance': {
          const i = await instance(c, s);
          const tags = tagsOf(i);
          const nets = networks(i);
          setBefore({ instance: instanceUrl(s), tags: tags.items, fingerprint: tags.fingerprint, networks: nets });
          if (nets.length === 0) throw new Skip(`instance ${p(s, 'instance')} has no network interface`);
          const rules: string[] = [];
          for (const n of nets) for (const dir of ['INGRESS', 'EGRESS'] as const) rules.push(await denyRule(c, n, dir));
          if (tags.items.includes(QUARANTINE_TAG)) throw new Skip(`instance ${p(s, 'instance')} already carries the tag ${QUARANTINE_TAG} (the deny-all rules ${rules.join(', ')} are in place)`);
          await setTags(c, s, [...tags.items, QUARANTINE_TAG], tags.fingerprint);
          return { after: { instance: instanceUrl(s), tags: tagsOf(await instance(c, s)).items, firewall_rules: rules } };
        }
        default:
          throw new Skip(`step kind ${s.kind} is not known to this irctl`);
      }
    });

  const rollback = (s: RunnableStep, before: unknown): Promise<StepOutcome> =>
    run(async (c, setBefore) => {
      const b = obj(before) ?? {};
      switch (s.kind) {
        case 'disable-sa-key': {
          const k = await keyState(c, s);
          setBefore(k);
          if (b.disabled === true) throw new Skip('the key was already disabled before the step: nothing to restore');
          if (k.disabled !== true) throw new Skip(`key ${p(s, 'key')} is enabled already`);
          await c.rest('iam:projects.serviceAccounts.keys.enable', 'POST', `${keyUrl(s)}:enable`, {});
          return { after: await keyState(c, s) };
        }
        case 'remove-iam-binding': {
          const policy = await rewritePolicy(c, s, true, setBefore);
          return { after: { resource: p(s, 'resource'), policy, holds: holds(policy, s) } };
        }
        case 'isolate-instance': {
          const i = await instance(c, s);
          const tags = tagsOf(i);
          setBefore({ tags: tags.items, fingerprint: tags.fingerprint });
          const had = Array.isArray(b.tags) && b.tags.includes(QUARANTINE_TAG);
          if (had || !tags.items.includes(QUARANTINE_TAG)) throw new Skip(`instance ${p(s, 'instance')} does not carry the ${QUARANTINE_TAG} tag irctl added: nothing to restore`);
          // Tags someone added since stay; only the quarantine tag goes (the deny-all rules stay: they match only it).
          await setTags(c, s, tags.items.filter((t) => t !== QUARANTINE_TAG), tags.fingerprint);
          return { after: { instance: instanceUrl(s), tags: tagsOf(await instance(c, s)).items } };
        }
        default:
          throw new Skip(`${s.kind} is not reversible`);
      }
    });

  const status = (s: RunnableStep): Promise<StepLiveStatus> =>
    readLiveStatus(new Calls(), s.kind, async (c) => {
      switch (s.kind) {
        case 'disable-sa-key': {
          const k = await keyState(c, s);
          return { in_place: k.disabled === true, detail: `key ${p(s, 'key')} is ${k.disabled === true ? 'disabled' : 'enabled'}` };
        }
        case 'remove-iam-binding': {
          const on = holds(await c.planned(endpointOf(s).get), s);
          return { in_place: !on, detail: `${p(s, 'member')} ${on ? 'holds' : 'does not hold'} ${p(s, 'role')} on ${p(s, 'resource')}` };
        }
        case 'isolate-instance': {
          const i = await instance(c, s);
          const tagged = tagsOf(i).items.includes(QUARANTINE_TAG);
          return { in_place: tagged, detail: `tags: ${tagsOf(i).items.join(', ') || '(none)'}` };
        }
        case 'snapshot-disks':
          return PRESERVED;
        default:
          return undefined;
      }
    }, outcomeOfError);

  return { execute, rollback, status, close: () => undefined };
}

