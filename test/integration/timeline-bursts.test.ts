/**
 * Readable timelines (issue 12, point 11): a 3,000-event trail where the attacker's own principal runs a Terraform
 * refresh (thousands of interleaved read-only calls across services) around the attack collapses to a screen.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const ACCOUNT = '565656787878';
const ARN = `arn:aws:iam::${ACCOUNT}:user/ci-bot`;
const TF =
  'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64';
const READS: Array<[string, string]> = [
  ['ec2', 'DescribeInstances'],
  ['ec2', 'DescribeSecurityGroups'],
  ['iam', 'GetRole'],
  ['iam', 'ListAttachedRolePolicies'],
  ['s3', 'GetBucketPolicy'],
  ['s3', 'GetBucketAcl'],
  ['kms', 'DescribeKey'],
  ['lambda', 'GetFunction'],
];

function record(i: number, ms: number, service: string, action: string, readOnly: boolean, req: Record<string, unknown> | null = null): Record<string, unknown> {
  return {
    eventVersion: '1.10',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLECIBOT0001', arn: ARN, accountId: ACCOUNT, accessKeyId: 'AKIAEXAMPLECIBOT0001', userName: 'ci-bot' },
    eventTime: new Date(ms).toISOString().replace('.000Z', 'Z'),
    eventSource: `${service}.amazonaws.com`,
    eventName: action,
    awsRegion: 'us-east-2',
    sourceIPAddress: '198.51.100.61',
    userAgent: TF,
    requestParameters: req,
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `3c4d5e6f-7a8b-4c9d-8e0f-${String(i).padStart(12, '0')}`,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
  };
}

describe('timeline bursts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'irctl-bursts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('collapses a 3,000-event refresh around an attack to one screen, keeping every attack step on its own line', async () => {
    // GIVEN two Terraform refreshes of 1,490 interleaved read-only calls each, and the attack steps between them
    const start = Date.parse('2026-10-11T14:00:00Z');
    const recs: Array<Record<string, unknown>> = [];
    let i = 0;
    for (const offset of [0, 40 * 60_000]) {
      for (let n = 0; n < 1490; n++) {
        const [svc, act] = READS[n % READS.length]!;
        recs.push(record(++i, start + offset + n * 400, svc, act, true));
      }
    }
    const attackAt = start + 20 * 60_000;
    recs.push(record(++i, attackAt, 'iam', 'CreateUser', false, { userName: 'shadow' }));
    recs.push(record(++i, attackAt + 20_000, 'iam', 'AttachUserPolicy', false, { userName: 'shadow', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    recs.push(record(++i, attackAt + 40_000, 'iam', 'CreateAccessKey', false, { userName: 'shadow' }));
    recs.push(record(++i, attackAt + 60_000, 'cloudtrail', 'StopLogging', false, { name: `arn:aws:cloudtrail:us-east-2:${ACCOUNT}:trail/main` }));
    for (let n = 0; n < 20; n++) recs.push(record(++i, attackAt + 120_000 + n * 1000, 's3', 'GetObject', true, { bucketName: 'finance-exports', key: `q3/${n}.csv` }));
    const file = join(dir, 'trail.json');
    writeFileSync(file, JSON.stringify({ Records: recs }));
    expect(recs.length).toBeGreaterThanOrEqual(3000);
    expect((await runIrctl(['--case', dir, 'import', file])).code).toBe(0);
    expect((await runIrctl(['--case', dir, 'detect'])).code).toBe(0);
    const threat = (await runIrctl(['--case', dir, 'threats', '--json'])).json<{ id: string }>()[0]!;
    // WHEN its timeline is shown (collapsed by default)
    const lines = (await runIrctl(['--case', dir, 'timeline', threat.id, '--json'])).json<{ action: string; actions: string[]; count: number }>();
    // THEN it fits a screen, every event is accounted for, and each attack step keeps its own line
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines.reduce((n, l) => n + l.count, 0)).toBeGreaterThanOrEqual(3000);
    for (const step of ['CreateUser', 'AttachUserPolicy', 'CreateAccessKey', 'StopLogging']) {
      expect(lines.filter((l) => l.action === step && l.count === 1)).toHaveLength(1);
    }
    expect(lines.find((l) => l.action === 'GetObject')).toMatchObject({ count: 20 });
    const refresh = lines.filter((l) => l.actions.length > 1);
    expect(refresh.length).toBeGreaterThan(0);
  });
});
