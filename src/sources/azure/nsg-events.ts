/**
 * Azure network security group diagnostics (resource logs of `Microsoft.Network/networkSecurityGroups`): the
 * `NetworkSecurityGroupEvent` category (which rule applied to which NIC, with the rule's conditions) and the
 * `NetworkSecurityGroupRuleCounter` category (how many connections a rule matched on a NIC), in every shape they reach
 * a responder in:
 * - diagnostic settings (storage account `insights-logs-networksecuritygroupevent/resourceId=/.../PT1H.json`,
 *   `insights-logs-networksecuritygrouprulecounter/...`, Event Hub `records[]`): `time`, `systemId`, `category`,
 *   `resourceId`, `operationName` (`NetworkSecurityGroupEvents` / `NetworkSecurityGroupCounters`), `properties`
 *   {`vnetResourceGuid`, `subnetPrefix`, `macAddress`, `primaryIPv4Address`, `ruleName`, `direction` (`In` / `Out`),
 *   `priority`, `type` (`allow` / `block`), `conditions` {`protocols`, `destinationPortRange`, `sourcePortRange`,
 *   `sourceIP`, `destinationIP`}, `matchedConnections`};
 * - Log Analytics `AzureDiagnostics` rows (`ResourceProvider` `MICROSOFT.NETWORK`, `Category` as above) with the
 *   properties flattened and type-suffixed (`direction_s`, `ruleName_s`, `type_s`, `priority_d`,
 *   `primaryIPv4Address_s`, `macAddress_s`, `subnetPrefix_s`, `vnetResourceGuid_g`, `conditions_protocols_s`,
 *   `conditions_sourceIP_s`, `conditions_destinationPortRange_s`, ..., `matchedConnections_d`), through the query API
 *   or the Logs blade's CSV.
 * Field meanings: Microsoft Learn "Resource logging for a network security group". Pure.
 *
 * These records are per rule and interface, not per flow: one event per record. They carry no id: identity is a
 * content key of the NSG's resource id, category, time (ms), MAC address, rule name and direction, which every shape
 * carries, so one record read from an export and from a workspace is one event.
 */
import { asObject, asString, isIpAddress, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import { completeNetworkFields, type NetworkFields } from '../../normalize/network.js';
import type { RecordOrigin, SourceAdapter, TableHeader } from '../types.js';
import { firstString, shortHash } from './common.js';
import { rowObject, rowOrigin } from './tables.js';
import { columnsOf, isResourceLogRecord, numberOf, propertiesOf, rowType, subscriptionOfResource, unsuffixed, withColumns } from './resource-logs.js';

const EVENT = 'networksecuritygroupevent';
const COUNTER = 'networksecuritygrouprulecounter';

/** The fields every shape carries, read once. */
export interface NsgFields {
  category: typeof EVENT | typeof COUNTER;
  time: string | undefined;
  operation: string | undefined;
  resourceId: string | undefined;
  systemId: string | undefined;
  vnetResourceGuid: string | undefined;
  subnetPrefix: string | undefined;
  /** As written (`00-0D-3A-92-6A-7C`). */
  macAddress: string | undefined;
  primaryIp: string | undefined;
  ruleName: string | undefined;
  /** As written (`In` / `Out`). */
  direction: string | undefined;
  priority: number | undefined;
  /** As written (`allow` / `block`). */
  type: string | undefined;
  conditions: Record<string, unknown>;
  matchedConnections: number | undefined;
}

function isNsgResource(resourceId: string | undefined): boolean {
  return /\/providers\/microsoft\.network\/networksecuritygroups\/[^/]+\/?$/i.test(resourceId ?? '');
}

/** Read either record shape (the diagnostic record, or the record a row was made into). */
export function nsgFields(record: unknown): NsgFields | undefined {
  const r = asObject(record);
  if (!r || !isResourceLogRecord(r)) return undefined;
  const category = asString(r.category)?.toLowerCase();
  if (category !== EVENT && category !== COUNTER) return undefined;
  const p = propertiesOf(r.properties);
  return {
    category,
    time: asString(r.time),
    operation: asString(r.operationName),
    resourceId: asString(r.resourceId),
    systemId: asString(r.systemId),
    vnetResourceGuid: asString(p.vnetResourceGuid),
    subnetPrefix: asString(p.subnetPrefix),
    macAddress: asString(p.macAddress),
    primaryIp: asString(p.primaryIPv4Address)?.trim(),
    ruleName: asString(p.ruleName),
    direction: asString(p.direction),
    priority: numberOf(p.priority),
    type: asString(p.type),
    conditions: asObject(p.conditions) ?? {},
    matchedConnections: numberOf(p.matchedConnections),
  };
}

/** `00-0D-3A-92-6A-7C`, `000D3A926A7C`, `00:0d:3a:92:6a:7c` -> `00:0d:3a:92:6a:7c`; undefined when not a MAC. */
export function macOf(v: string | undefined): string | undefined {
  const hex = v?.replace(/[-:.]/g, '').toLowerCase();
  if (hex === undefined || !/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

function directionOf(d: string | undefined): 'ingress' | 'egress' | undefined {
  const s = d?.toLowerCase();
  return s === 'in' || s === 'inbound' ? 'ingress' : s === 'out' || s === 'outbound' ? 'egress' : undefined;
}

function actionOf(t: string | undefined): 'accept' | 'reject' | undefined {
  const s = t?.toLowerCase();
  return s === 'allow' ? 'accept' : s === 'block' || s === 'deny' ? 'reject' : undefined;
}

/** The generic network fields that apply to a rule event or counter: action, direction, interface (the MAC). */
export function nsgNetworkFields(f: NsgFields): NetworkFields {
  return completeNetworkFields({ action: actionOf(f.type), direction: directionOf(f.direction), interface_id: macOf(f.macAddress) });
}

/** Pure mapping of one NSG event or rule counter record (any shape) to the common schema. */
export function normalizeNsg(record: unknown, _rawSha256: string): NormalizeResult {
  const f = nsgFields(record);
  if (!f) return { ok: false, reason: 'not an Azure NSG diagnostic record (category NetworkSecurityGroupEvent / NetworkSecurityGroupRuleCounter)' };
  const what = f.category === EVENT ? 'NSG event' : 'NSG rule counter';
  if (!isNsgResource(f.resourceId)) return { ok: false, reason: `${what} record has no network security group resourceId (/subscriptions/.../providers/Microsoft.Network/networkSecurityGroups/<name>)` };
  if (f.time === undefined) return { ok: false, reason: `${what} record has no time (time / TimeGenerated)` };
  const t = normalizeTime(f.time);
  if (!t) return { ok: false, reason: `${what} time ${JSON.stringify(f.time).slice(0, 60)} is not an ISO 8601 time` };
  if (f.ruleName === undefined) return { ok: false, reason: `${what} record has no properties.ruleName (ruleName_s)` };
  const mac = macOf(f.macAddress);
  if (f.macAddress !== undefined && mac === undefined) return { ok: false, reason: `${what} macAddress ${JSON.stringify(f.macAddress).slice(0, 40)} is not a MAC address` };
  const net = nsgNetworkFields(f);
  const nsg = f.resourceId!.toLowerCase();
  const key = [nsg, f.category, t.iso, mac ?? '', f.ruleName.toLowerCase(), net.direction ?? f.direction?.toLowerCase() ?? ''].join('|');
  const ip = f.primaryIp !== undefined && isIpAddress(f.primaryIp) ? f.primaryIp : undefined;
  const related: Array<{ kind: string; value: string }> = [];
  if (ip !== undefined) related.push({ kind: 'ip', value: ip });
  if (mac !== undefined) related.push({ kind: 'interface', value: mac });
  return {
    ok: true,
    event: {
      id: `azure-nsg:${shortHash(key)}`,
      dataType: f.category === EVENT ? NSG_EVENT_DATA_TYPE : NSG_COUNTER_DATA_TYPE,
      class: 'network_activity',
      time: t.iso,
      timeMs: t.ms,
      provider: 'azure',
      layer: 'network',
      account: subscriptionOfResource(f.resourceId),
      service: 'microsoft.network',
      action: f.operation ?? (f.category === EVENT ? 'NetworkSecurityGroupEvents' : 'NetworkSecurityGroupCounters'),
      actor: {},
      // The rule allowed (success) or blocked (failure) what it matched.
      outcome: net.action === 'accept' ? 'success' : net.action === 'reject' ? 'failure' : 'unknown',
      readOnly: true,
      resources: [nsg],
      related,
    },
  };
}

/**
 * What rules see: the record plus the `AzureDiagnostics` column names (`RuleName`, `Direction`, `Type`, `MacAddress`,
 * `PrimaryIPv4Address`, `SubnetPrefix`, `Priority`, `MatchedConnections`, `Conditions_*`) and the generic
 * `network.*` fields that apply (action, direction, interface), so rules written for either shape match both.
 */
export function nsgRuleBody(record: unknown): unknown {
  const f = nsgFields(record);
  const r = asObject(record);
  if (!f || !r) return record;
  const c = f.conditions;
  const add: Record<string, unknown> = {
    Category: f.category === EVENT ? 'NetworkSecurityGroupEvent' : 'NetworkSecurityGroupRuleCounter',
    OperationName: f.operation,
    ResourceId: f.resourceId,
    ResourceProvider: 'MICROSOFT.NETWORK',
    RuleName: f.ruleName,
    Direction: f.direction,
    Type: f.type,
    Priority: f.priority,
    MacAddress: f.macAddress,
    PrimaryIPv4Address: f.primaryIp,
    SubnetPrefix: f.subnetPrefix,
    MatchedConnections: f.matchedConnections,
    Conditions_Protocols: asString(c.protocols),
    Conditions_SourceIP: asString(c.sourceIP),
    Conditions_DestinationIP: asString(c.destinationIP),
    Conditions_SourcePortRange: asString(c.sourcePortRange),
    Conditions_DestinationPortRange: asString(c.destinationPortRange),
  };
  return { ...withColumns(r, add), network: nsgNetworkFields(f) };
}

/**
 * An NSG row of `AzureDiagnostics` (Log Analytics API, Logs CSV export) as the diagnostic record, with the row's own
 * columns kept beside it; undefined for rows of other categories.
 */
export function nsgFromRow(header: TableHeader, row: readonly unknown[]): { record: unknown; origin: RecordOrigin } | undefined {
  const cols = columnsOf(header);
  if (!cols.has('category') || ![...cols].some((c) => c.startsWith('rulename_'))) return undefined;
  const o = rowObject(header, row);
  const type = rowType(o);
  if (type !== undefined && type !== 'azurediagnostics') return undefined;
  const category = asString(o.Category);
  if (category?.toLowerCase() !== EVENT && category?.toLowerCase() !== COUNTER) return undefined;
  const u = unsuffixed(o);
  const conditions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(u)) if (k.toLowerCase().startsWith('conditions_') && v !== '' && v !== null) conditions[k.slice('conditions_'.length)] = v;
  const props: Record<string, unknown> = {
    vnetResourceGuid: u.vnetResourceGuid,
    subnetPrefix: u.subnetPrefix,
    macAddress: u.macAddress,
    primaryIPv4Address: u.primaryIPv4Address,
    ruleName: u.ruleName,
    direction: u.direction,
    priority: u.priority,
    type: u.type,
    matchedConnections: u.matchedConnections,
    conditions,
  };
  const record = {
    ...o,
    time: o.TimeGenerated ?? null,
    resourceId: firstString(o._ResourceId, o.ResourceId),
    operationName: o.OperationName,
    category,
    systemId: u.systemId,
    properties: Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined && v !== null && v !== '')),
  };
  return { record, origin: rowOrigin(header) };
}

/** Data types of the two categories. */
export const NSG_EVENT_DATA_TYPE = 'azure:nsg:event';
export const NSG_COUNTER_DATA_TYPE = 'azure:nsg:rulecounter';

/** Detail shown with an event: the rule that applied (no error field: a block is the rule's decision, not an error). */
const DETAIL_PATHS = { request: ['$.properties.ruleName', '$.ruleName_s'], error: [] };

/** The adapter of one of the two categories (they share the reader, identity and rule body). */
function nsgAdapter(category: typeof EVENT | typeof COUNTER): SourceAdapter {
  const event = category === EVENT;
  const what = event ? 'NSG rule events (NetworkSecurityGroupEvent' : 'NSG rule counters (NetworkSecurityGroupRuleCounter';
  const service = event ? 'nsg_event' : 'nsg_rulecounter';
  return {
    id: event ? 'azure-nsg-event' : 'azure-nsg-rulecounter',
    dataType: event ? NSG_EVENT_DATA_TYPE : NSG_COUNTER_DATA_TYPE,
    provider: 'azure',
    description: `Azure ${what} diagnostic records and AzureDiagnostics rows)`,
    version: 1,
    matches: (record) => nsgFields(record)?.category === category,
    normalize: normalizeNsg,
    fromRow: (header, row) => {
      const r = nsgFromRow(header, row);
      return r !== undefined && nsgFields(r.record)?.category === category ? r : undefined;
    },
    ruleBody: nsgRuleBody,
    logSources: [{ product: 'azure', service, description: `Azure ${what}; any shape, plus network.action / direction / interface_id)` }],
    detailPaths: DETAIL_PATHS,
  };
}

/** The `NetworkSecurityGroupEvent` adapter. */
export const azureNsgEvent: SourceAdapter = nsgAdapter(EVENT);

/** The `NetworkSecurityGroupRuleCounter` adapter. */
export const azureNsgRuleCounter: SourceAdapter = nsgAdapter(COUNTER);
