/**
 * Internet exposure of EC2 instances (pure): an instance is exposed when it has a public address (public IPv4,
 * Elastic IP, or IPv6) and one of its security groups allows ingress from 0.0.0.0/0 or ::/0.
 */
import type { ExposureRow, OpenIngress } from '../../store/collect-repo.js';

type Obj = Record<string, unknown>;

function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter((x): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

/** Ingress rules of one security group that are open to the internet. */
export function openIngressOf(sg: Obj): OpenIngress[] {
  const groupId = str(sg.GroupId) ?? '?';
  const out: OpenIngress[] = [];
  for (const p of arr(sg.IpPermissions)) {
    const protocol = str(p.IpProtocol) === '-1' ? 'all' : (str(p.IpProtocol) ?? 'all');
    const base = { group_id: groupId, protocol, from_port: num(p.FromPort), to_port: num(p.ToPort) };
    for (const r of arr(p.IpRanges)) if (str(r.CidrIp) === '0.0.0.0/0') out.push({ ...base, cidr: '0.0.0.0/0' });
    for (const r of arr(p.Ipv6Ranges)) if (str(r.CidrIpv6) === '::/0') out.push({ ...base, cidr: '::/0' });
  }
  return out;
}

/** Snapshot input: items as described, per kind. */
export interface ExposureInput {
  instances: Array<{ item: Obj; sha256: string }>;
  securityGroups: Obj[];
  addresses: Obj[];
}

/** Compute exposure of every instance of one region snapshot. */
export function computeExposure(
  input: ExposureInput,
  ctx: { runId: string; observedAt: string; account: string; region: string; arnOf: (item: Obj) => string | undefined },
): ExposureRow[] {
  const sgById = new Map<string, Obj>();
  for (const sg of input.securityGroups) {
    const id = str(sg.GroupId);
    if (id) sgById.set(id, sg);
  }
  const rows: ExposureRow[] = [];
  for (const { item, sha256 } of input.instances) {
    const id = str(item.InstanceId);
    const arn = ctx.arnOf(item);
    if (!id || !arn) continue;
    const ips = new Set<string>();
    const pub = str(item.PublicIpAddress);
    if (pub) ips.add(pub);
    const groups = new Set<string>();
    for (const g of arr(item.SecurityGroups)) {
      const gid = str(g.GroupId);
      if (gid) groups.add(gid);
    }
    for (const n of arr(item.NetworkInterfaces)) {
      const a = n.Association as Obj | undefined;
      const p = a ? str(a.PublicIp) : undefined;
      if (p) ips.add(p);
      for (const v6 of arr(n.Ipv6Addresses)) {
        const ip = str(v6.Ipv6Address);
        if (ip) ips.add(ip);
      }
      for (const g of arr(n.Groups)) {
        const gid = str(g.GroupId);
        if (gid) groups.add(gid);
      }
    }
    for (const a of input.addresses) if (str(a.InstanceId) === id && str(a.PublicIp)) ips.add(str(a.PublicIp) as string);
    const open: OpenIngress[] = [];
    for (const gid of [...groups].sort()) {
      const sg = sgById.get(gid);
      if (sg) open.push(...openIngressOf(sg));
    }
    const state = str((item.State as Obj | undefined)?.Name) ?? null;
    const live = state !== 'terminated' && state !== 'shutting-down';
    rows.push({
      run_id: ctx.runId,
      observed_at: ctx.observedAt,
      account: ctx.account,
      region: ctx.region,
      instance_id: id,
      arn,
      state,
      exposed: live && ips.size > 0 && open.length > 0,
      public_ips: [...ips].sort(),
      open_ingress: open,
      security_groups: [...groups].sort(),
      raw_sha256: sha256,
    });
  }
  return rows.sort((a, b) => a.arn.localeCompare(b.arn));
}
