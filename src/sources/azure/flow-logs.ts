/**
 * Azure Network Watcher flow logs: NSG flow logs (versions 1 and 2, `category: NetworkSecurityGroupFlowEvent`,
 * `properties.flows[].flows[].flowTuples`) and VNet flow logs (`category: FlowLogFlowEvent`,
 * `flowRecords.flows[].flowGroups[].flowTuples`), as written to `insights-logs-networksecuritygroupflowevent` /
 * `insights-logs-flowlogflowevent` `.../PT1H.json` (`{"records": [...]}`). Field meanings: Microsoft Learn "Flow
 * logging for network security groups" and "VNet flow logs". Pure.
 *
 * NOT normalized yet: one record holds every flow of one NIC (or NSG) over about a minute, often hundreds of tuples,
 * and the store keeps one event per raw record (design.md "What raw means": raw stays the record's bytes). The
 * records are recognised, their tuples parsed and checked, and they are kept in quarantine with that reason (exit 6)
 * until the ingest stage can derive several events from one record. The tuple reader below is the mapping those
 * events will use: generic field names (`srcIp`, `dstIp`, `srcPort`, `dstPort`, `protocol` as the IANA number,
 * `direction` inbound/outbound, `action` accept/reject), identity `<record key>#<tuple index>`.
 */
import { asObject, asString, isIpAddress, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';

/** One flow tuple, with generic names. */
export interface FlowTuple {
  /** UTC ISO 8601 with milliseconds. */
  time: string;
  srcIp: string;
  dstIp: string;
  srcPort: number | undefined;
  dstPort: number | undefined;
  /** IANA protocol number (NSG logs write `T` / `U`, VNet logs the number). */
  protocol: number | undefined;
  direction: 'inbound' | 'outbound';
  action: 'accept' | 'reject';
  /** Flow state: `B` begin, `C` continuing, `E` end, `D` denied (version 2 and VNet logs). */
  state: string | undefined;
  packetsOut: number | undefined;
  bytesOut: number | undefined;
  packetsIn: number | undefined;
  bytesIn: number | undefined;
  /** The NSG rule (or security admin rule) that decided. */
  rule: string | undefined;
  /** The NIC's MAC address. */
  mac: string | undefined;
}

function isFlowRecord(o: Record<string, unknown>): boolean {
  const cat = asString(o.category)?.toLowerCase();
  return cat === 'networksecuritygroupflowevent' || cat === 'flowlogflowevent' || (asObject(o.flowRecords) !== undefined && 'flowLogVersion' in o);
}

const PROTOCOLS: Record<string, number> = { T: 6, U: 17 };

function int(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * One tuple text, or the reason it cannot be read. NSG (v1: 8 fields, v2: 13):
 * `ts(s),src,dst,sport,dport,T|U,I|O,A|D[,B|C|E,pkts out,bytes out,pkts in,bytes in]`. VNet:
 * `ts(ms),src,dst,sport,dport,proto number,I|O,B|C|E|D,encryption,pkts out,bytes out,pkts in,bytes in` (state `D`:
 * denied).
 */
export function parseFlowTuple(text: string, vnet: boolean, rule: string | undefined, mac: string | undefined): FlowTuple | string {
  const f = text.split(',');
  const bad = (why: string): string => `flow tuple "${text.slice(0, 60)}" ${why}`;
  if (f.length < 8) return bad(`has ${f.length} fields (at least 8 expected)`);
  const [ts, src, dst, sport, dport, proto, dir, eighth] = f as [string, string, string, string, string, string, string, string];
  const n = int(ts);
  if (n === undefined) return bad('has no epoch time');
  const t = normalizeTime(new Date(vnet ? n : n * 1000).toISOString());
  if (!t) return bad('has a time out of range');
  if (!isIpAddress(src) || !isIpAddress(dst)) return bad('has an address that is not an IP');
  const d = dir.toUpperCase();
  const e = eighth.toUpperCase();
  if (d !== 'I' && d !== 'O') return bad('has an unknown direction');
  if (vnet ? !['B', 'C', 'E', 'D'].includes(e) : e !== 'A' && e !== 'D') return bad('has an unknown decision or state');
  return {
    time: t.iso,
    srcIp: src,
    dstIp: dst,
    srcPort: int(sport),
    dstPort: int(dport),
    protocol: PROTOCOLS[proto.toUpperCase()] ?? int(proto),
    direction: d === 'I' ? 'inbound' : 'outbound',
    action: e === 'D' ? 'reject' : 'accept',
    state: vnet ? e : asString(f[8]),
    packetsOut: int(f[9]),
    bytesOut: int(f[10]),
    packetsIn: int(f[11]),
    bytesIn: int(f[12]),
    rule,
    mac,
  };
}

/** Every tuple of a flow-log record (NSG v1/v2 or VNet), or the first reason one cannot be read. */
export function flowTuples(record: unknown): { tuples: FlowTuple[] } | { error: string } {
  const r = asObject(record);
  if (!r || !isFlowRecord(r)) return { error: 'not an Azure NSG or VNet flow log record' };
  const out: FlowTuple[] = [];
  const vnetFlows = asObject(r.flowRecords)?.flows;
  if (Array.isArray(vnetFlows)) {
    const mac = asString(r.macAddress);
    for (const fl of vnetFlows)
      for (const g of (asObject(fl)?.flowGroups as unknown[] | undefined) ?? []) {
        const grp = asObject(g);
        for (const tx of (grp?.flowTuples as unknown[] | undefined) ?? []) {
          if (typeof tx !== 'string') return { error: 'a flowTuples element is not a string' };
          const t = parseFlowTuple(tx, true, asString(grp?.rule), mac);
          if (typeof t === 'string') return { error: t };
          out.push(t);
        }
      }
    return { tuples: out };
  }
  const flows = asObject(r.properties)?.flows;
  if (!Array.isArray(flows)) return { error: 'NSG flow log record has no properties.flows array' };
  for (const rf of flows) {
    const rule = asString(asObject(rf)?.rule);
    for (const mf of (asObject(rf)?.flows as unknown[] | undefined) ?? []) {
      const m = asObject(mf);
      for (const tx of (m?.flowTuples as unknown[] | undefined) ?? []) {
        if (typeof tx !== 'string') return { error: 'a flowTuples element is not a string' };
        const t = parseFlowTuple(tx, false, rule, asString(m?.mac));
        if (typeof t === 'string') return { error: t };
        out.push(t);
      }
    }
  }
  return { tuples: out };
}

/** Recognise the record, read its tuples, and say why it is kept in quarantine (see the file comment). */
export function normalizeFlowLog(record: unknown, _rawSha256: string): NormalizeResult {
  const read = flowTuples(record);
  if ('error' in read) return { ok: false, reason: `Azure flow log record: ${read.error}` };
  return {
    ok: false,
    reason: `Azure NSG/VNet flow log record with ${read.tuples.length} flow tuple(s) is recognised but not normalized yet (one record holds many flows; docs/azure.md "Limits"): kept in quarantine as evidence`,
  };
}

/** The flow-log recogniser. */
export const azureFlowLog: SourceAdapter = {
  id: 'azure-flow-log',
  dataType: 'azure:flowlog:record',
  provider: 'azure',
  description: 'Azure NSG and VNet flow log records (recognised and kept in quarantine: not normalized yet)',
  version: 1,
  matches: (record) => {
    const r = asObject(record);
    return r !== undefined && isFlowRecord(r);
  },
  normalize: normalizeFlowLog,
};
