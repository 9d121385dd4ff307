/**
 * What an EC2 host name says about its instance (pure). EC2 gives instances IP-based names (`ip-10-0-1-23`,
 * `ip-10-0-1-23.ec2.internal`, `ip-10-0-1-23.eu-west-1.compute.internal`) or resource-based names
 * (`i-0123456789abcdef0.ec2.internal`, `i-0123456789abcdef0.eu-west-1.compute.internal`). A runtime sensor (Falco,
 * Tetragon) reports the host name; this turns it into the private address or the instance id, so the sensor's alerts
 * join the instance's flow logs and the cloud calls made with its role.
 */
import type { Entity } from '../types.js';

const SUFFIX = String.raw`(?:\.ec2\.internal|\.[a-z]{2}(?:-gov)?-[a-z]+-\d\.compute\.internal)?`;
const IP_NAME = new RegExp(String.raw`^ip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})${SUFFIX}$`, 'i');
const INSTANCE_NAME = new RegExp(String.raw`^(i-[0-9a-f]{8,17})${SUFFIX}$`, 'i');

/** Entities an EC2 host name names: its private IPv4 address (`private_ip`) or its instance (`instance`). */
export function awsHostEntities(host: string): Entity[] {
  const ip = IP_NAME.exec(host);
  if (ip) {
    const parts = ip.slice(1, 5).map(Number);
    if (parts.every((p) => p <= 255)) return [{ kind: 'private_ip', value: parts.join('.') }];
    return [];
  }
  const inst = INSTANCE_NAME.exec(host);
  return inst?.[1] ? [{ kind: 'instance', value: inst[1].toLowerCase() }] : [];
}
