/**
 * EC2 context and S3-exported trails, with the real AWS SDK against moto_server (EC2, S3, STS) and the fake
 * CloudTrail endpoint; aimed at them with the standard AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_CLOUDTRAIL variables.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureOf, listAssets } from '../../src/store/collect-repo.js';
import { FakeCloudTrail, makeEvent } from '../fakes/fake-cloudtrail.js';
import { motoStatus, startMoto, type Moto } from '../fakes/moto.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const moto = motoStatus();
if (!moto.available) process.stderr.write(`skipping EC2/S3 collection tests: ${moto.reason}\n`);

describe.skipIf(!moto.available)('irctl collect aws with moto_server', () => {
  let m: Moto;
  let fake: FakeCloudTrail;
  let env: NodeJS.ProcessEnv;
  const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
  let exposedId = '';
  let internalId = '';

  beforeAll(async () => {
    m = await startMoto();
    fake = new FakeCloudTrail({ pageSize: 5, ratePerSec: 0 });
    const ctUrl = await fake.start();
    env = { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_ENDPOINT_URL: m.url, AWS_ENDPOINT_URL_CLOUDTRAIL: ctUrl, AWS_REGION: 'us-east-1' };
    // GIVEN (EC2) a web server with SSH open to the internet and an internal server
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: m.url, credentials: creds });
    const web = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: web.GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const internal = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'internal', Description: 'internal' }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: internal.GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
    );
    const a = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, SecurityGroupIds: [web.GroupId!] }));
    const b = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, SecurityGroupIds: [internal.GroupId!] }));
    exposedId = a.Instances![0]!.InstanceId!;
    internalId = b.Instances![0]!.InstanceId!;
    await ec2.send(new CreateTagsCommand({ Resources: [exposedId], Tags: [{ Key: 'Name', Value: 'web-1' }] }));
    ec2.destroy();
  });
  afterAll(async () => {
    await fake?.close();
    await m?.stop();
  });

  it('snapshots EC2 context as hashed evidence records and computes exposure', async () => {
    const { dir, cleanup } = tempDir();
    try {
      fake.add('us-east-1', [makeEvent({ region: 'us-east-1', time: Date.now() - 10 * 60_000, account: '123456789012' })]);
      // WHEN
      const r = await runIrctl(['--case', dir, '--json', 'collect', 'aws', '--since', '1h', '--region', 'us-east-1'], { env });
      // THEN
      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
      const s = r.json()[0]!;
      expect(s.events).toBe(1);
      const ctx = (s.context as Array<{ counts: Record<string, number>; status: string }>)[0]!;
      expect(ctx.status).toBe('ok');
      expect(ctx.counts.instance).toBe(2);
      expect(ctx.counts['security-group']).toBeGreaterThanOrEqual(2);
      expect(ctx.counts.volume).toBeGreaterThanOrEqual(2);
      expect(ctx.counts['network-interface']).toBeGreaterThanOrEqual(2);
      expect((s.exposed as Array<{ instance_id: string; open: string[] }>).map((x) => x.instance_id)).toEqual([exposedId]);
      expect((s.exposed as Array<{ open: string[] }>)[0]!.open.join(' ')).toContain('tcp:22 from 0.0.0.0/0');

      const db = new Database(join(dir, 'evidence.sqlite'));
      const inst = listAssets(db, { kind: 'instance' });
      expect(inst.map((x) => x.resource.InstanceId).sort()).toEqual([exposedId, internalId].sort());
      const web = inst.find((x) => x.resource.InstanceId === exposedId)!;
      expect(web.arn).toBe(`arn:aws:ec2:us-east-1:123456789012:instance/${exposedId}`);
      expect(JSON.stringify(web.resource.Tags)).toContain('web-1');
      const raw = db.prepare('SELECT raw, sha256 FROM raw_records WHERE sha256 = ?').get(web.raw_sha256) as { raw: string; sha256: string };
      expect(createHash('sha256').update(raw.raw).digest('hex')).toBe(raw.sha256);
      expect(exposureOf(db, exposedId)).toMatchObject({ exposed: true, instance_id: exposedId });
      expect(exposureOf(db, `arn:aws:ec2:us-east-1:123456789012:instance/${internalId}`)).toMatchObject({ exposed: false, open_ingress: [] });
      const pages = db.prepare("SELECT locator, sha256 FROM input_status WHERE locator LIKE 'ec2:%'").all() as Array<{ locator: string; sha256: string }>;
      expect(pages.map((p) => p.locator)).toContain('ec2:DescribeInstances us-east-1');
      expect(pages.every((p) => /^[0-9a-f]{64}$/.test(p.sha256))).toBe(true);
      db.close();
      // and the case still verifies (context records have normalized events; triggers intact)
      const v = await runIrctl(['--case', dir, '--json', 'case', 'verify']);
      expect(v.code).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('streams S3-exported trail files (account and organization layouts) and checks them against digests', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // GIVEN a trail bucket with two log files in us-east-1 (one tampered after its digest), one in an
      // organization-trail folder, and one file from last week (outside the window)
      const s3 = new S3Client({ region: 'us-east-1', endpoint: m.url, credentials: creds, forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'trail-bucket' }));
      const now = Date.now();
      const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
      const dayPath = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '/');
      const file = (acctRoot: string, acct: string, region: string, t: number, n: string) =>
        `logs/AWSLogs/${acctRoot}CloudTrail/${region}/${dayPath(t)}/${acct}_CloudTrail_${region}_${stamp(t)}_${n}.json.gz`;
      const put = async (key: string, events: ReturnType<typeof makeEvent>[]) => {
        const text = `{"Records":[${events.map((e) => e.cloudTrailEvent).join(',')}]}`;
        await s3.send(new PutObjectCommand({ Bucket: 'trail-bucket', Key: key, Body: gzipSync(text) }));
        return createHash('sha256').update(text).digest('hex');
      };
      const shared = makeEvent({ region: 'us-east-1', time: now - 70 * 60_000 });
      const f1 = file('111122223333/', '111122223333', 'us-east-1', now - 60 * 60_000, 'aaaa');
      const f2 = file('111122223333/', '111122223333', 'us-east-1', now - 30 * 60_000, 'bbbb');
      const f3 = file('o-abc123def4/222233334444/', '222233334444', 'eu-west-1', now - 20 * 60_000, 'cccc');
      const old = file('111122223333/', '111122223333', 'us-east-1', now - 7 * 86_400_000, 'dddd');
      const h1 = await put(f1, [shared, makeEvent({ region: 'us-east-1', time: now - 65 * 60_000 })]);
      await put(f2, [makeEvent({ region: 'us-east-1', time: now - 35 * 60_000 })]);
      await put(f3, [makeEvent({ region: 'eu-west-1', time: now - 25 * 60_000, account: '222233334444' })]);
      await put(old, [makeEvent({ region: 'us-east-1', time: now - 7 * 86_400_000 })]);
      const digestKey = `logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/${dayPath(now - 15 * 60_000)}/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_${stamp(now - 15 * 60_000)}.json.gz`;
      const digest = { awsAccountId: '111122223333', logFiles: [{ s3Bucket: 'trail-bucket', s3Object: f1, hashValue: h1, hashAlgorithm: 'SHA-256' }, { s3Bucket: 'trail-bucket', s3Object: f2, hashValue: '0'.repeat(64), hashAlgorithm: 'SHA-256' }] };
      await s3.send(new PutObjectCommand({ Bucket: 'trail-bucket', Key: digestKey, Body: gzipSync(JSON.stringify(digest)) }));
      s3.destroy();

      // WHEN
      const r = await runIrctl(['--case', dir, '--json', 'collect', 'aws', '--since', '2h', '--s3', 's3://trail-bucket/logs', '--no-context'], { env });
      // THEN the three files in the window are imported, one matches its digest, the tampered one is reported (exit 5)
      const s = r.json()[0]!;
      expect(s.events).toBe(4);
      expect(s.s3).toMatchObject({ objects: 3, digests: 1, validated: 1, unvalidated: 1 });
      expect((s.s3 as { digest_mismatches: string[] }).digest_mismatches).toEqual([`s3://trail-bucket/${f2}`]);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('does not match the SHA-256 its CloudTrail digest lists');
      const db = new Database(join(dir, 'evidence.sqlite'), { readonly: true });
      const objs = db.prepare("SELECT locator FROM inputs WHERE kind = 'object' ORDER BY locator").pluck().all() as string[];
      expect(objs).toEqual([`s3://trail-bucket/${digestKey}`, `s3://trail-bucket/${f3}`, `s3://trail-bucket/${f1}`, `s3://trail-bucket/${f2}`].sort());
      db.close();

      // WHEN run again, THEN files already in the case are not read again
      const again = await runIrctl(['--case', dir, '--json', 'collect', 'aws', '--since', '2h', '--s3', 's3://trail-bucket/logs', '--no-context'], { env });
      expect(again.json()[0]).toMatchObject({ events: 0, s3: { objects: 0, skipped_already_stored: 3 } });

      // WHEN the same event then comes through LookupEvents, THEN it is a duplicate, not a new event
      fake.add('us-east-1', [shared]);
      const lookup = await runIrctl(['--case', dir, '--json', 'collect', 'aws', '--since', '2h', '--region', 'us-east-1', '--no-context'], { env });
      expect(lookup.json()[0]).toMatchObject({ events: 1, duplicates: 1 }); // the event from the first test, and `shared`
    } finally {
      cleanup();
    }
  });
});
