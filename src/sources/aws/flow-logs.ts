/**
 * Amazon VPC flow logs (versions 2 to 5, and Transit Gateway flow logs, version 6): space-separated text lines.
 *
 * - S3 delivery (`AWSLogs/<account>/vpcflowlogs/<region>/yyyy/mm/dd/*.log.gz`, plain text or gzip): a header line
 *   names the fields (`version account-id interface-id srcaddr ...`, the default format or a custom one), then one
 *   flow per line. Several files joined with `cat` keep their header lines: each starts a new table.
 * - CloudWatch Logs: each log event's message is one line without a header, in the default (version 2) format;
 *   `aws logs create-export-task` files prefix each line with the event's ISO timestamp. A file of such lines is read
 *   with the default format's fields (a custom format delivered to CloudWatch Logs cannot be named without its
 *   header: put the header line on top of the file).
 *
 * `-` is an absent value. NODATA (no traffic in the interval) and SKIPDATA (records lost in the interval: missing
 * evidence) lines are events too. A line's exact bytes are its raw record; the header is stored once with its input
 * (the rows-from-tables model of CSV files). Field meanings: Amazon VPC User Guide, "Flow log records". Pure.
 */
import { asObject, type NormalizeResult } from '../../normalize/event.js';
import { completeNetworkFields, isPrivateAddress, type NetworkFields } from '../../normalize/network.js';
import { sha256Hex } from '../../util/hash.js';
import type { RecordOrigin, SourceAdapter, TableHeader, TextFormat } from '../types.js';

/** Data type of a VPC (or Transit Gateway) flow log record. */
export const FLOW_LOG_DATA_TYPE = 'aws:vpcflow:record';

/** The default format's fields (version 2), in order. */
export const DEFAULT_FLOW_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

/** Every field AWS documents for VPC flow logs (v2-v5, ECS fields of v7/v8, reject-reason) and Transit Gateway flow logs (v6). */
const KNOWN_FIELDS = new Set<string>([
  ...DEFAULT_FLOW_FIELDS,
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
  'reject-reason',
  'resource-type',
  'tgw-id',
  'tgw-attachment-id',
  'tgw-src-vpc-account-id',
  'tgw-dst-vpc-account-id',
  'tgw-src-vpc-id',
  'tgw-dst-vpc-id',
  'tgw-src-subnet-id',
  'tgw-dst-subnet-id',
  'tgw-src-eni',
  'tgw-dst-eni',
  'tgw-src-az-id',
  'tgw-dst-az-id',
  'tgw-pair-attachment-id',
  'packets-lost-no-route',
  'packets-lost-blackhole',
  'packets-lost-mtu-exceeded',
  'packets-lost-ttl-expired',
]);

/** The column a CloudWatch Logs export task puts before each message (the event's ISO timestamp). */
export const EXPORT_TIMESTAMP_COLUMN = 'timestamp';

/** Header names: a declared header line, and the default format implied by a headerless line. */
const DECLARED = 'aws-vpc-flow';
const IMPLIED = 'aws-vpc-flow default format (no header line)';

const FIELD_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * A header line: every token a field name (lower-case words joined by `-`), and the fields of a flow among them. A
 * field AWS adds later is accepted (kept by its name) as long as the line names addresses or the log status.
 */
function flowHeaderOf(line: string): TableHeader | undefined {
  const c0 = line.charCodeAt(0);
  if (!(c0 >= 0x61 && c0 <= 0x7a)) return undefined; // data lines start with a digit, `-`, `eni-`... headers with a name
  const tokens = line.trim().split(/ +/);
  if (tokens.length < 2 || !tokens.every((t) => FIELD_NAME.test(t))) return undefined;
  if (!tokens.some((t) => t === 'srcaddr' || t === 'dstaddr' || t === 'log-status' || t === 'interface-id' || t === 'tgw-id')) return undefined;
  if (!tokens.every((t) => KNOWN_FIELDS.has(t) || t.includes('-') || /^[a-z]+$/.test(t))) return undefined;
  if (new Set(tokens).size !== tokens.length) return undefined;
  return { format: 'text', name: DECLARED, columns: tokens };
}

const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const DIGITS = /^\d+$/;
const orDash = (re: RegExp) => (t: string | undefined): boolean => t !== undefined && (t === '-' || re.test(t));
const isAddr = (t: string | undefined): boolean => t !== undefined && (t === '-' || /^[0-9a-fA-F.:]+$/.test(t));

/** A line of the default format (optionally after an export task's timestamp): the header it implies. */
function impliedFlowHeader(line: string): TableHeader | undefined {
  const tokens = line.trim().split(/ +/);
  let t = tokens;
  let prefixed = false;
  if (t.length === 15 && ISO_TS.test(t[0] ?? '')) {
    t = t.slice(1);
    prefixed = true;
  }
  if (t.length !== 14) return undefined;
  const ok =
    DIGITS.test(t[0] ?? '') &&
    orDash(/^(?:\d+|unknown)$/)(t[1]) &&
    orDash(/^[a-z]+-[0-9a-zA-Z-]+$/)(t[2]) &&
    isAddr(t[3]) &&
    isAddr(t[4]) &&
    [5, 6, 7, 8, 9].every((i) => orDash(DIGITS)(t[i])) &&
    DIGITS.test(t[10] ?? '') &&
    DIGITS.test(t[11] ?? '') &&
    /^(?:ACCEPT|REJECT|-)$/.test(t[12] ?? '') &&
    /^(?:OK|NODATA|SKIPDATA)$/.test(t[13] ?? '');
  if (!ok) return undefined;
  return { format: 'text', name: IMPLIED, columns: prefixed ? [EXPORT_TIMESTAMP_COLUMN, ...DEFAULT_FLOW_FIELDS] : [...DEFAULT_FLOW_FIELDS] };
}

/** The `vpcflow` text format. */
export const flowLogTextFormat: TextFormat = {
  format: 'vpcflow',
  description:
    'VPC / Transit Gateway flow log text: a header line naming the fields (S3 delivery, .log or .log.gz), or headerless default-format lines (CloudWatch Logs, export-task lines prefixed with a timestamp)',
  headerOf: flowHeaderOf,
  impliedHeader: impliedFlowHeader,
};

/** A flow record: the line's fields by name (values as written; `-` kept). */
export type FlowRecord = Record<string, string>;

/** True for a record this adapter made from a flow log line (only strings, only flow field names). */
function isFlowRecord(record: unknown): record is FlowRecord {
  const o = asObject(record);
  if (!o) return false;
  const keys = Object.keys(o);
  if (!keys.some((k) => k === 'srcaddr' || k === 'log-status' || k === 'interface-id' || k === 'tgw-id')) return false;
  return keys.every((k) => typeof o[k] === 'string' && (KNOWN_FIELDS.has(k) || k === EXPORT_TIMESTAMP_COLUMN || FIELD_NAME.test(k)));
}

/** The record a flow log line stands for. */
export function flowFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  if (header.format !== 'text' || (header.name !== DECLARED && header.name !== IMPLIED)) return undefined;
  const record: FlowRecord = {};
  header.columns.forEach((c, i) => {
    const v = row[i];
    if (typeof v === 'string') record[c] = v;
  });
  return { record, origin: 'native' };
}

const present = (v: string | undefined): string | undefined => (v === undefined || v === '-' || v === '' ? undefined : v);
const int = (v: string | undefined): number | undefined => {
  const p = present(v);
  if (p === undefined || !DIGITS.test(p)) return undefined;
  const n = Number(p);
  return Number.isSafeInteger(n) ? n : undefined;
};

/** The generic network fields of a flow record (docs/layers.md "Network flow fields"). */
export function flowNetworkFields(r: FlowRecord): NetworkFields {
  const tgw = r['tgw-id'] !== undefined;
  const status = present(r['log-status'])?.toLowerCase();
  const action = present(r.action)?.toLowerCase();
  const dir = present(r['flow-direction'])?.toLowerCase();
  const start = int(r.start);
  const end = int(r.end);
  return completeNetworkFields({
    // pkt-srcaddr / pkt-dstaddr are the packet's own addresses (behind a NAT gateway, an EKS pod's address).
    src_ip: present(r['pkt-srcaddr']) ?? present(r.srcaddr),
    src_port: int(r.srcport),
    dst_ip: present(r['pkt-dstaddr']) ?? present(r.dstaddr),
    dst_port: int(r.dstport),
    protocol_number: int(r.protocol),
    bytes: int(r.bytes),
    packets: int(r.packets),
    action: action === 'accept' || action === 'reject' ? action : undefined,
    direction: dir === 'ingress' || dir === 'egress' ? dir : undefined,
    interface_id: present(r['interface-id']) ?? (tgw ? present(r['tgw-src-eni']) : undefined),
    instance_id: present(r['instance-id']),
    status: status === 'ok' || status === 'nodata' || status === 'skipdata' ? status : undefined,
    start: start === undefined ? undefined : new Date(start * 1000).toISOString(),
    end: end === undefined ? undefined : new Date(end * 1000).toISOString(),
  });
}

/**
 * The event id of a flow record. A flow log line has no id: it is identified by its content, the fields by name
 * (sorted; the export task's timestamp prefix left out), so the same line delivered to S3 (under a header) and read
 * from CloudWatch Logs is one event with two raw records. Two identical lines of one interval are one flow.
 */
export function flowEventId(r: FlowRecord): string {
  const keys = Object.keys(r)
    .filter((k) => k !== EXPORT_TIMESTAMP_COLUMN)
    .sort();
  return `vpcflow:${sha256Hex(keys.map((k) => `${k}=${r[k] ?? ''}`).join('\n'))}`;
}

/** Pure mapping of one flow record to the common schema. */
export function normalizeFlowRecord(record: unknown, _rawSha256: string): NormalizeResult {
  if (!isFlowRecord(record)) return { ok: false, reason: 'not a VPC flow log record' };
  const r = record;
  const start = int(r.start) ?? int(r.end);
  let ms: number | undefined = start === undefined ? undefined : start * 1000;
  if (ms === undefined) {
    const ts = present(r[EXPORT_TIMESTAMP_COLUMN]);
    if (ts !== undefined && ISO_TS.test(ts)) ms = Date.parse(ts);
  }
  if (ms === undefined || !Number.isFinite(ms) || ms > 8.64e15) {
    return { ok: false, reason: 'flow log line has no start or end time (the format must include start or end; a value of "-" or text is not a time)' };
  }
  const net = flowNetworkFields(r);
  const tgw = r['tgw-id'] !== undefined;
  const status = present(r['log-status']);
  const vendorAction = present(r.action);
  // A NODATA / SKIPDATA line says what happened to the log, not to traffic: its status is the action.
  const action = status !== undefined && status !== 'OK' ? status : (vendorAction ?? (tgw ? 'FLOW' : 'UNKNOWN'));
  const related: Array<{ kind: string; value: string }> = [];
  const add = (kind: string, v: string | undefined): void => {
    if (v !== undefined && !related.some((x) => x.kind === kind && x.value === v)) related.push({ kind, value: v });
  };
  if (net.dst_ip !== undefined && isPrivateAddress(net.dst_ip) !== undefined) add('ip', net.dst_ip);
  add('interface', net.interface_id);
  add('instance', net.instance_id);
  add('container', present(r['ecs-container-id']));
  add('resource', present(r['ecs-task-arn']));
  const account = present(r['account-id']);
  const src = net.src_ip !== undefined && isPrivateAddress(net.src_ip) !== undefined ? net.src_ip : undefined;
  return {
    ok: true,
    event: {
      id: flowEventId(r),
      dataType: FLOW_LOG_DATA_TYPE,
      class: 'network_activity',
      time: new Date(ms).toISOString(),
      timeMs: ms,
      provider: 'aws',
      layer: 'network',
      account: account === 'unknown' ? undefined : account,
      region: present(r.region),
      service: tgw ? 'transit-gateway' : 'vpc',
      action,
      actor: {},
      srcIp: src,
      outcome: net.action === 'accept' ? 'success' : net.action === 'reject' ? 'failure' : 'unknown',
      resources: net.interface_id !== undefined ? [net.interface_id] : [],
      related,
    },
  };
}

/** The rule body: the record's own fields by their AWS names, plus the generic `network` fields. */
function flowRuleBody(record: unknown): unknown {
  if (!isFlowRecord(record)) return record;
  return { ...record, network: flowNetworkFields(record) };
}

/** The VPC flow log adapter (records come only from text lines: see {@link flowLogTextFormat}). */
export const awsVpcFlowLog: SourceAdapter = {
  id: 'aws-vpc-flow',
  dataType: FLOW_LOG_DATA_TYPE,
  provider: 'aws',
  description: 'Amazon VPC flow logs v2-v5 and Transit Gateway flow logs (text with a header line, .log / .log.gz; headerless CloudWatch Logs lines)',
  version: 1,
  matches: isFlowRecord,
  normalize: normalizeFlowRecord,
  ruleBody: flowRuleBody,
  fromRow: flowFromRow,
  categories: ['network_flow'],
  logSources: [{ product: 'aws', service: 'vpcflowlogs', description: 'Amazon VPC / Transit Gateway flow log records (AWS field names, plus the generic network.* fields)' }],
};
