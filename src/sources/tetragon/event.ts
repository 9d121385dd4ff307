/**
 * Tetragon events as its JSON export writes them (`tetra getevents -o json`, the export file
 * `/var/run/cilium/tetragon/tetragon.log`, fluentd/Fluent Bit copies of it): one JSON object per line, one top key
 * naming the event type (`process_exec`, `process_exit`, `process_kprobe`, `process_tracepoint`, `process_lsm`,
 * `process_uprobe`; `process_connect` / `process_close` / `process_listen` of the older schema; `process_throttle`,
 * `rate_limit_info`) next to `node_name`, `time` (and `cluster_name`, `node_labels` in newer versions). The event
 * holds `process` and `parent` (exec_id, pid, uid, cwd, binary, arguments, start_time, pod {namespace, name,
 * container {id, name, image {id, name}, pid, security_context}, pod_labels}, docker, cap), and for hooks
 * `function_name`, `args` (`sock_arg`, `file_arg`, `path_arg`, `sockaddr_arg`, `skb_arg`, ...), `policy_name`,
 * `action`. Field meanings: Tetragon docs "Events" / API reference (tetragon.proto). Pure.
 *
 * Identity: Tetragon gives an event no id. A process is identified by its `exec_id` (unique per node and boot:
 * base64 of node, start ktime and pid); an event by the exec_id, the event type and its time, and, for hook events
 * (several calls of one process can share a time stamp), a digest of what the hook reported (function, policy,
 * arguments, action). The same event exported twice (the export file and `tetra getevents`) is one event.
 */
import { asObject, asString, isIpAddress, normalizeTime, type EventClass, type NormalizeResult, type Outcome } from '../../normalize/event.js';
import { canonicalJson, sha256Hex } from '../../util/hash.js';
import type { SourceAdapter } from '../types.js';
import { baseName, identifyingIp, syscallName, workloadDerivedFields, type WorkloadFacts } from '../workload.js';

/** Data type of a Tetragon export event. */
export const TETRAGON_EVENT_DATA_TYPE = 'tetragon:export:event';

/** Event types (top-level keys) Tetragon's export writes. */
export const TETRAGON_EVENT_TYPES = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_lsm',
  'process_uprobe',
  'process_loader',
  // Older (2022) schema: socket events of their own instead of kprobes on tcp_connect / tcp_close.
  'process_connect',
  'process_close',
  'process_listen',
  'process_throttle',
  'rate_limit_info',
] as const;
type TetragonType = (typeof TETRAGON_EVENT_TYPES)[number];

/** Hook events: a process called something a tracing policy watches. */
const HOOK_TYPES: ReadonlySet<string> = new Set(['process_kprobe', 'process_tracepoint', 'process_lsm', 'process_uprobe']);

/** The event type and its body, when the record is a Tetragon export event. */
function eventOf(record: unknown): { type: TetragonType; body: Record<string, unknown>; top: Record<string, unknown> } | undefined {
  const top = asObject(record);
  if (!top || (typeof top.node_name !== 'string' && typeof top.time !== 'string')) return undefined;
  for (const t of TETRAGON_EVENT_TYPES) {
    const body = asObject(top[t]);
    if (body) return { type: t, body, top };
  }
  return undefined;
}

/** A string or number field as text (protojson writes 64-bit integers as strings). */
function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return asString(v);
}

/** A port number from a number or numeric string. */
function port(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/** Tetragon's file paths of the 2022 schema have no leading slash (`etc/passwd`); they are absolute. */
const absolute = (p: string): string => (p.startsWith('/') ? p : `/${p}`);

/** Command line of a Tetragon process: binary and arguments. */
function cmdLine(p: Record<string, unknown> | undefined): string | undefined {
  const bin = asString(p?.binary);
  if (!bin) return undefined;
  const args = asString(p?.arguments);
  return args ? `${bin} ${args}` : bin;
}

/** The container id without its runtime prefix (`containerd://`), shortened to the 12 characters `docker ps` and Falco use. */
function shortContainerId(p: Record<string, unknown> | undefined): string | undefined {
  const c = asObject(asObject(p?.pod)?.container);
  const id = asString(c?.id)?.replace(/^[a-z-]+:\/\//, '') ?? asString(p?.docker);
  return id ? id.slice(0, 12) : undefined;
}

/** The user a process runs as: its name when Tetragon resolved it, root for uid 0, else `uid:<n>`. */
function userOf(p: Record<string, unknown> | undefined): string | undefined {
  const name = asString(asObject(p?.user)?.name);
  if (name) return name;
  const uid = text(p?.uid);
  return uid === undefined ? undefined : uid === '0' ? 'root' : `uid:${uid}`;
}

/** Hook arguments of one kind (`sock_arg`, `file_arg`, ...). */
function argsOf(body: Record<string, unknown>, kind: string): Array<Record<string, unknown>> {
  const args = Array.isArray(body.args) ? (body.args as unknown[]) : [];
  const out: Array<Record<string, unknown>> = [];
  for (const a of args) {
    const v = asObject(asObject(a)?.[kind]);
    if (v) out.push(v);
  }
  return out;
}

/** Remote end of a connection the event reports (socket hooks, the old schema's connect / close events). */
function remoteOf(body: Record<string, unknown>): { ip: string; port: number | undefined } | undefined {
  const cands: Array<[unknown, unknown]> = [[body.destination_ip, body.destination_port]];
  for (const s of argsOf(body, 'sock_arg')) cands.push([s.daddr, s.dport]);
  for (const s of argsOf(body, 'sockaddr_arg')) cands.push([s.addr, s.port]);
  for (const s of argsOf(body, 'skb_arg')) cands.push([s.daddr, s.dport]);
  for (const [ip, p] of cands) {
    const a = asString(ip);
    if (a && isIpAddress(a)) return { ip: a, port: port(p) };
  }
  return undefined;
}

/** Files a hook event names. */
function filesOf(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const kind of ['file_arg', 'path_arg', 'linux_binprm_arg']) for (const a of argsOf(body, kind)) if (typeof a.path === 'string' && a.path) out.push(absolute(a.path));
  return [...new Set(out)];
}

/** Workload facts of a Tetragon event (the generic `irctl.*` fields rules read). */
export function tetragonFacts(record: unknown): WorkloadFacts | undefined {
  const ev = eventOf(record);
  if (!ev) return undefined;
  const p = asObject(ev.body.process);
  const parent = asObject(ev.body.parent);
  const pod = asObject(p?.pod);
  const container = asObject(pod?.container);
  const inContainer = p ? pod !== undefined || asString(p.docker) !== undefined : undefined;
  const caps = asObject(p?.cap)?.effective;
  const sysAdmin = Array.isArray(caps) && caps.includes('CAP_SYS_ADMIN');
  const privileged = inContainer ? asObject(container?.security_context)?.privileged === true || sysAdmin : undefined;
  const parentName = parent && asString(parent.binary) ? baseName(asString(parent.binary) ?? '') : undefined;
  // A container's first process: Tetragon's container.pid (the pid inside the container) is 1; versions that do not
  // write it: a process whose parent is the runtime shim (a `kubectl exec` may look the same there).
  const containerStart =
    ev.type === 'process_exec' && inContainer
      ? typeof container?.pid === 'number'
        ? container.pid === 1
        : /^(containerd-shim|conmon)/.test(parentName ?? '')
      : undefined;
  const remote = remoteOf(ev.body);
  const fn = asString(ev.body.function_name) ?? asString(ev.body.event);
  const bin = asString(p?.binary);
  return {
    processName: bin ? baseName(bin) : undefined,
    processPath: bin,
    cmdLine: cmdLine(p),
    uid: text(p?.uid),
    parentName,
    parentPath: asString(parent?.binary),
    parentCmdLine: cmdLine(parent),
    dstIp: remote?.ip,
    dstPort: remote?.port,
    files: filesOf(ev.body),
    syscall: fn ? syscallName(fn) : ev.type === 'process_exec' ? 'execve' : undefined,
    inContainer,
    privileged,
    containerStart,
    containerId: shortContainerId(p),
    image: asString(asObject(container?.image)?.name),
    pod: podOf(pod),
  };
}

/** A pod as `namespace/name`. */
function podOf(pod: Record<string, unknown> | undefined): string | undefined {
  const name = asString(pod?.name);
  const ns = asString(pod?.namespace);
  return name ? (ns ? `${ns}/${name}` : name) : undefined;
}

/** Service and action of an event: what happened, in the words Tetragon uses. */
function operation(type: TetragonType, body: Record<string, unknown>): { service: string; action: string } {
  switch (type) {
    case 'process_exec':
    case 'process_exit':
      return { service: 'process', action: type.slice(8) };
    case 'process_connect':
    case 'process_close':
    case 'process_listen':
      return { service: 'socket', action: type.slice(8) };
    case 'process_tracepoint':
      return { service: 'tracepoint', action: [asString(body.subsys), asString(body.event)].filter(Boolean).join('/') || 'tracepoint' };
    case 'process_kprobe':
    case 'process_lsm':
      return { service: type.slice(8), action: asString(body.function_name) ?? type.slice(8) };
    case 'process_uprobe':
      return { service: 'uprobe', action: asString(body.symbol) ?? 'uprobe' };
    default:
      return { service: 'tetragon', action: type };
  }
}

/** Kernel functions that change files or mounts (a hook on them reports a write). */
const WRITE_FUNCTIONS = /write|unlink|rename|truncate|chmod|chown|mkdir|rmdir|link|mount|setattr|fallocate/;
/** Kernel functions that only read or look up files. */
const READ_FUNCTIONS = /read|open|permission|stat|lookup|mmap/;

/**
 * Whether an event only read: executions and exits read (the binary), file hooks read unless their function writes
 * (or `security_file_permission`'s mask has MAY_WRITE); connections and other hooks say nothing either way.
 */
function readOnlyOf(type: TetragonType, body: Record<string, unknown>, facts: WorkloadFacts): boolean | undefined {
  if (type === 'process_exec' || type === 'process_exit') return true;
  if (!HOOK_TYPES.has(type) || (facts.files ?? []).length === 0) return undefined;
  const fn = (asString(body.function_name) ?? '').toLowerCase();
  if (WRITE_FUNCTIONS.test(fn)) return false;
  if (fn === 'security_file_permission') {
    const mask = (Array.isArray(body.args) ? (body.args as unknown[]) : []).map((a) => asObject(a)?.int_arg).find((v) => typeof v === 'number');
    return typeof mask === 'number' ? (mask & 2) === 0 : undefined;
  }
  return READ_FUNCTIONS.test(fn) ? true : undefined;
}

/** Enforcement actions that stop the call or the process: the attempt did not go through. */
const BLOCKING_ACTIONS = /SIGKILL|OVERRIDE|NOTIFYENFORCER|SIGNAL/;

/** Pure mapping of one Tetragon export event to the common schema. */
export function normalizeTetragonEvent(record: unknown, rawSha256: string): NormalizeResult {
  const ev = eventOf(record);
  if (!ev) return { ok: false, reason: `not a Tetragon export event (no top-level key ${TETRAGON_EVENT_TYPES.join(', ')} with node_name / time)` };
  const { type, body, top } = ev;
  const p = asObject(body.process);
  const node = asString(top.node_name);
  // `time` is when Tetragon saw the event; an exec's own start time stands in for it in exports that drop it.
  const t = normalizeTime(top.time) ?? (type === 'process_exec' ? normalizeTime(p?.start_time) : undefined);
  if (!t) {
    return {
      ok: false,
      reason:
        top.time === undefined
          ? `Tetragon ${type} event has no time (the export writes "time" on every event)`
          : `Tetragon ${type} event time ${JSON.stringify(top.time).slice(0, 60)} is not an ISO 8601 time`,
    };
  }
  const processLess = type === 'process_throttle' || type === 'rate_limit_info';
  if (!processLess && !p) return { ok: false, reason: `Tetragon ${type} event has no "process"` };
  const execId = asString(p?.exec_id);
  const parent = asObject(body.parent);
  const pod = asObject(p?.pod);
  const facts = tetragonFacts(record) ?? {};

  const related: Array<{ kind: string; value: string }> = [];
  const add = (kind: string, v: string | undefined): void => {
    if (v !== undefined && v.length < 1024 && !related.some((x) => x.kind === kind && x.value === v)) related.push({ kind, value: v });
  };
  add('host', node);
  add('container', facts.containerId);
  add('pod', facts.pod);
  add('namespace', asString(pod?.namespace));
  add('image', facts.image);
  add('process', execId);
  add('parent_process', asString(parent?.exec_id) ?? asString(p?.parent_exec_id));
  add('ip', identifyingIp(facts.dstIp));

  const { service, action } = operation(type, body);
  const resources: string[] = [];
  if (type === 'process_exec' || type === 'process_exit') {
    if (facts.processPath) resources.push(facts.processPath);
  } else {
    resources.push(...(facts.files ?? []));
    if (facts.dstIp) resources.push(facts.dstPort === undefined ? facts.dstIp : `${facts.dstIp.includes(':') ? `[${facts.dstIp}]` : facts.dstIp}:${facts.dstPort}`);
  }
  const enforcement = asString(body.action);
  let outcome: Outcome = 'success';
  let errorCode: string | undefined;
  if (enforcement && BLOCKING_ACTIONS.test(enforcement)) {
    outcome = 'failure';
    errorCode = enforcement;
  }
  const readOnly = readOnlyOf(type, body, facts);
  const cls: EventClass = facts.dstIp || type === 'process_listen' ? 'network_activity' : 'process_activity';

  // Identity: exec_id + type + time, and for hook events a digest of what the hook reported.
  let id = `sha256:${rawSha256}`;
  if (execId) {
    id = `tetragon:${type}:${execId}:${asString(top.time) ?? t.iso}`;
    if (HOOK_TYPES.has(type)) {
      const hook = canonicalJson({
        function_name: body.function_name ?? null,
        subsys: body.subsys ?? null,
        event: body.event ?? null,
        symbol: body.symbol ?? null,
        policy_name: body.policy_name ?? null,
        args: body.args ?? null,
        action: body.action ?? null,
        return: body.return ?? null,
        time: top.time ?? null,
      });
      id += `:${sha256Hex(hook).slice(0, 12)}`;
    }
  }
  const user = userOf(p);
  return {
    ok: true,
    event: {
      id,
      dataType: TETRAGON_EVENT_DATA_TYPE,
      class: cls,
      time: t.iso,
      timeMs: t.ms,
      provider: 'tetragon',
      layer: 'workload',
      service,
      action,
      actor: {
        // As for Falco: a user on its node (root@node-1), since a user name alone names nobody across hosts.
        principal: user ? (node ? `${user}@${node}` : user) : undefined,
        type: user ? 'OSUser' : undefined,
        name: facts.processName ?? user,
      },
      srcHost: node,
      outcome,
      errorCode,
      readOnly,
      resources,
      related: related.length > 0 ? related : undefined,
    },
  };
}

/** Top-level keys Tetragon itself writes next to the event (anything else was added by a log pipeline). */
const OWN_TOP_KEYS: ReadonlySet<string> = new Set<string>([...TETRAGON_EVENT_TYPES, 'node_name', 'time', 'cluster_name', 'node_labels', 'aggregation_info']);

/** The Tetragon export event adapter. */
export const tetragonExport: SourceAdapter = {
  id: 'tetragon-export',
  dataType: TETRAGON_EVENT_DATA_TYPE,
  provider: 'tetragon',
  description: 'Tetragon JSON export events (tetra getevents -o json, the export file: process_exec, process_exit, process_kprobe, process_tracepoint, process_lsm, ...)',
  version: 1,
  matches: (r) => eventOf(r) !== undefined,
  normalize: normalizeTetragonEvent,
  // A shipper's copy with keys of its own (Fluent Bit's `@timestamp`, `kubernetes`) is the same event, re-shaped.
  origin: (r) => (Object.keys(asObject(r) ?? {}).every((k) => OWN_TOP_KEYS.has(k)) ? 'native' : 'reshaped'),
  logSources: [
    {
      product: 'tetragon',
      service: 'export',
      description: 'Tetragon export events (process_exec, process_kprobe, ...: fields as exported, e.g. process_exec.process.binary) and the generic irctl.process.* / irctl.dst.* workload fields',
    },
  ],
  derivedFields: workloadDerivedFields(tetragonFacts),
  detailPaths: { request: ['$.process_exec.process', '$.process_kprobe.args', '$.process_lsm.args', '$.process_tracepoint.args'], error: [] },
};
