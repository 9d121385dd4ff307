/**
 * Google Cloud containment steps, planned from the threat's own evidence (pure: no SDK, no network, no clock).
 * Reads the threat's Cloud Audit Log entries: which service-account keys the threat created or used, which IAM
 * bindings it added (`serviceData.policyDelta.bindingDeltas`), which Compute Engine instances it created or changed.
 * Each call is a REST request to a Google API (`https://<service>.googleapis.com/...`).
 *
 * The runner (runner.ts, loaded only for `--execute`, `--rollback` and `--status`) makes the calls.
 *
 * Every value read here comes from log records the attacker may have shaped: it is used only as an identifier in a
 * planned call (validated by shape), never as an instruction.
 */
import { evidenceIds as evid, obj, type Rec, sortedTargets as sorted, str, Targets } from '../targets.js';
import type { ContainmentSupport, PlannedCall, ProviderPlan, RunnerOptions, StepDraft, StepRunner, ThreatEvent, ThreatEvidence } from '../types.js';

const PROVIDER = 'gcp';
/** The network tag the deny-all firewall rules target. */
export const QUARANTINE_TAG = 'irctl-quarantine';

/** Step kinds (the context.yaml policy names these). */
export const GCP_STEP_KINDS = [
  { kind: 'disable-sa-key', phase: 'contain', reversible: true, description: 'disable a service-account key the threat created or used (never deleted)' },
  { kind: 'remove-iam-binding', phase: 'contain', reversible: true, description: 'remove a member the threat added to a role binding of an IAM policy (getIamPolicy, setIamPolicy with the etag)' },
  { kind: 'snapshot-disks', phase: 'preserve', reversible: false, description: 'snapshot every persistent disk attached to the instance, labelled with the case and threat ids' },
  { kind: 'isolate-instance', phase: 'contain', reversible: true, description: `deny-all ingress and egress firewall rules for the network tag ${QUARANTINE_TAG}, and the tag added to the instance` },
] as const;

const SA = /^([a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com|[\w.-]{1,100}@[\w.-]{1,200}\.gserviceaccount\.com|\d{10,30})$/;
const KEY_NAME = /^(?:\/\/iam\.googleapis\.com\/)?projects\/([\w.:-]{1,100})\/serviceAccounts\/([^/\s]{1,200})\/keys\/([0-9a-f]{16,64})$/;
const INSTANCE = /^projects\/([a-z][\w.:-]{1,62}[a-z0-9])\/zones\/([a-z]+-[a-z]+\d+-[a-z])\/instances\/([a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$/;
const MEMBER = /^(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):[^\s]{1,300}$|^(allUsers|allAuthenticatedUsers)$/;
const ROLE = /^(roles\/[\w.]{1,200}|projects\/[\w.:-]{1,100}\/roles\/[\w.]{1,200}|organizations\/\d{1,30}\/roles\/[\w.]{1,200})$/;
/** Instance methods that create an instance, run code on it or change who or what can reach it (reads, stop, delete: not). */
const INSTANCE_CHANGE = /(^|\.)compute\.instances\.(insert|setMetadata|setServiceAccount|start|resume|attachDisk|setTags|addAccessConfig|updateAccessConfig|updateNetworkInterface|setMachineResources|update)$/;

/** An IAM policy endpoint: where getIamPolicy / setIamPolicy go for a resource. */
interface PolicyEndpoint {
  /** The resource as the audit entry names it. */
  resource: string;
  get: PlannedCall;
  set: (policy: unknown) => PlannedCall;
}

function rest(api: string, method: string, url: string, body?: unknown): PlannedCall {
  return { api, params: { method, url, ...(body !== undefined ? { body } : {}) } };
}

/** The getIamPolicy / setIamPolicy calls of a resource the audit entry names, when irctl knows its API. */
export function policyEndpoint(service: string | undefined, resourceName: string): PolicyEndpoint | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^projects\/([a-z][\w.:-]{4,61}[a-z0-9])$/.exec(resourceName)) && (service === undefined || service === 'cloudresourcemanager.googleapis.com')) {
    const u = `https://cloudresourcemanager.googleapis.com/v1/projects/${m[1]}`;
    return { resource: resourceName, get: rest('cloudresourcemanager:projects.getIamPolicy', 'POST', `${u}:getIamPolicy`, { options: { requestedPolicyVersion: 3 } }), set: (policy) => rest('cloudresourcemanager:projects.setIamPolicy', 'POST', `${u}:setIamPolicy`, { policy }) };
  }
  if ((m = /^(folders|organizations)\/(\d{1,30})$/.exec(resourceName))) {
    const u = `https://cloudresourcemanager.googleapis.com/v3/${m[1]}/${m[2]}`;
    return { resource: resourceName, get: rest(`cloudresourcemanager:${m[1]}.getIamPolicy`, 'POST', `${u}:getIamPolicy`, { options: { requestedPolicyVersion: 3 } }), set: (policy) => rest(`cloudresourcemanager:${m![1]}.setIamPolicy`, 'POST', `${u}:setIamPolicy`, { policy }) };
  }
  if ((m = /^projects\/[-\w.:]{1,100}\/serviceAccounts\/([^/\s]{1,200})$/.exec(resourceName)) && SA.test(m[1]!)) {
    const u = `https://iam.googleapis.com/v1/projects/-/serviceAccounts/${m[1]}`;
    return { resource: resourceName, get: rest('iam:projects.serviceAccounts.getIamPolicy', 'POST', `${u}:getIamPolicy`, { options: { requestedPolicyVersion: 3 } }), set: (policy) => rest('iam:projects.serviceAccounts.setIamPolicy', 'POST', `${u}:setIamPolicy`, { policy }) };
  }
  if ((m = /^projects\/_\/buckets\/([a-z0-9][a-z0-9._-]{1,221}[a-z0-9])$/.exec(resourceName))) {
    const u = `https://storage.googleapis.com/storage/v1/b/${m[1]}/iam`;
    return { resource: resourceName, get: rest('storage:buckets.getIamPolicy', 'GET', `${u}?optionsRequestedPolicyVersion=3`), set: (policy) => rest('storage:buckets.setIamPolicy', 'PUT', u, policy) };
  }
  return undefined;
}

interface KeyTarget {
  project: string;
  sa: string;
  key: string;
  created: boolean;
}
interface BindingTarget {
  service: string | undefined;
  resource: string;
  role: string;
  member: string;
  condition: Rec | undefined;
}
interface InstanceTarget {
  project: string;
  zone: string;
  name: string;
}

function entryOf(e: ThreatEvent): Rec | undefined {
  try {
    return obj(JSON.parse(e.raw));
  } catch {
    return undefined;
  }
}

/** Read the entries: the keys, bindings and instances of the threat. */
export function readGcpEvidence(ev: ThreatEvidence): { keys: Targets<KeyTarget>; bindings: Targets<BindingTarget>; instances: Targets<InstanceTarget>; people: Targets<string>; notes: Set<string> } {
  const keys = new Targets<KeyTarget>();
  const bindings = new Targets<BindingTarget>();
  const instances = new Targets<InstanceTarget>();
  const people = new Targets<string>();
  const notes = new Set<string>();
  const addKey = (name: unknown, created: boolean, evidence: string): void => {
    const m = KEY_NAME.exec(str(name) ?? '');
    if (!m || !SA.test(m[2]!)) return;
    const k = `${m[2]!.toLowerCase()}/${m[3]!}`;
    const prev = keys.map.get(k)?.value;
    keys.add(k, { project: m[1]!, sa: m[2]!.toLowerCase(), key: m[3]!, created }, evidence);
    if (prev && created) prev.created = true;
  };
  for (const e of ev.events) {
    const entry = entryOf(e);
    const p = obj(entry?.protoPayload);
    if (!entry || !p) continue;
    const code = obj(p.status)?.code;
    const ok = code === undefined || code === 0;
    const auth = obj(p.authenticationInfo);
    addKey(auth?.serviceAccountKeyName, false, e.id);
    if (!ok) continue;
    const method = str(p.methodName) ?? '';
    const principal = str(auth?.principalEmail);
    if (principal && !/\.gserviceaccount\.com$/.test(principal) && /^[^\s@]{1,100}@[\w.-]{1,200}$/.test(principal)) people.add(principal.toLowerCase(), principal.toLowerCase(), e.id);
    if (/CreateServiceAccountKey$/.test(method)) addKey(obj(p.response)?.name, true, e.id);
    const deltas = obj(obj(p.serviceData)?.policyDelta)?.bindingDeltas ?? obj(obj(p.metadata)?.policyDelta)?.bindingDeltas;
    if (/(SetIamPolicy|setIamPermissions)$/i.test(method) && Array.isArray(deltas)) {
      const resource = str(p.resourceName) ?? '';
      const service = str(p.serviceName);
      for (const d of deltas) {
        const o = obj(d);
        if (!o || o.action !== 'ADD') continue;
        const role = str(o.role);
        const member = str(o.member);
        if (!role || !member || !ROLE.test(role) || !MEMBER.test(member)) continue;
        if (!policyEndpoint(service, resource)) {
          notes.add(`the threat granted ${role} to ${member} on ${resource} (${service ?? 'unknown service'}): irctl does not know that resource's IAM API; remove the binding by hand`);
          continue;
        }
        const condition = obj(o.condition);
        bindings.add(`${resource} ${role} ${member} ${condition ? JSON.stringify(condition) : ''}`, { service, resource, role, member, condition }, e.id);
      }
    }
    if (/DeleteSink$/.test(method)) notes.add(`the threat deleted the log sink ${str(p.resourceName) ?? '(unnamed)'}: re-create it by hand (its configuration is not in the records)`);
    if (INSTANCE_CHANGE.test(method)) {
      const m = INSTANCE.exec(str(p.resourceName) ?? '');
      if (m) instances.add(m[0], { project: m[1]!, zone: m[2]!, name: m[3]! }, e.id);
    }
  }
  return { keys, bindings, instances, people, notes };
}

function base(d: Omit<StepDraft, 'provider'>): StepDraft {
  return { provider: PROVIDER, ...d };
}

/** GCP label values: lowercase letters, digits, `_` and `-`, at most 63 characters. */
function label(v: string): string {
  return v.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
}

/** Plan GCP steps from the threat's entries. */
export function planGcp(ev: ThreatEvidence): ProviderPlan {
  const r = readGcpEvidence(ev);
  const steps: StepDraft[] = [];
  for (const [key, { value, evidence }] of sorted(r.instances)) {
    const inst = `https://compute.googleapis.com/compute/v1/projects/${value.project}/zones/${value.zone}/instances/${value.name}`;
    const params = { project: value.project, zone: value.zone, instance: value.name };
    steps.push(
      base({
        kind: 'snapshot-disks',
        target: key,
        resource: `instance/${key}`,
        phase: 'preserve',
        region: value.zone,
        title: `snapshot every disk attached to instance ${value.name} (labelled irctl-case, irctl-threat)`,
        calls: [
          rest('compute:instances.get', 'GET', inst),
          rest('compute:disks.createSnapshot', 'POST', `https://compute.googleapis.com/compute/v1/projects/${value.project}/zones/${value.zone}/disks/<each attached disk>/createSnapshot`, {
            name: `<irctl-${label(ev.threat_id)}-each disk name>`,
            labels: { 'irctl-case': label(ev.case_id), 'irctl-threat': label(ev.threat_id), 'irctl-instance': label(value.name) },
          }),
        ],
        reversible: false,
        risk: { level: 'none', breaks: 'nothing (snapshots cost storage; they are kept as evidence)' },
        rollback: null,
        preconditions: ['the instance exists', 'regional disks are snapshotted through regions/<region>/disks (the URL follows the disk)'],
        evidence_ids: evid(evidence),
        params,
      }),
    );
    const fw = (dir: 'INGRESS' | 'EGRESS') =>
      rest('compute:firewalls.insert', 'POST', `https://compute.googleapis.com/compute/v1/projects/${value.project}/global/firewalls`, {
        name: `irctl-deny-all-${dir.toLowerCase()}-<network name>`,
        network: "<each network of the instance's interfaces>",
        direction: dir,
        priority: 0,
        denied: [{ IPProtocol: 'all' }],
        ...(dir === 'INGRESS' ? { sourceRanges: ['0.0.0.0/0', '::/0'] } : { destinationRanges: ['0.0.0.0/0', '::/0'] }),
        targetTags: [QUARANTINE_TAG],
        description: `irctl containment of ${ev.threat_id}`,
      });
    steps.push(
      base({
        kind: 'isolate-instance',
        target: key,
        resource: `instance/${key}`,
        phase: 'contain',
        region: value.zone,
        title: `isolate instance ${value.name}: deny-all firewall rules for tag ${QUARANTINE_TAG}, and the tag on the instance`,
        calls: [
          rest('compute:instances.get', 'GET', inst),
          rest('compute:firewalls.get', 'GET', `https://compute.googleapis.com/compute/v1/projects/<the network's project>/global/firewalls/irctl-deny-all-<ingress|egress>-<network name>`),
          fw('INGRESS'),
          fw('EGRESS'),
          rest('compute:instances.setTags', 'POST', `${inst}/setTags`, { items: [`<current tags>`, QUARANTINE_TAG], fingerprint: '<current tags fingerprint>' }),
        ],
        reversible: true,
        risk: { level: 'high', breaks: "all network traffic of the instance (its services go offline); hierarchical firewall policies evaluated before VPC rules still apply, and connections the firewall already tracks may continue until they close" },
        rollback: { calls: [rest('compute:instances.setTags', 'POST', `${inst}/setTags`, { items: '<recorded tags>', fingerprint: '<current tags fingerprint>' })], note: 'the recorded tags back on the instance (the deny-all rules stay: they apply only to the quarantine tag)' },
        preconditions: ['the instance exists', 'every snapshot-disks step of the instance is done'],
        evidence_ids: evid(evidence),
        params,
      }),
    );
  }
  for (const [, { value, evidence }] of sorted(r.keys)) {
    const url = `https://iam.googleapis.com/v1/projects/-/serviceAccounts/${value.sa}/keys/${value.key}`;
    steps.push(
      base({
        kind: 'disable-sa-key',
        target: `projects/${value.project}/serviceAccounts/${value.sa}/keys/${value.key}`,
        resource: `sa/${value.sa}`,
        phase: 'contain',
        title: `disable key ${value.key} of ${value.sa} (${value.created ? 'created' : 'used'} by the threat)`,
        calls: [rest('iam:projects.serviceAccounts.keys.get', 'GET', url), rest('iam:projects.serviceAccounts.keys.disable', 'POST', `${url}:disable`, {})],
        reversible: true,
        risk: { level: 'medium', breaks: `whatever authenticates as ${value.sa} with that key` },
        rollback: { calls: [rest('iam:projects.serviceAccounts.keys.enable', 'POST', `${url}:enable`, {})], note: 'enable the key again (when it was enabled before)' },
        preconditions: ['the key exists (deleted: skipped)', 'the key is enabled (already disabled: skipped)'],
        evidence_ids: evid(evidence),
        params: { project: value.project, serviceAccount: value.sa, key: value.key },
      }),
    );
  }
  for (const [, { value, evidence }] of sorted(r.bindings)) {
    const ep = policyEndpoint(value.service, value.resource)!;
    steps.push(
      base({
        kind: 'remove-iam-binding',
        target: `${value.resource} ${value.role} ${value.member}`,
        resource: `iam/${value.resource}`,
        phase: 'contain',
        title: `remove ${value.member} from ${value.role} on ${value.resource} (added by the threat)${value.condition ? ' (conditional binding)' : ''}`,
        calls: [ep.get, ep.set({ version: 3, bindings: `<current bindings without ${value.member} in ${value.role}${value.condition ? ' (the binding with the recorded condition)' : ''}>`, etag: '<etag from getIamPolicy>' })],
        reversible: true,
        risk: { level: 'low', breaks: `${value.member}'s ${value.role} rights on ${value.resource}` },
        rollback: { calls: [ep.get, ep.set({ version: 3, bindings: `<current bindings with ${value.member} back in ${value.role}>`, etag: '<etag from getIamPolicy>' })], note: 'add the member back to the role (a concurrent change makes the etag stale: read and retry)' },
        preconditions: [`the policy still grants ${value.role} to ${value.member} (not: skipped)`, 'setIamPolicy carries the etag read just before (a concurrent change makes it fail: read the policy again)'],
        evidence_ids: evid(evidence),
        params: { service: value.service ?? null, resource: value.resource, role: value.role, member: value.member, condition: value.condition ?? null },
      }),
    );
  }
  const notes = [...r.notes].sort();
  const users = sorted(r.people).map(([u]) => u);
  if (users.length > 0) notes.push(`Google accounts of the threat (${users.join(', ')}): suspending them and resetting their sign-in cookies is done in the Google Workspace / Cloud Identity admin console (not built)`);
  if (steps.length > 0) notes.push('GCP steps need a credential with the cloud-platform scope (collection uses cloud-platform.read-only): the same sources as collect gcp, or --impersonate-service-account of an IR account allowed to change IAM policies, keys, firewalls and instances');
  return { steps, notes };
}

/** What the GCP provider module registers. */
export const gcpContainment: ContainmentSupport = {
  kinds: GCP_STEP_KINDS,
  plan: planGcp,
  runner: async (opts: RunnerOptions): Promise<StepRunner> => (await import('./runner.js')).gcpRunner(opts),
};
