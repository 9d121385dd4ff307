/**
 * `irctl contain` end to end against moto_server (IAM, EC2, S3, CloudTrail) with the real AWS SDK: a threat built from
 * CloudTrail records that name the key, instances, bucket and trail moto created (moto makes its ids at run time, so
 * the records are written here), planned, executed with --approve, the state read back from moto with the SDK (never
 * from irctl's records), rolled back, and the custody chain and bundle verified.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttachInstancesCommand, AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTargetGroupCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudTrailClient, CreateTrailCommand, GetTrailStatusCommand, StartLoggingCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DetachVolumeCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRolePolicyCommand,
  CreateUserCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  UpdateAccessKeyCommand,
  GetRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoStatus, startMoto, type Moto } from '../fakes/moto.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const moto = motoStatus();
if (!moto.available) process.stderr.write(`skipping containment tests: ${moto.reason}\n`);

const ACCOUNT = '123456789012';
// moto does not load AWS managed policies unless asked: a customer managed policy of the same name stands in
const ADMIN = `arn:aws:iam::${ACCOUNT}:policy/AdministratorAccess`;
const PUBLIC_STATEMENT = { Sid: 'pwn', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::victim-data/*' };
const FOREIGN_TRUST = { Sid: 'backdoor', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'sts:AssumeRole' };
const OWN_STATEMENT = { Sid: 'own', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 's3:*', Resource: 'arn:aws:s3:::victim-data/*' };

interface Step {
  id: string;
  kind: string;
  provider: string;
  target: string;
  calls: Array<{ api: string; params: Record<string, unknown> }>;
  reversible: boolean;
  risk: { level: string; breaks: string };
  rollback: unknown;
  evidence_ids: string[];
  status: string;
  reason?: string | null;
  action_id?: number | null;
  request_ids?: string[];
}
interface Plan {
  threat_id: string;
  verdict: string | null;
  steps: Step[];
  notes: string[];
}

describe.skipIf(!moto.available)('irctl contain with moto_server', () => {
  let m: Moto;
  let env: NodeJS.ProcessEnv;
  let iam: IAMClient;
  let ec2: EC2Client;
  let s3: S3Client;
  let ct: CloudTrailClient;
  let asg: AutoScalingClient;
  let elb: ElasticLoadBalancingV2Client;
  let tg = '';
  let dir: string;
  let cleanup: () => void;
  let kase: string;
  let threat = '';
  let keyId = '';
  let web = '';
  let bare = '';
  let gone = '';
  let webGroups: string[] = [];
  const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
  const run = (args: string[]) => runIrctl(['--case', kase, ...args], { env });

  beforeAll(async () => {
    m = await startMoto();
    env = { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_ENDPOINT_URL: m.url, AWS_REGION: 'us-east-1' };
    const c = { region: 'us-east-1', endpoint: m.url, credentials: creds };
    iam = new IAMClient(c);
    ec2 = new EC2Client(c);
    s3 = new S3Client({ ...c, forcePathStyle: true });
    ct = new CloudTrailClient(c);
    asg = new AutoScalingClient(c);
    elb = new ElasticLoadBalancingV2Client(c);
    ({ dir, cleanup } = tempDir('irctl-contain-'));
    kase = join(dir, 'case');

    // GIVEN the attacker's IAM user with an access key, a console password and AdministratorAccess it attached itself
    await iam.send(new CreateUserCommand({ UserName: 'mallory' }));
    keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: 'mallory' }))).AccessKey!.AccessKeyId!;
    await iam.send(new CreateLoginProfileCommand({ UserName: 'mallory', Password: 'Hunter2-Hunter2!' }));
    await iam.send(new CreatePolicyCommand({ PolicyName: 'AdministratorAccess', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'mallory', PolicyArn: ADMIN }));
    await iam.send(new CreateRoleCommand({ RoleName: 'ci-deploy', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
    // a role whose trust policy the attacker opened to its own account
    const ec2Trust = { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' };
    await iam.send(new CreateRoleCommand({ RoleName: 'partner-access', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [ec2Trust] }) }));
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'partner-access', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [ec2Trust, FOREIGN_TRUST] }) }));
    // three instances: one to isolate, one without an EBS volume (its snapshot cannot be made), one terminated
    const launch = async () => (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1 }))).Instances![0]!;
    const w = await launch();
    web = w.InstanceId!;
    webGroups = (w.NetworkInterfaces?.[0]?.Groups ?? w.SecurityGroups ?? []).map((g) => g.GroupId!).sort();
    // web is in an Auto Scaling group and behind a load balancer target group (port 8080)
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'web-lc', ImageId: 'ami-12c6146b', InstanceType: 't2.micro' }));
    await asg.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'web-asg', LaunchConfigurationName: 'web-lc', MinSize: 0, MaxSize: 3, DesiredCapacity: 0, AvailabilityZones: [w.Placement?.AvailabilityZone ?? 'us-east-1a'] }));
    await asg.send(new AttachInstancesCommand({ AutoScalingGroupName: 'web-asg', InstanceIds: [web] }));
    tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'web-tg', Protocol: 'HTTP', Port: 80, VpcId: w.VpcId!, TargetType: 'instance' }))).TargetGroups![0]!.TargetGroupArn!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: web, Port: 8080 }] }));
    const b = await launch();
    bare = b.InstanceId!;
    const vol = b.BlockDeviceMappings?.find((x) => x.Ebs?.VolumeId)?.Ebs?.VolumeId;
    if (vol) await ec2.send(new DetachVolumeCommand({ VolumeId: vol, InstanceId: bare, Force: true }));
    gone = (await launch()).InstanceId!;
    // a bucket the attacker made public, and a trail it stopped
    await s3.send(new CreateBucketCommand({ Bucket: 'victim-data' }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'victim-data', Policy: JSON.stringify({ Version: '2012-10-17', Statement: [OWN_STATEMENT, PUBLIC_STATEMENT] }) }));
    await s3.send(new CreateBucketCommand({ Bucket: 'trail-logs' }));
    await ct.send(new CreateTrailCommand({ Name: 'org-trail', S3BucketName: 'trail-logs' }));
    await ct.send(new StartLoggingCommand({ Name: 'org-trail' }));
    await ct.send(new StopLoggingCommand({ Name: 'org-trail' }));

    // AND the CloudTrail records of what it did, naming moto's ids
    const t0 = Date.now() - 60 * 60_000;
    let n = 0;
    const asMallory = { type: 'IAMUser', principalId: 'AIDAMALLORY000000001', arn: `arn:aws:iam::${ACCOUNT}:user/mallory`, accountId: ACCOUNT, accessKeyId: keyId, userName: 'mallory' };
    const rec = (eventSource: string, eventName: string, requestParameters: Record<string, unknown>, responseElements: unknown = null, who: Record<string, unknown> = asMallory) => ({
      eventVersion: '1.09',
      userIdentity: who,
      eventTime: new Date(t0 + ++n * 60_000).toISOString().replace('.000Z', 'Z'),
      eventSource,
      eventName,
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.66',
      userAgent: 'aws-cli/2.15.0',
      requestParameters,
      responseElements,
      requestID: `req-${n}`,
      eventID: `00000000-0000-4000-8000-00000000000${n}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
    });
    const records = [
      rec('iam.amazonaws.com', 'AttachUserPolicy', { userName: 'mallory', policyArn: ADMIN }),
      rec('ec2.amazonaws.com', 'ModifyInstanceAttribute', { instanceId: web, userData: '<sensitiveDataRemoved>' }),
      rec('ec2.amazonaws.com', 'ModifyInstanceAttribute', { instanceId: bare, userData: '<sensitiveDataRemoved>' }),
      rec('ec2.amazonaws.com', 'ModifyInstanceAttribute', { instanceId: gone, userData: '<sensitiveDataRemoved>' }),
      rec('s3.amazonaws.com', 'PutBucketPolicy', { bucketName: 'victim-data', bucketPolicy: { Version: '2012-10-17', Statement: [OWN_STATEMENT, PUBLIC_STATEMENT] }, policy: '' }),
      rec('cloudtrail.amazonaws.com', 'StopLogging', { name: 'org-trail' }),
      rec('iam.amazonaws.com', 'UpdateAssumeRolePolicy', { roleName: 'partner-access', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }, FOREIGN_TRUST] }) }),
    ];
    const file = join(dir, 'trail.json');
    writeFileSync(file, JSON.stringify({ Records: records }));
    expect((await run(['import', file])).code).toBe(0);
    const d = await run(['detect', '--json']);
    expect(d.code, d.stderr).toBe(0);
    const threats = (await run(['threats', '--json'])).json<{ id: string; entities: Array<{ kind: string; value: string }> }>();
    const t = threats.find((x) => x.entities.some((e) => e.value === keyId));
    expect(t, JSON.stringify(threats)).toBeDefined();
    threat = t!.id;
    // the third instance is terminated after the evidence was written: a resource already gone
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
  }, 120_000);

  afterAll(async () => {
    for (const c of [iam, ec2, s3, ct, asg, elb]) c?.destroy();
    await m?.stop();
    cleanup?.();
  });

  const keyStatus = async () => (await iam.send(new ListAccessKeysCommand({ UserName: 'mallory' }))).AccessKeyMetadata!.find((k) => k.AccessKeyId === keyId)!.Status;
  const attached = async () => (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'mallory' }))).AttachedPolicies!.map((p) => p.PolicyArn);
  const eniGroups = async (id: string) => {
    const i = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    return i.NetworkInterfaces!.map((n) => n.Groups!.map((g) => g.GroupId!).sort());
  };
  const termination = async (id: string) => (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination' }))).DisableApiTermination?.Value;
  const stopProtection = async (id: string) => (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiStop' }))).DisableApiStop?.Value;
  const policy = async () => JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: 'victim-data' }))).Policy!) as { Statement: Array<{ Sid?: string }> };
  const logging = async () => (await ct.send(new GetTrailStatusCommand({ Name: 'org-trail' }))).IsLogging;
  const trustSids = async () => (JSON.parse(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'partner-access' }))).Role!.AssumeRolePolicyDocument!)) as { Statement: Array<{ Sid?: string; Principal: unknown }> }).Statement.map((x) => x.Sid ?? JSON.stringify(x.Principal));
  const webGroup = async () => (await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [web] }))).AutoScalingInstances?.find((x) => x.InstanceId === web)?.AutoScalingGroupName ?? null;
  const webTargets = async () => ((await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? []).filter((d) => d.Target?.Id === web).map((d) => d.Target?.Port);

  it('plans from the threat evidence (dry run: nothing changes) and refuses to execute without a verdict', async () => {
    // WHEN the dry run is asked for, before any investigation
    const r = await run(['--json', 'contain', threat]);
    // THEN one JSON object with the contract's fields, naming moto's real identifiers
    expect(r.code, r.stderr).toBe(0);
    const plan = r.json<Plan>()[0]!;
    expect(plan).toMatchObject({ threat_id: threat, verdict: null });
    const kinds = plan.steps.map((s) => `${s.kind} ${s.target}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        `deactivate-access-key ${keyId}`,
        'disable-console-login mallory',
        `detach-policy ${ADMIN} from user mallory`,
        `snapshot-volumes ${web}`,
        `isolate-instance ${web}`,
        'cloudtrail-start-logging org-trail',
        's3-block-public-access arn:aws:s3:::victim-data',
        's3-remove-policy-principals arn:aws:s3:::victim-data',
      ]),
    );
    for (const s of plan.steps) {
      expect(s).toMatchObject({ provider: 'aws', status: 'planned' });
      expect(s.id).toMatch(/^S\d+$/);
      expect(s.calls.length).toBeGreaterThan(0);
      expect(s.evidence_ids.length).toBeGreaterThan(0);
      expect(typeof s.reversible).toBe('boolean');
    }
    // preserve before isolate, per instance
    const pos = (kind: string, target: string) => plan.steps.findIndex((s) => s.kind === kind && s.target === target);
    expect(pos('snapshot-volumes', web)).toBeLessThan(pos('isolate-instance', web));
    expect(pos('capture-instance-metadata', web)).toBeLessThan(pos('protect-instance', web));
    // AND nothing changed in the cloud
    expect(await keyStatus()).toBe('Active');
    expect(await logging()).toBe(false);
    // AND --execute is refused without a recorded investigation or verdict (exit 2, the hint says what to do)
    const x = await run(['contain', threat, '--execute', '--approve', 'all']);
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('no recorded investigation');
    expect(await keyStatus()).toBe('Active');
  });

  it('refuses non-malicious verdicts without --force, and unknown step ids', async () => {
    expect((await run(['verdict', threat, '--set', 'planned_action', '--reason', 'change ticket CHG-1 (later found forged)'])).code).toBe(0);
    const x = await run(['contain', threat, '--execute', '--approve', 'all']);
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('planned_action');
    // the analyst's decision outranks: now malicious
    expect((await run(['verdict', threat, '--set', 'malicious', '--reason', 'the change ticket was forged'])).code).toBe(0);
    const u = await run(['contain', threat, '--execute', '--approve', 'S1,S99']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('no step S99');
    const rb = await run(['contain', threat, '--rollback', 'S42']);
    expect(rb.code).toBe(2);
    expect(await keyStatus()).toBe('Active');
  });

  it('executes with --approve: the state read back from moto is contained; evidence first; gone resources skipped', async () => {
    // WHEN every step is approved
    const r = await run(['--json', 'contain', threat, '--execute', '--approve', 'all']);
    // THEN steps for the instance without a volume and the terminated one are skipped (exit 6), the rest done
    expect(r.code, r.stderr).toBe(6);
    const out = r.json<{ steps: Step[]; custody_head: { seq: number } }>()[0]!;
    const by = (kind: string, target: string) => out.steps.find((s) => s.kind === kind && s.target === target)!;
    for (const [k, t] of [
      ['deactivate-access-key', keyId],
      ['disable-console-login', 'mallory'],
      ['detach-policy', `${ADMIN} from user mallory`],
      ['snapshot-volumes', web],
      ['capture-instance-metadata', web],
      ['protect-instance', web],
      ['detach-from-auto-scaling', web],
      ['deregister-from-target-groups', web],
      ['isolate-instance', web],
      ['s3-block-public-access', 'arn:aws:s3:::victim-data'],
      ['s3-remove-policy-principals', 'arn:aws:s3:::victim-data'],
      ['cloudtrail-start-logging', 'org-trail'],
      ['remove-trust-principals', `arn:aws:iam::${ACCOUNT}:role/partner-access`],
    ] as const) {
      expect(by(k, t), `${k} ${t}: ${JSON.stringify(by(k, t))}`).toMatchObject({ status: 'done' });
      expect(by(k, t).request_ids!.length).toBeGreaterThan(0);
    }
    // snapshots were taken before isolation (recorded order), and tagged with case and threat
    expect(by('snapshot-volumes', web).action_id!).toBeLessThan(by('isolate-instance', web).action_id!);
    // detached from the Auto Scaling group (desired capacity kept) and the target group before the isolation
    expect(by('detach-from-auto-scaling', web).action_id!).toBeLessThan(by('isolate-instance', web).action_id!);
    expect(by('deregister-from-target-groups', web).action_id!).toBeLessThan(by('isolate-instance', web).action_id!);
    expect(by('detach-from-auto-scaling', web).calls.at(-1)!.params).toMatchObject({ ShouldDecrementDesiredCapacity: false });
    expect(await webGroup()).toBeNull();
    expect(await trustSids()).toEqual(['{"Service":"ec2.amazonaws.com"}']);
    expect(await webTargets()).toEqual([]);
    // a failing preservation stops the isolation of that instance
    expect(by('snapshot-volumes', bare).status).toBe('skipped');
    expect(by('snapshot-volumes', bare).reason).toContain('no EBS volume');
    expect(by('isolate-instance', bare)).toMatchObject({ status: 'skipped' });
    expect(by('isolate-instance', bare).reason).toContain('not preserved');
    expect(await eniGroups(bare)).not.toEqual([['irctl-isolation']]);
    // a resource already gone is skipped with the reason
    expect(by('snapshot-volumes', gone).status).toBe('skipped');
    expect(by('snapshot-volumes', gone).reason).toMatch(/terminated|shutting-down|gone/);

    // AND moto says so (read with the SDK)
    expect(await keyStatus()).toBe('Inactive');
    await expect(iam.send(new GetLoginProfileCommand({ UserName: 'mallory' }))).rejects.toThrow();
    expect(await attached()).not.toContain(ADMIN);
    const snaps = (await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:irctl:threat', Values: [threat] }] }))).Snapshots!;
    expect(snaps.length).toBeGreaterThan(0);
    expect(snaps[0]!.Tags).toEqual(expect.arrayContaining([expect.objectContaining({ Key: 'irctl:instance', Value: web }), expect.objectContaining({ Key: 'irctl:case' })]));
    const groups = await eniGroups(web);
    expect(groups.every((g) => g.length === 1)).toBe(true);
    const iso = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groups[0]![0]!] }))).SecurityGroups![0]!;
    expect(iso.GroupName).toMatch(/^irctl-isolation-vpc-/);
    expect(iso.IpPermissions ?? []).toEqual([]);
    expect(iso.IpPermissionsEgress ?? []).toEqual([]);
    expect(await termination(web)).toBe(true);
    expect(await stopProtection(web)).toBe(true);
    const bpa = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'victim-data' }))).PublicAccessBlockConfiguration!;
    expect(bpa).toMatchObject({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect((await policy()).Statement.map((s) => s.Sid)).toEqual(['own']);
    expect(await logging()).toBe(true);

    // AND --status re-reads the cloud
    const st = await run(['--json', 'contain', threat, '--status']);
    expect(st.code, st.stderr).toBe(0);
    const live = st.json<{ steps: Array<{ kind: string; target: string; in_place: boolean | null }> }>()[0]!.steps;
    expect(live.find((s) => s.kind === 'deactivate-access-key')!.in_place).toBe(true);
    expect(live.find((s) => s.kind === 'cloudtrail-start-logging')!.in_place).toBe(true);
  });

  it('rolls back reversible steps: moto shows the state restored', async () => {
    const r = await run(['--json', 'contain', threat, '--rollback']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ steps: Step[] }>()[0]!;
    expect(out.steps.length).toBeGreaterThan(0);
    expect(out.steps.every((s) => s.status === 'rolled_back')).toBe(true);
    expect(await keyStatus()).toBe('Active');
    expect(await attached()).toContain(ADMIN);
    expect(await eniGroups(web)).toEqual([webGroups]);
    expect(await termination(web)).toBe(false);
    expect(await stopProtection(web)).toBe(false);
    expect(await webGroup()).toBe('web-asg');
    expect(await trustSids()).toEqual(['{"Service":"ec2.amazonaws.com"}', 'backdoor']);
    expect(await webTargets()).toEqual([8080]);
    await expect(s3.send(new GetPublicAccessBlockCommand({ Bucket: 'victim-data' }))).rejects.toThrow();
    expect((await policy()).Statement.map((s) => s.Sid).sort()).toEqual(['own', 'pwn']);
    // not reversible: the login profile stays deleted, the trail keeps logging
    await expect(iam.send(new GetLoginProfileCommand({ UserName: 'mallory' }))).rejects.toThrow();
    expect(await logging()).toBe(true);
    // the plan shows rolled_back
    const plan = (await run(['--json', 'contain', threat])).json<Plan>()[0]!;
    expect(plan.steps.find((s) => s.kind === 'deactivate-access-key')!.status).toBe('rolled_back');
  });

  it('detects state changed between plan and execute', async () => {
    // GIVEN the key deactivated by someone else after the plan was shown
    const plan = (await run(['--json', 'contain', threat])).json<Plan>()[0]!;
    const key = plan.steps.find((s) => s.kind === 'deactivate-access-key')!;
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'mallory', AccessKeyId: keyId, Status: 'Inactive' }));
    // WHEN the step is executed
    const r = await run(['--json', 'contain', threat, '--execute', '--approve', key.id]);
    // THEN it is skipped with the reason, nothing else ran, and the run exits 6
    expect(r.code).toBe(6);
    const s = r.json<{ steps: Step[] }>()[0]!.steps.find((x) => x.id === key.id)!;
    expect(s.status).toBe('skipped');
    expect(s.reason).toContain('state changed');
    expect(await attached()).toContain(ADMIN);
  });

  it('records every action in the custody chain and the bundle; verify and the report show them', async () => {
    const v = await run(['--json', 'case', 'verify']);
    expect(v.code, v.stdout).toBe(0);
    const out = join(dir, 'contain.bundle.tar.gz');
    const e = await run(['export', threat, '--out', out]);
    expect(e.code, e.stderr).toBe(0);
    const vb = await run(['verify', out]);
    expect(vb.code, vb.stdout).toBe(0);
    expect(vb.stdout).toMatch(/actions\s+\d+ containment action/);
    expect(vb.stdout).toContain(`deactivate-access-key ${keyId}`);
    const rep = await run(['report', threat, '--format', 'md']);
    expect(rep.stdout).toContain('## Actions taken');
    expect(rep.stdout).toContain(`deactivate-access-key ${keyId}`);
    expect(rep.stdout).toContain('### Recommended containment');
    const htmlOut = join(dir, 'contain-report.html');
    expect((await run(['report', threat, '--format', 'html', '--out', htmlOut])).code).toBe(0);
    const html = readFileSync(htmlOut, 'utf8');
    expect(html).toContain('<h3>Recommended containment</h3>');
    expect(html).toContain(`deactivate-access-key ${keyId}`);
  });

  it('revokes the sessions of a role the threat acted through, and rolls it back (the runner against moto)', async () => {
    // The CLI path of this step is the same as the others; its planning from an AssumedRole record is covered by
    // src/respond/aws/plan.test.ts.
    const { awsRunner } = await import('../../src/respond/aws/runner.js');
    const runner = awsRunner({ env, signal: new AbortController().signal, now: () => new Date(), threat_id: 'T-77', case_id: 'case' });
    const step = {
      id: 'S1',
      kind: 'revoke-role-sessions',
      provider: 'aws',
      target: `arn:aws:iam::${ACCOUNT}:role/ci-deploy`,
      resource: 'role/ci-deploy',
      phase: 'contain' as const,
      title: 't',
      calls: [],
      reversible: true,
      risk: { level: 'medium' as const, breaks: '' },
      rollback: null,
      preconditions: [],
      evidence_ids: [],
      params: { roleName: 'ci-deploy', policyName: 'irctl-revoke-sessions-T-77' },
    };
    try {
      const o = await runner.execute(step);
      expect(o.status, o.reason).toBe('done');
      const doc = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'ci-deploy', PolicyName: 'irctl-revoke-sessions-T-77' }))).PolicyDocument!)) as {
        Statement: Array<{ Effect: string; Action: string; Condition: { DateLessThan: Record<string, string> } }>;
      };
      expect(doc.Statement[0]).toMatchObject({ Effect: 'Deny', Action: '*' });
      expect(Date.parse(doc.Statement[0]!.Condition.DateLessThan['aws:TokenIssueTime']!)).toBeGreaterThan(Date.now() - 5 * 60_000);
      // a second run finds the policy in place: skipped, nothing changed
      expect((await runner.execute(step)).status).toBe('skipped');
      expect((await runner.status(step)).in_place).toBe(true);
      expect((await runner.rollback(step, o.before)).status).toBe('done');
      await expect(iam.send(new GetRolePolicyCommand({ RoleName: 'ci-deploy', PolicyName: 'irctl-revoke-sessions-T-77' }))).rejects.toThrow();
    } finally {
      runner.close();
    }
  });
});
