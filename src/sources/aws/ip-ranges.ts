/**
 * AWS's published IP address ranges (`ip-ranges.json`), read from a file the operator points to with
 * `IRCTL_AWS_IP_RANGES`: irctl never fetches them (no network at run time) and ships no copy (the file carries no
 * terms that allow redistributing it, and a stale copy would call new AWS addresses "outside AWS"). Download it
 * yourself from https://ip-ranges.amazonaws.com/ip-ranges.json (AWS documents it under "AWS IP address ranges") and
 * keep it with the case; its `createDate` is printed by `irctl detect` and named in the detections it decides.
 *
 * Addresses are checked by CIDR with node:net BlockList (IPv4 `prefixes[].ip_prefix` and IPv6
 * `ipv6_prefixes[].ipv6_prefix`, every service: `AMAZON` already spans the others). Rules read the answer through
 * the CloudTrail derived fields `irctl.src_outside_aws` (true / false; absent without ranges or without a source IP)
 * and `irctl.aws_ip_ranges` (which file decided it).
 */
import { readFileSync, statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../../errors.js';

/** Loaded ranges. */
export interface AwsIpRanges {
  /** The file read. */
  path: string;
  /** `createDate` of the file (`YYYY-MM-DD-hh-mm-ss`, UTC), or `unknown`. */
  createDate: string;
  /** `syncToken` of the file, or `unknown`. */
  syncToken: string;
  ipv4: number;
  ipv6: number;
  /** Entries that are not valid CIDR prefixes (skipped). */
  skipped: number;
  list: BlockList;
}

/** The environment variable naming the file. */
export const AWS_IP_RANGES_ENV = 'IRCTL_AWS_IP_RANGES';

let current: AwsIpRanges | undefined;
let cacheKey = '';

/** Parse the text of an ip-ranges.json (pure). Throws a ConfigError naming the file for anything unusable. */
export function parseAwsIpRanges(text: string, path: string): AwsIpRanges {
  const fail = (why: string): never => {
    throw new ConfigError(`${AWS_IP_RANGES_ENV}=${path}: ${why}`, {
      hint: `Point ${AWS_IP_RANGES_ENV} at AWS's ip-ranges.json as downloaded from https://ip-ranges.amazonaws.com/ip-ranges.json, or unset it.`,
    });
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail('not an ip-ranges.json document (expected an object with "prefixes")');
  const d = doc as Record<string, unknown>;
  if (!Array.isArray(d.prefixes)) return fail('no "prefixes" array: not an ip-ranges.json document');
  const list = new BlockList();
  const out: AwsIpRanges = {
    path,
    createDate: typeof d.createDate === 'string' ? d.createDate : 'unknown',
    syncToken: typeof d.syncToken === 'string' ? d.syncToken : 'unknown',
    ipv4: 0,
    ipv6: 0,
    skipped: 0,
    list,
  };
  const add = (entry: unknown, key: string, family: 'ipv4' | 'ipv6'): void => {
    const v = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>)[key] : undefined;
    const m = typeof v === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(v.trim()) : null;
    const bits = m ? Number(m[2]) : NaN;
    if (!m || isIP(m[1] as string) !== (family === 'ipv4' ? 4 : 6) || bits > (family === 'ipv4' ? 32 : 128)) {
      out.skipped++;
      return;
    }
    list.addSubnet(m[1] as string, bits, family);
    out[family]++;
  };
  for (const p of d.prefixes as unknown[]) add(p, 'ip_prefix', 'ipv4');
  for (const p of Array.isArray(d.ipv6_prefixes) ? (d.ipv6_prefixes as unknown[]) : []) add(p, 'ipv6_prefix', 'ipv6');
  if (out.ipv4 + out.ipv6 === 0) return fail('no valid prefix in it');
  return out;
}

/**
 * Read the ranges named by the environment (the provider's `configure` hook, run before detection): unset clears
 * them. Re-reads the file only when its path, size or modification time changed. Returns notes for the operator.
 */
export function configureAwsIpRanges(env: Readonly<Record<string, string | undefined>>): string[] {
  const path = env[AWS_IP_RANGES_ENV];
  if (path === undefined || path === '') {
    current = undefined;
    cacheKey = '';
    return [];
  }
  let key: string;
  try {
    const st = statSync(path);
    key = `${path}|${st.size}|${st.mtimeMs}`;
  } catch (err) {
    throw new ConfigError(`${AWS_IP_RANGES_ENV}=${path}: cannot read it (${err instanceof Error ? err.message : String(err)})`, {
      hint: `Point ${AWS_IP_RANGES_ENV} at a downloaded copy of https://ip-ranges.amazonaws.com/ip-ranges.json, or unset it.`,
      cause: err,
    });
  }
  if (key !== cacheKey || !current) {
    current = parseAwsIpRanges(readFileSync(path, 'utf8'), path);
    cacheKey = key;
  }
  const r = current;
  return [
    `AWS IP ranges: ${path} (createDate ${r.createDate}, ${r.ipv4} IPv4 and ${r.ipv6} IPv6 prefixes${r.skipped > 0 ? `, ${r.skipped} unusable entries skipped` : ''}): instance credentials used from an address outside them are flagged`,
  ];
}

/** Set or clear the ranges directly (tests, embedding). */
export function setAwsIpRanges(r: AwsIpRanges | undefined): void {
  current = r;
  cacheKey = '';
}

/** The ranges in use, if any. */
export function awsIpRanges(): AwsIpRanges | undefined {
  return current;
}

/**
 * Whether an address is outside AWS's published ranges: undefined without ranges, or for a value that is not an IP
 * address (an AWS service name such as `ec2.amazonaws.com`).
 */
export function outsideAws(address: string, r: AwsIpRanges | undefined = current): boolean | undefined {
  if (!r) return undefined;
  // An IPv4 address written as IPv4-mapped IPv6 is checked against the IPv4 prefixes.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1] as string;
  const fam = isIP(address);
  if (fam === 0) return undefined;
  return !r.list.check(address, fam === 4 ? 'ipv4' : 'ipv6');
}

/** How the ranges in use are named in detections. */
export function rangesLabel(r: AwsIpRanges | undefined = current): string | undefined {
  return r ? `AWS ip-ranges.json createDate ${r.createDate}` : undefined;
}
