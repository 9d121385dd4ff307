#!/usr/bin/env node
// Generates fixtures/sample-case deterministically: a small AWS account's CloudTrail (S3 log-file layout, gzip)
// with three days of routine activity, a planned IAM clean-up inside a change window, a declared red-team
// exercise, and an intrusion through a leaked access key. Synthetic: every account id, IP, name and key is made up
// (documentation ranges: 203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24).
// Usage: node scripts/make-sample-case.mjs [outDir]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const OUT = process.argv[2] ?? 'fixtures/sample-case';
const ACCOUNT = '111122223333';
const FOREIGN = '999988887777';

// Deterministic PRNG (mulberry32).
let seed = 0x1badc0de;
function rnd() {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const hex = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;

const users = {
  alice: { type: 'IAMUser', principalId: 'AIDAALICEEXAMPLE0001', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, accessKeyId: 'AKIAALICEEXAMPLE0001', userName: 'alice' },
  svcBackup: { type: 'IAMUser', principalId: 'AIDASVCBACKUPEXAMPL1', arn: `arn:aws:iam::${ACCOUNT}:user/svc-backup`, accountId: ACCOUNT, accessKeyId: 'AKIASVCBACKUPLEAKED1', userName: 'svc-backup' },
  redTeam: { type: 'IAMUser', principalId: 'AIDAREDTEAMEXAMPLE01', arn: `arn:aws:iam::${ACCOUNT}:user/red-team-operator`, accountId: ACCOUNT, accessKeyId: 'AKIAREDTEAMEXAMPLE01', userName: 'red-team-operator' },
};
function assumed(role, session, key) {
  return {
    type: 'AssumedRole', principalId: `AROA${role.toUpperCase().replace(/[^A-Z]/g, '').slice(0, 12).padEnd(12, 'X')}:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`, accountId: ACCOUNT, accessKeyId: key,
    sessionContext: { sessionIssuer: { type: 'Role', principalId: `AROA${role.toUpperCase().replace(/[^A-Z]/g, '').slice(0, 12).padEnd(12, 'X')}`, arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, accountId: ACCOUNT, userName: role },
      attributes: { creationDate: '2026-11-18T00:00:00Z', mfaAuthenticated: 'false' } },
  };
}
const ci = assumed('ci-deployer', 'gh-actions-4812', 'ASIACIDEPLOYEREXAMP1');
const tf = assumed('terraform-deploy', 'chg-1042', 'ASIATERRAFORMEXAMP01');

const events = [];
function ev(time, who, source, name, { region = 'us-east-1', ip, ua, req = null, resp = null, error, readOnly, resources, extra } = {}) {
  const e = {
    eventVersion: '1.09',
    userIdentity: who,
    eventTime: time,
    eventSource: `${source}.amazonaws.com`,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: ip,
    userAgent: ua,
    ...(error ? { errorCode: error, errorMessage: `User: ${who.arn} is not authorized to perform: ${source}:${name}` } : {}),
    requestParameters: req,
    responseElements: resp,
    requestID: uuid(),
    eventID: uuid(),
    readOnly: readOnly ?? /^(Get|List|Describe|Head|Lookup)/.test(name),
    ...(resources ? { resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${source}.${region}.amazonaws.com` },
    ...(extra ?? {}),
  };
  events.push(e);
  return e;
}
const t = (day, h, m, s = 0) => new Date(Date.UTC(2026, 10, day, h, m, s)).toISOString().replace('.000Z', 'Z');

// --- Routine activity, 18-20 Nov: alice from the office, CI deploys from its runner. ---
const OFFICE = '198.51.100.24';
const CI_IP = '192.0.2.45';
const CONSOLE_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15';
const CLI_UA = 'aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.ls';
const TF_UA = 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0';
const SDK_UA = 'aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.18.0 api/cloudformation#3.600.0';
for (const day of [17, 18, 19, 20]) {
  ev(t(day, 8, 2), users.alice, 'signin', 'ConsoleLogin', { ip: OFFICE, ua: CONSOLE_UA, resp: { ConsoleLogin: 'Success' }, readOnly: false,
    extra: { additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'Yes' }, eventType: 'AwsConsoleSignIn' } });
  for (let i = 0; i < 22; i++) {
    const name = pick(['DescribeInstances', 'ListBuckets', 'GetBucketLocation', 'DescribeSecurityGroups', 'ListObjectsV2', 'DescribeVolumes']);
    const source = name.includes('Bucket') || name.includes('Object') ? 's3' : 'ec2';
    ev(t(day, 8 + Math.floor(i / 3), (i * 7) % 60, i), users.alice, source, name, { ip: OFFICE, ua: i % 3 === 0 ? CLI_UA : CONSOLE_UA,
      req: source === 's3' ? { bucketName: 'app-assets-prod', Host: 'app-assets-prod.s3.amazonaws.com' } : { maxResults: 1000 } });
  }
  for (let i = 0; i < 24; i++) {
    const name = pick(['DescribeStacks', 'UpdateStack', 'DescribeStackEvents', 'GetTemplate', 'PutObject', 'GetObject']);
    const source = name.includes('Object') ? 's3' : 'cloudformation';
    ev(t(day, 13 + Math.floor(i / 6), (i * 11) % 60, i), ci, source, name, { ip: CI_IP, ua: SDK_UA,
      req: source === 's3' ? { bucketName: 'ci-artifacts', key: `builds/${day}/${i}.zip` } : { stackName: 'web-frontend' } });
  }
  // The backup service account runs nightly from the backup host.
  for (let i = 0; i < 6; i++) {
    ev(t(day, 1, 5 + i * 3), users.svcBackup, i % 2 ? 'ec2' : 's3', i % 2 ? 'CreateSnapshot' : 'PutObject', { ip: '192.0.2.80', ua: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.170.0',
      req: i % 2 ? { volumeId: 'vol-0a1b2c3d4e5f60001', description: 'nightly backup' } : { bucketName: 'backup-archive', key: `db/2026-11-${day}/part-${i}.gz` } });
  }
}

// --- Planned IAM clean-up (CHG-1042), 20 Nov 22:00 - 21 Nov 02:00, by terraform-deploy. ---
const TF_IP = '192.0.2.46';
ev(t(20, 22, 10), tf, 'iam', 'DetachUserPolicy', { ip: TF_IP, ua: TF_UA, req: { userName: 'old-contractor', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
ev(t(20, 22, 11), tf, 'iam', 'DeleteAccessKey', { ip: TF_IP, ua: TF_UA, req: { userName: 'old-contractor', accessKeyId: 'AKIAOLDCONTRACTOR001' } });
ev(t(20, 22, 12), tf, 'iam', 'DeleteLoginProfile', { ip: TF_IP, ua: TF_UA, req: { userName: 'old-contractor' } });
ev(t(20, 22, 13), tf, 'iam', 'DeleteUser', { ip: TF_IP, ua: TF_UA, req: { userName: 'old-contractor' } });
ev(t(20, 22, 20), tf, 'iam', 'CreatePolicyVersion', { ip: TF_IP, ua: TF_UA, req: { policyArn: `arn:aws:iam::${ACCOUNT}:policy/app-readonly`, setAsDefault: true, policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}' } });

// --- Declared red-team exercise (Stratus Red Team), 20 Nov 15:00. ---
const RT_UA = 'stratus-red-team_6a2c1f0e-5a52-4c1b-9a6e-2f4b8a0d7c11';
const RT_IP = '203.0.113.200';
ev(t(20, 15, 0), users.redTeam, 'ec2', 'CreateSnapshot', { ip: RT_IP, ua: RT_UA, req: { volumeId: 'vol-0a1b2c3d4e5f60042' }, resp: { snapshotId: 'snap-0redteam0000000042' } });
ev(t(20, 15, 1), users.redTeam, 'ec2', 'ModifySnapshotAttribute', { ip: RT_IP, ua: RT_UA,
  req: { snapshotId: 'snap-0redteam0000000042', attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [{ userId: '012345678912' }] } } } });
ev(t(20, 15, 3), users.redTeam, 'ec2', 'DeleteSnapshot', { ip: RT_IP, ua: RT_UA, req: { snapshotId: 'snap-0redteam0000000042' } });

// --- The intrusion: svc-backup's key, leaked, used from an unfamiliar VPS on 21 Nov. ---
const ATK = '203.0.113.77';
const ATK_UA = 'aws-cli/2.13.0 Python/3.11.4 Linux/5.15.0-89-generic exe/x86_64.ubuntu.22 prompt/off';
const k = users.svcBackup;
let m = 13;
ev(t(21, 2, m, 5), k, 'sts', 'GetCallerIdentity', { ip: ATK, ua: ATK_UA, readOnly: true });
const recon = ['ListUsers', 'ListRoles', 'ListPolicies', 'ListAttachedUserPolicies', 'GetAccountAuthorizationDetails', 'ListBuckets', 'DescribeInstances',
  'DescribeSecurityGroups', 'ListSecrets', 'DescribeDBInstances', 'ListFunctions20150331', 'DescribeTrails', 'GetTrailStatus', 'ListKeys'];
const reconSrc = { ListBuckets: 's3', DescribeInstances: 'ec2', DescribeSecurityGroups: 'ec2', ListSecrets: 'secretsmanager', DescribeDBInstances: 'rds', ListFunctions20150331: 'lambda', DescribeTrails: 'cloudtrail', GetTrailStatus: 'cloudtrail', ListKeys: 'kms' };
recon.forEach((name, i) => ev(t(21, 2, m + 1 + Math.floor(i / 4), (i * 13) % 60), k, reconSrc[name] ?? 'iam', name, { ip: ATK, ua: ATK_UA,
  ...(name === 'ListUsers' && i === 0 ? {} : {}), ...(name === 'ListRoles' ? { error: undefined } : {}) }));
ev(t(21, 2, 19, 2), k, 'iam', 'CreateUser', { ip: ATK, ua: ATK_UA, req: { userName: 'support-admin' },
  resp: { user: { userName: 'support-admin', userId: 'AIDASUPPORTADMIN0001', arn: `arn:aws:iam::${ACCOUNT}:user/support-admin`, path: '/', createDate: 'Nov 21, 2026 2:19:02 AM' } } });
ev(t(21, 2, 19, 30), k, 'iam', 'AttachUserPolicy', { ip: ATK, ua: ATK_UA, req: { userName: 'support-admin', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
ev(t(21, 2, 20, 1), k, 'iam', 'CreateAccessKey', { ip: ATK, ua: ATK_UA, req: { userName: 'support-admin' },
  resp: { accessKey: { accessKeyId: 'AKIASUPPORTADMIN0001', status: 'Active', userName: 'support-admin', createDate: 'Nov 21, 2026 2:20:01 AM' } } });
ev(t(21, 2, 20, 40), k, 'iam', 'CreateLoginProfile', { ip: ATK, ua: ATK_UA, req: { userName: 'support-admin', passwordResetRequired: false } });

const admin = { type: 'IAMUser', principalId: 'AIDASUPPORTADMIN0001', arn: `arn:aws:iam::${ACCOUNT}:user/support-admin`, accountId: ACCOUNT, accessKeyId: 'AKIASUPPORTADMIN0001', userName: 'support-admin' };
ev(t(21, 2, 24, 10), admin, 'cloudtrail', 'StopLogging', { ip: ATK, ua: ATK_UA, req: { name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/org-trail` } });
ev(t(21, 2, 24, 40), admin, 'guardduty', 'DeleteDetector', { ip: ATK, ua: ATK_UA, req: { detectorId: '12abc34d567e8fa901bc2d34e56789f0' } });
for (const [i, secret] of ['prod/db/master', 'prod/stripe/api-key', 'prod/github/deploy-token'].entries()) {
  ev(t(21, 2, 26, i * 9), admin, 'secretsmanager', 'GetSecretValue', { ip: ATK, ua: ATK_UA, req: { secretId: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${secret}-AbCdEf` } });
}
ev(t(21, 2, 28, 3), admin, 'ec2', 'CreateSnapshot', { ip: ATK, ua: ATK_UA, req: { volumeId: 'vol-0a1b2c3d4e5f60001', description: 'db' }, resp: { snapshotId: 'snap-0a1b2c3d4e5f6a7b8' } });
ev(t(21, 2, 31, 40), admin, 'ec2', 'ModifySnapshotAttribute', { ip: ATK, ua: ATK_UA,
  req: { snapshotId: 'snap-0a1b2c3d4e5f6a7b8', attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [{ userId: FOREIGN }] } } } });
ev(t(21, 2, 33, 12), admin, 's3', 'PutBucketPolicy', { ip: ATK, ua: ATK_UA, req: { bucketName: 'customer-exports',
  bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::customer-exports/*' }] } } });
for (let i = 0; i < 12; i++) {
  ev(t(21, 2, 34 + Math.floor(i / 3), (i * 17) % 60), admin, 's3', 'GetObject', { ip: ATK, ua: ATK_UA, req: { bucketName: 'customer-exports', key: `exports/2026-11/customers-${String(i).padStart(3, '0')}.csv` },
    extra: { eventCategory: 'Data', managementEvent: false, resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::customer-exports/exports/2026-11/customers-${String(i).padStart(3, '0')}.csv` }, { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::customer-exports' }] } });
}
// AI service abuse: model enumeration and invocation in another region.
ev(t(21, 2, 41, 0), admin, 'bedrock', 'ListFoundationModels', { region: 'us-west-2', ip: ATK, ua: ATK_UA });
ev(t(21, 2, 41, 20), admin, 'bedrock', 'GetModelInvocationLoggingConfiguration', { region: 'us-west-2', ip: ATK, ua: ATK_UA });
ev(t(21, 2, 41, 50), admin, 'bedrock', 'DeleteModelInvocationLoggingConfiguration', { region: 'us-west-2', ip: ATK, ua: ATK_UA });
for (let i = 0; i < 5; i++) {
  ev(t(21, 2, 43 + i, 5), admin, 'bedrock', 'InvokeModel', { region: 'us-west-2', ip: ATK, ua: ATK_UA, req: { modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0' }, readOnly: true });
}
// A failed attempt shows the attacker probing beyond the new user's reach.
ev(t(21, 2, 50, 0), k, 'organizations', 'LeaveOrganization', { ip: ATK, ua: ATK_UA, error: 'AccessDenied', readOnly: false });

// Routine morning of 21 Nov continues.
for (let i = 0; i < 10; i++) {
  ev(t(21, 8, 5 + i * 3), users.alice, i % 2 ? 's3' : 'ec2', i % 2 ? 'ListBuckets' : 'DescribeInstances', { ip: OFFICE, ua: CONSOLE_UA });
}

events.sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));

// --- Write the S3 layout: one gzip file per region and hour, as CloudTrail delivers. ---
rmSync(OUT, { recursive: true, force: true });
const groups = new Map();
for (const e of events) {
  const d = e.eventTime;
  const key = `${e.awsRegion}|${d.slice(0, 13)}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(e);
}
let files = 0;
for (const [key, recs] of [...groups.entries()].sort()) {
  const [region, hour] = key.split('|');
  const [date, hh] = hour.split('T');
  const [y, mo, d] = date.split('-');
  const dir = join(OUT, 'logs', 'AWSLogs', ACCOUNT, 'CloudTrail', region, y, mo, d);
  mkdirSync(dir, { recursive: true });
  const name = `${ACCOUNT}_CloudTrail_${region}_${y}${mo}${d}T${hh}00Z_${hex(16)}.json.gz`;
  writeFileSync(join(dir, name), gzipSync(Buffer.from(JSON.stringify({ Records: recs }))));
  files++;
}
// --- And a responder's `aws cloudtrail lookup-events` export of the attack hour: overlaps the S3 files. ---
const lookup = events.filter((e) => e.eventTime.startsWith('2026-11-21T02:2') && e.awsRegion === 'us-east-1').map((e) => ({
  EventId: e.eventID, EventName: e.eventName, ReadOnly: String(e.readOnly), AccessKeyId: e.userIdentity.accessKeyId, EventTime: e.eventTime,
  EventSource: e.eventSource, Username: e.userIdentity.userName, Resources: [], CloudTrailEvent: JSON.stringify(e),
}));
mkdirSync(join(OUT, 'logs', 'responder-exports'), { recursive: true });
writeFileSync(join(OUT, 'logs', 'responder-exports', 'lookup-events-us-east-1-20261121T02.json'), `${JSON.stringify({ Events: lookup }, null, 4)}\n`);
writeFileSync(join(OUT, 'context.yaml'), `# Operator context for the sample case (copy into the case directory).
change_windows:
  - id: CHG-1042
    start: 2026-11-20T22:00:00Z
    end: 2026-11-21T02:00:00Z
    principals: ["arn:aws:iam::${ACCOUNT}:role/terraform-deploy"]
    description: quarterly IAM clean-up (remove old-contractor, tighten app-readonly)
red_team:
  user_agent_markers: ["stratus-red-team_"]
  principals: ["arn:aws:iam::${ACCOUNT}:user/red-team-operator"]
automation_principals: ["arn:aws:iam::${ACCOUNT}:role/ci-deployer"]
crown_jewels: ["arn:aws:s3:::customer-exports", "arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db/master-AbCdEf"]
incident:
  name: leaked svc-backup key
  aware_at: 2026-11-21T09:00:00Z
`);
process.stdout.write(`wrote ${events.length} events in ${files} files and ${lookup.length} lookup-events entries to ${OUT}\n`);
