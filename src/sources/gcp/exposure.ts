/**
 * Exposure findings of a Cloud Asset Inventory snapshot (pure): VPC firewall rules that allow ingress from the whole
 * internet, instances with external IP addresses, buckets whose IAM policy grants `allUsers` /
 * `allAuthenticatedUsers`, and user-managed service-account keys (long-lived credentials that can leave the
 * project). `collect gcp --context` lists them in its summary; the investigation's asset context names them for the
 * threat's resources (Provider `exposure`).
 *
 * Firewall rules and key types come from the full resource (`versionedResources[].resource`, which irctl asks for
 * with `readMask=*`); instances' addresses from `additionalAttributes.externalIPs`.
 */
import { asObject, asString } from '../../normalize/event.js';
import type { GcpAssetKind } from './context.js';

const WORLD = new Set(['0.0.0.0/0', '::/0']);
const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);

/** The full resource of a search result (the first versioned resource), when the search returned it. */
function fullResource(r: Record<string, unknown>): Record<string, unknown> | undefined {
  const v = r.versionedResources;
  return Array.isArray(v) ? asObject(asObject(v[0])?.resource) : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? (v as unknown[]).filter((x): x is string => typeof x === 'string') : [];
}

/** The short name of a resource (`//compute.googleapis.com/projects/p/global/firewalls/allow-ssh` -> `allow-ssh`). */
function shortName(name: string): string {
  return name.split('/').pop() ?? name;
}

/** Exposure findings of one snapshot record's search result, one sentence each. */
export function gcpExposureOf(kind: GcpAssetKind, name: string, r: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (kind === 'firewall') {
    const fw = fullResource(r);
    if (!fw) return out;
    const ranges = strings(fw.sourceRanges).filter((s) => WORLD.has(s));
    const ingress = (asString(fw.direction) ?? 'INGRESS') === 'INGRESS';
    const allowed = Array.isArray(fw.allowed) ? (fw.allowed as unknown[]).map(asObject) : [];
    if (ingress && fw.disabled !== true && ranges.length > 0 && allowed.length > 0) {
      const what = allowed.map((a) => `${asString(a?.IPProtocol) ?? '?'}${strings(a?.ports).length > 0 ? `:${strings(a?.ports).join(',')}` : ''}`).join(' ');
      const targets = [...strings(fw.targetTags), ...strings(fw.targetServiceAccounts)];
      out.push(`firewall rule ${shortName(name)} allows ${what} from ${ranges.join(',')} to ${targets.length > 0 ? targets.join(',') : 'every instance of its network'}`);
    }
  }
  if (kind === 'instance') {
    const ips = strings(asObject(r.additionalAttributes)?.externalIPs);
    if (ips.length > 0) out.push(`instance ${shortName(name)} has external IP ${ips.join(',')}`);
  }
  if (kind === 'bucket-iam-policy') {
    const bindings = asObject(r.policy)?.bindings;
    for (const b of Array.isArray(bindings) ? (bindings as unknown[]) : []) {
      const members = strings(asObject(b)?.members).filter((m) => PUBLIC_MEMBERS.has(m));
      if (members.length > 0) out.push(`bucket ${shortName(name)} grants ${asString(asObject(b)?.role) ?? '?'} to ${members.join(',')}`);
    }
  }
  if (kind === 'service-account-key') {
    const type = asString(fullResource(r)?.keyType) ?? asString(asObject(r.additionalAttributes)?.keyType);
    if (type === 'USER_MANAGED') {
      const sa = /\/serviceAccounts\/([^/]+)\/keys\//.exec(name)?.[1] ?? '?';
      out.push(`service account ${sa} has user-managed key ${shortName(name)}`);
    }
  }
  return out;
}

/** Exposure findings of a stored `gcp:asset:<kind>` context record (Provider `exposure`). */
export function gcpExposureOfRecord(dataType: string, record: unknown): string[] {
  const m = /^gcp:asset:(.+)$/.exec(dataType);
  const o = asObject(record);
  const resource = asObject(o?.resource);
  const name = asString(o?.name);
  if (!m || !resource || name === undefined) return [];
  return gcpExposureOf(m[1] as GcpAssetKind, name, resource);
}
