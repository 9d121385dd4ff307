/**
 * Google Cloud context records: a Cloud Asset Inventory snapshot taken by `irctl collect gcp --context` (layer
 * `context`, class `inventory`): Compute Engine instances, VPC firewall rules, Cloud Storage buckets with their IAM
 * policies, service accounts and service-account keys. Blast radius and exposure read them like EC2 context, through
 * `listAssets` (store/collect-repo.ts).
 *
 * Record format (data type `gcp:asset:<kind>`), like `aws:ec2:<kind>`: canonical JSON written by irctl, because a
 * snapshot record must carry when it was taken and from which scope; the search result inside is the JSON value the
 * API returned, and the SHA-256 of each API page as received is kept on the page's input row.
 * `{"contextType","observedAt","scope","name","resource":{...ResourceSearchResult or IamPolicySearchResult...}}`.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import { canonicalJson } from '../../util/hash.js';
import type { SourceAdapter } from '../types.js';

/** Kinds of GCP context record and the Cloud Asset type each comes from. */
export const GCP_ASSET_KINDS = {
  instance: 'compute.googleapis.com/Instance',
  firewall: 'compute.googleapis.com/Firewall',
  bucket: 'storage.googleapis.com/Bucket',
  'service-account': 'iam.googleapis.com/ServiceAccount',
  'service-account-key': 'iam.googleapis.com/ServiceAccountKey',
  'bucket-iam-policy': 'storage.googleapis.com/Bucket',
} as const;
/** One kind. */
export type GcpAssetKind = keyof typeof GCP_ASSET_KINDS;
const KINDS = Object.keys(GCP_ASSET_KINDS) as GcpAssetKind[];

/** The kind of a search result by its asset type (`policy`: from searchAllIamPolicies). */
export function gcpAssetKind(assetType: string, policy: boolean): GcpAssetKind | undefined {
  if (policy) return assetType === GCP_ASSET_KINDS.bucket ? 'bucket-iam-policy' : undefined;
  return KINDS.find((k) => k !== 'bucket-iam-policy' && GCP_ASSET_KINDS[k] === assetType);
}

/** Build the stored text of one context record (pure). Undefined when the result has no resource name. */
export function gcpContextRecord(kind: GcpAssetKind, result: Record<string, unknown>, ctx: { scope: string; observedAt: string }): { text: string; name: string } | undefined {
  const name = kind === 'bucket-iam-policy' ? asString(result.resource) : asString(result.name);
  if (!name) return undefined;
  return { name, text: canonicalJson({ contextType: `gcp:asset:${kind}`, observedAt: ctx.observedAt, scope: ctx.scope, name, resource: result }) };
}

function kindOf(record: unknown): GcpAssetKind | undefined {
  const t = asString(asObject(record)?.contextType);
  if (!t?.startsWith('gcp:asset:')) return undefined;
  const k = t.slice('gcp:asset:'.length);
  return (KINDS as string[]).includes(k) ? (k as GcpAssetKind) : undefined;
}

/** `projects/123` or `//cloudresourcemanager.googleapis.com/projects/p` -> the project part, for the account column. */
function projectOf(resource: Record<string, unknown>, name: string): string | undefined {
  const p = asString(resource.project);
  if (p) return p.replace(/^projects\//, '');
  return /\/projects\/([^/]+)/.exec(name)?.[1];
}

/** `//compute.googleapis.com/projects/p/global/firewalls/x` -> `projects/p/global/firewalls/x` (none for other shapes). */
function relativeName(name: string): string[] {
  const m = /^\/\/[a-z0-9.-]+\.googleapis\.com\/(.+)$/.exec(name);
  if (!m) return [];
  // Buckets are `//storage.googleapis.com/<bucket>`; audit entries name them `projects/_/buckets/<bucket>`.
  return [name.startsWith('//storage.googleapis.com/') && !(m[1] as string).includes('/') ? `projects/_/buckets/${m[1] as string}` : (m[1] as string)];
}

/** Resources a record points at: the instance's service accounts, a key's account, members of a bucket policy. */
function relatedOf(kind: GcpAssetKind, r: Record<string, unknown>, name: string): string[] {
  const out = new Set<string>();
  if (kind === 'service-account-key') {
    // //iam.googleapis.com/projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com/keys/KEYID
    const sa = /\/serviceAccounts\/([^/]+)/.exec(name)?.[1];
    if (sa) out.add(sa);
  }
  if (kind === 'service-account') {
    const email = asString(asObject(r.additionalAttributes)?.email) ?? /\/serviceAccounts\/([^/]+)$/.exec(name)?.[1];
    if (email) out.add(email);
  }
  if (kind === 'instance') {
    const sas = asObject(r.additionalAttributes)?.serviceAccounts;
    if (Array.isArray(sas)) for (const s of sas) if (typeof s === 'string') out.add(s);
  }
  if (kind === 'bucket-iam-policy') {
    const bindings = asObject(r.policy)?.bindings;
    if (Array.isArray(bindings)) {
      for (const b of bindings) {
        const members = asObject(b)?.members;
        if (Array.isArray(members)) for (const m of members) if (typeof m === 'string') out.add(m);
      }
    }
  }
  out.delete(name);
  return [...out].sort();
}

function normalizeFor(kind: GcpAssetKind): (record: unknown, sha: string) => NormalizeResult {
  return (record) => {
    const r = asObject(record);
    if (!r || kindOf(r) !== kind) return { ok: false, reason: `not a gcp:asset:${kind} context record` };
    const resource = asObject(r.resource);
    const name = asString(r.name);
    const t = normalizeTime(r.observedAt);
    if (!resource || !name) return { ok: false, reason: `gcp:asset:${kind} context record lacks resource or name` };
    if (!t) return { ok: false, reason: `gcp:asset:${kind} context record has no valid observedAt` };
    const account = projectOf(resource, name);
    const location = asString(resource.location);
    return {
      ok: true,
      event: {
        // One event per resource per snapshot: a later snapshot is new evidence, not a copy of the earlier one.
        id: `gcp:asset:${kind}:${name}@${t.iso}`,
        dataType: `gcp:asset:${kind}`,
        class: 'inventory',
        time: t.iso,
        timeMs: t.ms,
        provider: 'gcp',
        layer: 'context',
        ...(account ? { account } : {}),
        ...(location ? { region: location } : {}),
        service: 'cloudasset',
        action: `inventory:${kind}`,
        actor: {},
        outcome: 'unknown',
        readOnly: true,
        // The full resource name first (the asset's key), then the relative name audit entries carry as
        // `resourceName` (`projects/p/global/firewalls/x`), so a threat's resources find their snapshot.
        resources: [...new Set([name, ...relativeName(name), ...relatedOf(kind, resource, name)])],
      },
    };
  };
}

/** One adapter per context kind (adapters are looked up by data type when events are rebuilt). */
export const gcpAssetContextAdapters: readonly SourceAdapter[] = KINDS.map((kind) => ({
  id: `gcp-asset-${kind}`,
  dataType: `gcp:asset:${kind}`,
  provider: 'gcp',
  description: `Google Cloud ${kind} snapshots (Cloud Asset Inventory) collected by \`irctl collect gcp --context\` (context layer)`,
  version: 2,
  matches: (record: unknown) => kindOf(record) === kind,
  normalize: normalizeFor(kind),
}));
