/**
 * Google Cloud VPC flow logs: LogEntries of `compute.googleapis.com/vpc_flows` (subnet-level flow logs) and
 * `networkmanagement.googleapis.com/vpc_flows` (flow logs configured in Network Management), in every shape the audit
 * entries come in (gcloud arrays, sink JSON Lines, entries:list pages, Pub/Sub). The record is `jsonPayload`:
 * `connection` {src_ip, dest_ip, src_port, dest_port, protocol}, `bytes_sent`, `packets_sent`, `start_time`,
 * `end_time`, `reporter` (SRC: the sending VM reported it, DEST: the receiving one), `src_instance` / `dest_instance`,
 * `src_vpc` / `dest_vpc`, `src_location` / `dest_location`, `*_google_service`. Layer `network`.
 *
 * Rules read the generic flow fields under `network.*` (the names every provider's flow records map to: `src_ip`,
 * `src_port`, `dst_ip`, `dst_port`, `protocol`, `protocol_number`, `bytes`, `packets`, `direction`, `instance_id`,
 * `start`, `end`, `src_private`, `dst_private`) next to the entry's own fields. Pure.
 */
import { isIP } from 'node:net';
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import { completeNetworkFields, type NetworkFields } from '../../normalize/network.js';
import type { SourceAdapter } from '../types.js';
import { canonicalLogName, logIdOf, logParentOf, regionOfLocation, shortHash } from './common.js';

/** Data type of a VPC flow log entry. */
export const VPC_FLOW_DATA_TYPE = 'gcp:vpc-flow:entry';

const FLOW_LOGS = new Set(['compute.googleapis.com/vpc_flows', 'networkmanagement.googleapis.com/vpc_flows']);

/** The flow LogEntry a record is (a vpc_flows log with `jsonPayload.connection`), or undefined. */
function flowEntryOf(record: unknown): Record<string, unknown> | undefined {
  const o = asObject(record);
  const payload = asObject(o?.jsonPayload);
  if (!o || !payload || !asObject(payload.connection)) return undefined;
  return FLOW_LOGS.has(logIdOf(asString(o.logName)) ?? '') ? o : undefined;
}

/** A count Cloud Logging writes as an int64 string (`"38144"`) or a number. */
function count(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const s = asString(v);
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/** The instance named by `src_instance` / `dest_instance`, as a resource name. */
function instanceName(i: Record<string, unknown> | undefined): string | undefined {
  const vm = asString(i?.vm_name);
  const project = asString(i?.project_id);
  const zone = asString(i?.zone);
  return vm !== undefined && project !== undefined && zone !== undefined ? `projects/${project}/zones/${zone}/instances/${vm}` : vm;
}

/** The generic network fields of a flow entry (src/normalize/network.ts: the names every provider's flow records map to). */
export function gcpFlowNetworkFields(entry: Record<string, unknown>): NetworkFields {
  const p = asObject(entry.jsonPayload) ?? {};
  const c = asObject(p.connection) ?? {};
  const reporter = asString(p.reporter);
  return completeNetworkFields({
    src_ip: asString(c.src_ip),
    src_port: count(c.src_port),
    dst_ip: asString(c.dest_ip),
    dst_port: count(c.dest_port),
    protocol_number: count(c.protocol),
    bytes: count(p.bytes_sent),
    packets: count(p.packets_sent),
    // The reporting VM sent (SRC) or received (DEST) the flow.
    direction: reporter === 'SRC' ? 'egress' : reporter === 'DEST' ? 'ingress' : undefined,
    instance_id: instanceName(asObject(reporter === 'DEST' ? p.dest_instance : p.src_instance)),
    start: normalizeTime(p.start_time)?.iso,
    end: normalizeTime(p.end_time)?.iso,
  });
}

/** Pure mapping of one flow entry to the common schema. */
export function normalizeGcpFlow(record: unknown, rawSha256: string): NormalizeResult {
  const entry = flowEntryOf(record);
  if (!entry) return { ok: false, reason: 'not a VPC flow log entry (no vpc_flows logName with jsonPayload.connection)' };
  const rawTime = entry.timestamp ?? entry.receiveTimestamp;
  const t = normalizeTime(rawTime);
  if (!t) return { ok: false, reason: `VPC flow log timestamp ${JSON.stringify(rawTime ?? null).slice(0, 60)} is not an RFC 3339 time` };
  const logName = entry.logName as string;
  const insertId = asString(entry.insertId);
  const p = asObject(entry.jsonPayload) ?? {};
  const net = gcpFlowNetworkFields(entry);
  const reporter = asString(p.reporter);
  const mine = asObject(reporter === 'DEST' ? p.dest_instance : p.src_instance);
  const vpc = asObject(reporter === 'DEST' ? p.dest_vpc : p.src_vpc);
  const labels = asObject(asObject(entry.resource)?.labels) ?? {};
  const parent = logParentOf(logName);
  const related: Array<{ kind: string; value: string }> = [];
  const add = (kind: string, v: unknown): void => {
    if (typeof v === 'string' && v !== '' && !related.some((x) => x.kind === kind && x.value === v)) related.push({ kind, value: v });
  };
  add('ip', net.dst_ip);
  add('instance', instanceName(asObject(p.src_instance)));
  add('instance', instanceName(asObject(p.dest_instance)));
  const src = net.src_ip;
  return {
    ok: true,
    event: {
      // Identity as for every LogEntry: insertId within its log and timestamp (design.md "Record identity").
      id: insertId !== undefined ? `gcp:${shortHash([canonicalLogName(logName), t.iso, insertId].join('\n'))}` : `sha256:${rawSha256}`,
      dataType: VPC_FLOW_DATA_TYPE,
      class: 'network_activity',
      time: t.iso,
      timeMs: t.ms,
      provider: 'gcp',
      layer: 'network',
      account: parent?.startsWith('projects/') === true ? parent.slice(9) : (asString(labels.project_id) ?? parent),
      region: regionOfLocation(asString(mine?.region) ?? asString(vpc?.subnetwork_region) ?? asString(labels.location)),
      service: 'vpc',
      // Flow logs sample traffic that flowed; they carry no allow/deny (firewall rules logging does).
      action: reporter === 'DEST' ? 'FLOW_IN' : reporter === 'SRC' ? 'FLOW_OUT' : 'FLOW',
      actor: {},
      srcIp: src !== undefined && isIP(src) !== 0 ? src : undefined,
      outcome: 'unknown',
      readOnly: true,
      resources: typeof net.instance_id === 'string' ? [net.instance_id] : [],
      related: related.length > 0 ? related : undefined,
    },
  };
}

/** The VPC flow log adapter. */
export const gcpVpcFlow: SourceAdapter = {
  id: 'gcp-vpc-flow',
  dataType: VPC_FLOW_DATA_TYPE,
  provider: 'gcp',
  description: 'Google Cloud VPC flow logs (compute.googleapis.com/vpc_flows and networkmanagement.googleapis.com/vpc_flows LogEntries)',
  version: 1,
  matches: (record) => flowEntryOf(record) !== undefined,
  normalize: normalizeGcpFlow,
  // The entry by its own names, plus the generic flow fields.
  ruleBody: (record) => {
    const entry = flowEntryOf(record);
    return entry ? { ...entry, network: gcpFlowNetworkFields(entry) } : record;
  },
  logSources: [{ product: 'gcp', service: 'vpc_flows', description: 'Google Cloud VPC flow log entries (jsonPayload fields, plus the generic network.* fields)' }],
  // The provider-neutral flow rules (`logsource: {category: network_flow}`) run on these entries too.
  categories: ['network_flow'],
};
