/**
 * Falco alerts as JSON: Falco's own `json_output` (stdout / file / http output, one JSON object per line) and the
 * payload falcosidekick forwards (`uuid`, `hostname`, `tags` added). Keys: `output`, `priority`, `rule`, `time`,
 * `source` (syscall, k8s_audit, a plugin's source), `tags`, `hostname`, `output_fields` (flat map with dotted keys:
 * `proc.cmdline`, `proc.pname`, `user.name`, `container.id`, `k8s.pod.name`, `fd.sip`, ...). Field meanings: Falco
 * docs "Falco outputs" / "Supported fields for conditions and outputs". Pure.
 *
 * Identity: Falco gives an alert no id (falcosidekick's `uuid` is minted per delivery, not per alert). An alert's
 * identity is a content key over what Falco itself wrote (rule, time, output, and the source and hostname when
 * present): the same alert read from Falco's stdout and from a falcosidekick delivery is one event with two raw
 * records (design.md "Record identity"), and two alerts that differ in anything Falco wrote are two events.
 */
import { asObject, asString, isIpAddress, normalizeTime, type EventClass, type Layer, type NormalizeResult } from '../../normalize/event.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import type { SourceAdapter } from '../types.js';
import { baseName, identifyingIp, syscallName, workloadDerivedFields, type WorkloadFacts } from '../workload.js';

/** Data type of a Falco alert. */
export const FALCO_ALERT_DATA_TYPE = 'falco:alert:entry';

/** Falco priorities, most severe first (Falco's `priority` vocabulary). */
export const FALCO_PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;

/** True for a Falco alert: a `rule` name and the `output_fields` map Falco writes with every JSON alert. */
function isFalcoAlert(record: unknown): record is Record<string, unknown> {
  const o = asObject(record);
  return o !== undefined && typeof o.rule === 'string' && asObject(o.output_fields) !== undefined;
}

/** A string output field (`<NA>` and null are Falco's "no value"). */
function field(f: Record<string, unknown>, key: string): string | undefined {
  const v = f[key];
  if (typeof v === 'number') return String(v);
  const s = asString(v);
  return s === undefined || s === '<NA>' ? undefined : s;
}

/** Epoch nanoseconds (Falco's `evt.time`), or micro/milliseconds, as a time; undefined when it is not plausible. */
function timeOfEpoch(v: unknown): { iso: string; ms: number } | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined;
  const ms = v > 1e17 ? Math.floor(v / 1e6) : v > 1e14 ? Math.floor(v / 1e3) : v > 1e11 ? Math.floor(v) : undefined;
  if (ms === undefined) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : { iso: d.toISOString(), ms };
}

/** Layer and class by Falco event source: syscall alerts are workload runtime; Kubernetes audit is control plane. */
function layerAndClass(source: string | undefined, f: Record<string, unknown>): { layer: Layer; cls: EventClass } {
  const s = (source ?? 'syscall').toLowerCase();
  if (s.startsWith('k8s') || s.includes('audit') || s === 'aws_cloudtrail') return { layer: 'control_plane', cls: 'api_activity' };
  if (s === 'okta') return { layer: 'identity', cls: 'authentication' };
  if (s === 'syscall' && (field(f, 'fd.sip') !== undefined || field(f, 'fd.rip') !== undefined)) return { layer: 'workload', cls: 'network_activity' };
  return { layer: 'workload', cls: 'process_activity' };
}

/** A boolean output field (Falco writes `true`/`false`, some outputs the strings). */
function flag(f: Record<string, unknown>, key: string): boolean | undefined {
  const v = f[key];
  return v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined;
}

/** A port output field. */
function portField(f: Record<string, unknown>, key: string): number | undefined {
  const v = f[key];
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/**
 * Workload facts of a Falco alert (the generic `irctl.*` fields rules read), from the output fields the alert
 * carries: `proc.name`, `proc.exepath` / `proc.exe`, `proc.cmdline`, `proc.pname`, `proc.pexepath`, `proc.pcmdline`,
 * `user.uid`, `fd.rip` / `fd.sip` and their ports, `fd.name` (a file when `fd.typechar` is `f` or it is a path),
 * `evt.type`, `container.id`, `container.privileged`. A Falco rule's output decides which of them an alert has.
 */
export function falcoFacts(record: unknown): WorkloadFacts | undefined {
  if (!isFalcoAlert(record)) return undefined;
  const f = asObject(record.output_fields) ?? {};
  const exe = field(f, 'proc.exepath') ?? field(f, 'proc.exe');
  const pexe = field(f, 'proc.pexepath') ?? field(f, 'proc.pexe');
  const name = field(f, 'proc.name') ?? (exe ? baseName(exe) : undefined);
  // The remote end: `fd.rip` (always the peer), else `fd.sip` (the server: the remote end of an outbound connection).
  const remoteIp = [field(f, 'fd.rip'), field(f, 'fd.sip')].find((ip) => ip !== undefined && isIpAddress(ip));
  const remotePort = field(f, 'fd.rip') !== undefined ? portField(f, 'fd.rport') : portField(f, 'fd.sport');
  const fdName = field(f, 'fd.name');
  const typechar = field(f, 'fd.typechar');
  const files = fdName && (typechar === 'f' || (typechar === undefined && fdName.startsWith('/'))) ? [fdName] : [];
  const container = field(f, 'container.id');
  const inContainer = container === undefined ? undefined : container !== 'host';
  const evtType = field(f, 'evt.type');
  const vpid = f['proc.vpid'];
  const repo = field(f, 'container.image.repository');
  const tag = field(f, 'container.image.tag');
  const ns = field(f, 'k8s.ns.name');
  const pod = field(f, 'k8s.pod.name');
  return {
    processName: name,
    processPath: exe,
    cmdLine: field(f, 'proc.cmdline'),
    uid: field(f, 'user.uid'),
    parentName: field(f, 'proc.pname') ?? (pexe ? baseName(pexe) : undefined),
    parentPath: pexe,
    parentCmdLine: field(f, 'proc.pcmdline'),
    dstIp: remoteIp,
    dstPort: remoteIp === undefined ? undefined : remotePort,
    files,
    syscall: evtType ? syscallName(evtType) : undefined,
    inContainer,
    privileged: inContainer ? flag(f, 'container.privileged') : undefined,
    // Falco's container plugin reports a container's start as an event of type `container`; its first process has vpid 1.
    containerStart: inContainer ? evtType === 'container' || vpid === 1 || vpid === '1' : undefined,
    // `host` is Falco's container id for processes outside any container.
    containerId: inContainer ? container : undefined,
    image: repo ? (tag ? `${repo}:${tag}` : repo) : undefined,
    pod: pod ? (ns ? `${ns}/${pod}` : pod) : undefined,
  };
}

/** Pure mapping of one Falco alert to the common schema. */
export function normalizeFalcoAlert(record: unknown): NormalizeResult {
  if (!isFalcoAlert(record)) return { ok: false, reason: 'not a Falco alert (no "rule" string with an "output_fields" object)' };
  const r = record;
  const rule = asString(r.rule);
  if (!rule) return { ok: false, reason: 'Falco alert has an empty rule name' };
  const f = asObject(r.output_fields) ?? {};
  let t = normalizeTime(r.time);
  // A `time` Falco did not write in ISO form (hand-edited, `...Z+2`): the event's own `evt.time` when it has one.
  t ??= timeOfEpoch(f['evt.time']);
  if (!t) {
    return {
      ok: false,
      reason:
        r.time === undefined
          ? 'Falco alert has no time (neither "time" nor output_fields["evt.time"]): a metrics or partial record, not an alert'
          : `Falco alert time ${JSON.stringify(r.time).slice(0, 60)} is not an ISO 8601 time and output_fields["evt.time"] is missing`,
    };
  }
  const source = asString(r.source) ?? field(f, 'evt.source');
  const host = asString(r.hostname) ?? field(f, 'evt.hostname');
  const user = field(f, 'user.name') ?? field(f, 'ka.user.name');
  const proc = field(f, 'proc.name');
  const container = field(f, 'container.id');
  const related: Array<{ kind: string; value: string }> = [];
  const add = (kind: string, v: string | undefined): void => {
    if (v !== undefined && v.length < 1024 && !related.some((x) => x.kind === kind && x.value === v)) related.push({ kind, value: v });
  };
  add('host', host);
  const facts = falcoFacts(r) ?? {};
  add('container', facts.containerId);
  add('pod', facts.pod);
  add('namespace', field(f, 'k8s.ns.name'));
  add('image', facts.image);
  // The remote end of a connection (server address of an outbound connection, client of an inbound one).
  add('ip', identifyingIp(facts.dstIp));
  const { layer, cls } = layerAndClass(source, f);
  const key = canonicalJson({ rule, time: r.time ?? null, output: r.output ?? null, source: source ?? null, hostname: host ?? null });
  return {
    ok: true,
    event: {
      id: `falco:${sha256Hex(key).slice(0, 32)}`,
      dataType: FALCO_ALERT_DATA_TYPE,
      class: cls,
      time: t.iso,
      timeMs: t.ms,
      provider: 'falco',
      layer,
      service: source ?? 'syscall',
      action: rule,
      actor: {
        // A host's user name alone (root) names nobody across hosts: a workload principal is the user on its host or
        // container. A Kubernetes or cloud audit user is one identity across the cluster or account.
        principal: user ? (layer === 'workload' && (host ?? container) ? `${user}@${host ?? container ?? ''}` : user) : undefined,
        type: user ? (field(f, 'ka.user.name') === user ? 'KubernetesUser' : 'OSUser') : undefined,
        name: proc ?? user,
      },
      srcHost: host,
      outcome: 'success',
      resources: [],
      related: related.length > 0 ? related : undefined,
    },
  };
}

/** The Falco alert adapter. */
export const falcoAlert: SourceAdapter = {
  id: 'falco-alert',
  dataType: FALCO_ALERT_DATA_TYPE,
  provider: 'falco',
  description: 'Falco alerts as JSON (json_output on stdout/file/http, falcosidekick payloads; JSON Lines or arrays)',
  // 2: loopback and link-local addresses (the metadata service) are no longer `ip` entities.
  version: 2,
  matches: isFalcoAlert,
  normalize: (record) => normalizeFalcoAlert(record),
  logSources: [{ product: 'falco', service: 'alert', description: 'Falco alerts (rule, priority, output, output_fields with dotted keys such as output_fields.proc.pname)' }],
  fieldAliases: { rule: { column: 'action' } },
  derivedFields: workloadDerivedFields(falcoFacts),
  detailPaths: { request: ['$.output_fields'], error: [], response: ['$.output'] },
};
