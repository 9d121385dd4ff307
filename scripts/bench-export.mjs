#!/usr/bin/env node
// Benchmark of `irctl export --all` + `irctl verify` on a large synthetic case (issue 6 "Testing and performance":
// export + verify of 1,000,000 events <= 60 s together on this machine). Prints wall time, throughput, bundle size
// and peak RSS of each step (child processes of the built CLI, measured with /usr/bin/time -v); asserts nothing.
//
// Usage: npm run build && npm run bench:export [-- --events 1000000] [--out bench-out/export] [--fresh] [--json]
//
// The case is generated once (deterministic CloudTrail records of ~1.2 KB written straight into the store through
// IngestWriter with the same normalizer as `irctl import`, then the entity index) and reused while --events is
// unchanged; each run copies nothing and appends only custody entries (keys.generate once, export.bundle each run).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stealMeter } from './lib/cpu-steal.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const EVENTS = Number(arg('--events', '1000000'));
const OUT = resolve(arg('--out', join(ROOT, 'bench-out', 'export')));
const FRESH = args.includes('--fresh');
const JSON_OUT = args.includes('--json');
const BUDGET_MS = 60_000;
const GENERATOR_VERSION = 1;

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench-export: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const dist = (p) => import(join(ROOT, 'dist', p));
const { openCase } = await dist('case/case.js');
const { IngestWriter, indexEntities } = await dist('store/ingest-repo.js');
const { normalizeCloudTrail } = await dist('sources/aws/cloudtrail.js');
const { appendCustody } = await dist('store/custody.js');
const { sha256Hex } = await dist('util/hash.js');

const caseDir = join(OUT, `case-${EVENTS}`);
const stamp = join(caseDir, 'bench-stamp.json');
const wanted = JSON.stringify({ events: EVENTS, generator: GENERATOR_VERSION });

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

function record(i, rnd, t) {
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

function generate() {
  rmSync(caseDir, { recursive: true, force: true });
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(join(caseDir, 'context.yaml'), 'incident:\n  name: bench\n  aware_at: 2026-11-21T09:00:00Z\n');
  const kase = openCase(caseDir, { create: true });
  const writer = new IngestWriter(kase.db);
  const rnd = mulberry32(42);
  const t0 = performance.now();
  const start = Date.parse('2026-11-14T00:00:00Z');
  const step = (7 * 86_400_000) / EVENTS;
  const inputId = writer.beginInput('bench', 'bench-generator');
  let rows = [];
  let written = 0;
  appendCustody(kase.db, { action: 'import.start', run_id: 'bench', details: { generator: GENERATOR_VERSION } }, kase.provenance, new Date(start));
  for (let i = 0; i < EVENTS; i++) {
    const rec = record(i, rnd, start + Math.floor(i * step));
    const raw = JSON.stringify(rec);
    const sha = sha256Hex(raw);
    const n = normalizeCloudTrail(rec, sha);
    if (!n.ok) throw new Error(n.reason);
    rows.push({ kind: 'accepted', raw, sha256: sha, index: i, offset: null, event: n.event });
    written++;
    const last = i === EVENTS - 1;
    if (rows.length >= 10_000 || last) {
      writer.writeBatch(rows, last ? { id: inputId, runId: 'bench', kind: 'file', locator: 'bench-generator', params: null, sha256: null, size: null, status: 'ok', records: written, quarantined: 0, receivedAt: new Date(start).toISOString() } : null);
      rows = [];
    }
    if (written % 200_000 === 0) process.stderr.write(`  generated ${written.toLocaleString('en-US')} events (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  indexEntities(kase.db);
  appendCustody(kase.db, { action: 'import.end', run_id: 'bench', details: { events: written } }, kase.provenance, new Date(start));
  kase.db.pragma('wal_checkpoint(TRUNCATE)');
  kase.close();
  writeFileSync(stamp, wanted);
  process.stderr.write(`  case generated: ${written.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

if (FRESH || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) generate();
else process.stderr.write(`  reusing ${caseDir}\n`);

/** Run the built CLI under /usr/bin/time -v; returns wall ms, exit code, peak RSS MB and stdout. */
function timed(cliArgs) {
  const steal = stealMeter();
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(ROOT, 'bin', 'irctl'), ...cliArgs], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '');
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '');
  const cpuS = user && sys ? Number(user[1]) + Number(sys[1]) : null;
  return { ms, code: r.status, rssMb: rss ? Math.round(Number(rss[1]) / 1024) : null, cpuS, stealPct: steal.stop(), stdout: r.stdout, stderr: r.stderr };
}

const bundle = join(OUT, `bench-${EVENTS}.bundle.tar.gz`);
rmSync(bundle, { force: true });
const exp = timed(['--case', caseDir, 'export', '--all', '--out', bundle, '--json']);
if (exp.code !== 0) {
  process.stderr.write(`export failed (exit ${exp.code}):\n${exp.stderr}\n`);
  process.exit(1);
}
const ver = timed(['--case', caseDir, 'verify', bundle, '--json']);
const verJson = JSON.parse(ver.stdout.trim().split('\n').pop() ?? '{}');
const size = statSync(bundle).size;
const total = exp.ms + ver.ms;
const res = {
  events: EVENTS,
  export_s: +(exp.ms / 1000).toFixed(1),
  export_events_per_s: Math.round(EVENTS / (exp.ms / 1000)),
  export_peak_rss_mb: exp.rssMb,
  export_cpu_s: exp.cpuS === null ? null : +exp.cpuS.toFixed(1),
  verify_s: +(ver.ms / 1000).toFixed(1),
  verify_ok: verJson.ok === true && ver.code === 0,
  verify_peak_rss_mb: ver.rssMb,
  verify_cpu_s: ver.cpuS === null ? null : +ver.cpuS.toFixed(1),
  load_average_1m: +(await import('node:os')).loadavg()[0].toFixed(1),
  export_cpu_steal_pct: exp.stealPct,
  verify_cpu_steal_pct: ver.stealPct,
  total_s: +(total / 1000).toFixed(1),
  budget_s: BUDGET_MS / 1000,
  within_budget: total <= BUDGET_MS,
  bundle_mb: +(size / 1048576).toFixed(1),
  cores: (await import('node:os')).cpus().length,
};
if (JSON_OUT) process.stdout.write(`${JSON.stringify(res)}\n`);
else {
  process.stdout.write(`events            ${EVENTS.toLocaleString('en-US')}\n`);
  process.stdout.write(`export --all      ${res.export_s} s wall, ${res.export_cpu_s} s CPU (${res.export_events_per_s.toLocaleString('en-US')} events/s), peak RSS ${res.export_peak_rss_mb} MB\n`);
  process.stdout.write(`verify            ${res.verify_s} s wall, ${res.verify_cpu_s} s CPU (${res.verify_ok ? 'OK' : 'FAILED'}), peak RSS ${res.verify_peak_rss_mb} MB\n`);
  const stolen = (p) => (p === null ? 'n/a' : `${p}%`);
  process.stdout.write(`machine           ${res.cores} cores, load average ${res.load_average_1m}; CPU steal during export ${stolen(res.export_cpu_steal_pct)}, verify ${stolen(res.verify_cpu_steal_pct)} (wall time stretches when other work or other VMs share the cores)\n`);
  process.stdout.write(`total             ${res.total_s} s of a ${res.budget_s} s budget (${(total / BUDGET_MS * 100).toFixed(0)}%)\n`);
  process.stdout.write(`bundle            ${res.bundle_mb} MB (${bundle})\n`);
}
if (!res.verify_ok) process.stderr.write(`verify did not pass:\n${ver.stdout}\n`);
