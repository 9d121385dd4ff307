/**
 * The Graph and ARM resources `irctl contain` acts on, served through the Azure fake's `route` hook
 * (test/fakes/azure-cloud.ts: TLS, tokens per audience and throttling come from there). Behaviour spec:
 *
 * - Graph `GET|PATCH /v1.0/users/{id}` and `/v1.0/servicePrincipals/{id}` (`accountEnabled`; PATCH answers 204),
 *   `POST /v1.0/users/{id}/revokeSignInSessions` (`{"value":true}`, sets `signInSessionsValidFromDateTime`),
 *   `GET /v1.0/applications/{id}` (passwordCredentials without secretText), `POST .../removePassword {keyId}` (204; 400
 *   for an unknown key), `GET /v1.0/directoryRoles(roleTemplateId='t')/members` (paged by `pageSize`, `@odata.nextLink`
 *   with `$skiptoken`), `DELETE .../members/{id}/$ref` and `POST .../members/$ref {"@odata.id"}` (204). Unknown objects
 *   404 `Request_ResourceNotFound`.
 * - ARM, each with its api-version checked (400 `InvalidApiVersionParameter` otherwise): role assignments `GET`,
 *   `PUT` (201), `DELETE` (200 with the deleted assignment) at `{scope}/providers/Microsoft.Authorization/
 *   roleAssignments/{name}` (2022-04-01, 404 `RoleAssignmentNotFound`); VMs `GET` (2024-03-01); snapshots `PUT`
 *   (2024-03-01): 202 with `Azure-AsyncOperation`, the operation answers `InProgress` `lroPolls` times then `Succeeded`
 *   (the snapshot is `Creating` until then); network security groups and network interfaces `GET`/`PUT` (2023-11-01):
 *   201/200 with `Azure-AsyncOperation` and `provisioningState: Updating` until the operation is polled once.
 * - `deny`: requests whose `METHOD path` matches answer 403 (`Authorization_RequestDenied` on Graph, `AuthorizationFailed`
 *   on ARM). `expireAfter(n)`: after n more requests every call answers 401 `InvalidAuthenticationToken` ("the token is
 *   expired"), as a token that outlived its lifetime mid-run.
 * - `log` keeps every request (method, path with query, parsed body) in order, for exact-request checks.
 */
import { randomUUID } from 'node:crypto';
import type { FakeAzure } from './azure-cloud.js';

type Rec = Record<string, unknown>;

/** One request the fake saw. */
export interface ContainRequest {
  method: string;
  /** Path and query, decoded. */
  path: string;
  body: unknown;
}

interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

const API = { role: '2022-04-01', compute: '2024-03-01', network: '2023-11-01' };

/** The fake tenant and subscription state. */
export class FakeAzureContain {
  readonly users = new Map<string, Rec>();
  readonly servicePrincipals = new Map<string, Rec>();
  readonly applications = new Map<string, Rec & { passwordCredentials: Rec[] }>();
  /** roleTemplateId -> member object ids. */
  readonly directoryRoles = new Map<string, string[]>();
  /** Lower-cased resource id -> resource (role assignments, VMs, snapshots, NSGs, NICs). */
  readonly arm = new Map<string, Rec>();
  readonly log: ContainRequest[] = [];
  /** `METHOD path` patterns answered 403. */
  readonly deny: RegExp[] = [];
  /** How many times an operation answers InProgress before Succeeded. */
  lroPolls = 1;
  pageSize = 5;
  private readonly ops = new Map<string, { left: number; resource: string }>();
  private expireIn: number | undefined;
  private base = '';

  /** Serve through `azure`'s route hook. */
  attach(azure: FakeAzure, base: string): void {
    this.base = base;
    azure.route = (r) => this.handle(r.method, decodeURIComponent(r.path), r.url, r.body);
  }

  /** After `n` more requests, every request answers 401 (the token expired). */
  expireAfter(n: number): void {
    this.expireIn = n;
  }

  /** A resource by id (case-insensitive). */
  get(id: string): Rec | undefined {
    return this.arm.get(id.toLowerCase());
  }
  put(id: string, r: Rec): void {
    this.arm.set(id.toLowerCase(), { ...r, id });
  }
  /** Requests as `METHOD path`. */
  lines(): string[] {
    return this.log.map((l) => `${l.method} ${l.path}`);
  }

  private handle(method: string, path: string, url: URL, text: string): Answer | undefined {
    let body: unknown;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      body = text;
    }
    const search = url.search === '' ? '' : decodeURIComponent(url.search);
    this.log.push({ method, path: `${path}${search}`, body });
    if (this.expireIn !== undefined) {
      if (this.expireIn <= 0) return err(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
      this.expireIn--;
    }
    const graph = path.startsWith('/v1.0/');
    if (this.deny.some((d) => d.test(`${method} ${path}`))) {
      return graph ? err(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.') : err(403, 'AuthorizationFailed', `The client does not have authorization to perform action over scope '${path}'.`);
    }
    return graph ? this.graph(method, path, url, body) : this.armRoute(method, path, url, body);
  }

  private graph(method: string, path: string, url: URL, body: unknown): Answer {
    let m: RegExpExecArray | null;
    if ((m = /^\/v1\.0\/(users|servicePrincipals)\/([^/]+)(\/revokeSignInSessions)?$/.exec(path))) {
      const store = m[1] === 'users' ? this.users : this.servicePrincipals;
      const o = store.get(m[2]!.toLowerCase());
      if (!o) return notFound(m[2]!);
      if (m[3] !== undefined) {
        if (method !== 'POST') return err(405, 'Request_BadRequest', 'method not allowed');
        o.signInSessionsValidFromDateTime = new Date().toISOString();
        return json(200, { '@odata.context': `${this.base}/v1.0/$metadata#Edm.Boolean`, value: true });
      }
      if (method === 'GET') return json(200, o);
      if (method === 'PATCH') {
        const b = (body ?? {}) as Rec;
        if (typeof b.accountEnabled === 'boolean') o.accountEnabled = b.accountEnabled;
        return { status: 204 };
      }
    }
    if ((m = /^\/v1\.0\/applications\/([^/]+)(\/removePassword)?$/.exec(path))) {
      const app = this.applications.get(m[1]!.toLowerCase());
      if (!app) return notFound(m[1]!);
      if (m[2] === undefined && method === 'GET') return json(200, app);
      if (m[2] !== undefined && method === 'POST') {
        const k = ((body ?? {}) as Rec).keyId;
        const keyId = typeof k === 'string' ? k : '';
        const i = app.passwordCredentials.findIndex((k) => k.keyId === keyId);
        if (i < 0) return err(400, 'Request_BadRequest', `No password credential found with keyId ${keyId}.`);
        app.passwordCredentials.splice(i, 1);
        return { status: 204 };
      }
    }
    if ((m = /^\/v1\.0\/directoryRoles\(roleTemplateId='([^']+)'\)\/members(?:\/(?!\$ref)([^/]+))?\/?(\$ref)?$/.exec(path))) {
      const members = this.directoryRoles.get(m[1]!);
      if (!members) return notFound(`directoryRoles(roleTemplateId='${m[1]!}')`);
      if (method === 'GET' && m[2] === undefined) {
        const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
        const page = members.slice(skip, skip + this.pageSize).map((id) => ({ '@odata.type': '#microsoft.graph.user', id }));
        const next = skip + this.pageSize < members.length ? { '@odata.nextLink': `${this.base}${path}?$select=id&$skiptoken=${skip + this.pageSize}` } : {};
        return json(200, { '@odata.context': `${this.base}/v1.0/$metadata#directoryObjects(id)`, value: page, ...next });
      }
      if (method === 'DELETE' && m[2] !== undefined && m[3] !== undefined) {
        const i = members.indexOf(m[2].toLowerCase());
        if (i < 0) return notFound(m[2]);
        members.splice(i, 1);
        return { status: 204 };
      }
      if (method === 'POST' && m[2] === undefined && m[3] !== undefined) {
        const ref = ((body ?? {}) as Rec)['@odata.id'];
        const id = (typeof ref === 'string' ? ref : '').split('/').pop()!.toLowerCase();
        if (members.includes(id)) return err(400, 'Request_BadRequest', 'One or more added object references already exist for the following modified properties: \'members\'.');
        members.push(id);
        return { status: 204 };
      }
    }
    return err(400, 'BadRequest', `Resource not found for the segment '${path}'.`);
  }

  private armRoute(method: string, path: string, url: URL, body: unknown): Answer {
    const v = url.searchParams.get('api-version');
    const want = (x: string): Answer | undefined => (v === x ? undefined : err(400, 'InvalidApiVersionParameter', `The api-version '${v ?? ''}' is invalid. The supported versions include '${x}'.`));
    let m: RegExpExecArray | null;
    if ((m = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.(Compute|Network)\/locations\/([^/]+)\/operations\/([^/]+)$/i.exec(path))) {
      const op = this.ops.get(m[4]!);
      if (!op) return err(404, 'NotFound', 'operation not found');
      if (op.left > 0) {
        op.left--;
        return json(200, { name: m[4], status: 'InProgress', startTime: new Date().toISOString() }, { 'retry-after': '0' });
      }
      const r = this.get(op.resource);
      if (r) (r.properties as Rec).provisioningState = 'Succeeded';
      return json(200, { name: m[4], status: 'Succeeded', startTime: new Date().toISOString(), endTime: new Date().toISOString() });
    }
    if ((m = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i.exec(path))) {
      const bad = want(API.role);
      if (bad) return bad;
      const r = this.get(path);
      if (method === 'GET') return r ? json(200, r) : err(404, 'RoleAssignmentNotFound', `The role assignment '${m[2]!}' is not found.`);
      if (method === 'DELETE') {
        if (!r) return { status: 204 };
        this.arm.delete(path.toLowerCase());
        return json(200, r);
      }
      if (method === 'PUT') {
        if (r) return err(409, 'RoleAssignmentExists', 'The role assignment already exists.');
        const props = ((body ?? {}) as Rec).properties as Rec;
        const made = { id: path, name: m[2], type: 'Microsoft.Authorization/roleAssignments', properties: { ...props, scope: m[1] === '' ? '/' : m[1], createdOn: new Date().toISOString() } };
        this.put(path, made);
        return json(201, made);
      }
    }
    if (/\/providers\/Microsoft\.Compute\/virtualMachines\/[^/]+$/i.test(path)) {
      const bad = want(API.compute);
      if (bad) return bad;
      const r = this.get(path);
      if (method === 'GET') return r ? json(200, r) : err(404, 'ResourceNotFound', `The Resource '${path}' was not found.`);
    }
    if ((m = /^\/subscriptions\/([^/]+)\/.*\/providers\/Microsoft\.(Compute)\/snapshots\/[^/]+$/i.exec(path)) || (m = /^\/subscriptions\/([^/]+)\/.*\/providers\/Microsoft\.(Network)\/(?:networkSecurityGroups|networkInterfaces)\/[^/]+$/i.exec(path))) {
      const bad = want(m[2] === 'Compute' ? API.compute : API.network);
      if (bad) return bad;
      const r = this.get(path);
      if (method === 'GET') return r ? json(200, r) : err(404, 'ResourceNotFound', `The Resource '${path}' was not found.`);
      if (method === 'PUT') {
        const b = (body ?? {}) as Rec;
        const props = { ...((b.properties as Rec | undefined) ?? {}) };
        if (m[2] === 'Compute') {
          const src = ((props.creationData as Rec | undefined) ?? {}).sourceResourceId;
          if (typeof src !== 'string' || !this.get(src)) return err(404, 'ResourceNotFound', `The source disk '${String(src)}' was not found.`);
        }
        if (/networkInterfaces/i.test(path)) {
          if (!r) return err(404, 'ResourceNotFound', `The Resource '${path}' was not found.`);
          const nsg = (props.networkSecurityGroup as Rec | undefined)?.id;
          if (typeof nsg === 'string' && !this.get(nsg)) return err(400, 'InvalidResourceReference', `Resource ${nsg} referenced by resource ${path} was not found.`);
        }
        const created = r === undefined;
        const made: Rec = { ...(r ?? {}), ...b, id: path, name: path.split('/').pop(), properties: { ...(r?.properties ?? {}), ...props, provisioningState: m[2] === 'Compute' ? 'Creating' : 'Updating' } };
        if (/networkInterfaces/i.test(path) && props.networkSecurityGroup === undefined) delete (made.properties as Rec).networkSecurityGroup;
        this.put(path, made);
        const opId = randomUUID();
        this.ops.set(opId, { left: this.lroPolls, resource: path });
        const op = `${this.base}/subscriptions/${m[1]!}/providers/Microsoft.${m[2]!}/locations/${typeof b.location === 'string' ? b.location : 'westeurope'}/operations/${opId}?api-version=${m[2] === 'Compute' ? API.compute : API.network}`;
        return json(m[2] === 'Compute' ? 202 : created ? 201 : 200, made, { 'azure-asyncoperation': op, 'retry-after': '0' });
      }
    }
    return err(404, 'InvalidResourceType', `no route ${method} ${path}`);
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify(body), headers };
}
function err(status: number, code: string, message: string): Answer {
  return json(status, { error: { code, message } });
}
function notFound(id: string): Answer {
  return err(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}
