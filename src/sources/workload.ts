/**
 * The provider-neutral vocabulary of workload-runtime records (process, parent, connection, file, container): the
 * `irctl.*` fields rules name on any runtime sensor's records. Each sensor's provider fills {@link WorkloadFacts}
 * from its own record (Falco `output_fields`, Tetragon `process` / `parent` / kprobe `args`), and
 * {@link workloadDerivedFields} turns that into the derived fields of its adapter, so a rule written on these names
 * reads the same facts from every sensor (docs/rules.md "Workload fields"). Names follow OCSF's process activity
 * (`process.name`, `process.cmd_line`, `process.parent_process`, `dst_endpoint`). Pure.
 */
import type { DerivedField } from './types.js';

/** What a runtime record says about the process, its parent, its connection, its files and its container. */
export interface WorkloadFacts {
  /** Executable's base name (`bash`, `python3.11`). */
  processName?: string | undefined;
  /** Executable's full path (`/usr/bin/bash`). */
  processPath?: string | undefined;
  /** Command line: executable (or name) and arguments. */
  cmdLine?: string | undefined;
  /** User id the process runs as, as text. */
  uid?: string | undefined;
  /** Parent executable's base name. */
  parentName?: string | undefined;
  /** Parent executable's full path. */
  parentPath?: string | undefined;
  /** Parent command line. */
  parentCmdLine?: string | undefined;
  /** Remote address of a connection the record reports (the server of an outbound one, the peer of an inbound one). */
  dstIp?: string | undefined;
  /** Remote port of that connection. */
  dstPort?: number | undefined;
  /** Files the record names (opened, read, written, executed through a hook), absolute paths. */
  files?: readonly string[] | undefined;
  /** System call or kernel function the record reports, without arch prefixes (`connect`, `setns`, `openat`). */
  syscall?: string | undefined;
  /** Whether the process runs in a container (undefined: the record does not say). */
  inContainer?: boolean | undefined;
  /** Whether that container is privileged (or holds CAP_SYS_ADMIN). */
  privileged?: boolean | undefined;
  /** Whether the record is a container's start (its first process). */
  containerStart?: boolean | undefined;
  /** Container id, 12 characters (`docker ps`'s short form). */
  containerId?: string | undefined;
  /** Container image (`repository:tag`). */
  image?: string | undefined;
  /** Kubernetes pod, `namespace/name`. */
  pod?: string | undefined;
}

/** The base name of a path (`/usr/bin/bash` -> `bash`). */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** A kernel function or syscall name without its arch wrapper (`__x64_sys_setns` -> `setns`, `sys_mount` -> `mount`). */
export function syscallName(fn: string): string {
  return fn.replace(/^(?:__(?:x64|ia32|arm64|riscv|s390x)_)?(?:__se_)?(?:k?sys_)/, '');
}

/**
 * Whether an address names one machine: loopback, link-local (the cloud metadata service's 169.254.169.254 is the
 * same address on every instance) and unspecified addresses do not, so they must not link events as an `ip` entity.
 */
export function identifyingIp(ip: string | undefined): string | undefined {
  if (ip === undefined) return undefined;
  const v = ip.toLowerCase();
  if (/^(127\.|169\.254\.|0\.0\.0\.0$)/.test(v) || v === '::1' || v === '::' || /^fe[89ab][0-9a-f]?:/.test(v) || v === 'fd00:ec2::254') return undefined;
  return ip;
}

const one = <T>(v: T | undefined): T[] => (v === undefined ? [] : [v]);

/** Derived-field names and what each holds, for docs and `rules` help. */
const FIELDS: ReadonlyArray<[name: string, description: string, get: (f: WorkloadFacts) => unknown[]]> = [
  ['irctl.process.name', "process executable's base name (bash, python3.11)", (f) => one(f.processName)],
  ['irctl.process.path', "process executable's path (/usr/bin/bash)", (f) => one(f.processPath)],
  ['irctl.process.cmd_line', 'process command line (executable and arguments)', (f) => one(f.cmdLine)],
  ['irctl.process.uid', 'user id the process runs as', (f) => one(f.uid)],
  ['irctl.parent.name', "parent process executable's base name", (f) => one(f.parentName)],
  ['irctl.parent.path', "parent process executable's path", (f) => one(f.parentPath)],
  ['irctl.parent.cmd_line', 'parent process command line', (f) => one(f.parentCmdLine)],
  ['irctl.dst.ip', 'remote address of the connection the record reports', (f) => one(f.dstIp)],
  ['irctl.dst.port', 'remote port of that connection', (f) => one(f.dstPort)],
  ['irctl.file.path', 'files the record names (absolute paths)', (f) => [...(f.files ?? [])]],
  ['irctl.syscall', 'system call or kernel function reported, without arch prefixes (connect, setns, openat)', (f) => one(f.syscall)],
  ['irctl.container.present', 'true when the process runs in a container, false when on the host', (f) => one(f.inContainer)],
  ['irctl.container.privileged', 'true when the container is privileged (or its process holds CAP_SYS_ADMIN)', (f) => one(f.privileged)],
  ['irctl.container.start', "true for a container's first process (its start)", (f) => one(f.containerStart)],
  ['irctl.container.id', "container id (12 characters, docker ps's short form)", (f) => one(f.containerId)],
  ['irctl.container.image', 'container image (repository:tag)', (f) => one(f.image)],
  ['irctl.pod', 'Kubernetes pod, namespace/name', (f) => one(f.pod)],
];

/** Names of the workload fields (docs and tests). */
export const WORKLOAD_FIELD_NAMES: readonly string[] = FIELDS.map(([n]) => n);

/**
 * The derived fields of a runtime sensor's adapter, from its fact extractor. Facts are computed once per record body
 * (rules usually read several fields of the same record).
 */
export function workloadDerivedFields(facts: (body: unknown) => WorkloadFacts | undefined): Readonly<Record<string, DerivedField>> {
  const memo = new WeakMap<object, WorkloadFacts>();
  const of = (body: unknown): WorkloadFacts => {
    if (body === null || typeof body !== 'object') return facts(body) ?? {};
    let f = memo.get(body);
    if (!f) {
      f = facts(body) ?? {};
      memo.set(body, f);
    }
    return f;
  };
  return Object.fromEntries(FIELDS.map(([name, description, get]) => [name, { description, values: (b: unknown) => get(of(b)) }]));
}
