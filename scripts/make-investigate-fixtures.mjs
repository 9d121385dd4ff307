#!/usr/bin/env node
// Generates the synthetic CloudTrail inputs of the investigation fixtures, deterministically (no clock, no
// randomness: event ids are derived from a seed string). Re-running it reproduces the files byte for byte.
// Usage: node scripts/make-investigate-fixtures.mjs
// All accounts, IPs (documentation ranges 192.0.2/24, 198.51.100/24, 203.0.113/24), names and keys are made up,
// except the Stratus Red Team principal/account, which come from the copied detonation file (see ATTRIBUTION.md).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/investigate');
const uuid = (seed) => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const DAY = 86_400_000;

function user(account, name, key) {
  return { type: 'IAMUser', principalId: `AIDA${createHash('sha256').update(name).digest('hex').slice(0, 16).toUpperCase()}`, arn: `arn:aws:iam::${account}:user/${name}`, accountId: account, accessKeyId: key, userName: name };
}
function role(account, roleName, session, key) {
  const pid = `AROA${createHash('sha256').update(roleName).digest('hex').slice(0, 16).toUpperCase()}`;
  return {
    type: 'AssumedRole',
    principalId: `${pid}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${session}`,
    accountId: account,
    accessKeyId: key,
    sessionContext: { sessionIssuer: { type: 'Role', principalId: pid, arn: `arn:aws:iam::${account}:role/${roleName}`, accountId: account, userName: roleName }, attributes: { creationDate: '2026-11-01T00:00:00Z', mfaAuthenticated: 'false' } },
  };
}
function ev(seed, { time, identity, source, action, region = 'us-east-1', ip, ua, params = null, response = null, readOnly = false, error }) {
  const r = {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: iso(time),
    eventSource: `${source}.amazonaws.com`,
    eventName: action,
    awsRegion: region,
    sourceIPAddress: ip,
    userAgent: ua,
    requestParameters: params,
    responseElements: response,
    requestID: uuid(`${seed}/req`),
    eventID: uuid(seed),
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: identity.accountId,
    eventCategory: 'Management',
  };
  if (error) {
    r.errorCode = error;
    r.errorMessage = `User is not authorized to perform: ${source}:${action}`;
  }
  return r;
}
function write(rel, records) {
  const p = join(here, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, `${JSON.stringify({ Records: records }, null, 1)}\n`);
}

// 1. Baseline of the Stratus principal (christophe in account 229654561268) before the 2024-08-01 detonation:
//    14 days of read-only work from the office with the AWS CLI.
{
  const id = user('229654561268', 'christophe', 'AKIAEXAMPLEBASELINE1');
  const out = [];
  const start = Date.parse('2024-07-18T08:00:00Z');
  const actions = [
    ['iam', 'ListUsers', true],
    ['iam', 'GetUser', true],
    ['ec2', 'DescribeInstances', true],
    ['s3', 'ListBuckets', true],
  ];
  for (let d = 0; d < 14; d++) {
    actions.forEach(([svc, action, ro], i) => {
      out.push(ev(`christophe/${d}/${i}`, { time: start + d * DAY + i * 600_000, identity: id, source: svc, action, region: 'ap-isob-central-3r', ip: '198.51.100.23', ua: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22', readOnly: ro }));
    });
  }
  write('baseline/christophe-2024-07.json', out);
}

// 2. Change window: terraform-deploy's routine reads, and the same admin change inside and outside CHG-1042.
{
  const acct = '111122223333';
  const ua = 'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.76.0 aws-sdk-go-v2/1.32.4';
  const ip = '198.51.100.40';
  const base = [];
  const start = Date.parse('2026-11-10T22:00:00Z');
  for (let d = 0; d < 10; d++) {
    const id = role(acct, 'terraform-deploy', `tf-run-${100 + d}`, `ASIATFDEPLOY${String(d).padStart(8, '0')}`);
    base.push(ev(`tf/base/${d}/1`, { time: start + d * DAY, identity: id, source: 'iam', action: 'GetRole', ip, ua, params: { roleName: 'app-readonly' }, readOnly: true }));
    base.push(ev(`tf/base/${d}/2`, { time: start + d * DAY + 60_000, identity: id, source: 'iam', action: 'ListAttachedRolePolicies', ip, ua, params: { roleName: 'app-readonly' }, readOnly: true }));
  }
  write('change-window/baseline.json', base);
  const change = (seed, t) => {
    const id = role(acct, 'terraform-deploy', `tf-run-${seed}`, `ASIATFDEPLOY${seed.toUpperCase().padStart(8, '0')}`);
    return [
      ev(`tf/${seed}/1`, { time: t, identity: id, source: 'iam', action: 'UpdateAssumeRolePolicy', ip, ua, params: { roleName: 'app-readonly', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}' } }),
      ev(`tf/${seed}/2`, { time: t + 30_000, identity: id, source: 'iam', action: 'CreateUser', ip, ua, params: { userName: 'svc-reporting' }, response: { user: { userName: 'svc-reporting', arn: `arn:aws:iam::${acct}:user/svc-reporting` } } }),
    ];
  };
  write('change-window/inside.json', change('inside', Date.parse('2026-11-20T23:10:00Z')));
  write('change-window/outside.json', change('outside', Date.parse('2026-11-21T14:10:00Z')));
}

// 3. Routine: the key-rotation automation creates a new access key for app-x every night from the same host.
{
  const acct = '111122223333';
  const out = [];
  const start = Date.parse('2026-11-01T03:00:00Z');
  for (let d = 0; d < 15; d++) {
    const id = role(acct, 'key-rotator', 'key-rotation', `ASIAKEYROT${String(d).padStart(10, '0')}`);
    const ua = 'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.12.7 exec-env/AWS_Lambda_python3.12';
    out.push(ev(`rot/${d}/1`, { time: start + d * DAY, identity: id, source: 'iam', action: 'CreateAccessKey', ip: '198.51.100.77', ua, params: { userName: 'app-x' } }));
    out.push(ev(`rot/${d}/2`, { time: start + d * DAY + 5_000, identity: id, source: 'iam', action: 'DeleteAccessKey', ip: '198.51.100.77', ua, params: { userName: 'app-x', accessKeyId: `AKIAAPPX${String(d).padStart(12, '0')}` } }));
  }
  write('routine/key-rotator.json', out);
}

// 4. Lone detection while the trail is stopped: ops-admin stops the trail at 09:00, nothing is logged for hours,
//    then one GetFederationToken by dana (who has no history) shows up at 11:30 (seen through another trail).
{
  const acct = '444455556666';
  const ops = user(acct, 'ops-admin', 'AKIAOPSADMIN00000001');
  const dana = user(acct, 'dana', 'AKIADANA000000000001');
  const ua = 'aws-cli/2.17.0 Python/3.11.9 Darwin/23.5.0 exe/arm64';
  const out = [];
  const start = Date.parse('2026-11-10T07:00:00Z');
  for (let i = 0; i < 12; i++) out.push(ev(`lone/bg/${i}`, { time: start + i * 600_000, identity: ops, source: 'ec2', action: 'DescribeInstances', ip: '192.0.2.10', ua, readOnly: true }));
  out.push(ev('lone/stop', { time: Date.parse('2026-11-10T09:00:00Z'), identity: ops, source: 'cloudtrail', action: 'StopLogging', ip: '192.0.2.10', ua, params: { name: 'arn:aws:cloudtrail:us-east-1:444455556666:trail/org-trail' } }));
  out.push(ev('lone/federation', { time: Date.parse('2026-11-10T11:30:00Z'), identity: dana, source: 'sts', action: 'GetFederationToken', ip: '203.0.113.9', ua, params: { name: 'dana-tmp', durationSeconds: 129600 }, readOnly: false }));
  write('lone/events.json', out);
}
