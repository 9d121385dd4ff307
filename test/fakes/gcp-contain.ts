/**
 * The Google Cloud resources `irctl contain` acts on, served through the GCP fake's `route` hook
 * (test/fakes/gcp-logging.ts: credentials, self-signed JWTs, impersonation come from there). Behaviour spec:
 *
 * - Scope: a self-signed service-account JWT must carry `https://www.googleapis.com/auth/cloud-platform`; a read-only
 *   token gets 403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`, as the APIs answer a write with a read-only token.
 * - IAM keys: `GET /v1/projects/-/serviceAccounts/{sa}/keys/{key}` (`disabled` as the API shows it), `POST ...:disable`
 *   and `:enable` (`{}`); an unknown key is 404 NOT_FOUND.
 * - Resource Manager: `POST /v1/projects/{id}:getIamPolicy` `{options:{requestedPolicyVersion}}` and `:setIamPolicy`
 *   `{policy}`: the etag must be the current one (409 ABORTED "concurrent policy changes" otherwise); each write
 *   gives a new etag. `concurrentWrites(n)`: the next n setIamPolicy calls find the policy changed by someone else
 *   just before (a binding `roles/viewer` for `user:concurrent-<i>@acme.example` added, new etag).
 * - Compute: `GET .../zones/{z}/instances/{name}`, `POST .../instances/{name}/setTags {items, fingerprint}` (412
 *   conditionNotMet on a stale fingerprint), `POST .../zones/{z}/disks/{d}/createSnapshot {name, labels}` (409
 *   alreadyExists for a taken name), `GET .../global/snapshots/{name}`, `GET|POST .../global/firewalls[/{name}]`.
 *   Each change answers a `compute#operation` (status RUNNING); `POST .../operations/{name}/wait` answers RUNNING
 *   `opWaits` times, then DONE (when the change takes effect). Errors use Compute's body shape
 *   (`{"error":{"code","message","errors":[{"reason"}]}}`, no canonical status).
 * - `deny`: requests whose `METHOD path` matches answer 403 PERMISSION_DENIED. `log`: every request in order.
 */
import { randomUUID } from 'node:crypto';
import type { FakeGcp } from './gcp-logging.js';

type Rec = Record<string, unknown>;

/** One request the fake saw. */
export interface GcpContainRequest {
  method: string;
  path: string;
  body: unknown;
}

interface Answer {
  status: number;
  body: unknown;
}

export const WRITE_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** The fake project state. */
export class FakeGcpContain {
  /** `sa/key` -> key. */
  readonly keys = new Map<string, Rec & { disabled: boolean }>();
  /** `projects/P` -> IAM policy. */
  readonly policies = new Map<string, { version: number; etag: string; bindings: Array<{ role: string; members: string[]; condition?: unknown }> }>();
  /** `projects/P/zones/Z/instances/N` -> instance. */
  readonly instances = new Map<string, Rec>();
  /** `projects/P/zones/Z/disks/D`. */
  readonly disks = new Set<string>();
  /** `projects/P/global/snapshots/N` -> snapshot. */
  readonly snapshots = new Map<string, Rec>();
  /** `projects/P/global/firewalls/N` -> rule. */
  readonly firewalls = new Map<string, Rec>();
  readonly log: GcpContainRequest[] = [];
  readonly deny: RegExp[] = [];
  opWaits = 1;
  private concurrent = 0;
  private readonly ops = new Map<string, { op: Rec; waits: number; apply: () => void }>();
  private base = '';

  attach(gcp: FakeGcp, base: string): void {
    this.base = base;
    gcp.route = (r) => this.handle(r.method, decodeURIComponent(r.path), r.body, r.token);
  }

  /** The next `n` setIamPolicy calls meet a concurrent writer. */
  concurrentWrites(n: number): void {
    this.concurrent = n;
  }

  lines(): string[] {
    return this.log.map((l) => `${l.method} ${l.path}`);
  }

  private handle(method: string, path: string, raw: string, token: string): Answer | undefined {
    let body: unknown;
    try {
      body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      body = raw;
    }
    this.log.push({ method, path, body });
    const parts = token.split('.');
    if (parts.length === 3) {
      const scope = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { scope?: string }).scope ?? '';
      if (!scope.split(' ').includes(WRITE_SCOPE)) return google(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    }
    if (this.deny.some((d) => d.test(`${method} ${path}`))) return google(403, 'PERMISSION_DENIED', `Permission denied on ${path} (or it may not exist).`, 'IAM_PERMISSION_DENIED');
    let m: RegExpExecArray | null;
    if ((m = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+)\/keys\/([^/:]+)(?::(disable|enable))?$/.exec(path))) {
      const k = this.keys.get(`${m[1]!}/${m[2]!}`);
      if (!k) return google(404, 'NOT_FOUND', `Service account key projects/-/serviceAccounts/${m[1]!}/keys/${m[2]!} does not exist.`);
      if (m[3] === undefined && method === 'GET') return { status: 200, body: k };
      if (m[3] !== undefined && method === 'POST') {
        k.disabled = m[3] === 'disable';
        return { status: 200, body: {} };
      }
    }
    if ((m = /^\/v1\/(projects\/[^/:]+):(getIamPolicy|setIamPolicy)$/.exec(path)) && method === 'POST') {
      const pol = this.policies.get(m[1]!);
      if (!pol) return google(403, 'PERMISSION_DENIED', `The caller does not have permission (or ${m[1]!} does not exist)`);
      if (m[2] === 'getIamPolicy') return { status: 200, body: structuredClone(pol) };
      if (this.concurrent > 0) {
        this.concurrent--;
        pol.bindings.push({ role: 'roles/viewer', members: [`user:concurrent-${this.concurrent}@acme.example`] });
        pol.etag = etag();
      }
      const next = ((body ?? {}) as { policy?: { etag?: string; bindings?: Array<{ role: string; members: string[] }>; version?: number } }).policy;
      if (!next || next.etag !== pol.etag) return google(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
      pol.bindings = structuredClone(next.bindings ?? []);
      pol.version = next.version ?? 1;
      pol.etag = etag();
      return { status: 200, body: structuredClone(pol) };
    }
    if ((m = /^\/compute\/v1\/(projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+))(\/setTags)?$/.exec(path))) {
      const inst = this.instances.get(m[1]!);
      if (!inst) return compute(404, 'notFound', `The resource '${m[1]!}' was not found`);
      if (m[5] === undefined && method === 'GET') return { status: 200, body: inst };
      if (m[5] !== undefined && method === 'POST') {
        const b = (body ?? {}) as { items?: string[]; fingerprint?: string };
        const tags = inst.tags as { items?: string[]; fingerprint: string };
        if (b.fingerprint !== tags.fingerprint) return compute(412, 'conditionNotMet', "Supplied fingerprint does not match current metadata fingerprint.");
        return this.op(m[2]!, `zones/${m[3]!}`, 'setTags', m[1]!, () => (inst.tags = { items: b.items ?? [], fingerprint: etag() }));
      }
    }
    if ((m = /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/disks\/([^/]+)\/createSnapshot$/.exec(path)) && method === 'POST') {
      const disk = `projects/${m[1]!}/zones/${m[2]!}/disks/${m[3]!}`;
      if (!this.disks.has(disk)) return compute(404, 'notFound', `The resource '${disk}' was not found`);
      const b = (body ?? {}) as { name?: string; labels?: Rec; description?: string };
      const key = `projects/${m[1]!}/global/snapshots/${b.name ?? ''}`;
      if (this.snapshots.has(key)) return compute(409, 'alreadyExists', `The resource '${key}' already exists`);
      this.snapshots.set(key, { name: b.name, status: 'CREATING', sourceDisk: `https://www.googleapis.com/compute/v1/${disk}`, labels: b.labels, description: b.description });
      return this.op(m[1]!, `zones/${m[2]!}`, 'createSnapshot', disk, () => ((this.snapshots.get(key) ?? {}).status = 'READY'));
    }
    if ((m = /^\/compute\/v1\/(projects\/[^/]+\/global\/snapshots\/[^/]+)$/.exec(path)) && method === 'GET') {
      const s = this.snapshots.get(m[1]!);
      return s ? { status: 200, body: s } : compute(404, 'notFound', `The resource '${m[1]!}' was not found`);
    }
    if ((m = /^\/compute\/v1\/projects\/([^/]+)\/global\/firewalls(?:\/([^/]+))?$/.exec(path))) {
      if (method === 'GET' && m[2] !== undefined) {
        const f = this.firewalls.get(`projects/${m[1]!}/global/firewalls/${m[2]}`);
        return f ? { status: 200, body: f } : compute(404, 'notFound', `The resource 'projects/${m[1]!}/global/firewalls/${m[2]}' was not found`);
      }
      if (method === 'POST' && m[2] === undefined) {
        const b = (body ?? {}) as Rec;
        const key = `projects/${m[1]!}/global/firewalls/${String(b.name)}`;
        if (this.firewalls.has(key)) return compute(409, 'alreadyExists', `The resource '${key}' already exists`);
        return this.op(m[1]!, 'global', 'insert', key, () => this.firewalls.set(key, { ...b, selfLink: `https://www.googleapis.com/compute/v1/${key}` }));
      }
    }
    if ((m = /^\/compute\/v1\/projects\/([^/]+)\/(zones\/[^/]+|global)\/operations\/([^/]+)\/wait$/.exec(path)) && method === 'POST') {
      const o = this.ops.get(m[3]!);
      if (!o) return compute(404, 'notFound', `operation ${m[3]!} not found`);
      if (o.waits > 0) {
        o.waits--;
        return { status: 200, body: o.op };
      }
      if (o.op.status !== 'DONE') {
        o.apply();
        o.op = { ...o.op, status: 'DONE', progress: 100, endTime: new Date().toISOString() };
      }
      return { status: 200, body: o.op };
    }
    return undefined;
  }

  private op(project: string, scope: string, type: string, target: string, apply: () => void): Answer {
    const name = `operation-${Date.now()}-${randomUUID().slice(0, 8)}`;
    const op: Rec = {
      kind: 'compute#operation',
      id: String(Math.floor(Math.random() * 1e15)),
      name,
      operationType: type,
      targetLink: `https://www.googleapis.com/compute/v1/${target}`,
      status: 'RUNNING',
      progress: 0,
      selfLink: `${this.base}/compute/v1/projects/${project}/${scope}/operations/${name}`,
      ...(scope.startsWith('zones/') ? { zone: `https://www.googleapis.com/compute/v1/projects/${project}/${scope}` } : {}),
    };
    this.ops.set(name, { op, waits: this.opWaits, apply });
    return { status: 200, body: op };
  }
}

function etag(): string {
  return Buffer.from(randomUUID()).toString('base64').slice(0, 12);
}
function google(code: number, status: string, message: string, reason?: string): Answer {
  return { status: code, body: { error: { code, message, status, ...(reason ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com' }] } : {}) } } };
}
function compute(code: number, reason: string, message: string): Answer {
  return { status: code, body: { error: { code, message, errors: [{ message, domain: 'global', reason }] } } };
}
