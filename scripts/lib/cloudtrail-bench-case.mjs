// The synthetic whole-case benchmark case (bench:export, bench:case-verify): deterministic CloudTrail records of
// ~1.2 KB written straight into the store through IngestWriter with the same normalizer as `irctl import`, then the
// entity index, inside an import run whose end entry carries the run's commitment. Generated once per event count
// and generator version (`<out>/case-<N>/bench-stamp.json`) and reused.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = resolve(import.meta.dirname, '..', '..');
const GENERATOR_VERSION = 2;
const ACCOUNT = '111122223333';
const ACTIONS = [
  ['s3', 'GetObject', true],
  ['s3', 'PutObject', false],
  ['ec2', 'DescribeInstances', true],
  ['iam', 'ListUsers', true],
  ['sts', 'AssumeRole', false],
  ['kms', 'Decrypt', true],
  ['lambda', 'Invoke', false],
  ['cloudtrail', 'LookupEvents', true],
];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function record(i, rnd, t, sha256Hex) {
  const u = Math.floor(rnd() * 300);
  const [svc, action, ro] = ACTIONS[Math.floor(rnd() * ACTIONS.length)];
  const failed = rnd() < 0.03;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDABENCH${String(u).padStart(8, '0')}`,
      arn: `arn:aws:iam::${ACCOUNT}:user/user-${u}`,
      accountId: ACCOUNT,
      accessKeyId: `AKIABENCH${String(u).padStart(11, '0')}`,
      userName: `user-${u}`,
    },
    eventTime: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: `${svc}.amazonaws.com`,
    eventName: action,
    awsRegion: ['us-east-1', 'eu-west-1', 'us-west-2'][u % 3],
    sourceIPAddress: `198.51.100.${u % 250}`,
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12 prompt/off command/s3.cp',
    requestParameters: { bucketName: `bucket-${u % 40}`, key: `data/${i.toString(36)}/part-${Math.floor(rnd() * 1e6)}.parquet`, Host: `bucket-${u % 40}.s3.amazonaws.com` },
    responseElements: null,
    additionalEventData: { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: 0, bytesTransferredOut: Math.floor(rnd() * 1e6) },
    ...(failed ? { errorCode: 'AccessDenied', errorMessage: 'User is not authorized to perform this action' } : {}),
    requestID: sha256Hex(`req-${i}`).slice(0, 16).toUpperCase(),
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    readOnly: ro,
    resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::bucket-${u % 40}/data/${i.toString(36)}` }],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `bucket-${u % 40}.s3.amazonaws.com` },
  };
}

/** The case directory of `events` events under `out`, generated when missing, stale or `fresh`. Needs dist/. */
export async function ensureBenchCase({ events, out, fresh = false }) {
  const caseDir = join(out, `case-${events}`);
  const stamp = join(caseDir, 'bench-stamp.json');
  const wanted = JSON.stringify({ events, generator: GENERATOR_VERSION });
  if (!fresh && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    process.stderr.write(`  reusing ${caseDir}\n`);
    return caseDir;
  }
  const dist = (p) => import(join(ROOT, 'dist', p));
  const { openCase } = await dist('case/case.js');
  const { IngestWriter, indexEntities } = await dist('store/ingest-repo.js');
  const { adapterByDataType, normalizerTag } = await dist('sources/index.js');
  const { normalizeCloudTrail } = await dist('sources/aws/cloudtrail.js');
  const { appendCustody } = await dist('store/custody.js');
  const { sha256Hex } = await dist('util/hash.js');
  const normalizer = normalizerTag(adapterByDataType('aws:cloudtrail:entry'));

  rmSync(caseDir, { recursive: true, force: true });
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(join(caseDir, 'context.yaml'), 'incident:\n  name: bench\n  aware_at: 2026-11-21T09:00:00Z\n');
  const kase = openCase(caseDir, { create: true });
  const writer = new IngestWriter(kase.db);
  const rnd = mulberry32(42);
  const t0 = performance.now();
  const start = Date.parse('2026-11-14T00:00:00Z');
  const step = (7 * 86_400_000) / events;
  appendCustody(kase.db, { action: 'import.start', run_id: 'bench', details: { generator: GENERATOR_VERSION } }, kase.provenance, new Date(start));
  writer.beginInput('bench', 'bench-generator', { receivedAt: new Date(start).toISOString() });
  let rows = [];
  let written = 0;
  for (let i = 0; i < events; i++) {
    const rec = record(i, rnd, start + Math.floor(i * step), sha256Hex);
    const raw = JSON.stringify(rec);
    const sha = sha256Hex(raw);
    const n = normalizeCloudTrail(rec, sha);
    if (!n.ok) throw new Error(n.reason);
    rows.push({ kind: 'accepted', raw, sha256: sha, index: i, offset: null, event: n.event, normalizer });
    written++;
    const last = i === events - 1;
    if (rows.length >= 10_000 || last) {
      writer.writeBatch(rows, last ? { sha256: null, size: null, status: 'ok', records: written, quarantined: 0, completedAt: new Date(start).toISOString() } : null);
      rows = [];
    }
    if (written % 200_000 === 0) process.stderr.write(`  generated ${written.toLocaleString('en-US')} events (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  indexEntities(kase.db);
  appendCustody(kase.db, { action: 'import.end', run_id: 'bench', details: { events: written, commitment: writer.commitment.digest() } }, kase.provenance, new Date(start));
  kase.db.pragma('wal_checkpoint(TRUNCATE)');
  kase.close();
  writeFileSync(stamp, wanted);
  process.stderr.write(`  case generated: ${written.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return caseDir;
}
