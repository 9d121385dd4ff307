/**
 * Values rules need that a Cloud Audit Logs entry holds only implicitly (`irctl.*` fields): what an IAM policy change
 * granted and to whom, which audit log types a policy change turned off, metadata keys an instance change touched,
 * world-open firewall ranges, the runtime identity of a deployment, where a BigQuery job wrote. Pure.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { DerivedField } from '../types.js';
import { auditKindOf } from './common.js';

type Obj = Record<string, unknown>;

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);

function protoOf(body: unknown): Obj {
  return asObject(asObject(body)?.protoPayload) ?? {};
}

/** The policy delta of an IAM change: `serviceData.policyDelta` (IAM AuditData) or `metadata.policyDelta`. */
function policyDelta(body: unknown): Obj | undefined {
  const pp = protoOf(body);
  return asObject(asObject(pp.serviceData)?.policyDelta) ?? asObject(asObject(pp.metadata)?.policyDelta);
}

/** Binding deltas `{action, role, member}` of an IAM policy change. */
export function bindingDeltas(body: unknown): Array<{ action: string; role: string; member: string }> {
  const out: Array<{ action: string; role: string; member: string }> = [];
  const pp = protoOf(body);
  const lists = [arr(policyDelta(body)?.bindingDeltas), arr(asObject(asObject(pp.metadata)?.datasetChange)?.bindingDeltas), arr(asObject(asObject(pp.metadata)?.tableChange)?.bindingDeltas)];
  for (const list of lists) {
    for (const d of list) {
      const o = asObject(d);
      const action = asString(o?.action);
      const role = asString(o?.role);
      const member = asString(o?.member);
      if (action !== undefined && role !== undefined && member !== undefined) out.push({ action: action.toUpperCase(), role, member });
    }
  }
  return out;
}

const added = (body: unknown): Array<{ role: string; member: string }> => bindingDeltas(body).filter((d) => d.action === 'ADD');

/** Consumer e-mail domains: a member there is outside any organization. */
const CONSUMER_DOMAINS = new Set(['gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'yahoo.com', 'icloud.com', 'proton.me', 'protonmail.com', 'aol.com', 'gmx.com', 'mail.com', 'yandex.com']);

/** The domain of an IAM member (`user:a@b`, `group:g@b`, `domain:b`), lower case; undefined for service accounts and special members. */
export function memberDomain(member: string): string | undefined {
  const m = /^(?:user|group|domain|deleted:user|deleted:group):(.+)$/.exec(member);
  if (!m?.[1]) return undefined;
  const v = m[1].replace(/\?uid=\d+$/, '').toLowerCase();
  const domain = v.includes('@') ? v.split('@').pop() : v;
  return domain !== undefined && !domain.endsWith('gserviceaccount.com') ? domain : undefined;
}

/**
 * Members added from outside the organization: consumer domains always; when a user made the change, any domain other
 * than that user's. (A service account's own domain says nothing about the organization's.)
 */
export function externalMembers(body: unknown): string[] {
  const caller = asString(asObject(protoOf(body).authenticationInfo)?.principalEmail)?.toLowerCase();
  const callerDomain = caller !== undefined && !caller.endsWith('gserviceaccount.com') ? caller.split('@').pop() : undefined;
  const out = new Set<string>();
  for (const d of added(body)) {
    const dom = memberDomain(d.member);
    if (dom === undefined) continue;
    if (CONSUMER_DOMAINS.has(dom) || (callerDomain !== undefined && dom !== callerDomain)) out.add(d.member);
  }
  return [...out];
}

/** Metadata keys an instance or project metadata change added, modified or deleted. */
export function metadataKeys(body: unknown): string[] {
  const req = asObject(protoOf(body).request) ?? {};
  const out = new Set<string>();
  for (const k of ['Metadata Keys Added', 'Metadata Keys Modified', 'Metadata Keys Deleted']) for (const v of arr(req[k])) if (typeof v === 'string') out.add(v);
  const items = [...arr(asObject(req.metadata)?.items), ...arr(req.items), ...arr(asObject(req.commonInstanceMetadata)?.items)];
  for (const it of items) {
    const key = asString(asObject(it)?.key);
    if (key !== undefined) out.add(key);
  }
  return [...out];
}

/** World-open source ranges of an ingress allow firewall rule insert/patch/update. */
export function worldOpenRanges(body: unknown): string[] {
  const req = asObject(protoOf(body).request) ?? {};
  if (asString(req.direction)?.toUpperCase() === 'EGRESS') return [];
  if (arr(req.denieds).length > 0 && arr(req.alloweds).length === 0) return [];
  return arr(req.sourceRanges).filter((r): r is string => r === '0.0.0.0/0' || r === '::/0');
}

/** The service account a Cloud Functions or Cloud Run deployment runs as (v1 and v2 request shapes). */
export function runtimeServiceAccount(body: unknown): string[] {
  const req = asObject(protoOf(body).request) ?? {};
  const fn = asObject(req.function);
  const svc = asObject(req.service);
  const candidates = [
    fn?.serviceAccountEmail,
    asObject(fn?.serviceConfig)?.serviceAccountEmail,
    asObject(asObject(asObject(svc?.spec)?.template)?.spec)?.serviceAccountName,
    asObject(svc?.template)?.serviceAccount,
    asObject(asObject(asObject(req.spec)?.template)?.spec)?.serviceAccountName,
  ];
  return candidates.filter((v): v is string => typeof v === 'string' && v.length > 0).map((v) => v.toLowerCase());
}

/**
 * Where a BigQuery job took data out of the project: every extract destination (`gs://...`), and copy or query
 * destination tables in another project (BigQueryAuditMetadata `jobInsertion` / `jobChange`).
 */
export function bigQueryExfilDestinations(body: unknown): string[] {
  const pp = protoOf(body);
  const md = asObject(pp.metadata) ?? {};
  const job = asObject(asObject(md.jobInsertion)?.job) ?? asObject(asObject(md.jobChange)?.job);
  const cfg = asObject(job?.jobConfig);
  if (!cfg) return [];
  const project = /^projects\/([^/]+)/.exec(asString(job?.jobName) ?? asString(pp.resourceName) ?? '')?.[1];
  const out: string[] = [];
  for (const u of arr(asObject(cfg.extractConfig)?.destinationUris)) if (typeof u === 'string') out.push(u);
  const dests = [asString(asObject(cfg.tableCopyConfig)?.destinationTable), asString(asObject(cfg.queryConfig)?.destinationTable)];
  for (const d of dests) {
    const p = /^projects\/([^/]+)/.exec(d ?? '')?.[1];
    if (d !== undefined && p !== undefined && project !== undefined && p !== project) out.push(d);
  }
  return out;
}

/** Fields rules may name on Cloud Audit Logs entries. */
export const GCP_DERIVED_FIELDS: Readonly<Record<string, DerivedField>> = {
  'irctl.log_kind': {
    description: 'audit log kind of the entry: activity, data_access, system_event or policy',
    values: (b) => {
      const k = auditKindOf(asString(asObject(b)?.logName));
      return k !== undefined ? [k] : [];
    },
  },
  'irctl.granted_roles': { description: 'roles an IAM policy change granted (ADD binding deltas)', values: (b) => added(b).map((d) => d.role) },
  'irctl.granted_members': { description: 'members an IAM policy change granted a role to', values: (b) => added(b).map((d) => d.member) },
  'irctl.owner_editor_members': {
    description: 'members an IAM policy change made roles/owner or roles/editor',
    values: (b) =>
      added(b)
        .filter((d) => d.role === 'roles/owner' || d.role === 'roles/editor')
        .map((d) => d.member),
  },
  'irctl.public_members': {
    description: 'allUsers / allAuthenticatedUsers granted a role by an IAM policy change',
    values: (b) =>
      added(b)
        .filter((d) => d.member === 'allUsers' || d.member === 'allAuthenticatedUsers')
        .map((d) => d.member),
  },
  'irctl.external_members': {
    description: "members granted a role from a consumer domain, or (when a user made the change) from another domain than the user's",
    values: externalMembers,
  },
  'irctl.audit_config_removed': {
    description: 'audit log types (DATA_READ, DATA_WRITE, ADMIN_READ) an IAM policy change removed from the audit config',
    values: (b) => {
      const out: string[] = [];
      for (const d of arr(policyDelta(b)?.auditConfigDeltas)) {
        const o = asObject(d);
        if (asString(o?.action)?.toUpperCase() === 'REMOVE') out.push(asString(o?.logType) ?? 'ALL');
      }
      return out;
    },
  },
  'irctl.metadata_keys': { description: 'instance or project metadata keys a change added, modified or deleted', values: metadataKeys },
  'irctl.firewall_world_ranges': { description: '0.0.0.0/0 or ::/0 source ranges of an ingress allow firewall rule', values: worldOpenRanges },
  'irctl.runtime_service_account': { description: 'the service account a Cloud Functions / Cloud Run deployment runs as', values: runtimeServiceAccount },
  'irctl.bq_exfil_destinations': { description: 'extract destinations and other-project destination tables of a BigQuery job', values: bigQueryExfilDestinations },
};
