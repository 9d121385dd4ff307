/**
 * AWS containment steps, planned from the threat's own evidence (pure: no SDK, no network, no clock). Reads the
 * CloudTrail records of the threat: which access keys and principals acted, what the threat attached, which instances,
 * buckets and trails it touched. The runner (./runner.ts, loaded lazily) executes the steps with the AWS SDK.
 *
 * Every value read here comes from log records the attacker may have shaped: it is used only as an identifier in a
 * planned call (validated by shape), never as an instruction.
 */
import { evidenceIds, obj, sortedTargets, str, Targets, type Rec } from '../targets.js';
import type { ContainmentSupport, ProviderPlan, RunnerOptions, StepDraft, StepRunner, ThreatEvent, ThreatEvidence } from '../types.js';

const PROVIDER = 'aws';

/** Step kinds (the context.yaml policy names these). */
export const AWS_STEP_KINDS = [
  { kind: 'snapshot-volumes', phase: 'preserve', reversible: false, description: 'EBS snapshot of every volume attached to the instance, tagged with the case and threat ids' },
  { kind: 'capture-instance-metadata', phase: 'preserve', reversible: false, description: 'instance description, console output and user data, kept in the action record' },
  { kind: 'protect-instance', phase: 'contain', reversible: true, description: 'enable termination and stop protection' },
  { kind: 'detach-from-auto-scaling', phase: 'contain', reversible: true, description: 'detach the instance from its Auto Scaling group (desired capacity kept: the group launches a replacement) before isolation' },
  { kind: 'deregister-from-target-groups', phase: 'contain', reversible: true, description: 'deregister the instance from every ELBv2 target group of its VPC before isolation' },
  { kind: 'isolate-instance', phase: 'contain', reversible: true, description: 'move every network interface to an isolation security group with no ingress and no egress' },
  { kind: 'deactivate-access-key', phase: 'contain', reversible: true, description: 'set an IAM access key Inactive (never deleted)' },
  { kind: 'revoke-role-sessions', phase: 'contain', reversible: true, description: 'inline deny-all policy on a role for sessions issued before now (aws:TokenIssueTime)' },
  { kind: 'disable-console-login', phase: 'contain', reversible: false, description: "delete an IAM user's console login profile (the password cannot be restored)" },
  { kind: 'detach-policy', phase: 'contain', reversible: true, description: 'detach a managed policy the threat attached to a user, role or group' },
  { kind: 's3-block-public-access', phase: 'contain', reversible: true, description: 'turn on all four S3 Block Public Access settings of a bucket' },
  { kind: 's3-remove-policy-principals', phase: 'contain', reversible: true, description: 'remove bucket-policy statements the threat added that grant public or foreign-account principals' },
  { kind: 'remove-trust-principals', phase: 'contain', reversible: true, description: "remove from a role's trust policy the statements the threat added that let public or foreign-account principals assume it" },
  { kind: 'cloudtrail-start-logging', phase: 'contain', reversible: false, description: 'restart logging of a trail the threat stopped' },
] as const;

const ACCESS_KEY = /^AKIA[A-Z0-9]{12,124}$/;
const INSTANCE = /^i-[0-9a-f]{8,32}$/;
const NAME = /^[\w+=,.@-]{1,128}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const POLICY_ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;


/** The CloudTrail entry of a stored record (an EventBridge envelope carries it in `detail`). */
function entryOf(e: ThreatEvent): Rec | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(e.raw);
  } catch {
    return undefined;
  }
  const o = obj(parsed);
  if (!o) return undefined;
  const detail = obj(o.detail);
  return detail && typeof detail.eventName === 'string' ? detail : o;
}

interface KeyTarget {
  keyId: string;
  user?: string | undefined;
}
interface Attachment {
  principalType: 'user' | 'role' | 'group';
  name: string;
  policyArn: string;
}
interface InstanceTarget {
  instanceId: string;
  region: string;
}
interface BucketTarget {
  bucket: string;
  account: string | undefined;
  /** Statement sids/texts of the threat's PutBucketPolicy documents that grant public or foreign principals. */
  statements: Rec[];
}
interface TrailTarget {
  name: string;
  region: string;
}
interface TrustTarget {
  role: string;
  account: string | undefined;
  /** Statements of the threat's trust documents that allow public or foreign-account principals. */
  statements: Rec[];
}

const isRequestOk = (ct: Rec): boolean => ct.errorCode === undefined || ct.errorCode === null || ct.errorCode === '';

/** Principals of a policy statement that are public (`*`) or an account other than `account`. */
export function foreignPrincipals(statement: Rec, account: string | undefined): string[] {
  const p = statement.Principal;
  if (p === '*') return ['*'];
  const o = obj(p);
  if (!o) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (k !== 'AWS') continue;
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x !== 'string') continue;
      if (x === '*') out.push(x);
      else {
        const acct = /^(\d{12})$/.exec(x)?.[1] ?? /^arn:aws[\w-]*:iam::(\d{12}):/.exec(x)?.[1];
        if (acct !== undefined && acct !== account) out.push(x);
      }
    }
  }
  return out;
}

function policyStatements(doc: unknown): Rec[] {
  let d: unknown = doc;
  if (typeof d === 'string') {
    try {
      d = JSON.parse(d);
    } catch {
      return [];
    }
  }
  const st = obj(d)?.Statement;
  return (Array.isArray(st) ? st : st !== undefined ? [st] : []).flatMap((s) => (obj(s) ? [obj(s)!] : []));
}

/** Read the records: who and what the threat used and touched. */
function readEvidence(ev: ThreatEvidence): {
  keys: Targets<KeyTarget>;
  users: Targets<string>;
  roles: Targets<{ name: string; arn: string }>;
  attached: Targets<Attachment>;
  instances: Targets<InstanceTarget>;
  buckets: Targets<BucketTarget>;
  bpaBuckets: Targets<string>;
  trails: Targets<TrailTarget>;
  trust: Targets<TrustTarget>;
  notes: Set<string>;
} {
  const keys = new Targets<KeyTarget>();
  const users = new Targets<string>();
  const roles = new Targets<{ name: string; arn: string }>();
  const attached = new Targets<Attachment>();
  const instances = new Targets<InstanceTarget>();
  const buckets = new Targets<BucketTarget>();
  const bpaBuckets = new Targets<string>();
  const trails = new Targets<TrailTarget>();
  const trust = new Targets<TrustTarget>();
  const notes = new Set<string>();
  const keyOwner = new Map<string, string>();
  const entityKeys = new Set(ev.entities.filter((e) => e.kind === 'access_key' && ACCESS_KEY.test(e.value)).map((e) => e.value));

  for (const e of ev.events) {
    const ct = entryOf(e);
    if (!ct) continue;
    const who = obj(ct.userIdentity) ?? {};
    const req = obj(ct.requestParameters) ?? {};
    const resp = obj(ct.responseElements) ?? {};
    const name = str(ct.eventName) ?? e.action;
    const region = str(ct.awsRegion) ?? e.region ?? 'us-east-1';
    const account = str(ct.recipientAccountId) ?? e.account ?? undefined;
    const ok = isRequestOk(ct);
    const type = str(who.type);
    const keyId = str(who.accessKeyId);
    // The acting identity
    if (type === 'IAMUser') {
      const user = str(who.userName);
      if (user !== undefined && NAME.test(user)) {
        users.add(user, user, e.id);
        if (keyId !== undefined && ACCESS_KEY.test(keyId)) keyOwner.set(keyId, user);
      }
    }
    if (keyId !== undefined && ACCESS_KEY.test(keyId)) keys.add(keyId, { keyId }, e.id);
    if (type === 'AssumedRole') {
      const issuer = obj(obj(who.sessionContext)?.sessionIssuer);
      const roleName = str(issuer?.userName);
      const arn = str(issuer?.arn);
      // Service-linked and SSO permission-set roles are managed by AWS: a deny policy cannot be attached to them.
      if (roleName !== undefined && arn !== undefined && NAME.test(roleName) && !/:role\/aws-(service-role|reserved)\//.test(arn)) roles.add(roleName, { name: roleName, arn }, e.id);
    }
    if (!ok) continue;
    switch (name) {
      case 'CreateAccessKey': {
        const k = obj(resp.accessKey);
        const id = str(k?.accessKeyId);
        const user = str(k?.userName) ?? str(req.userName);
        if (id !== undefined && ACCESS_KEY.test(id)) {
          keys.add(id, { keyId: id }, e.id);
          if (user !== undefined && NAME.test(user)) keyOwner.set(id, user);
        }
        break;
      }
      case 'AttachUserPolicy':
      case 'AttachRolePolicy':
      case 'AttachGroupPolicy': {
        const principalType = name === 'AttachUserPolicy' ? 'user' : name === 'AttachRolePolicy' ? 'role' : 'group';
        const pname = str(req[`${principalType}Name`]);
        const arn = str(req.policyArn);
        if (pname !== undefined && arn !== undefined && NAME.test(pname) && POLICY_ARN.test(arn)) attached.add(`${principalType}/${pname}/${arn}`, { principalType, name: pname, policyArn: arn }, e.id);
        break;
      }
      case 'PutBucketPolicy': {
        const bucket = str(req.bucketName);
        if (bucket === undefined || !BUCKET.test(bucket)) break;
        const added = policyStatements(req.bucketPolicy).filter((s) => s.Effect === 'Allow' && foreignPrincipals(s, account).length > 0);
        buckets.add(bucket, { bucket, account, statements: [] }, e.id);
        buckets.map.get(bucket)!.value.statements.push(...added);
        bpaBuckets.add(bucket, bucket, e.id);
        break;
      }
      case 'PutBucketAcl':
      case 'DeleteBucketPublicAccessBlock':
      case 'DeletePublicAccessBlock':
      case 'PutBucketPublicAccessBlock': {
        const bucket = str(req.bucketName);
        if (bucket !== undefined && BUCKET.test(bucket)) bpaBuckets.add(bucket, bucket, e.id);
        break;
      }
      case 'StopLogging': {
        const trail = str(req.name);
        if (trail !== undefined) trails.add(trail, { name: trail, region }, e.id);
        break;
      }
      case 'DeleteTrail':
        notes.add(`the threat deleted trail ${str(req.name) ?? '?'} (${e.id}): a deleted trail cannot be restarted; re-create it from your infrastructure code`);
        break;
      case 'PutEventSelectors':
      case 'PutInsightSelectors':
        notes.add(`the threat changed the selectors of trail ${str(req.trailName) ?? '?'} (${e.id}): restoring selectors is not built; compare them with your baseline`);
        break;
      case 'UpdateAssumeRolePolicy': {
        // CloudTrail records the new document only: what the threat added that lets outsiders in is removable from
        // the current policy (read at execution, recorded for rollback); anything else must come from a baseline.
        const role = str(req.roleName);
        const foreign = policyStatements(req.policyDocument).filter((x) => x.Effect === 'Allow' && foreignPrincipals(x, account).length > 0);
        if (role !== undefined && NAME.test(role) && foreign.length > 0) {
          trust.add(role, { role, account, statements: [] }, e.id);
          trust.map.get(role)!.value.statements.push(...foreign);
        } else {
          notes.add(`the threat changed the trust policy of role ${role ?? '?'} (${e.id}) without granting a public or foreign-account principal: CloudTrail keeps only the new document, so irctl cannot restore the previous one; compare it with your baseline`);
        }
        break;
      }
      default:
        break;
    }
    // Instances the records name (request, response, resources)
    const ids = new Set<string>();
    const rid = str(req.instanceId);
    if (rid !== undefined) ids.add(rid);
    for (const set of [obj(req.instancesSet), obj(resp.instancesSet)]) {
      const items = set && Array.isArray(set.items) ? set.items : [];
      for (const it of items) {
        const id = str(obj(it)?.instanceId);
        if (id !== undefined) ids.add(id);
      }
    }
    for (const r of e.resources) {
      const m = /:instance\/(i-[0-9a-f]+)$/.exec(r);
      if (m?.[1] !== undefined) ids.add(m[1]);
    }
    for (const id of ids) if (INSTANCE.test(id)) instances.add(id, { instanceId: id, region }, e.id);
  }
  for (const ent of ev.entities) {
    if (ent.kind !== 'instance' || !INSTANCE.test(ent.value)) continue;
    const ev0 = ev.events.find((x) => x.resources.some((r) => r.endsWith(`/${ent.value}`)) || x.session?.includes(ent.value));
    instances.add(ent.value, { instanceId: ent.value, region: ev0?.region ?? ev.events[0]?.region ?? 'us-east-1' }, ev0?.id);
  }
  // Keys: those the threat used or created; only the threat's own entity keys or keys seen in its records.
  for (const k of entityKeys) keys.add(k, { keyId: k }, undefined);
  for (const [id, t] of keys.map) t.value.user = keyOwner.get(id);
  return { keys, users, roles, attached, instances, buckets, bpaBuckets, trails, trust, notes };
}

const sorted = sortedTargets;
const evid = evidenceIds;

/** Plan AWS steps for a threat (pure). Order: identities first, then instances (preserve, then contain), buckets, trails. */
export function planAws(ev: ThreatEvidence): ProviderPlan {
  const r = readEvidence(ev);
  const steps: StepDraft[] = [];
  const tag = [
    { Key: 'irctl:case', Value: ev.case_id },
    { Key: 'irctl:threat', Value: ev.threat_id },
  ];
  const base = (d: Omit<StepDraft, 'provider'>): StepDraft => ({ provider: PROVIDER, ...d });

  for (const [id, { value, evidence }] of sorted(r.keys)) {
    const user = value.user;
    const userParam = user ?? '<owner from iam:GetAccessKeyLastUsed>';
    steps.push(
      base({
        kind: 'deactivate-access-key',
        target: id,
        resource: `access-key/${id}`,
        phase: 'contain',
        title: `deactivate access key ${id}${user !== undefined ? ` of user ${user}` : ''} (never deleted)`,
        calls: [
          ...(user === undefined ? [{ api: 'iam:GetAccessKeyLastUsed', params: { AccessKeyId: id } }] : []),
          { api: 'iam:UpdateAccessKey', params: { UserName: userParam, AccessKeyId: id, Status: 'Inactive' } },
        ],
        reversible: true,
        risk: { level: 'low', breaks: 'every program using this key stops authenticating' },
        rollback: { calls: [{ api: 'iam:UpdateAccessKey', params: { UserName: userParam, AccessKeyId: id, Status: 'Active' } }], note: 'set the key Active again' },
        preconditions: ['the key exists', 'the key is Active (an Inactive key means the state changed since the evidence: skipped)'],
        evidence_ids: evid(evidence),
        params: { accessKeyId: id, ...(user !== undefined ? { userName: user } : {}) },
      }),
    );
  }
  for (const [name, { value, evidence }] of sorted(r.roles)) {
    const policyName = `irctl-revoke-sessions-${ev.threat_id}`;
    steps.push(
      base({
        kind: 'revoke-role-sessions',
        target: value.arn,
        resource: `role/${name}`,
        phase: 'contain',
        title: `revoke sessions of role ${name} issued before now (inline deny-all with aws:TokenIssueTime)`,
        calls: [
          {
            api: 'iam:PutRolePolicy',
            params: {
              RoleName: name,
              PolicyName: policyName,
              PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '<time of execution>' } } }] },
            },
          },
        ],
        reversible: true,
        risk: { level: 'medium', breaks: 'every session of the role issued before now is denied, legitimate ones too: workloads must assume the role again' },
        rollback: { calls: [{ api: 'iam:DeleteRolePolicy', params: { RoleName: name, PolicyName: policyName } }], note: 'delete the inline policy' },
        preconditions: ['the role exists', `the role has no inline policy named ${policyName} yet`],
        evidence_ids: evid(evidence),
        params: { roleName: name, policyName },
      }),
    );
  }
  for (const [user, { evidence }] of sorted(r.users)) {
    steps.push(
      base({
        kind: 'disable-console-login',
        target: user,
        resource: `user/${user}`,
        phase: 'contain',
        title: `disable console sign-in of IAM user ${user} (delete the login profile)`,
        calls: [
          { api: 'iam:GetLoginProfile', params: { UserName: user } },
          { api: 'iam:DeleteLoginProfile', params: { UserName: user } },
        ],
        reversible: false,
        risk: { level: 'medium', breaks: 'the user cannot sign in to the console; the password is gone (an administrator sets a new one to restore access)' },
        rollback: null,
        preconditions: ['the user exists', 'the user has a console login profile (none: skipped)'],
        evidence_ids: evid(evidence),
        params: { userName: user },
      }),
    );
  }
  for (const [, { value, evidence }] of sorted(r.attached)) {
    const T = value.principalType === 'user' ? 'User' : value.principalType === 'role' ? 'Role' : 'Group';
    const p = { [`${T}Name`]: value.name, PolicyArn: value.policyArn };
    steps.push(
      base({
        kind: 'detach-policy',
        target: `${value.policyArn} from ${value.principalType} ${value.name}`,
        resource: `${value.principalType}/${value.name}`,
        phase: 'contain',
        title: `detach ${value.policyArn} from ${value.principalType} ${value.name} (attached by the threat)`,
        calls: [{ api: `iam:Detach${T}Policy`, params: p }],
        reversible: true,
        risk: { level: 'low', breaks: `whatever the ${value.principalType} needed that policy for` },
        rollback: { calls: [{ api: `iam:Attach${T}Policy`, params: p }], note: 'attach the policy again' },
        preconditions: [`the policy is attached to the ${value.principalType} (not attached: skipped)`],
        evidence_ids: evid(evidence),
        params: { principalType: value.principalType, name: value.name, policyArn: value.policyArn },
      }),
    );
  }
  for (const [id, { value, evidence }] of sorted(r.instances)) {
    const e = evid(evidence);
    const common = { target: id, resource: `instance/${id}`, region: value.region, evidence_ids: e, params: { instanceId: id } };
    steps.push(
      base({
        ...common,
        kind: 'snapshot-volumes',
        phase: 'preserve',
        title: `snapshot every EBS volume of ${id} (tagged with case and threat) before anything changes`,
        calls: [
          { api: 'ec2:DescribeInstances', params: { InstanceIds: [id] } },
          { api: 'ec2:CreateSnapshot', params: { VolumeId: '<each attached EBS volume>', Description: `irctl ${ev.threat_id} ${id}`, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tag }] } },
        ],
        reversible: false,
        risk: { level: 'none', breaks: 'nothing (snapshot storage is billed; snapshots are kept as evidence)' },
        rollback: null,
        preconditions: ['the instance exists and is not terminated', 'it has at least one EBS volume'],
      }),
      base({
        ...common,
        kind: 'capture-instance-metadata',
        phase: 'preserve',
        title: `capture ${id}'s description, console output and user data into the action record`,
        calls: [
          { api: 'ec2:DescribeInstances', params: { InstanceIds: [id] } },
          { api: 'ec2:GetConsoleOutput', params: { InstanceId: id, Latest: true } },
          { api: 'ec2:DescribeInstanceAttribute', params: { InstanceId: id, Attribute: 'userData' } },
        ],
        reversible: false,
        risk: { level: 'none', breaks: 'nothing (read-only)' },
        rollback: null,
        preconditions: ['the instance exists'],
      }),
      base({
        ...common,
        kind: 'protect-instance',
        phase: 'contain',
        title: `enable termination and stop protection on ${id}`,
        calls: [
          { api: 'ec2:ModifyInstanceAttribute', params: { InstanceId: id, DisableApiTermination: { Value: true } } },
          { api: 'ec2:ModifyInstanceAttribute', params: { InstanceId: id, DisableApiStop: { Value: true } } },
        ],
        reversible: true,
        risk: { level: 'low', breaks: 'automation that stops or terminates the instance (Auto Scaling, scheduled stops) fails on it' },
        rollback: { calls: [{ api: 'ec2:ModifyInstanceAttribute', params: { InstanceId: id, DisableApiTermination: { Value: '<recorded>' }, DisableApiStop: { Value: '<recorded>' } } }], note: 'restore the recorded protection flags' },
        preconditions: ['the instance exists and is not terminated'],
      }),
      base({
        ...common,
        kind: 'detach-from-auto-scaling',
        phase: 'contain',
        title: `detach ${id} from its Auto Scaling group (if any) so that the group neither terminates nor replaces it as unhealthy once isolated`,
        calls: [
          { api: 'autoscaling:DescribeAutoScalingInstances', params: { InstanceIds: [id] } },
          { api: 'autoscaling:DetachInstances', params: { InstanceIds: [id], AutoScalingGroupName: '<the group DescribeAutoScalingInstances names>', ShouldDecrementDesiredCapacity: false } },
        ],
        reversible: true,
        risk: { level: 'medium', breaks: 'the group launches a replacement instance (desired capacity is kept), so the service keeps its capacity; the detached instance is no longer managed or scaled' },
        rollback: {
          calls: [{ api: 'autoscaling:AttachInstances', params: { InstanceIds: [id], AutoScalingGroupName: '<recorded group>' } }],
          note: 'attach the instance to its recorded group again (the group grows by one: the replacement stays until it scales in)',
        },
        preconditions: ['the instance exists and is not terminated', 'not in any group: done with nothing to do'],
      }),
      base({
        ...common,
        kind: 'deregister-from-target-groups',
        phase: 'contain',
        title: `deregister ${id} from every load balancer target group it is in (if any) before isolation`,
        calls: [
          { api: 'elbv2:DescribeTargetGroups', params: {} },
          { api: 'elbv2:DescribeTargetHealth', params: { TargetGroupArn: '<each instance-type target group of the VPC>' } },
          { api: 'elbv2:DeregisterTargets', params: { TargetGroupArn: '<each group holding the instance>', Targets: [{ Id: id, Port: '<registered port>' }] } },
        ],
        reversible: true,
        risk: { level: 'medium', breaks: 'the load balancers stop sending traffic to the instance (after the deregistration delay)' },
        rollback: { calls: [{ api: 'elbv2:RegisterTargets', params: { TargetGroupArn: '<each recorded group>', Targets: [{ Id: id, Port: '<recorded port>' }] } }], note: 'register the instance again in every recorded target group, on its recorded ports' },
        preconditions: ['the instance exists and is not terminated', 'not registered anywhere: done with nothing to do'],
      }),
      base({
        ...common,
        kind: 'isolate-instance',
        phase: 'contain',
        title: `isolate ${id}: every network interface to a security group with no ingress and no egress`,
        calls: [
          { api: 'ec2:DescribeInstances', params: { InstanceIds: [id] } },
          { api: 'ec2:CreateSecurityGroup', params: { GroupName: `irctl-isolation-<vpc id>`, Description: 'irctl isolation: no ingress, no egress', VpcId: '<the instance VPC>' } },
          { api: 'ec2:RevokeSecurityGroupEgress', params: { GroupId: '<isolation group>', IpPermissions: '<the default allow-all egress rule>' } },
          { api: 'ec2:ModifyNetworkInterfaceAttribute', params: { NetworkInterfaceId: '<each interface>', Groups: ['<isolation group>'] } },
        ],
        reversible: true,
        risk: {
          level: 'high',
          breaks: "the instance's services go offline; connections already tracked by the security group may continue until they close (security groups do not cut tracked connections: add a network ACL deny if they must stop now)",
        },
        rollback: { calls: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', params: { NetworkInterfaceId: '<each interface>', Groups: '<recorded groups>' } }], note: 'put every interface back into its recorded security groups' },
        preconditions: ['the instance exists and is not terminated', 'its interfaces are in the security groups the before-state records', 'snapshot-volumes and capture-instance-metadata of this instance are done'],
      }),
    );
  }
  for (const [bucket, { evidence }] of sorted(r.bpaBuckets)) {
    steps.push(
      base({
        kind: 's3-block-public-access',
        target: `arn:aws:s3:::${bucket}`,
        resource: `bucket/${bucket}`,
        phase: 'contain',
        title: `turn on S3 Block Public Access for bucket ${bucket}`,
        calls: [
          { api: 's3:GetPublicAccessBlock', params: { Bucket: bucket } },
          { api: 's3:PutPublicAccessBlock', params: { Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } } },
        ],
        reversible: true,
        risk: { level: 'medium', breaks: 'public readers of the bucket (a static website, public downloads) are refused' },
        rollback: { calls: [{ api: 's3:PutPublicAccessBlock', params: { Bucket: bucket, PublicAccessBlockConfiguration: '<recorded>' } }], note: 'restore the recorded settings (or delete the configuration when there was none)' },
        preconditions: ['the bucket exists'],
        evidence_ids: evid(evidence),
        params: { bucket },
      }),
    );
  }
  for (const [bucket, { value, evidence }] of sorted(r.buckets)) {
    if (value.statements.length === 0) continue;
    const principals = [...new Set(value.statements.flatMap((s) => foreignPrincipals(s, value.account)))].sort();
    steps.push(
      base({
        kind: 's3-remove-policy-principals',
        target: `arn:aws:s3:::${bucket}`,
        resource: `bucket/${bucket}`,
        phase: 'contain',
        title: `remove the bucket-policy statements of ${bucket} that grant ${principals.join(', ')} (added by the threat)`,
        calls: [
          { api: 's3:GetBucketPolicy', params: { Bucket: bucket } },
          { api: 's3:PutBucketPolicy', params: { Bucket: bucket, Policy: '<current policy without those statements (DeleteBucketPolicy when none is left)>' } },
        ],
        reversible: true,
        risk: { level: 'low', breaks: `access by ${principals.join(', ')} granted through those statements` },
        rollback: { calls: [{ api: 's3:PutBucketPolicy', params: { Bucket: bucket, Policy: '<recorded policy>' } }], note: 'put the recorded policy back' },
        preconditions: ['the bucket exists', 'its policy still holds a statement the threat added (none: skipped)'],
        evidence_ids: evid(evidence),
        params: { bucket, account: value.account ?? null, statements: value.statements },
      }),
    );
  }
  for (const [role, { value, evidence }] of sorted(r.trust)) {
    const principals = [...new Set(value.statements.flatMap((s) => foreignPrincipals(s, value.account)))].sort();
    steps.push(
      base({
        kind: 'remove-trust-principals',
        target: value.account !== undefined ? `arn:aws:iam::${value.account}:role/${role}` : `role/${role}`,
        resource: `role/${role}`,
        phase: 'contain',
        title: `remove from the trust policy of role ${role} the statements that let ${principals.join(', ')} assume it (added by the threat)`,
        calls: [
          { api: 'iam:GetRole', params: { RoleName: role } },
          { api: 'iam:UpdateAssumeRolePolicy', params: { RoleName: role, PolicyDocument: '<current trust policy without those statements (a deny-all statement when none is left)>' } },
        ],
        reversible: true,
        risk: { level: 'low', breaks: `${principals.join(', ')} can no longer assume the role (sessions already issued last until they expire: add revoke-role-sessions)` },
        rollback: { calls: [{ api: 'iam:UpdateAssumeRolePolicy', params: { RoleName: role, PolicyDocument: '<recorded trust policy>' } }], note: 'put back the trust policy recorded just before the step (CloudTrail holds only the new document, so the before-state is the live one)' },
        preconditions: ['the role exists', 'its trust policy still holds a statement the threat added (none: skipped)'],
        evidence_ids: evid(evidence),
        params: { roleName: role, account: value.account ?? null, statements: value.statements },
      }),
    );
  }
  for (const [name, { value, evidence }] of sorted(r.trails)) {
    steps.push(
      base({
        kind: 'cloudtrail-start-logging',
        target: name,
        resource: `trail/${name}`,
        phase: 'contain',
        region: value.region,
        title: `restart logging of trail ${name} (stopped by the threat)`,
        calls: [
          { api: 'cloudtrail:GetTrailStatus', params: { Name: name } },
          { api: 'cloudtrail:StartLogging', params: { Name: name } },
        ],
        reversible: false,
        risk: { level: 'none', breaks: 'nothing (logging resumes; delivery costs)' },
        rollback: null,
        preconditions: ['the trail exists', 'it is not logging (logging already: skipped)'],
        evidence_ids: evid(evidence),
        params: { name },
      }),
    );
  }
  const notes = [...r.notes].sort();
  if (ev.events.some((e) => e.service === 'bedrock')) notes.push('Bedrock: revoking the invoking principal is covered by the identity steps above; no Bedrock-specific step is built');
  return { steps, notes };
}

/** What the AWS provider module registers. */
export const awsContainment: ContainmentSupport = {
  kinds: AWS_STEP_KINDS,
  plan: planAws,
  runner: async (opts: RunnerOptions): Promise<StepRunner> => (await import('./runner.js')).awsRunner(opts),
};

