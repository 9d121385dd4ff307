/**
 * Executes AWS containment steps with the AWS SDK v3 (IAM, EC2, S3, CloudTrail): each step checks its preconditions on
 * the live state, reads the before-state (what rollback restores), acts, and reads the after-state. Credentials,
 * `--profile`, `--role-arn` and the `AWS_ENDPOINT_URL*` variables work as for `collect aws` (src/collect/aws/client.ts).
 */
import { AttachInstancesCommand, AutoScalingClient, DescribeAutoScalingInstancesCommand, DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient, GetTrailStatusCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import {
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  GetConsoleOutputCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { DeregisterTargetsCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type PublicAccessBlockConfiguration,
} from '@aws-sdk/client-s3';
import { credentialsFor, endpointFor, toAwsApiError } from '../../collect/aws/client.js';
import { explainAwsError } from '../../collect/aws/errors.js';
import type { MadeCall, RunnableStep, RunnerOptions, StepLiveStatus, StepOutcome, StepRunner } from '../types.js';
import { foreignPrincipals } from './plan.js';
import { liveStatusOfFailure, runStep, Skip } from '../runner-kit.js';
import { canonical } from '../targets.js';


/** Error codes that mean the resource is gone. */
const GONE = /^(NoSuchEntity|NoSuchBucket|InvalidInstanceID\.NotFound|InvalidInstanceID\.Malformed|TrailNotFoundException|InvalidNetworkInterfaceID\.NotFound|InvalidVolume\.NotFound)$/;

type Rec = Record<string, unknown>;
interface SendResult {
  $metadata: { requestId?: string | undefined };
}
/** Anything with `send` (every v3 client; the command's type is checked where it is built). */
interface Sender {
  send(command: never, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Build the AWS runner. */
export function awsRunner(opts: RunnerOptions): StepRunner {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const homeRegion = opts.env.AWS_REGION ?? opts.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const credentials = credentialsFor({ env: opts.env, profile: opts.profile, roleArn: opts.roleArn, externalId: opts.externalId, homeRegion }, 'irctl-contain');
  const common = { credentials, maxAttempts: 3, requestHandler: { requestTimeout: 30_000, connectionTimeout: 10_000 } };
  const ep = (s: 'IAM' | 'EC2' | 'S3' | 'CLOUDTRAIL' | 'AUTO_SCALING' | 'ELASTIC_LOAD_BALANCING_V2'): { endpoint?: string } => {
    const e = endpointFor(s, opts.env);
    return e !== undefined ? { endpoint: e } : {};
  };
  const iam = new IAMClient({ ...common, region: homeRegion, ...ep('IAM') });
  const s3 = new S3Client({ ...common, region: homeRegion, followRegionRedirects: true, ...ep('S3'), ...(endpointFor('S3', opts.env) !== undefined ? { forcePathStyle: true } : {}) });
  const ec2s = new Map<string, EC2Client>();
  const cts = new Map<string, CloudTrailClient>();
  const ec2 = (region: string): EC2Client => {
    let c = ec2s.get(region);
    if (!c) ec2s.set(region, (c = new EC2Client({ ...common, region, ...ep('EC2') })));
    return c;
  };
  const asgs = new Map<string, AutoScalingClient>();
  const elbs = new Map<string, ElasticLoadBalancingV2Client>();
  const asg = (region: string): AutoScalingClient => {
    let c = asgs.get(region);
    if (!c) asgs.set(region, (c = new AutoScalingClient({ ...common, region, ...ep('AUTO_SCALING') })));
    return c;
  };
  const elb = (region: string): ElasticLoadBalancingV2Client => {
    let c = elbs.get(region);
    if (!c) elbs.set(region, (c = new ElasticLoadBalancingV2Client({ ...common, region, ...ep('ELASTIC_LOAD_BALANCING_V2') })));
    return c;
  };
  const ct = (region: string): CloudTrailClient => {
    let c = cts.get(region);
    if (!c) cts.set(region, (c = new CloudTrailClient({ ...common, region, ...ep('CLOUDTRAIL') })));
    return c;
  };

  /** One step's call log. */
  class Calls {
    readonly made: MadeCall[] = [];
    private readonly region: string;
    constructor(region: string) {
      this.region = region;
    }
    async send<C, O = unknown>(client: Sender, api: string, params: Rec, command: C): Promise<O> {
      try {
        const out = (await client.send(command as never, { abortSignal: opts.signal })) as O & SendResult;
        this.made.push({ api, params, request_id: out.$metadata.requestId, ok: true });
        return out;
      } catch (err) {
        const e = toAwsApiError(err, api, this.region);
        const meta = (err as { $metadata?: { requestId?: unknown } } | null)?.$metadata;
        this.made.push({ api, params, request_id: typeof meta?.requestId === 'string' ? meta.requestId : undefined, ok: false, error: `${e.code}: ${e.message}` });
        throw e;
      }
    }
  }

  const outcomeOfError = (err: unknown, calls: Calls, before: unknown): StepOutcome => {
    if (err instanceof Skip) return { status: 'skipped', reason: err.message, before, calls: calls.made };
    const e = toAwsApiError(err, 'aws', 'aws');
    if (GONE.test(e.code)) return { status: 'skipped', reason: `the resource is gone (${e.code}: ${e.message})`, before, calls: calls.made };
    const x = explainAwsError(e);
    const fatal = x.kind === 'no_credentials' || x.kind === 'expired_token' || x.kind === 'network' || (x.kind === 'region_disabled' && /InvalidClientTokenId|UnrecognizedClient/.test(e.code));
    return { status: 'failed', reason: x.message, before, calls: calls.made, ...(fatal ? { fatal: { message: x.message, hint: x.hint } } : {}) };
  };

  const region = (s: RunnableStep): string => s.region ?? homeRegion;
  const p = (s: RunnableStep, k: string): string => {
    const v = s.params[k];
    if (typeof v !== 'string') throw new Skip(`the plan has no ${k} for this step`);
    return v;
  };

  const describeInstance = async (c: Calls, s: RunnableStep): Promise<Instance> => {
    const id = p(s, 'instanceId');
    const out = await c.send<DescribeInstancesCommand, { Reservations?: Array<{ Instances?: Instance[] }> }>(ec2(region(s)), 'ec2:DescribeInstances', { InstanceIds: [id] }, new DescribeInstancesCommand({ InstanceIds: [id] }));
    const inst = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    if (!inst) throw new Skip(`instance ${id} is gone`);
    if (inst.State?.Name === 'terminated' || inst.State?.Name === 'shutting-down') throw new Skip(`instance ${id} is ${inst.State.Name}`);
    return inst;
  };
  const eniGroups = (inst: Instance): Array<{ eni: string; groups: string[] }> =>
    (inst.NetworkInterfaces ?? []).flatMap((n) => (n.NetworkInterfaceId !== undefined ? [{ eni: n.NetworkInterfaceId, groups: (n.Groups ?? []).flatMap((g) => (g.GroupId !== undefined ? [g.GroupId] : [])).sort() }] : []));
  const protection = async (c: Calls, s: RunnableStep): Promise<{ termination: boolean; stop: boolean | null }> => {
    const id = p(s, 'instanceId');
    const t = await c.send<DescribeInstanceAttributeCommand, { DisableApiTermination?: { Value?: boolean } }>(ec2(region(s)), 'ec2:DescribeInstanceAttribute', { InstanceId: id, Attribute: 'disableApiTermination' }, new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' }));
    let stop: boolean | null;
    try {
      const st = await c.send<DescribeInstanceAttributeCommand, { DisableApiStop?: { Value?: boolean } }>(ec2(region(s)), 'ec2:DescribeInstanceAttribute', { InstanceId: id, Attribute: 'disableApiStop' }, new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiStop' }));
      stop = st.DisableApiStop?.Value ?? false;
    } catch {
      stop = null; // an endpoint without stop protection (older regions, emulators): recorded as unknown
    }
    return { termination: t.DisableApiTermination?.Value ?? false, stop };
  };
  const keyUser = async (c: Calls, s: RunnableStep): Promise<string> => {
    const given = s.params.userName;
    if (typeof given === 'string') return given;
    const id = p(s, 'accessKeyId');
    const out = await c.send<GetAccessKeyLastUsedCommand, { UserName?: string }>(iam, 'iam:GetAccessKeyLastUsed', { AccessKeyId: id }, new GetAccessKeyLastUsedCommand({ AccessKeyId: id }));
    if (out.UserName === undefined) throw new Skip(`the owner of access key ${id} could not be found`);
    return out.UserName;
  };
  const keyStatus = async (c: Calls, user: string, id: string): Promise<string> => {
    const out = await c.send<ListAccessKeysCommand, { AccessKeyMetadata?: Array<{ AccessKeyId?: string; Status?: string }> }>(iam, 'iam:ListAccessKeys', { UserName: user }, new ListAccessKeysCommand({ UserName: user, MaxItems: 100 }));
    const k = out.AccessKeyMetadata?.find((m) => m.AccessKeyId === id);
    if (!k) throw new Skip(`access key ${id} no longer exists (user ${user})`);
    return k.Status ?? 'unknown';
  };
  const attachedPolicies = async (c: Calls, t: string, name: string): Promise<string[]> => {
    const out =
      t === 'user'
        ? await c.send<ListAttachedUserPoliciesCommand, { AttachedPolicies?: Array<{ PolicyArn?: string }> }>(iam, 'iam:ListAttachedUserPolicies', { UserName: name }, new ListAttachedUserPoliciesCommand({ UserName: name, MaxItems: 1000 }))
        : t === 'role'
          ? await c.send<ListAttachedRolePoliciesCommand, { AttachedPolicies?: Array<{ PolicyArn?: string }> }>(iam, 'iam:ListAttachedRolePolicies', { RoleName: name }, new ListAttachedRolePoliciesCommand({ RoleName: name, MaxItems: 1000 }))
          : await c.send<ListAttachedGroupPoliciesCommand, { AttachedPolicies?: Array<{ PolicyArn?: string }> }>(iam, 'iam:ListAttachedGroupPolicies', { GroupName: name }, new ListAttachedGroupPoliciesCommand({ GroupName: name, MaxItems: 1000 }));
    return (out.AttachedPolicies ?? []).flatMap((x) => (x.PolicyArn !== undefined ? [x.PolicyArn] : []));
  };
  const attachOrDetach = async (c: Calls, t: string, name: string, arn: string, attach: boolean): Promise<void> => {
    const api = `iam:${attach ? 'Attach' : 'Detach'}${t === 'user' ? 'User' : t === 'role' ? 'Role' : 'Group'}Policy`;
    if (t === 'user') await c.send(iam, api, { UserName: name, PolicyArn: arn }, attach ? new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }) : new DetachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
    else if (t === 'role') await c.send(iam, api, { RoleName: name, PolicyArn: arn }, attach ? new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }) : new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
    else await c.send(iam, api, { GroupName: name, PolicyArn: arn }, attach ? new AttachGroupPolicyCommand({ GroupName: name, PolicyArn: arn }) : new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: arn }));
  };
  const getBpa = async (c: Calls, bucket: string): Promise<PublicAccessBlockConfiguration | null> => {
    try {
      const out = await c.send<GetPublicAccessBlockCommand, { PublicAccessBlockConfiguration?: PublicAccessBlockConfiguration }>(s3, 's3:GetPublicAccessBlock', { Bucket: bucket }, new GetPublicAccessBlockCommand({ Bucket: bucket }));
      return out.PublicAccessBlockConfiguration ?? null;
    } catch (err) {
      if (toAwsApiError(err, 's3:GetPublicAccessBlock', homeRegion).code === 'NoSuchPublicAccessBlockConfiguration') {
        c.made[c.made.length - 1]!.ok = true; // "none configured" is an answer, not a failure
        return null;
      }
      throw err;
    }
  };
  const getPolicy = async (c: Calls, bucket: string): Promise<string | null> => {
    try {
      const out = await c.send<GetBucketPolicyCommand, { Policy?: string }>(s3, 's3:GetBucketPolicy', { Bucket: bucket }, new GetBucketPolicyCommand({ Bucket: bucket }));
      return out.Policy ?? null;
    } catch (err) {
      if (toAwsApiError(err, 's3:GetBucketPolicy', homeRegion).code === 'NoSuchBucketPolicy') {
        c.made[c.made.length - 1]!.ok = true;
        return null;
      }
      throw err;
    }
  };
  const trustPolicy = async (c: Calls, role: string): Promise<string> => {
    const out = await c.send<GetRoleCommand, { Role?: { AssumeRolePolicyDocument?: string } }>(iam, 'iam:GetRole', { RoleName: role }, new GetRoleCommand({ RoleName: role }));
    const doc = out.Role?.AssumeRolePolicyDocument;
    if (doc === undefined) throw new Skip(`role ${role} has no trust policy`);
    // IAM returns policy documents URL-encoded (RFC 3986).
    return /^%7B/i.test(doc) ? decodeURIComponent(doc) : doc;
  };
  const putTrust = (c: Calls, role: string, doc: string): Promise<unknown> =>
    c.send(iam, 'iam:UpdateAssumeRolePolicy', { RoleName: role, PolicyDocument: JSON.parse(doc) as unknown }, new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: doc }));
  const trailLogging = async (c: Calls, s: RunnableStep, name: string): Promise<boolean> => {
    const out = await c.send<GetTrailStatusCommand, { IsLogging?: boolean }>(ct(region(s)), 'cloudtrail:GetTrailStatus', { Name: name }, new GetTrailStatusCommand({ Name: name }));
    return out.IsLogging === true;
  };

  /** Remove from a policy the statements equal to the threat's (same content), or granting the same foreign principals. */
  const withoutThreatStatements = (policy: string, threat: Rec[], account: string | null): { kept: unknown[]; removed: unknown[] } => {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    const st = Array.isArray(doc.Statement) ? (doc.Statement as unknown[]) : doc.Statement !== undefined ? [doc.Statement] : [];
    const threatSet = new Set(threat.map((t) => JSON.stringify(canonical(t))));
    const threatPrincipals = new Set(threat.flatMap((t) => foreignPrincipals(t, account ?? undefined)));
    const kept: unknown[] = [];
    const removed: unknown[] = [];
    for (const s of st) {
      const o = (s !== null && typeof s === 'object' ? s : {}) as Rec;
      const same = threatSet.has(JSON.stringify(canonical(o)));
      const grants = o.Effect === 'Allow' && foreignPrincipals(o, account ?? undefined).some((x) => threatPrincipals.has(x));
      (same || grants ? removed : kept).push(s);
    }
    return { kept, removed };
  };

  const run = (s: RunnableStep, fn: (c: Calls, setBefore: (b: unknown) => void) => Promise<{ after: unknown }>): Promise<StepOutcome> => runStep(new Calls(region(s)), fn, outcomeOfError);

  const execute = (s: RunnableStep): Promise<StepOutcome> =>
    run(s, async (c, setBefore) => {
      switch (s.kind) {
        case 'deactivate-access-key': {
          const id = p(s, 'accessKeyId');
          const user = await keyUser(c, s);
          const status = await keyStatus(c, user, id);
          setBefore({ user, access_key_id: id, status });
          if (status !== 'Active') throw new Skip(`access key ${id} is already ${status}: the state changed since the evidence (nothing done)`);
          await c.send(iam, 'iam:UpdateAccessKey', { UserName: user, AccessKeyId: id, Status: 'Inactive' }, new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id, Status: 'Inactive' }));
          return { after: { user, access_key_id: id, status: await keyStatus(c, user, id) } };
        }
        case 'revoke-role-sessions': {
          const role = p(s, 'roleName');
          const name = p(s, 'policyName');
          await c.send(iam, 'iam:GetRole', { RoleName: role }, new GetRoleCommand({ RoleName: role }));
          let exists = false;
          try {
            await c.send(iam, 'iam:GetRolePolicy', { RoleName: role, PolicyName: name }, new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
            exists = true;
          } catch (err) {
            if (toAwsApiError(err, 'iam:GetRolePolicy', homeRegion).code !== 'NoSuchEntity') throw err;
            c.made[c.made.length - 1]!.ok = true;
          }
          setBefore({ role, inline_policy: exists ? name : null });
          if (exists) throw new Skip(`role ${role} already has the inline policy ${name}`);
          const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': opts.now().toISOString() } } }] };
          await c.send(iam, 'iam:PutRolePolicy', { RoleName: role, PolicyName: name, PolicyDocument: doc }, new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify(doc) }));
          return { after: { role, inline_policy: name, document: doc } };
        }
        case 'disable-console-login': {
          const user = p(s, 'userName');
          let profile: unknown;
          try {
            const out = await c.send<GetLoginProfileCommand, { LoginProfile?: { CreateDate?: Date; PasswordResetRequired?: boolean } }>(iam, 'iam:GetLoginProfile', { UserName: user }, new GetLoginProfileCommand({ UserName: user }));
            profile = { created: out.LoginProfile?.CreateDate?.toISOString() ?? null, password_reset_required: out.LoginProfile?.PasswordResetRequired ?? null };
          } catch (err) {
            if (toAwsApiError(err, 'iam:GetLoginProfile', homeRegion).code === 'NoSuchEntity') throw new Skip(`user ${user} has no console login profile (or is gone): nothing to disable`);
            throw err;
          }
          setBefore({ user, login_profile: profile });
          await c.send(iam, 'iam:DeleteLoginProfile', { UserName: user }, new DeleteLoginProfileCommand({ UserName: user }));
          return { after: { user, login_profile: null } };
        }
        case 'detach-policy': {
          const t = p(s, 'principalType');
          const name = p(s, 'name');
          const arn = p(s, 'policyArn');
          const policies = await attachedPolicies(c, t, name);
          setBefore({ principal_type: t, name, attached: policies });
          if (!policies.includes(arn)) throw new Skip(`${arn} is not attached to ${t} ${name} (any more): the state changed since the evidence`);
          await attachOrDetach(c, t, name, arn, false);
          return { after: { principal_type: t, name, attached: await attachedPolicies(c, t, name) } };
        }
        case 'snapshot-volumes': {
          const inst = await describeInstance(c, s);
          const vols = (inst.BlockDeviceMappings ?? []).flatMap((b) => (b.Ebs?.VolumeId !== undefined ? [{ device: b.DeviceName ?? null, volume_id: b.Ebs.VolumeId }] : []));
          setBefore({ instance_id: inst.InstanceId, state: inst.State?.Name ?? null, volumes: vols });
          if (vols.length === 0) throw new Skip(`instance ${String(inst.InstanceId)} has no EBS volume to snapshot (instance store only): preserve its memory and disks by other means`);
          const snaps: Array<{ volume_id: string; device: string | null; snapshot_id: string | null; state: string | null }> = [];
          for (const v of vols) {
            const tags = [
              { Key: 'irctl:case', Value: opts.case_id },
              { Key: 'irctl:threat', Value: opts.threat_id },
              { Key: 'irctl:instance', Value: String(inst.InstanceId) },
            ];
            const params = { VolumeId: v.volume_id, Description: `irctl ${opts.threat_id} ${String(inst.InstanceId)} ${v.device ?? ''}`.trim(), TagSpecifications: [{ ResourceType: 'snapshot' as const, Tags: tags }] };
            const out = await c.send<CreateSnapshotCommand, { SnapshotId?: string; State?: string }>(ec2(region(s)), 'ec2:CreateSnapshot', params, new CreateSnapshotCommand(params));
            snaps.push({ volume_id: v.volume_id, device: v.device, snapshot_id: out.SnapshotId ?? null, state: out.State ?? null });
          }
          return { after: { instance_id: inst.InstanceId, snapshots: snaps } };
        }
        case 'capture-instance-metadata': {
          const inst = await describeInstance(c, s);
          const id = String(inst.InstanceId);
          setBefore({ instance_id: id, state: inst.State?.Name ?? null });
          const console = await c.send<GetConsoleOutputCommand, { Output?: string; Timestamp?: Date }>(ec2(region(s)), 'ec2:GetConsoleOutput', { InstanceId: id, Latest: true }, new GetConsoleOutputCommand({ InstanceId: id, Latest: true }));
          const ud = await c.send<DescribeInstanceAttributeCommand, { UserData?: { Value?: string } }>(ec2(region(s)), 'ec2:DescribeInstanceAttribute', { InstanceId: id, Attribute: 'userData' }, new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }));
          return {
            after: {
              instance: JSON.parse(JSON.stringify(inst)) as unknown,
              console_output_base64: console.Output ?? null,
              console_output_time: console.Timestamp?.toISOString() ?? null,
              user_data_base64: ud.UserData?.Value ?? null,
            },
          };
        }
        case 'protect-instance': {
          const inst = await describeInstance(c, s);
          const id = String(inst.InstanceId);
          const prev = await protection(c, s);
          setBefore({ instance_id: id, disable_api_termination: prev.termination, disable_api_stop: prev.stop });
          await c.send(ec2(region(s)), 'ec2:ModifyInstanceAttribute', { InstanceId: id, DisableApiTermination: { Value: true } }, new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: true } }));
          if (prev.stop !== null) await c.send(ec2(region(s)), 'ec2:ModifyInstanceAttribute', { InstanceId: id, DisableApiStop: { Value: true } }, new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiStop: { Value: true } }));
          const now = await protection(c, s);
          return { after: { instance_id: id, disable_api_termination: now.termination, disable_api_stop: now.stop } };
        }
        case 'detach-from-auto-scaling': {
          const id = String((await describeInstance(c, s)).InstanceId);
          const g = await groupOf(c, s);
          setBefore({ instance_id: id, auto_scaling_group: g?.group ?? null, lifecycle_state: g?.lifecycle ?? null });
          // Not in a group: the step's aim (no group acts on the instance while it is isolated) already holds.
          if (!g) return { after: { instance_id: id, auto_scaling_group: null, note: 'not in an Auto Scaling group: nothing to detach' } };
          if (g.lifecycle !== null && !/^InService$|^Standby$/.test(g.lifecycle)) throw new Skip(`instance ${id} is ${g.lifecycle} in Auto Scaling group ${g.group}: detach it by hand once the lifecycle action ends`);
          await c.send(asg(region(s)), 'autoscaling:DetachInstances', { InstanceIds: [id], AutoScalingGroupName: g.group, ShouldDecrementDesiredCapacity: false }, new DetachInstancesCommand({ InstanceIds: [id], AutoScalingGroupName: g.group, ShouldDecrementDesiredCapacity: false }));
          return { after: { instance_id: id, auto_scaling_group: (await groupOf(c, s))?.group ?? null, detached_from: g.group } };
        }
        case 'deregister-from-target-groups': {
          const inst = await describeInstance(c, s);
          const id = String(inst.InstanceId);
          const regs = await registrations(c, s, inst.VpcId);
          setBefore({ instance_id: id, registrations: regs });
          if (regs.length === 0) return { after: { instance_id: id, registrations: [], note: 'not registered in any target group: nothing to deregister' } };
          for (const arn of [...new Set(regs.map((r) => r.target_group))]) {
            const t = targets(id, regs.filter((r) => r.target_group === arn));
            await c.send(elb(region(s)), 'elbv2:DeregisterTargets', { TargetGroupArn: arn, Targets: t }, new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: t }));
          }
          return { after: { instance_id: id, registrations: await registrations(c, s, inst.VpcId) } };
        }
        case 'isolate-instance': {
          const inst = await describeInstance(c, s);
          const id = String(inst.InstanceId);
          const enis = eniGroups(inst);
          setBefore({ instance_id: id, vpc_id: inst.VpcId ?? null, interfaces: enis });
          if (enis.length === 0) throw new Skip(`instance ${id} has no network interface`);
          if (inst.VpcId === undefined) throw new Skip(`instance ${id} is not in a VPC (EC2-Classic): isolate it by hand`);
          const sg = await isolationGroup(c, region(s), inst.VpcId);
          if (enis.every((e) => e.groups.length === 1 && e.groups[0] === sg)) throw new Skip(`instance ${id} is already isolated in ${sg}`);
          for (const e of enis) {
            await c.send(ec2(region(s)), 'ec2:ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: e.eni, Groups: [sg] }, new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: e.eni, Groups: [sg] }));
          }
          const now = await describeInstance(c, s);
          return { after: { instance_id: id, isolation_group: sg, interfaces: eniGroups(now) } };
        }
        case 's3-block-public-access': {
          const bucket = p(s, 'bucket');
          const prev = await getBpa(c, bucket);
          setBefore({ bucket, public_access_block: prev });
          const all = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
          if (prev && Object.entries(all).every(([k, v]) => prev[k as keyof PublicAccessBlockConfiguration] === v)) throw new Skip(`bucket ${bucket} already blocks all public access`);
          await c.send(s3, 's3:PutPublicAccessBlock', { Bucket: bucket, PublicAccessBlockConfiguration: all }, new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: all }));
          return { after: { bucket, public_access_block: await getBpa(c, bucket) } };
        }
        case 's3-remove-policy-principals': {
          const bucket = p(s, 'bucket');
          const policy = await getPolicy(c, bucket);
          setBefore({ bucket, policy });
          if (policy === null) throw new Skip(`bucket ${bucket} has no policy any more: the state changed since the evidence`);
          const threat = Array.isArray(s.params.statements) ? (s.params.statements as Rec[]) : [];
          const account = typeof s.params.account === 'string' ? s.params.account : null;
          const { kept, removed } = withoutThreatStatements(policy, threat, account);
          if (removed.length === 0) throw new Skip(`the policy of ${bucket} no longer holds a statement the threat added: the state changed since the evidence`);
          if (kept.length === 0) await c.send(s3, 's3:DeleteBucketPolicy', { Bucket: bucket }, new DeleteBucketPolicyCommand({ Bucket: bucket }));
          else {
            const doc = { ...(JSON.parse(policy) as Rec), Statement: kept };
            await c.send(s3, 's3:PutBucketPolicy', { Bucket: bucket, Policy: doc }, new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(doc) }));
          }
          return { after: { bucket, policy: await getPolicy(c, bucket), removed } };
        }
        case 'remove-trust-principals': {
          const role = p(s, 'roleName');
          const policy = await trustPolicy(c, role);
          setBefore({ role, trust_policy: policy });
          const threat = Array.isArray(s.params.statements) ? (s.params.statements as Rec[]) : [];
          const { kept, removed } = withoutThreatStatements(policy, threat, typeof s.params.account === 'string' ? s.params.account : null);
          if (removed.length === 0) throw new Skip(`the trust policy of ${role} no longer holds a statement the threat added: the state changed since the evidence`);
          // A role must keep a trust policy: when nothing is left, nobody may assume it.
          const rest = kept.length > 0 ? kept : [{ Sid: 'IrctlDenyAll', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }];
          await putTrust(c, role, JSON.stringify({ ...(JSON.parse(policy) as Rec), Statement: rest }));
          return { after: { role, trust_policy: await trustPolicy(c, role), removed } };
        }
        case 'cloudtrail-start-logging': {
          const name = p(s, 'name');
          const logging = await trailLogging(c, s, name);
          setBefore({ trail: name, is_logging: logging });
          if (logging) throw new Skip(`trail ${name} is already logging`);
          await c.send(ct(region(s)), 'cloudtrail:StartLogging', { Name: name }, new StartLoggingCommand({ Name: name }));
          return { after: { trail: name, is_logging: await trailLogging(c, s, name) } };
        }
        default:
          throw new Skip(`step kind ${s.kind} is not known to this irctl`);
      }
    });

  /** The Auto Scaling group of an instance, or null. */
  const groupOf = async (c: Calls, s: RunnableStep): Promise<{ group: string; lifecycle: string | null } | null> => {
    const id = p(s, 'instanceId');
    const out = await c.send<DescribeAutoScalingInstancesCommand, { AutoScalingInstances?: Array<{ InstanceId?: string; AutoScalingGroupName?: string; LifecycleState?: string }> }>(
      asg(region(s)),
      'autoscaling:DescribeAutoScalingInstances',
      { InstanceIds: [id] },
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] }),
    );
    const hit = out.AutoScalingInstances?.find((x) => x.InstanceId === id && x.AutoScalingGroupName !== undefined);
    return hit ? { group: hit.AutoScalingGroupName!, lifecycle: hit.LifecycleState ?? null } : null;
  };
  /** The instance-type target groups of the instance's VPC that hold it, with the ports it is registered on. */
  const registrations = async (c: Calls, s: RunnableStep, vpc: string | undefined): Promise<Array<{ target_group: string; port: number | null }>> => {
    const id = p(s, 'instanceId');
    const groups: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 100; page++) {
      const out = await c.send<DescribeTargetGroupsCommand, { TargetGroups?: Array<{ TargetGroupArn?: string; TargetType?: string; VpcId?: string }>; NextMarker?: string }>(
        elb(region(s)),
        'elbv2:DescribeTargetGroups',
        marker !== undefined ? { Marker: marker } : {},
        new DescribeTargetGroupsCommand({ PageSize: 400, ...(marker !== undefined ? { Marker: marker } : {}) }),
      );
      for (const g of out.TargetGroups ?? []) if (g.TargetGroupArn !== undefined && (g.TargetType ?? 'instance') === 'instance' && (vpc === undefined || g.VpcId === vpc)) groups.push(g.TargetGroupArn);
      marker = out.NextMarker;
      if (marker === undefined) break;
    }
    const regs: Array<{ target_group: string; port: number | null }> = [];
    for (const arn of groups) {
      const h = await c.send<DescribeTargetHealthCommand, { TargetHealthDescriptions?: Array<{ Target?: { Id?: string; Port?: number }; TargetHealth?: { State?: string } }> }>(
        elb(region(s)),
        'elbv2:DescribeTargetHealth',
        { TargetGroupArn: arn },
        new DescribeTargetHealthCommand({ TargetGroupArn: arn }),
      );
      for (const d of h.TargetHealthDescriptions ?? []) {
        if (d.Target?.Id === id && d.TargetHealth?.State !== 'unused' && d.TargetHealth?.State !== 'draining') regs.push({ target_group: arn, port: d.Target.Port ?? null });
      }
    }
    return regs;
  };
  const targets = (id: string, regs: Array<{ port: number | null }>) => regs.map((r) => ({ Id: id, ...(r.port !== null ? { Port: r.port } : {}) }));

  /** The isolation group of a VPC: reused when it exists, else made with no ingress and its default egress revoked. */
  const isolationGroup = async (c: Calls, r: string, vpc: string): Promise<string> => {
    const name = `irctl-isolation-${vpc}`;
    const found = await c.send<DescribeSecurityGroupsCommand, { SecurityGroups?: Array<{ GroupId?: string; IpPermissions?: unknown[]; IpPermissionsEgress?: unknown[] }> }>(
      ec2(r),
      'ec2:DescribeSecurityGroups',
      { Filters: [{ Name: 'group-name', Values: [name] }, { Name: 'vpc-id', Values: [vpc] }] },
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }, { Name: 'vpc-id', Values: [vpc] }] }),
    );
    let g = found.SecurityGroups?.[0];
    let id = g?.GroupId;
    if (id === undefined) {
      const made = await c.send<CreateSecurityGroupCommand, { GroupId?: string }>(ec2(r), 'ec2:CreateSecurityGroup', { GroupName: name, Description: 'irctl isolation: no ingress, no egress', VpcId: vpc }, new CreateSecurityGroupCommand({ GroupName: name, Description: 'irctl isolation: no ingress, no egress', VpcId: vpc }));
      id = made.GroupId;
      if (id === undefined) throw new Error('CreateSecurityGroup returned no group id');
      const again = await c.send<DescribeSecurityGroupsCommand, { SecurityGroups?: Array<{ GroupId?: string; IpPermissions?: unknown[]; IpPermissionsEgress?: unknown[] }> }>(ec2(r), 'ec2:DescribeSecurityGroups', { GroupIds: [id] }, new DescribeSecurityGroupsCommand({ GroupIds: [id] }));
      g = again.SecurityGroups?.[0];
    }
    const egress = (g?.IpPermissionsEgress ?? []) as NonNullable<ConstructorParameters<typeof RevokeSecurityGroupEgressCommand>[0]['IpPermissions']>;
    if (egress.length > 0) await c.send(ec2(r), 'ec2:RevokeSecurityGroupEgress', { GroupId: id, IpPermissions: egress }, new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: egress }));
    if ((g?.IpPermissions ?? []).length > 0) throw new Skip(`security group ${name} (${id}) has ingress rules someone added: it is not an isolation group any more; remove them or delete the group`);
    return id;
  };

  const rollback = (s: RunnableStep, before: unknown): Promise<StepOutcome> =>
    run(s, async (c, setBefore) => {
      const b = (before !== null && typeof before === 'object' ? before : {}) as Rec;
      switch (s.kind) {
        case 'deactivate-access-key': {
          const user = String(b.user);
          const id = p(s, 'accessKeyId');
          setBefore({ user, access_key_id: id, status: await keyStatus(c, user, id) });
          const restore = b.status === 'Inactive' ? 'Inactive' : 'Active';
          await c.send(iam, 'iam:UpdateAccessKey', { UserName: user, AccessKeyId: id, Status: restore }, new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id, Status: restore }));
          return { after: { user, access_key_id: id, status: await keyStatus(c, user, id) } };
        }
        case 'revoke-role-sessions': {
          const role = p(s, 'roleName');
          const name = p(s, 'policyName');
          await c.send(iam, 'iam:DeleteRolePolicy', { RoleName: role, PolicyName: name }, new DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
          return { after: { role, inline_policy: null } };
        }
        case 'detach-policy': {
          const t = p(s, 'principalType');
          const name = p(s, 'name');
          const arn = p(s, 'policyArn');
          await attachOrDetach(c, t, name, arn, true);
          return { after: { principal_type: t, name, attached: await attachedPolicies(c, t, name) } };
        }
        case 'protect-instance': {
          const id = p(s, 'instanceId');
          await c.send(ec2(region(s)), 'ec2:ModifyInstanceAttribute', { InstanceId: id, DisableApiTermination: { Value: b.disable_api_termination === true } }, new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: b.disable_api_termination === true } }));
          if (typeof b.disable_api_stop === 'boolean') await c.send(ec2(region(s)), 'ec2:ModifyInstanceAttribute', { InstanceId: id, DisableApiStop: { Value: b.disable_api_stop } }, new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiStop: { Value: b.disable_api_stop } }));
          const now = await protection(c, s);
          return { after: { instance_id: id, disable_api_termination: now.termination, disable_api_stop: now.stop } };
        }
        case 'detach-from-auto-scaling': {
          const group = typeof b.auto_scaling_group === 'string' ? b.auto_scaling_group : null;
          if (group === null) return { after: { note: 'the instance was not in an Auto Scaling group: nothing to restore' } };
          const now = await groupOf(c, s);
          setBefore({ auto_scaling_group: now?.group ?? null });
          if (now) throw new Skip(`instance ${p(s, 'instanceId')} is in Auto Scaling group ${now.group} already`);
          await c.send(asg(region(s)), 'autoscaling:AttachInstances', { InstanceIds: [p(s, 'instanceId')], AutoScalingGroupName: group }, new AttachInstancesCommand({ InstanceIds: [p(s, 'instanceId')], AutoScalingGroupName: group }));
          return { after: { auto_scaling_group: (await groupOf(c, s))?.group ?? null } };
        }
        case 'deregister-from-target-groups': {
          const id = p(s, 'instanceId');
          const regs = (Array.isArray(b.registrations) ? b.registrations : []) as Array<{ target_group: string; port: number | null }>;
          if (regs.length === 0) return { after: { note: 'the instance was not registered in any target group: nothing to restore' } };
          for (const arn of [...new Set(regs.map((r) => r.target_group))]) {
            const t = targets(id, regs.filter((r) => r.target_group === arn));
            await c.send(elb(region(s)), 'elbv2:RegisterTargets', { TargetGroupArn: arn, Targets: t }, new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: t }));
          }
          return { after: { instance_id: id, registrations: await registrations(c, s, (await describeInstance(c, s)).VpcId) } };
        }
        case 'isolate-instance': {
          const enis = Array.isArray(b.interfaces) ? (b.interfaces as Array<{ eni: string; groups: string[] }>) : [];
          for (const e of enis) {
            await c.send(ec2(region(s)), 'ec2:ModifyNetworkInterfaceAttribute', { NetworkInterfaceId: e.eni, Groups: e.groups }, new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: e.eni, Groups: e.groups }));
          }
          const now = await describeInstance(c, s);
          return { after: { instance_id: now.InstanceId, interfaces: eniGroups(now) } };
        }
        case 's3-block-public-access': {
          const bucket = p(s, 'bucket');
          const prev = b.public_access_block as PublicAccessBlockConfiguration | null | undefined;
          if (prev) await c.send(s3, 's3:PutPublicAccessBlock', { Bucket: bucket, PublicAccessBlockConfiguration: prev }, new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: prev }));
          else await c.send(s3, 's3:DeletePublicAccessBlock', { Bucket: bucket }, new DeletePublicAccessBlockCommand({ Bucket: bucket }));
          return { after: { bucket, public_access_block: await getBpa(c, bucket) } };
        }
        case 's3-remove-policy-principals': {
          const bucket = p(s, 'bucket');
          const policy = typeof b.policy === 'string' ? b.policy : null;
          if (policy === null) throw new Skip('no recorded policy to restore');
          await c.send(s3, 's3:PutBucketPolicy', { Bucket: bucket, Policy: '<recorded policy>' }, new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
          return { after: { bucket, policy: await getPolicy(c, bucket) } };
        }
        case 'remove-trust-principals': {
          const role = p(s, 'roleName');
          if (typeof b.trust_policy !== 'string') throw new Skip('no recorded trust policy to restore');
          setBefore({ role, trust_policy: await trustPolicy(c, role) });
          await putTrust(c, role, b.trust_policy);
          return { after: { role, trust_policy: await trustPolicy(c, role) } };
        }
        default:
          throw new Skip(`${s.kind} is not reversible`);
      }
    });

  const status = async (s: RunnableStep): Promise<StepLiveStatus> => {
    const c = new Calls(region(s));
    try {
      switch (s.kind) {
        case 'deactivate-access-key': {
          const user = await keyUser(c, s);
          const st = await keyStatus(c, user, p(s, 'accessKeyId'));
          return { in_place: st === 'Inactive', detail: `access key ${String(s.params.accessKeyId)} is ${st}` };
        }
        case 'revoke-role-sessions': {
          try {
            await c.send(iam, 'iam:GetRolePolicy', {}, new GetRolePolicyCommand({ RoleName: p(s, 'roleName'), PolicyName: p(s, 'policyName') }));
            return { in_place: true, detail: `inline policy ${p(s, 'policyName')} is on role ${p(s, 'roleName')}` };
          } catch (err) {
            if (toAwsApiError(err, 'iam:GetRolePolicy', homeRegion).code === 'NoSuchEntity') return { in_place: false, detail: `no inline policy ${p(s, 'policyName')} on role ${p(s, 'roleName')}` };
            throw err;
          }
        }
        case 'disable-console-login':
          try {
            await c.send(iam, 'iam:GetLoginProfile', {}, new GetLoginProfileCommand({ UserName: p(s, 'userName') }));
            return { in_place: false, detail: `user ${p(s, 'userName')} has a console login profile` };
          } catch (err) {
            if (toAwsApiError(err, 'iam:GetLoginProfile', homeRegion).code === 'NoSuchEntity') return { in_place: true, detail: `user ${p(s, 'userName')} has no console login profile` };
            throw err;
          }
        case 'detach-policy': {
          const on = (await attachedPolicies(c, p(s, 'principalType'), p(s, 'name'))).includes(p(s, 'policyArn'));
          return { in_place: !on, detail: `${p(s, 'policyArn')} is ${on ? '' : 'not '}attached to ${p(s, 'principalType')} ${p(s, 'name')}` };
        }
        case 'protect-instance': {
          await describeInstance(c, s);
          const pr = await protection(c, s);
          return { in_place: pr.termination && pr.stop !== false, detail: `termination protection ${pr.termination ? 'on' : 'off'}, stop protection ${pr.stop === null ? 'unknown' : pr.stop ? 'on' : 'off'}` };
        }
        case 'detach-from-auto-scaling': {
          const g = await groupOf(c, s);
          return { in_place: g === null, detail: g ? `in Auto Scaling group ${g.group} (${g.lifecycle ?? '?'})` : 'not in an Auto Scaling group' };
        }
        case 'deregister-from-target-groups': {
          const regs = await registrations(c, s, (await describeInstance(c, s)).VpcId);
          return { in_place: regs.length === 0, detail: regs.length === 0 ? 'not registered in any target group' : `registered in ${regs.map((r) => r.target_group.split('/').slice(-2, -1)[0] ?? r.target_group).join(', ')}` };
        }
        case 'isolate-instance': {
          const inst = await describeInstance(c, s);
          const enis = eniGroups(inst);
          const iso = enis.every((e) => e.groups.length === 1);
          return { in_place: iso ? null : false, detail: enis.map((e) => `${e.eni}: ${e.groups.join(', ')}`).join('; ') };
        }
        case 's3-block-public-access': {
          const b = await getBpa(c, p(s, 'bucket'));
          const on = b !== null && b.BlockPublicAcls === true && b.IgnorePublicAcls === true && b.BlockPublicPolicy === true && b.RestrictPublicBuckets === true;
          return { in_place: on, detail: `Block Public Access ${on ? 'fully on' : 'not fully on'}` };
        }
        case 's3-remove-policy-principals': {
          const policy = await getPolicy(c, p(s, 'bucket'));
          if (policy === null) return { in_place: true, detail: 'the bucket has no policy' };
          const { removed } = withoutThreatStatements(policy, Array.isArray(s.params.statements) ? (s.params.statements as Rec[]) : [], typeof s.params.account === 'string' ? s.params.account : null);
          return { in_place: removed.length === 0, detail: removed.length === 0 ? 'no statement of the threat in the policy' : `${removed.length} statement(s) of the threat in the policy` };
        }
        case 'remove-trust-principals': {
          const { removed } = withoutThreatStatements(await trustPolicy(c, p(s, 'roleName')), Array.isArray(s.params.statements) ? (s.params.statements as Rec[]) : [], typeof s.params.account === 'string' ? s.params.account : null);
          return { in_place: removed.length === 0, detail: removed.length === 0 ? 'no statement of the threat in the trust policy' : `${removed.length} statement(s) of the threat in the trust policy` };
        }
        case 'cloudtrail-start-logging': {
          const on = await trailLogging(c, s, p(s, 'name'));
          return { in_place: on, detail: `trail ${p(s, 'name')} is ${on ? '' : 'not '}logging` };
        }
        case 'snapshot-volumes':
        case 'capture-instance-metadata':
          return { in_place: null, detail: 'preservation step: its copies are listed in the action record' };
        default:
          return { in_place: null, detail: `unknown step kind ${s.kind}` };
      }
    } catch (err) {
      return liveStatusOfFailure(outcomeOfError(err, c, undefined));
    }
  };

  return {
    execute,
    rollback,
    status,
    close: () => {
      iam.destroy();
      s3.destroy();
      for (const c of ec2s.values()) c.destroy();
      for (const c of cts.values()) c.destroy();
      for (const c of asgs.values()) c.destroy();
      for (const c of elbs.values()) c.destroy();
    },
  };
}

