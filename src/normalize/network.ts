/**
 * The generic fields of a network flow record (docs/layers.md "Network flow fields"), whatever the vendor: VPC flow
 * logs, Azure NSG / VNet flow logs and GCP VPC flow logs all map their records to {@link NetworkFields}, and rules
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
  /** The network interface the flow was captured on (AWS ENI id, Azure NIC, GCP VM interface). */
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

/** Addresses that are not on the internet: RFC 1918, loopback, link-local, CGNAT, unique-local, unspecified. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addAddress('::', 'ipv6');

/** True when the address is private (not routable on the internet); undefined when it is not an IP literal. */
export function isPrivateAddress(ip: string): boolean | undefined {
  const v = isIP(ip);
  if (v === 0) return undefined;
  return PRIVATE.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}

/** The fields with the derived ones filled in (`protocol` from the number, `*_private` from the addresses); absent keys dropped. */
export function completeNetworkFields(f: NetworkFields): NetworkFields {
  const out: NetworkFields = { ...f };
  if (out.protocol === undefined && out.protocol_number !== undefined) out.protocol = protocolName(out.protocol_number);
  if (out.src_ip !== undefined) out.src_private = isPrivateAddress(out.src_ip);
  if (out.dst_ip !== undefined) out.dst_private = isPrivateAddress(out.dst_ip);
  for (const k of Object.keys(out) as Array<keyof NetworkFields>) if (out[k] === undefined) delete out[k];
  return out;
}
