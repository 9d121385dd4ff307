/**
 * The generic fields of a network flow record (docs/layers.md "Network flow fields"), whatever the vendor: the flow
 * logs of every cloud map their records to {@link NetworkFields}, and rules
 * address them as `network.<field>` in the rule body, so one rule reads every provider's flows. Pure.
 */
import { BlockList, isIP } from 'node:net';

/** Generic fields of one flow record (absent when the record does not say). */
export interface NetworkFields {
  /** Source address (the packet's original source when the record has it, e.g. behind a NAT gateway). */
  src_ip?: string | undefined;
  /** Source port (TCP/UDP). */
  src_port?: number | undefined;
  /** Destination address (the packet's original destination when the record has it). */
  dst_ip?: string | undefined;
  /** Destination port (TCP/UDP). */
  dst_port?: number | undefined;
  /** IP protocol name, lower-case (`tcp`, `udp`, `icmp`, `icmpv6`, `gre`, `esp`...); the number as text when unnamed. */
  protocol?: string | undefined;
  /** IANA protocol number. */
  protocol_number?: number | undefined;
  /** Bytes in the flow record's aggregation interval (the direction the record describes). */
  bytes?: number | undefined;
  /** Packets in the interval. */
  packets?: number | undefined;
  /** `accept` or `reject` (what the security group / ACL / firewall did). */
  action?: 'accept' | 'reject' | undefined;
  /** `ingress` or `egress`, relative to the interface, when the record says. */
  direction?: 'ingress' | 'egress' | undefined;
  /** The network interface the flow was captured on (the provider's interface id). */
  interface_id?: string | undefined;
  /** The compute instance that owns the interface, when the record names it. */
  instance_id?: string | undefined;
  /** `ok`, or `nodata` (no traffic in the interval) / `skipdata` (records lost in the interval). */
  status?: 'ok' | 'nodata' | 'skipdata' | undefined;
  /** Start and end of the aggregation interval (UTC ISO 8601). */
  start?: string | undefined;
  end?: string | undefined;
  /** True when the source / destination is a private, loopback, link-local or shared (CGNAT) address. */
  src_private?: boolean | undefined;
  dst_private?: boolean | undefined;
}

/** IANA protocol numbers with names. */
const PROTOCOLS: Readonly<Record<number, string>> = {
  1: 'icmp',
  2: 'igmp',
  4: 'ipip',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  89: 'ospf',
  132: 'sctp',
};

/** The protocol name of an IANA number (the number as text when unnamed). */
export function protocolName(n: number): string {
  return PROTOCOLS[n] ?? String(n);
}

/** IPv6 addresses that are not on the internet: unique-local, link-local, loopback, unspecified. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addAddress('::', 'ipv6');

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** An IPv4 literal's first two octets when it is private: RFC 1918, loopback, link-local, CGNAT (100.64/10), 0/8. */
function privateV4(m: RegExpExecArray): boolean {
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

/**
 * True when the address is private (not routable on the internet); undefined when it is not an IP literal. IPv4 is
 * decided from the octets (flow records call this for every address: BlockList builds an object per check).
 */
export function isPrivateAddress(ip: string): boolean | undefined {
  const m = V4.exec(ip);
  if (m) return [m[1], m[2], m[3], m[4]].every((o) => Number(o) <= 255) ? privateV4(m) : undefined;
  if (isIP(ip) !== 6) return undefined;
  return PRIVATE.check(ip, 'ipv6');
}

/** The fields with the derived ones filled in (`protocol` from the number, `*_private` from the addresses); absent keys dropped. */
export function completeNetworkFields(f: NetworkFields): NetworkFields {
  // Built key by key (no `delete`: an object that loses keys becomes a slow dictionary object, and flows are many).
  const out: Record<string, unknown> = {};
  for (const k in f) {
    const v = f[k as keyof NetworkFields];
    if (v !== undefined) out[k] = v;
  }
  if (f.protocol === undefined && f.protocol_number !== undefined) out.protocol = protocolName(f.protocol_number);
  if (f.src_ip !== undefined) {
    const p = isPrivateAddress(f.src_ip);
    if (p !== undefined) out.src_private = p;
  }
  if (f.dst_ip !== undefined) {
    const p = isPrivateAddress(f.dst_ip);
    if (p !== undefined) out.dst_private = p;
  }
  return out;
}
