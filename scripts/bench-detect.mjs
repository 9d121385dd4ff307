#!/usr/bin/env node
// Benchmark of `irctl detect` and `irctl timeline` on a large synthetic case (issue 4 "Performance": detect on
// 1,000,000 events <= 20 s, timeline for one threat <= 200 ms on a 2-core machine). Prints figures and the ratio to
// each budget; asserts nothing (tests must not depend on machine speed).
//
// Usage: npm run build && npm run bench:detect [-- --events 1000000] [--out bench-out/detect] [--fresh] [--mix]
//
// --mix (issue 16: "detect on 1,000,000 mixed-layer events stays within 20 s"): half the events are the CloudTrail
// case below, the other half other layers' records in their native shapes (scripts/lib/synthetic-layers.mjs),
// written as files and imported with the real `irctl import`: Okta System Log (identity) 15%, VPC flow log lines
// (network) 15%, Falco alerts (workload) 10%, Bedrock invocation logs (ai) 10%, spread over the same week.
//
// The case is generated once (CloudTrail records written straight into the store through IngestWriter, with the
// same normalizer as `irctl import`) and reused while --events and the generator version are unchanged. It holds a
// week of routine activity of 300 principals behind a few shared office/NAT addresses, CI role sessions and
// instance roles, plus five planted attack sequences (leaked key -> discovery burst -> admin user -> logging off ->
// secrets -> snapshot shared -> bucket public -> bulk reads; root console login without MFA; Bedrock abuse).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { stealMeter } from './lib/cpu-steal.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const EVENTS = Number(arg('--events', '1000000'));
const OUT = resolve(arg('--out', join(ROOT, 'bench-out', 'detect')));
const FRESH = args.includes('--fresh');
const MIX = args.includes('--mix');
const GENERATOR_VERSION = 4;
const DETECT_BUDGET_MS = 20_000;
const TIMELINE_BUDGET_MS = 200;

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench-detect: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const dist = (p) => import(join(ROOT, 'dist', p));
const { openCase } = await dist('case/case.js');
const { IngestWriter, indexEntities } = await dist('store/ingest-repo.js');
const { normalizeCloudTrail } = await dist('sources/aws/cloudtrail.js');
const { adapterByDataType, normalizerTag } = await dist('sources/index.js');
const { sha256Hex } = await dist('util/hash.js');
const { bedrockRecord, falcoAlert, FLOW_HEADER, flowLine, mulberry32, oktaEvent } = await import('./lib/synthetic-layers.mjs');

const ACCOUNT = '111122223333';
const caseDir = join(OUT, MIX ? `case-mix-${EVENTS}` : `case-${EVENTS}`);
const stamp = join(caseDir, 'bench-stamp.json');
const wanted = JSON.stringify({ events: EVENTS, v: GENERATOR_VERSION, mix: MIX });
/** Share of each non-CloudTrail layer with --mix. */
const MIX_SHARES = { okta: 0.15, flow: 0.15, falco: 0.1, bedrock: 0.1 };
const CLOUDTRAIL_EVENTS = MIX ? EVENTS - Object.values(MIX_SHARES).reduce((a, f) => a + Math.floor(EVENTS * f), 0) : EVENTS;

// Deterministic PRNG (mulberry32).
let seed = 0x5eed1234;
const rnd = () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];
let counter = 0;
const eventId = () => {
  counter++;
  const h = counter.toString(16).padStart(12, '0');
  return `b3e0c0de-0000-4000-8000-${h}`;
};

const START = Date.parse('2026-11-14T00:00:00Z');
const SPAN = 7 * 86_400_000;
const REGIONS = ['us-east-1', 'us-east-1', 'us-east-1', 'us-west-2', 'eu-west-1'];
const OFFICE_IPS = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '198.51.100.200'];
const READS = [
  ['ec2', 'DescribeInstances'],
  ['ec2', 'DescribeVolumes'],
  ['ec2', 'DescribeSecurityGroups'],
  ['s3', 'GetObject'],
  ['s3', 'ListObjects'],
  ['s3', 'HeadObject'],
  ['iam', 'GetUser'],
  ['iam', 'ListRoles'],
  ['lambda', 'GetFunction'],
  ['logs', 'DescribeLogStreams'],
  ['cloudwatch', 'GetMetricData'],
  ['sts', 'GetCallerIdentity'],
  ['dynamodb', 'DescribeTable'],
  ['kms', 'Decrypt'],
];
const WRITES = [
  ['s3', 'PutObject'],
  ['ec2', 'CreateTags'],
  ['logs', 'PutLogEvents'],
  ['lambda', 'UpdateFunctionConfiguration'],
  ['dynamodb', 'UpdateItem'],
  ['ec2', 'RunInstances'],
];

const users = Array.from({ length: 240 }, (_, i) => ({
  type: 'IAMUser',
  principalId: `AIDABENCHUSER${String(i).padStart(7, '0')}`,
  arn: `arn:aws:iam::${ACCOUNT}:user/user${i}`,
  accountId: ACCOUNT,
  accessKeyId: `AKIABENCHUSER${String(i).padStart(7, '0')}`,
  userName: `user${i}`,
}));
const assumed = (role, session, key) => ({
  type: 'AssumedRole',
  principalId: `AROABENCH${role.length}:${session}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
  accountId: ACCOUNT,
  accessKeyId: key,
  sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, accountId: ACCOUNT, userName: role } },
});
const roles = [
  ...Array.from({ length: 30 }, (_, i) => assumed('ci-deployer', `gh-${i}`, `ASIABENCHCI${String(i).padStart(9, '0')}`)),
  ...Array.from({ length: 30 }, (_, i) => assumed('app-instance-role', `i-0${(0xabc000 + i).toString(16)}00000000`, `ASIABENCHAPP${String(i).padStart(8, '0')}`)),
];
const principals = [...users, ...roles];

function record(t, who, service, action, { ip, ua = 'aws-cli/2.15.0 Python/3.11', region = pick(REGIONS), req = null, error, readOnly } = {}) {
  return {
    eventVersion: '1.09',
    userIdentity: who,
    eventTime: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: `${service}.amazonaws.com`,
    eventName: action,
    awsRegion: region,
    sourceIPAddress: ip,
    userAgent: ua,
    ...(error ? { errorCode: error, errorMessage: 'not authorized' } : {}),
    requestParameters: req,
    responseElements: null,
    requestID: eventId(),
    eventID: eventId(),
    readOnly: readOnly ?? /^(Get|List|Describe|Head)/.test(action),
    eventType: 'AwsApiCall',
    managementEvent: service !== 's3',
    recipientAccountId: ACCOUNT,
  };
}

function routine(t) {
  const who = pick(principals);
  const isRole = who.type === 'AssumedRole';
  const [service, action] = rnd() < 0.85 ? pick(READS) : pick(WRITES);
  const req = service === 's3' ? { bucketName: `data-${Math.floor(rnd() * 40)}`, key: `k/${Math.floor(rnd() * 1e6)}` } : { instanceId: `i-0${Math.floor(rnd() * 5000).toString(16)}` };
  const ip = isRole && who.arn.includes('app-instance-role') ? `10.0.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 250)}` : pick(OFFICE_IPS);
  return record(t, who, service, action, { ip, req, error: rnd() < 0.01 ? 'AccessDenied' : undefined });
}

/** One planted intrusion: returns its records. */
function attack(t0, k) {
  const ip = `203.0.113.${10 + k}`;
  const victim = users[k * 7];
  const backdoorName = `support-admin-${k}`;
  const backdoor = { ...users[0], principalId: `AIDABACKDOOR${k}`, arn: `arn:aws:iam::${ACCOUNT}:user/${backdoorName}`, accessKeyId: `AKIABACKDOOR0000000${k}`, userName: backdoorName };
  const out = [];
  let t = t0;
  const step = (who, service, action, opts = {}) => {
    t += 5_000 + Math.floor(rnd() * 20_000);
    out.push(record(t, who, service, action, { ip, region: 'us-east-1', ua: 'aws-cli/2.13.0 Python/3.11.4 Linux', ...opts }));
  };
  for (const [s, a] of [
    ['sts', 'GetCallerIdentity'],
    ['iam', 'ListUsers'],
    ['iam', 'ListRoles'],
    ['iam', 'ListPolicies'],
    ['s3', 'ListBuckets'],
    ['ec2', 'DescribeInstances'],
    ['ec2', 'DescribeSnapshots'],
    ['secretsmanager', 'ListSecrets'],
    ['cloudtrail', 'DescribeTrails'],
    ['guardduty', 'ListDetectors'],
    ['kms', 'ListKeys'],
    ['rds', 'DescribeDBInstances'],
    ['lambda', 'ListFunctions20150331'],
  ])
    step(victim, s, a);
  step(victim, 'iam', 'CreateUser', { req: { userName: backdoorName } });
  step(victim, 'iam', 'AttachUserPolicy', { req: { userName: backdoorName, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
  step(victim, 'iam', 'CreateAccessKey', { req: { userName: backdoorName } });
  step(victim, 'iam', 'CreateLoginProfile', { req: { userName: backdoorName } });
  step(backdoor, 'cloudtrail', 'StopLogging', { req: { name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main` } });
  step(backdoor, 'guardduty', 'DeleteDetector', { req: { detectorId: 'abc123' } });
  for (let i = 0; i < 3; i++) step(backdoor, 'secretsmanager', 'GetSecretValue', { req: { secretId: `prod/db/secret-${i}` } });
  step(backdoor, 'ec2', 'ModifySnapshotAttribute', {
    req: { snapshotId: `snap-0${k}`, attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [{ userId: '999988887777' }] } } },
  });
  step(backdoor, 's3', 'PutBucketPolicy', {
    req: { bucketName: 'customer-exports', bucketPolicy: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::customer-exports/*' }] } },
  });
  for (let i = 0; i < 200; i++) step(backdoor, 's3', 'GetObject', { req: { bucketName: 'customer-exports', key: `exports/${i}.csv` } });
  step(backdoor, 'bedrock', 'DeleteModelInvocationLoggingConfiguration', { region: 'us-west-2' });
  for (let i = 0; i < 5; i++) step(backdoor, 'bedrock', 'InvokeModel', { region: 'us-west-2', req: { modelId: 'anthropic.claude-3-sonnet' } });
  return out;
}

function rootLogin(t) {
  const root = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };
  const r = record(t, root, 'signin', 'ConsoleLogin', { ip: '198.51.100.66', ua: 'Mozilla/5.0', readOnly: false });
  r.eventType = 'AwsConsoleSignIn';
  r.responseElements = { ConsoleLogin: 'Success' };
  r.additionalEventData = { MFAUsed: 'No', LoginTo: 'https://console.aws.amazon.com/' };
  return [r];
}

/** --mix: write the other layers' records as files in their delivery shapes and import them with the real CLI. */
function importLayers() {
  const dir = join(OUT, `mix-input-${EVENTS}`);
  rmSync(dir, { recursive: true, force: true });
  const PER_FILE = 5000;
  const files = [];
  for (const [name, share] of Object.entries(MIX_SHARES)) {
    const total = Math.floor(EVENTS * share);
    const make = { okta: oktaEvent, falco: falcoAlert, bedrock: bedrockRecord, flow: flowLine }[name];
    for (let f = 0; f * PER_FILE < total; f++) {
      const r = mulberry32(0x3a1 + f * 7 + name.length);
      const n = Math.min(PER_FILE, total - f * PER_FILE);
      const lines = [];
      for (let k = 0; k < n; k++) {
        const i = f * PER_FILE + k;
        lines.push(name === 'flow' ? make(i, r, START + Math.floor((i / total) * SPAN)) : JSON.stringify(make(i, r, START + Math.floor((i / total) * SPAN))));
      }
      const text = name === 'flow' ? `${FLOW_HEADER}\n${lines.join('\n')}\n` : `${lines.join('\n')}\n`;
      const p = join(dir, name, `${name}-${String(f).padStart(5, '0')}.${name === 'flow' ? 'log' : 'jsonl'}.gz`);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, gzipSync(text));
      files.push(p);
    }
  }
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'irctl'), '--case', caseDir, 'import', dir, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) {
    process.stderr.write(`bench-detect --mix: irctl import of the other layers failed (exit ${r.status}):\n${r.stderr}\n`);
    process.exit(1);
  }
  const sum = JSON.parse(r.stdout.trim().split('\n').pop());
  process.stderr.write(`  imported ${sum.events.toLocaleString('en-US')} okta / flow / falco / bedrock events from ${files.length} files in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  rmSync(dir, { recursive: true, force: true });
}

async function generate() {
  rmSync(caseDir, { recursive: true, force: true });
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(
    join(caseDir, 'context.yaml'),
    'crown_jewels: ["arn:aws:s3:::customer-exports"]\nautomation_principals: ["arn:aws:iam::111122223333:role/ci-deployer"]\n',
  );
  const kase = openCase(caseDir, { create: true });
  const writer = new IngestWriter(kase.db);
  const t0 = performance.now();
  const planted = [];
  for (let k = 0; k < 5; k++) planted.push(...attack(START + Math.floor(((k + 0.5) / 5) * SPAN), k));
  planted.push(...rootLogin(START + Math.floor(SPAN * 0.33)));
  planted.sort((a, b) => (a.eventTime < b.eventTime ? -1 : 1));
  const routineCount = CLOUDTRAIL_EVENTS - planted.length;
  const step = SPAN / routineCount;
  let pi = 0;
  const BATCH = 10_000;
  let rows = [];
  let written = 0;
  const normalizer = normalizerTag(adapterByDataType('aws:cloudtrail:entry'));
  writer.beginInput('bench', 'bench-generator');
  const flush = (last) => {
    writer.writeBatch(rows, last ? { sha256: null, size: null, status: 'ok', records: written, quarantined: 0, completedAt: new Date().toISOString() } : null);
    rows = [];
  };
  const push = (rec) => {
    const raw = JSON.stringify(rec);
    const sha = sha256Hex(raw);
    const n = normalizeCloudTrail(rec, sha);
    if (!n.ok) throw new Error(n.reason);
    rows.push({ kind: 'accepted', raw, sha256: sha, index: written, offset: null, event: n.event, normalizer });
    written++;
    if (rows.length >= BATCH) flush(false);
  };
  for (let i = 0; i < routineCount; i++) {
    const t = START + Math.floor(i * step);
    while (pi < planted.length && Date.parse(planted[pi].eventTime) <= t) push(planted[pi++]);
    push(routine(t));
    if (written % 100_000 === 0) process.stderr.write(`  generated ${written.toLocaleString('en-US')} events (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  while (pi < planted.length) push(planted[pi++]);
  flush(true);
  const tIdx = performance.now();
  indexEntities(kase.db);
  kase.db.pragma('wal_checkpoint(TRUNCATE)');
  kase.close();
  if (MIX) importLayers();
  writeFileSync(stamp, wanted);
  process.stderr.write(`  case generated: ${written.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s (entity index ${((performance.now() - tIdx) / 1000).toFixed(1)} s)\n`);
}

if (FRESH || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
  process.stderr.write(`bench-detect: generating a ${EVENTS.toLocaleString('en-US')}-event case in ${caseDir}\n`);
  await generate();
} else {
  process.stderr.write(`bench-detect: reusing ${caseDir} (--fresh to regenerate)\n`);
}

const HAVE_TIME = existsSync('/usr/bin/time');
/** Run the built CLI; with GNU time available, also report its peak RSS (kB). */
const irctl = (...a) => {
  const steal = stealMeter();
  const t = performance.now();
  const argv = [join(ROOT, 'bin', 'irctl'), '--case', caseDir, ...a];
  const r = HAVE_TIME
    ? spawnSync('/usr/bin/time', ['-f', 'IRCTL_BENCH_RSS_KB=%M', process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
  const m = /IRCTL_BENCH_RSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { ms: performance.now() - t, code: r.status, stdout: r.stdout, stderr: r.stderr, rssMb: m ? Number(m[1]) / 1024 : undefined, stealPct: steal.stop() };
};

const ratio = (ms, budget) => `${(ms / 1000).toFixed(2)} s (${((ms / budget) * 100).toFixed(0)}% of the ${budget >= 1000 ? `${budget / 1000} s` : `${budget} ms`} budget)`;

if (args.includes('--stage-only')) {
  // Measures the detect stage without the rule engine: every event's raw record is parsed (the worst case for lazy
  // parsing) and a handful of single-event rules fire, so streaming, parsing, grouping and writing are all timed.
  const { runDetect } = await dist('correlate/run-detect.js');
  const { loadContext } = await dist('context/context.js');
  const meta = (id, severity, tactics) => ({ id, title: id, severity, techniques: [], tactics, source: 'builtin' });
  const fire = { StopLogging: meta('stage-stop', 'high', ['defense-evasion']), CreateUser: meta('stage-user', 'medium', ['persistence']), ConsoleLogin: meta('stage-login', 'low', ['initial-access']), PutBucketPolicy: meta('stage-policy', 'medium', ['exfiltration']) };
  const loader = () => ({
    ruleCount: 4,
    errors: [],
    hash: '0'.repeat(64),
    prefetch: [],
    start: () => {
      const hits = [];
      return {
        feed: (i) => {
          const body = i.raw();
          const rule = fire[i.event.action];
          if (rule && body) hits.push({ rule, eventIds: [i.event.id], firstMs: i.event.time_ms, lastMs: i.event.time_ms, summary: i.event.action, entities: [] });
        },
        finish: () => hits,
      };
    },
  });
  const k = openCase(caseDir);
  const t = performance.now();
  const s = await runDetect(k, loader, { builtin: true, ruleDirs: [], windowMs: 86_400_000, marginMs: 3_600_000, context: loadContext(k.contextPath).context, now: () => new Date() });
  const ms = performance.now() - t;
  k.close();
  process.stdout.write(`stage only (every raw parsed, 4 trivial rules): ${s.events.toLocaleString('en-US')} events, ${s.detections} detections, ${s.threats} threats in ${ratio(ms, DETECT_BUDGET_MS)}; ${((s.events / ms) * 1000).toFixed(0)} events/s; heap ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB RSS\n`);
  process.exit(0);
}

const det = irctl('detect', '--json');
if (det.code !== 0) {
  process.stderr.write(`irctl detect failed (exit ${det.code}):\n${det.stderr}\n`);
  process.exit(1);
}
const summary = JSON.parse(det.stdout.trim().split('\n').pop());
const threats = irctl('threats', '--json').stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

// Timeline: in-process (the stage itself, what investigate/export reuse) and through the CLI (adds Node start-up).
const { buildTimeline } = await dist('timeline/timeline.js');
const kase = openCase(caseDir);
const per = [];
for (const t of threats) {
  const s = performance.now();
  const tl = buildTimeline(kase.db, t.id);
  per.push({ id: t.id, ms: performance.now() - s, events: tl.events, entries: tl.entries.length, plan: tl.plan });
}
kase.close();
const worst = per.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0 });
const top = threats[0];
const tlCli = top ? irctl('timeline', top.id, '--json') : undefined;

const lines = [
  `events in case:              ${summary.events.toLocaleString('en-US')}`,
  `rules:                       ${summary.rules} (${summary.rule_errors} skipped)`,
  `detections / threats:        ${summary.detections} / ${summary.threats}`,
  `detect (CLI, wall):          ${ratio(det.ms, DETECT_BUDGET_MS)}; ${((summary.events / det.ms) * 1000).toFixed(0)} events/s`,
  `detect (stage, reported):    ${(summary.duration_ms / 1000).toFixed(2)} s (events read ${summary.reader === 'thread' ? 'on a reader thread' : 'in-thread'})`,
  `machine:                     ${(await import('node:os')).cpus().length} cores; CPU steal during detect ${det.stealPct === null ? 'n/a' : `${det.stealPct}%`} (other VMs sharing the host stretch wall time)`,
  `timeline (stage), per threat: max ${worst.ms.toFixed(1)} ms (${worst.id ?? '-'}, ${worst.events ?? 0} events, plan ${worst.plan ?? '-'}) = ${((worst.ms / TIMELINE_BUDGET_MS) * 100).toFixed(0)}% of ${TIMELINE_BUDGET_MS} ms; median ${per.length ? per.map((p) => p.ms).sort((a, b) => a - b)[Math.floor(per.length / 2)].toFixed(1) : '-'} ms over ${per.length} threats`,
  tlCli ? `timeline ${top.id} (CLI, wall incl. Node start-up): ${tlCli.ms.toFixed(0)} ms` : 'timeline: no threats',
  det.rssMb ? `detect peak RSS:             ${det.rssMb.toFixed(0)} MB` : '',
].filter(Boolean);
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(`top threats:\n${threats.slice(0, 8).map((t) => `  ${t.id} ${t.severity} p${t.priority} ${t.detections} det  ${t.title}`).join('\n')}\n`);
