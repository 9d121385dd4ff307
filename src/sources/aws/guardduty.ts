/**
 * Amazon GuardDuty findings: each finding is a record, read from
 * - GetFindings output (`aws guardduty get-findings`: `{"Findings":[...]}`, PascalCase keys) through the
 *   `guardduty` container, or a bare array / one object of findings;
 * - EventBridge events (`"detail-type": "GuardDuty Finding"`, `"source": "aws.guardduty"`; the whole envelope is the
 *   raw record, the finding its `detail`);
 * - the findings GuardDuty exports to S3 (JSON Lines, `.jsonl.gz`, camelCase), and single findings as files.
 * PascalCase and camelCase shapes name the same fields (finding schema 2.0); rules see the camelCase shape.
 *
 * The layer follows what the finding is about (docs/layers.md "GuardDuty findings"); the detection comes from the
 * built-in rule `irctl-aws-guardduty-finding` (`irctl.finding`), whose severity and ATT&CK / ATLAS techniques are the
 * finding's own ({@link guardDutyVerdict}). Pure.
 */
import { asObject, asString, normalizeTime, type Layer, type NormalizeResult } from '../../normalize/event.js';
import { isIP } from 'node:net';
import type { ContainerFormat, FindingVerdict, SourceAdapter } from '../types.js';

/** Data type of a GuardDuty finding. */
export const GUARDDUTY_DATA_TYPE = 'aws:guardduty:finding';

type Obj = Record<string, unknown>;

/** A finding's key in either shape: `resourceType` or `ResourceType`. */
function g(o: unknown, key: string): unknown {
  const x = asObject(o);
  if (!x) return undefined;
  if (Object.hasOwn(x, key)) return x[key];
  const pascal = key.charAt(0).toUpperCase() + key.slice(1);
  return Object.hasOwn(x, pascal) ? x[pascal] : undefined;
}
const gs = (o: unknown, key: string): string | undefined => asString(g(o, key));
const go = (o: unknown, ...path: string[]): Obj | undefined => {
  let v: unknown = o;
  for (const k of path) v = g(v, k);
  return asObject(v);
};
const ga = (o: unknown, key: string): unknown[] => {
  const v = g(o, key);
  return Array.isArray(v) ? (v as unknown[]) : [];
};

/** True for a bare finding (either shape). */
function isFinding(o: unknown): o is Obj {
  const x = asObject(o);
  if (!x) return false;
  const type = gs(x, 'type');
  return type !== undefined && /^[A-Za-z]+:[A-Za-z0-9]+\/./.test(type) && typeof g(x, 'severity') === 'number' && asObject(g(x, 'service')) !== undefined && gs(x, 'id') !== undefined && gs(x, 'schemaVersion') !== undefined;
}

/** The finding inside an EventBridge envelope, or the finding itself. */
export function findingOf(record: unknown): Obj | undefined {
  const o = asObject(record);
  if (!o) return undefined;
  if (o['detail-type'] === 'GuardDuty Finding' && isFinding(o.detail)) return o.detail;
  return isFinding(o) ? o : undefined;
}

/** A PascalCase finding (GetFindings output) in the camelCase shape of EventBridge and S3 exports. */
function camelCased(v: unknown, depth = 0): unknown {
  if (depth > 40) return v;
  if (Array.isArray(v)) return (v as unknown[]).map((x) => camelCased(x, depth + 1));
  const o = asObject(v);
  if (!o) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(o)) out[/^[A-Z][a-z]/.test(k) || /^[A-Z]+$/.test(k) ? k.charAt(0).toLowerCase() + k.slice(1) : k] = camelCased(x, depth + 1);
  return out;
}

/** The rule body: the finding, camelCase. */
function guardDutyBody(record: unknown): unknown {
  const f = findingOf(record);
  if (!f) return record;
  return Object.hasOwn(f, 'Type') ? camelCased(f) : f;
}

/** The parts of a finding type: `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact`. */
export function findingTypeParts(type: string): { purpose: string; resource: string; family: string } {
  const m = /^([^:]+):([^/]+)\/([^.!]*)/.exec(type);
  return { purpose: m?.[1] ?? '', resource: m?.[2] ?? '', family: m?.[3] ?? '' };
}

/** True for findings about model invocations (GuardDuty's AI protection, Bedrock API calls). */
function isAiFinding(type: string, f: Obj): boolean {
  if (/Model|Bedrock|LLM/i.test(type)) return true;
  const svc = gs(go(f, 'service', 'action', 'awsApiCallAction'), 'serviceName');
  return svc === 'bedrock.amazonaws.com' || svc === 'bedrock';
}

/**
 * The layer a finding belongs to: AI protection findings `ai`; Runtime Monitoring, malware and container findings
 * `workload`; network findings about an instance (connections, port probes, DNS) `network`; IAM principal findings
 * `identity`; S3, Kubernetes audit, RDS and attack-sequence findings `control_plane`.
 */
export function findingLayer(type: string, f: Obj): Layer {
  if (isAiFinding(type, f)) return 'ai';
  const { resource } = findingTypeParts(type);
  if (/^(?:Runtime|Lambda|ECS|Container)$/i.test(resource) || /Malware|MaliciousFile/i.test(type)) return 'workload';
  const actionType = gs(go(f, 'service', 'action'), 'actionType');
  if (/^(?:EC2|EC2Instance)$/i.test(resource)) return actionType === 'AWS_API_CALL' ? 'control_plane' : 'network';
  if (/^(?:IAMUser|IAM|Root)$/i.test(resource)) return 'identity';
  return 'control_plane';
}

/** GuardDuty's severity (1.0-10.0) on irctl's scale: Low < 4, Medium < 7, High < 9, Critical 9 and above. */
export function guardDutySeverity(n: number): FindingVerdict['severity'] {
  return n >= 9 ? 'critical' : n >= 7 ? 'high' : n >= 4 ? 'medium' : n > 0 ? 'low' : 'informational';
}

/** ATT&CK tactic and a representative technique per threat purpose (the prefix before `:`). */
const PURPOSE_ATTACK: Readonly<Record<string, [tactic: string, technique: string]>> = {
  Backdoor: ['command-and-control', 'T1071'],
  Behavior: ['discovery', 'T1526'],
  CredentialAccess: ['credential-access', 'T1552'],
  CryptoCurrency: ['impact', 'T1496'],
  DefenseEvasion: ['defense-evasion', 'T1562'],
  Discovery: ['discovery', 'T1580'],
  Execution: ['execution', 'T1059'],
  Exfiltration: ['exfiltration', 'T1048'],
  Impact: ['impact', 'T1496'],
  InitialAccess: ['initial-access', 'T1078'],
  PenTest: ['discovery', 'T1526'],
  Persistence: ['persistence', 'T1098'],
  Policy: ['defense-evasion', 'T1562'],
  PrivilegeEscalation: ['privilege-escalation', 'T1078'],
  Recon: ['discovery', 'T1580'],
  Stealth: ['defense-evasion', 'T1562'],
  Trojan: ['command-and-control', 'T1071'],
  UnauthorizedAccess: ['initial-access', 'T1078.004'],
  AttackSequence: ['initial-access', 'T1078.004'],
};

/** More precise techniques for finding families (matched on the type after the purpose). */
const FAMILY_ATTACK: ReadonlyArray<[re: RegExp, tactic: string, technique: string]> = [
  [/ReverseShell/i, 'execution', 'T1059.004'],
  [/BruteForce/i, 'credential-access', 'T1110'],
  [/InstanceCredentialExfiltration|MetadataDNSRebind/i, 'credential-access', 'T1552.005'],
  [/CloudTrailLoggingDisabled/i, 'defense-evasion', 'T1562.008'],
  [/PasswordPolicyChange|S3\/BucketBlockPublicAccessDisabled/i, 'defense-evasion', 'T1562'],
  [/CryptoMiner|BitcoinTool|BitcoinDomainRequest/i, 'impact', 'T1496'],
  [/Tor(?:IPCaller|Client|Relay)/i, 'command-and-control', 'T1090.003'],
  [/MaliciousFile|NewBinaryExecuted|NewLibraryLoaded/i, 'execution', 'T1204'],
  [/ContainerMountsHostDirectory|EscapeToHost|ContainerEscape|CGroupsReleaseAgentModified/i, 'privilege-escalation', 'T1611'],
  [/PortProbe|PortSweep|Portscan/i, 'reconnaissance', 'T1595'],
  [/DNSDataExfiltration/i, 'exfiltration', 'T1048.003'],
  [/Exfiltration:S3|ObjectRead/i, 'collection', 'T1530'],
  [/RootCredentialUsage/i, 'privilege-escalation', 'T1078.004'],
  [/KubernetesApi|ExposedDashboard|AnonymousAccessGranted/i, 'initial-access', 'T1133'],
];

/** ATLAS for model-invocation findings (AI protection). */
const AI_ATLAS: readonly string[] = ['AML.T0040'];

/** What a finding says about itself: severity and techniques; sample findings are informational. */
export function guardDutyVerdict(body: unknown): FindingVerdict | undefined {
  const f = findingOf(body) ?? (isFinding(body) ? body : undefined);
  if (!f) return undefined;
  const type = gs(f, 'type') ?? '';
  const sev = g(f, 'severity');
  const tactics: string[] = [];
  const techniques: string[] = [];
  const base = PURPOSE_ATTACK[findingTypeParts(type).purpose];
  if (base) {
    tactics.push(base[0]);
    techniques.push(base[1]);
  }
  for (const [re, tactic, technique] of FAMILY_ATTACK) {
    if (!re.test(type)) continue;
    if (!tactics.includes(tactic)) tactics.push(tactic);
    techniques.push(technique);
  }
  if (isAiFinding(type, f)) {
    techniques.push(...AI_ATLAS);
    tactics.push('ml-model-access');
  }
  const service = go(f, 'service');
  // Sample findings (CreateSampleFindings) say so in additionalInfo, or carry GuardDuty's placeholder values.
  const sample = g(go(service, 'additionalInfo'), 'sample') === true || /^Canary:/.test(type) || JSON.stringify(g(f, 'resource') ?? null).includes('"GeneratedFinding') || JSON.stringify(service ?? null).includes('"GeneratedFinding');
  const archived = g(service, 'archived') === true;
  return {
    // A sample finding (CreateSampleFindings) is a test of the pipeline, not an attack.
    severity: sample ? 'informational' : guardDutySeverity(typeof sev === 'number' ? sev : 0),
    tactics: [...new Set(tactics)],
    techniques: [...new Set(techniques)],
    // The type goes into a title: only the characters GuardDuty's type names use (record content is attacker-controlled).
    name: type.replace(/[^\w:/.!&-]/g, '?').slice(0, 120),
    note: sample ? 'sample finding' : archived ? 'archived in GuardDuty' : undefined,
  };
}

/** The principal a finding's access key details name, as CloudTrail names it (ARN; session ARN for a role session). */
function actorOf(f: Obj, account: string | undefined, partition: string): { principal?: string; type?: string; name?: string; principalId?: string; accessKey?: string; session?: string; assumedFrom?: string } {
  const d = go(f, 'resource', 'accessKeyDetails');
  if (!d) return {};
  const key = gs(d, 'accessKeyId');
  const userType = gs(d, 'userType');
  const userName = gs(d, 'userName');
  const principalId = gs(d, 'principalId');
  const real = (v: string | undefined): string | undefined => (v === undefined || v.startsWith('GeneratedFinding') ? undefined : v);
  const out: ReturnType<typeof actorOf> = {};
  const k = real(key);
  if (k !== undefined) out.accessKey = k;
  if (userType) out.type = userType;
  const pid = real(principalId);
  if (pid !== undefined) out.principalId = pid;
  const acct = account ?? '';
  const name = real(userName);
  if (userType === 'AssumedRole' && name !== undefined) {
    // The session name is the part of the principal id after the role id (AROA...:<session>).
    const session = pid?.split(':')[1];
    out.assumedFrom = `arn:${partition}:iam::${acct}:role/${name}`;
    if (session) {
      out.session = `arn:${partition}:sts::${acct}:assumed-role/${name}/${session}`;
      out.principal = out.session;
      out.name = session;
    } else {
      out.principal = out.assumedFrom;
      out.name = name;
    }
  } else if (userType === 'Root') {
    out.principal = `arn:${partition}:iam::${acct}:root`;
  } else if (userType === 'IAMUser' && name !== undefined) {
    out.principal = `arn:${partition}:iam::${acct}:user/${name}`;
    out.name = name;
  } else if (name !== undefined) {
    out.principal = name;
    out.name = name;
  }
  return out;
}

/** The remote address of the action and whether it is the source (the caller, an inbound connection). */
function remoteOf(f: Obj): { ip: string; isSource: boolean } | undefined {
  const action = go(f, 'service', 'action');
  if (!action) return undefined;
  const ipOf = (details: unknown): string | undefined => gs(details, 'ipAddressV4') ?? gs(details, 'ipAddressV6');
  const net = go(action, 'networkConnectionAction');
  if (net) {
    const ip = ipOf(g(net, 'remoteIpDetails'));
    return ip ? { ip, isSource: gs(net, 'connectionDirection') === 'INBOUND' } : undefined;
  }
  for (const k of ['awsApiCallAction', 'kubernetesApiCallAction', 'rdsLoginAttemptAction']) {
    const ip = ipOf(g(go(action, k), 'remoteIpDetails'));
    if (ip) return { ip, isSource: true };
  }
  const probe = ga(go(action, 'portProbeAction'), 'portProbeDetails')[0];
  const ip = ipOf(g(probe, 'remoteIpDetails'));
  return ip ? { ip, isSource: true } : undefined;
}

/** Entities of the affected resource: instance, interfaces, addresses, EKS pod and namespace, containers, images. */
function resourceEntities(f: Obj, add: (kind: string, v: string | undefined) => void, resources: string[]): void {
  const r = go(f, 'resource');
  const inst = go(r, 'instanceDetails');
  const real = (v: string | undefined): string | undefined => (v === undefined || v.startsWith('GeneratedFinding') ? undefined : v);
  add('instance', real(gs(inst, 'instanceId')));
  for (const ni of ga(inst, 'networkInterfaces')) {
    add('interface', real(gs(ni, 'networkInterfaceId')));
    const ip = gs(ni, 'privateIpAddress');
    if (ip && isIP(ip) !== 0 && ip !== '0.0.0.0') add('ip', ip);
  }
  const k8s = go(r, 'kubernetesDetails', 'kubernetesWorkloadDetails');
  const ns = gs(k8s, 'namespace');
  const wname = gs(k8s, 'name');
  add('namespace', ns);
  if (wname && (gs(k8s, 'type') ?? '').toLowerCase().startsWith('pod')) add('pod', ns ? `${ns}/${wname}` : wname);
  const containers = [...ga(k8s, 'containers'), ...ga(go(r, 'ecsClusterDetails', 'taskDetails'), 'containers')];
  const cd = go(r, 'containerDetails');
  if (cd) containers.push(cd);
  for (const c of containers) {
    add('container', gs(c, 'id'));
    add('image', gs(c, 'image'));
  }
  const cluster = gs(go(r, 'eksClusterDetails'), 'arn') ?? gs(go(r, 'ecsClusterDetails'), 'arn');
  if (cluster) resources.push(cluster);
  for (const b of ga(r, 's3BucketDetails')) {
    const arn = gs(b, 'arn') ?? (gs(b, 'name') ? `arn:aws:s3:::${gs(b, 'name') ?? ''}` : undefined);
    if (arn && !resources.includes(arn)) resources.push(arn);
  }
  const fn = gs(go(r, 'lambdaDetails'), 'functionArn');
  if (fn) resources.push(fn);
  const db = gs(go(r, 'rdsDbInstanceDetails'), 'dbInstanceArn');
  if (db) resources.push(db);
}

/** Pure mapping of one finding (or its EventBridge envelope) to the common schema. */
export function normalizeGuardDuty(record: unknown, _rawSha256: string): NormalizeResult {
  const f = findingOf(record);
  if (!f) return { ok: false, reason: 'not a GuardDuty finding (type, severity, service, id, schemaVersion)' };
  const type = gs(f, 'type') as string;
  const id = gs(f, 'id') as string;
  const service = go(f, 'service');
  const when = g(service, 'eventFirstSeen') ?? g(f, 'createdAt');
  const t = normalizeTime(when);
  if (!t) return { ok: false, reason: `GuardDuty finding ${id}: eventFirstSeen / createdAt ${JSON.stringify(when)?.slice(0, 60) ?? 'missing'} is not an ISO 8601 time` };
  const updated = gs(f, 'updatedAt') ?? gs(f, 'createdAt') ?? '';
  const account = gs(f, 'accountId');
  const partition = gs(f, 'partition') ?? 'aws';
  const actor = actorOf(f, account, partition);
  const related: Array<{ kind: string; value: string }> = [];
  const add = (kind: string, v: string | undefined): void => {
    if (v !== undefined && v !== '' && !related.some((x) => x.kind === kind && x.value === v)) related.push({ kind, value: v });
  };
  const resources: string[] = [];
  resourceEntities(f, add, resources);
  const remote = remoteOf(f);
  // 0.0.0.0 is a placeholder of sample findings, not an address.
  if (remote && !remote.isSource && remote.ip !== '0.0.0.0') add('ip', remote.ip);
  return {
    ok: true,
    event: {
      // A finding is updated in place (count, eventLastSeen, updatedAt): each version GuardDuty sends or exports is an
      // observation of its own, so the version is part of the identity.
      id: `guardduty:${account ?? ''}:${id}:${updated}`,
      dataType: GUARDDUTY_DATA_TYPE,
      class: 'detection_finding',
      time: t.iso,
      timeMs: t.ms,
      provider: 'aws',
      layer: findingLayer(type, f),
      account,
      region: gs(f, 'region'),
      service: 'guardduty',
      action: type,
      actor,
      srcIp: remote?.isSource === true && isIP(remote.ip) !== 0 ? remote.ip : undefined,
      outcome: 'unknown',
      resources,
      related,
    },
  };
}

/** The GuardDuty finding adapter. */
export const awsGuardDutyFinding: SourceAdapter = {
  id: 'aws-guardduty',
  dataType: GUARDDUTY_DATA_TYPE,
  provider: 'aws',
  description: 'Amazon GuardDuty findings (GetFindings output, EventBridge "GuardDuty Finding" events, S3 exports as JSON Lines)',
  version: 1,
  matches: (r) => findingOf(r) !== undefined,
  normalize: normalizeGuardDuty,
  ruleBody: guardDutyBody,
  finding: guardDutyVerdict,
  logSources: [{ product: 'aws', service: 'guardduty', description: 'Amazon GuardDuty findings (camelCase finding schema 2.0, inside any EventBridge envelope)' }],
  fieldAliases: { type: { column: 'action' } },
};

/** `aws guardduty get-findings` output: `{"Findings":[...]}`; each element is a finding. */
export const guardDutyFindingsContainer: ContainerFormat = {
  format: 'guardduty',
  description: 'an object with a "Findings" array of GuardDuty findings (aws guardduty get-findings output)',
  keys: ['Findings'],
  unwrap: (bytes, parsed) => ({ bytes, parsed }),
};
