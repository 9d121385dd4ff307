/**
 * AWS EC2 context records: snapshots of instances, security groups, network interfaces, volumes, Elastic IP
 * addresses and IAM instance profile associations, taken by `irctl collect aws` (layer `context`, class
 * `inventory`). Blast radius and containment read them through `store/collect-repo.ts` (`listAssets`, `exposureOf`).
 *
 * Record format (data type `aws:ec2:<kind>`): canonical JSON written by irctl, because the EC2 API answers in XML
 * and the record is the SDK's reading of one XML item; the SHA-256 of the XML page as received is kept on the page's
 * input row. `{"account","arn","contextType","observedAt","region","resource":{...as DescribeX returned it...}}`.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import { canonicalJson } from '../../util/hash.js';
import type { SourceAdapter } from '../types.js';

/** Kinds of EC2 context record. */
export const EC2_CONTEXT_KINDS = ['instance', 'security-group', 'network-interface', 'volume', 'address', 'iam-instance-profile-association'] as const;
/** One kind. */
export type Ec2ContextKind = (typeof EC2_CONTEXT_KINDS)[number];

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** ARN-style identifier of one EC2 item, or undefined when the item has no id. */
export function ec2Arn(kind: Ec2ContextKind, item: Record<string, unknown>, account: string, region: string): string | undefined {
  const p = partitionOf(region);
  const base = `arn:${p}:ec2:${region}:${account}`;
  switch (kind) {
    case 'instance': {
      const id = asString(item.InstanceId);
      return id ? `${base}:instance/${id}` : undefined;
    }
    case 'security-group': {
      const id = asString(item.GroupId);
      return id ? `${base}:security-group/${id}` : undefined;
    }
    case 'network-interface': {
      const id = asString(item.NetworkInterfaceId);
      return id ? `${base}:network-interface/${id}` : undefined;
    }
    case 'volume': {
      const id = asString(item.VolumeId);
      return id ? `${base}:volume/${id}` : undefined;
    }
    case 'address': {
      const id = asString(item.AllocationId) ?? asString(item.PublicIp);
      return id ? `${base}:elastic-ip/${id}` : undefined;
    }
    case 'iam-instance-profile-association': {
      const id = asString(item.AssociationId);
      return id ? `${base}:iam-instance-profile-association/${id}` : undefined;
    }
  }
}

/** Identifiers of the resources an item points at (for entity correlation). */
function relatedOf(kind: Ec2ContextKind, item: Record<string, unknown>, account: string, region: string): string[] {
  const base = `arn:${partitionOf(region)}:ec2:${region}:${account}`;
  const out = new Set<string>();
  const list = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.flatMap((x) => (asObject(x) ? [x as Record<string, unknown>] : [])) : []);
  const add = (v: string | undefined, fmt: (s: string) => string): void => {
    if (v) out.add(fmt(v));
  };
  switch (kind) {
    case 'instance':
      for (const g of list(item.SecurityGroups)) add(asString(g.GroupId), (id) => `${base}:security-group/${id}`);
      for (const n of list(item.NetworkInterfaces)) add(asString(n.NetworkInterfaceId), (id) => `${base}:network-interface/${id}`);
      for (const b of list(item.BlockDeviceMappings)) add(asString(asObject(b.Ebs)?.VolumeId), (id) => `${base}:volume/${id}`);
      add(asString(asObject(item.IamInstanceProfile)?.Arn), (a) => a);
      break;
    case 'network-interface':
      for (const g of list(item.Groups)) add(asString(g.GroupId), (id) => `${base}:security-group/${id}`);
      add(asString(asObject(item.Attachment)?.InstanceId), (id) => `${base}:instance/${id}`);
      break;
    case 'volume':
      for (const a of list(item.Attachments)) add(asString(a.InstanceId), (id) => `${base}:instance/${id}`);
      break;
    case 'address':
      add(asString(item.InstanceId), (id) => `${base}:instance/${id}`);
      add(asString(item.NetworkInterfaceId), (id) => `${base}:network-interface/${id}`);
      break;
    case 'iam-instance-profile-association':
      add(asString(item.InstanceId), (id) => `${base}:instance/${id}`);
      add(asString(asObject(item.IamInstanceProfile)?.Arn), (a) => a);
      break;
    case 'security-group':
      break;
  }
  return [...out].sort();
}

/** Build the stored text of one context record (pure). Undefined when the item has no identifier. */
export function ec2ContextRecord(
  kind: Ec2ContextKind,
  item: Record<string, unknown>,
  ctx: { account: string; region: string; observedAt: string },
): { text: string; arn: string } | undefined {
  const arn = ec2Arn(kind, item, ctx.account, ctx.region);
  if (!arn) return undefined;
  return {
    arn,
    text: canonicalJson({ contextType: `aws:ec2:${kind}`, observedAt: ctx.observedAt, account: ctx.account, region: ctx.region, arn, resource: item }),
  };
}

function kindOf(record: unknown): Ec2ContextKind | undefined {
  const t = asString(asObject(record)?.contextType);
  if (!t?.startsWith('aws:ec2:')) return undefined;
  const k = t.slice('aws:ec2:'.length);
  return (EC2_CONTEXT_KINDS as readonly string[]).includes(k) ? (k as Ec2ContextKind) : undefined;
}

function normalizeFor(kind: Ec2ContextKind): (record: unknown, sha: string) => NormalizeResult {
  return (record) => {
    const r = asObject(record);
    if (!r || kindOf(r) !== kind) return { ok: false, reason: `not an aws:ec2:${kind} context record` };
    const resource = asObject(r.resource);
    const account = asString(r.account);
    const region = asString(r.region);
    const arn = asString(r.arn);
    const t = normalizeTime(r.observedAt);
    if (!resource || !account || !region || !arn) return { ok: false, reason: `aws:ec2:${kind} context record lacks resource, account, region or arn` };
    if (!t) return { ok: false, reason: `aws:ec2:${kind} context record has no valid observedAt` };
    return {
      ok: true,
      event: {
        // One event per resource per snapshot: a later snapshot is new evidence, not a copy of the earlier one.
        id: `aws:ec2:${kind}:${arn}@${t.iso}`,
        dataType: `aws:ec2:${kind}`,
        class: 'inventory',
        time: t.iso,
        timeMs: t.ms,
        provider: 'aws',
        layer: 'context',
        account,
        region,
        service: 'ec2',
        action: `inventory:${kind}`,
        actor: {},
        outcome: 'unknown',
        readOnly: true,
        resources: [arn, ...relatedOf(kind, resource, account, region)],
      },
    };
  };
}

/** One adapter per context kind (adapters are looked up by data type when events are rebuilt). */
export const awsEc2ContextAdapters: readonly SourceAdapter[] = EC2_CONTEXT_KINDS.map((kind) => ({
  id: `aws-ec2-${kind}`,
  dataType: `aws:ec2:${kind}`,
  provider: 'aws',
  description: `AWS EC2 ${kind} snapshots collected by \`irctl collect aws\` (context layer)`,
  version: 1,
  matches: (record: unknown) => kindOf(record) === kind,
  normalize: normalizeFor(kind),
}));
