#!/usr/bin/env node
// Rule pack measurement (issue 4 item 5): `npm run measure:rules [-- --verbose|--json|--bench N]`.
//
// Evaluates irctl's built-in rule pack directly on each labelled Panther test log in fixtures/panther (no import, no
// case) and prints precision and recall per rule family. Each Panther rule we claim to cover is mapped to one irctl
// rule family below; a test labelled ExpectedResult=true is a positive for that family, false a negative; the family
// "predicts" positive when any of its rules fires on the log.
//
// Two evaluation modes, per Panther rule:
//   single  the log alone goes through runRules, exactly as `irctl detect` would run it (stateful rules cannot fire on
//           one event; that is measured, not hidden).
//   event   for Panther rules that are themselves thresholds (Panther `Threshold` > 1: their label says "this event
//           counts towards the threshold"), the per-event condition of irctl's rules is compared instead
//           (conditionMatches): the same question, asked of irctl's threshold rules.
// Panther test logs are trimmed and use non-ISO times ("2022-03-22 14:21:53.225"); logs without a time get epoch 0.
//
// --bench N additionally times runRules on N synthetic CloudTrail events (default 1,000,000) and prints events/s.
// Needs a build: `npm run build` (the script imports dist/). Never part of `npm test`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const engineJs = join(ROOT, 'dist/detect/engine.js');
if (!existsSync(engineJs) || !existsSync(join(ROOT, 'dist/detect/rules'))) {
  process.stderr.write('measure-rules: dist/ is missing or stale; run `npm run build` first\n');
  process.exit(2);
}
const { loadRulePack, runRules, conditionMatches } = await import(pathToFileURL(engineJs).href);
const isIsoTime = (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const { inputsFromRecords } = await import(pathToFileURL(join(ROOT, 'dist/detect/record-inputs.js')).href);

/**
 * Panther rule id -> [irctl family, mode, irctl rules compared in event mode]. Only rules whose intent an irctl family
 * covers are listed.
 */
const COVERED = {
  // logging tampering
  'AWS.CloudTrail.Stopped': ['logging-tampering', 'single'],
  'AWS.CloudTrail.EventSelectorsDisabled': ['logging-tampering', 'single'],
  'AWS.CloudTrail.DNSLogsDeleted': ['logging-tampering', 'single'],
  'AWS.VPCFlow.LogsDeleted': ['logging-tampering', 'single'],
  'AWS.ConfigService.DisabledDeleted': ['logging-tampering', 'single'],
  'AWS.S3.DisableBucketLogging': ['logging-tampering', 'single'],
  'AWS.CloudTrail.AttemptToLeaveOrg': ['logging-tampering', 'single'],
  'AWS.SecurityHub.Finding.Evasion': ['logging-tampering', 'single'],
  'AWS.IPSet.Modified': ['logging-tampering', 'single'],
  'AWS.CloudTrail.SecurityConfigurationChange': ['logging-tampering', 'single'],
  'AWS.CloudTrail.ShortLifecycle': ['logging-tampering', 'single'],
  // persistence
  'AWS.IAM.CreateUser': ['persistence', 'single'],
  'AWS.IAM.Backdoor.User.Keys': ['persistence', 'single'],
  'AWS.IAM.BackdoorRole': ['persistence', 'single'],
  'AWS.CloudTrail.LoginProfileCreatedOrModified': ['persistence', 'single'],
  'AWS.User.Login.Profile.Modified': ['persistence', 'single'],
  'AWS.Lambda.UpdateFunctionConfiguration': ['persistence', 'single'],
  'AWS.Lambda.UpdateFunctionCode': ['persistence', 'single'],
  'AWS.Potential.Backdoor.Lambda': ['persistence', 'single'],
  // credential access
  'AWS.SecretsManager.RetrieveSecrets': ['credential-access', 'event', ['irctl-aws-secrets-bulk-read']],
  'AWS.SecretsManager.BatchRetrieveSecrets': ['credential-access', 'event', ['irctl-aws-secrets-batch-read']],
  'AWS.SecretsManager.BatchRetrieveSecretsCatchAll': ['credential-access', 'single'],
  'AWS.SecretsManager.RetrieveSecretsMultiRegion': ['credential-access', 'event', ['irctl-aws-secrets-batch-read']],
  'AWS.SSM.DecryptSSMParams': ['credential-access', 'event', ['irctl-aws-ssm-parameters-bulk-decrypt']],
  'AWS.EC2.ManyPasswordReadAttempts': ['credential-access', 'event', ['irctl-aws-ec2-password-data']],
  'AWS.EC2.DownloadInstanceUserData': ['credential-access', 'event', ['irctl-aws-ec2-user-data-read']],
  'AWS.CloudTrail.IMDSCredentialExfiltration': ['credential-access', 'single'],
  // discovery (irctl alerts on bursts only: Panther's single-event discovery rules are not listed)
  'AWS.IAMUser.ReconAccessDenied': ['discovery', 'event', ['irctl-aws-access-denied-burst']],
  'AWS.CloudTrail.UnauthorizedAPICall': ['discovery', 'event', ['irctl-aws-access-denied-burst']],
  'AWS.CloudTrail.Password.Policy.Discovery': ['discovery', 'event', ['irctl-aws-discovery-burst']],
  'AWS.Software.Discovery': ['discovery', 'event', ['irctl-aws-discovery-burst']],
  'AWS.IAM.Group.Read.Only.Events': ['discovery', 'event', ['irctl-aws-discovery-burst']],
  // SES reconnaissance: Panther flags each call, irctl the burst of three (compared per event)
  'AWS.CloudTrail.SES.CheckSendQuota': ['discovery', 'event', ['irctl-aws-ses-enumeration']],
  'AWS.CloudTrail.SES.CheckSESSendingEnabled': ['discovery', 'event', ['irctl-aws-ses-enumeration']],
  'AWS.CloudTrail.SES.ListIdentities': ['discovery', 'event', ['irctl-aws-ses-enumeration']],
  'AWS.CloudTrail.SES.CheckIdentityVerifications': ['discovery', 'event', ['irctl-aws-ses-enumeration']],
  // privilege escalation
  'AWS.IAM.AttachAdminRolePolicy': ['privilege-escalation', 'single'],
  'AWS.IAM.AttachAdminUserPolicy': ['privilege-escalation', 'single'],
  // exfiltration and impact
  'AWS.CloudTrail.SnapshotMadePublic': ['exfiltration-impact', 'single'],
  'AWS.RDS.SnapshotShared': ['exfiltration-impact', 'single'],
  'AWS.CloudTrail.AMIModifiedForPublicAccess': ['exfiltration-impact', 'single'],
  'AWS.CloudTrail.ResourceMadePublic': ['exfiltration-impact', 'single'],
  'AWS.S3.DeletePublicAccessBlock': ['exfiltration-impact', 'single'],
  'AWS.S3.DeleteObject': ['exfiltration-impact', 'event', ['irctl-aws-s3-bulk-delete']],
  'AWS.S3.SuspendVersioning': ['exfiltration-impact', 'single'],
  'AWS.S3.DisableMfaDelete': ['exfiltration-impact', 'single'],
  'AWS.S3.DeleteBucketEncryption': ['exfiltration-impact', 'single'],
  'AWS.S3.DeleteBucketReplication': ['exfiltration-impact', 'single'],
  'AWS.S3.SecurityControlDisabling': ['exfiltration-impact', 'event', ['irctl-aws-s3-protection-removed', 'irctl-aws-s3-bucket-public', 'irctl-aws-s3-logging-disabled']],
  'AWS.KMS.CustomerManagedKeyLoss': ['exfiltration-impact', 'single'],
  'AWS.EC2.LaunchUnusualEC2Instances': ['exfiltration-impact', 'single'],
  'AWS.S3.CopyObjectWithClientSideEncryption': ['exfiltration-impact', 'event', ['irctl-aws-s3-ssec-overwrite']],
  // console login
  'AWS.Console.RootLogin': ['console-login', 'single'],
  'AWS.Console.LoginWithoutMFA': ['console-login', 'single'],
  'AWS.Console.RootLoginFailed': ['console-login', 'event', ['irctl-aws-root-console-login-failed']],
  'AWS.CloudTrail.PasswordSpraying': ['console-login', 'event', ['irctl-aws-console-login-failure-burst']],
  'AWS.Root.Activity': ['console-login', 'single'],
  'AWS.CloudTrail.RootAccessKeyCreated': ['console-login', 'single'],
  'AWS.CloudTrail.RootPasswordChanged': ['console-login', 'single'],
  // AI service abuse (CloudTrail side)
  'AWS.Bedrock.DeleteModelInvocationLoggingConfiguration': ['ai-abuse', 'single'],
  'AWS.Bedrock.GuardrailUpdateDelete': ['ai-abuse', 'single'],
  // execution
  'AWS.EC2.MultiInstanceConnect': ['execution', 'event', ['irctl-aws-ec2-instance-connect-key']],
  'AWS.SSM.DistributedCommand': ['execution', 'single'],
  'AWS.EC2.Startup.Script.Change': ['execution', 'single'],
};

function readJsonl(p) {
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

function measure() {
  const pack = loadRulePack({ builtin: true });
  const tests = readJsonl(join(ROOT, 'fixtures/panther/aws-cloudtrail-tests.jsonl'));
  const bedrock = readJsonl(join(ROOT, 'fixtures/panther/aws-bedrock-tests.jsonl'));
  const fam = new Map();
  const uncovered = new Map();
  const details = [];
  let unusable = 0;
  let fpAttempts = 0;
  const attemptRules = new Set(pack.compiled.filter((c) => c.attemptMeta).map((c) => c.meta.id));
  for (const t of tests) {
    const cov = COVERED[t.rule_id];
    if (!cov) {
      uncovered.set(t.rule_id, (uncovered.get(t.rule_id) ?? 0) + 1);
      continue;
    }
    const [family, mode, ruleIds = []] = cov;
    // Some labelled test logs are trimmed to the fields their rule reads: give them a time so they normalize.
    const log = t.log && typeof t.log === 'object' && !Array.isArray(t.log) && !isIsoTime(t.log.eventTime) ? { ...t.log, eventTime: new Date(0).toISOString() } : t.log;
    const inputs = inputsFromRecords([log]);
    if (inputs.length === 0) {
      unusable++;
      details.push({ rule: t.rule_id, test: t.test_name, expected: t.expected_result, predicted: null, note: "skipped: not a usable CloudTrail record (no eventSource or eventName)" });
      continue;
    }
    let fired;
    if (mode === 'single') fired = runRules(inputs, pack).filter((h) => h.rule.family === family).map((h) => h.rule.id);
    else fired = conditionMatches(inputs[0], pack).filter((r) => ruleIds.includes(r.id)).map((r) => r.id);
    const predicted = fired.length > 0;
    // A failed call that only tampering rules with irctl.attempts fire on: reported by design, one level lower.
    const attempt = predicted && inputs[0].event.outcome === 'failure' && fired.every((id) => attemptRules.has(id));
    if (attempt && !t.expected_result) fpAttempts++;
    const f = fam.get(family) ?? { family, panther_rules: new Set(), tests: 0, tp: 0, fp: 0, fn: 0, tn: 0, modes: new Set() };
    f.panther_rules.add(t.rule_id);
    f.modes.add(mode);
    f.tests++;
    if (t.expected_result && predicted) f.tp++;
    else if (!t.expected_result && predicted) f.fp++;
    else if (t.expected_result && !predicted) f.fn++;
    else f.tn++;
    fam.set(family, f);
    details.push({ rule: t.rule_id, test: t.test_name, expected: t.expected_result, predicted, fired, mode, mocks: t.has_mocks, attempt });
  }
  const pct = (n, d) => (d === 0 ? null : Math.round((1000 * n) / d) / 10);
  const rows = [...fam.values()]
    .sort((a, b) => a.family.localeCompare(b.family))
    .map((f) => ({
      family: f.family,
      panther_rules: f.panther_rules.size,
      tests: f.tests,
      tp: f.tp,
      fp: f.fp,
      fn: f.fn,
      tn: f.tn,
      precision: pct(f.tp, f.tp + f.fp),
      recall: pct(f.tp, f.tp + f.fn),
      modes: [...f.modes].sort().join('+'),
    }));
  const tot = rows.reduce((a, r) => ({ tp: a.tp + r.tp, fp: a.fp + r.fp, fn: a.fn + r.fn, tn: a.tn + r.tn, tests: a.tests + r.tests }), { tp: 0, fp: 0, fn: 0, tn: 0, tests: 0 });
  return {
    pack_rules: pack.rules.length,
    panther_tests: tests.length,
    covered_tests: tot.tests,
    unusable,
    uncovered_rules: uncovered.size,
    uncovered_tests: [...uncovered.values()].reduce((a, b) => a + b, 0),
    families: rows,
    total: { ...tot, precision: pct(tot.tp, tot.tp + tot.fp), recall: pct(tot.tp, tot.tp + tot.fn) },
    fp_failed_attempts: fpAttempts,
    bedrock_invocation_tests: bedrock.length,
    details,
    uncovered: [...uncovered.keys()].sort(),
  };
}

function* syntheticInputs(n) {
  // A mix shaped like a busy account: mostly reads by automation, some writes, a few sensitive calls.
  const actions = [
    ['ec2', 'DescribeInstances'], ['ec2', 'DescribeSecurityGroups'], ['s3', 'GetObject'], ['s3', 'PutObject'], ['s3', 'ListBuckets'],
    ['sts', 'AssumeRole'], ['sts', 'GetCallerIdentity'], ['kms', 'Decrypt'], ['kms', 'GenerateDataKey'], ['iam', 'GetRole'],
    ['iam', 'ListRoles'], ['lambda', 'Invoke'], ['logs', 'CreateLogStream'], ['logs', 'PutLogEvents'], ['dynamodb', 'GetItem'],
    ['ssm', 'GetParameter'], ['secretsmanager', 'GetSecretValue'], ['ec2', 'RunInstances'], ['iam', 'CreateAccessKey'],
    ['signin', 'ConsoleLogin'], ['cloudtrail', 'LookupEvents'], ['iam', 'AttachRolePolicy'], ['ec2', 'ModifyInstanceAttribute'],
  ];
  const uas = ['aws-cli/2.15.0 Python/3.11.6', 'Boto3/1.34.0 md/Botocore#1.34.0', 'aws-sdk-go-v2/1.24.0', 'console.amazonaws.com', 'aws-sdk-java/2.20.0'];
  const texts = [];
  for (let i = 0; i < 2000; i++) {
    const [svc, act] = actions[i % actions.length];
    texts.push(
      JSON.stringify({
        eventVersion: '1.09',
        userIdentity: { type: 'AssumedRole', principalId: `AROAEXAMPLE:${i}`, arn: `arn:aws:sts::111122223333:assumed-role/app-${i % 50}/s${i}`, accountId: '111122223333' },
        eventTime: '2026-01-01T00:00:00Z',
        eventSource: `${svc}.amazonaws.com`,
        eventName: act,
        awsRegion: 'us-east-1',
        sourceIPAddress: `198.51.100.${i % 250}`,
        userAgent: uas[i % uas.length],
        requestParameters: { bucketName: `bucket-${i % 20}`, key: `obj/${i}`, secretId: `s-${i % 30}`, name: `/p/${i}`, instanceType: 't3.micro' },
        responseElements: null,
        requestID: `req-${i}`,
        eventID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        readOnly: /^(Describe|Get|List)/.test(act),
        eventType: 'AwsApiCall',
        recipientAccountId: '111122223333',
      }).padEnd(1300, ' '),
    );
  }
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    const k = (i * 7919) % texts.length;
    const [svc, act] = actions[k % actions.length];
    const p = i % 200;
    const event = {
      rowid: i + 1, id: `ev-${String(i).padStart(9, '0')}`, time: '', time_ms: start + i * 20, provider: 'aws', layer: 'control_plane',
      class: 'api_activity', account: '111122223333', region: p % 17 === 0 ? 'eu-west-1' : 'us-east-1', service: svc, action: act,
      actor: `arn:aws:sts::111122223333:assumed-role/app-${p % 50}/s${p}`, actor_type: 'AssumedRole', actor_name: `s${p}`, access_key: `ASIA${p}`,
      session: `arn:aws:sts::111122223333:assumed-role/app-${p % 50}/s${p}`, assumed_from: `arn:aws:iam::111122223333:role/app-${p % 50}`,
      src_ip: `198.51.${p % 3}.${i % 250}`, src_host: null, user_agent: uas[p % uas.length], outcome: 'success', error_code: null,
      read_only: /^(Describe|Get|List)/.test(act) ? 1 : 0, resources: '[]', raw_sha256: '', data_type: 'aws:cloudtrail:entry',
    };
    const text = texts[k];
    let body;
    yield { event, raw: () => (body ??= (rawCalls++, JSON.parse(text))) };
  }
}
let rawCalls = 0;

function bench(n) {
  const pack = loadRulePack({ builtin: true });
  rawCalls = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const hits = runRules(syntheticInputs(n), pack);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  return {
    events: n,
    rules: pack.rules.length,
    ms: Math.round(ms),
    cpu_ms: Math.round(cpuMs),
    events_per_s: Math.round((n / ms) * 1000),
    events_per_cpu_s: Math.round((n / cpuMs) * 1000),
    raw_parsed: rawCalls,
    hits: hits.length,
    rss_mb: Math.round(process.memoryUsage().rss / 1048576),
  };
}

const res = measure();
const benchIdx = args.indexOf('--bench');
const benchRes = benchIdx >= 0 ? bench(Number(args[benchIdx + 1]) > 0 ? Number(args[benchIdx + 1]) : 1_000_000) : undefined;
if (flag('--json')) {
  const { details, ...rest } = res;
  process.stdout.write(`${JSON.stringify({ ...rest, ...(flag('--verbose') ? { details } : {}), ...(benchRes ? { bench: benchRes } : {}) })}\n`);
} else {
  const out = (s) => process.stdout.write(`${s}\n`);
  out(`irctl built-in pack (${res.pack_rules} rules) on labelled Panther CloudTrail tests (fixtures/panther)`);
  out(`${res.panther_tests} tests: ${res.covered_tests} of Panther rules an irctl family covers, ${res.uncovered_tests} of ${res.uncovered_rules} rules not covered, ${res.unusable} unusable`);
  out('');
  const hdr = ['family', 'panther rules', 'tests', 'TP', 'FP', 'FN', 'TN', 'precision %', 'recall %', 'mode'];
  const lines = [hdr, ...res.families.map((r) => [r.family, r.panther_rules, r.tests, r.tp, r.fp, r.fn, r.tn, r.precision ?? '-', r.recall ?? '-', r.modes])];
  lines.push(['all covered', '', res.total.tests, res.total.tp, res.total.fp, res.total.fn, res.total.tn, res.total.precision ?? '-', res.total.recall ?? '-', '']);
  const w = hdr.map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  for (const l of lines) out(l.map((c, i) => String(c).padEnd(w[i])).join('  ').trimEnd());
  out('');
  if (res.fp_failed_attempts)
    out(`${res.fp_failed_attempts} of the ${res.total.fp} FP are failed tampering calls, reported by design one level lower (irctl.attempts); Panther labels failed calls negative`);
  out(`Bedrock model-invocation tests: ${res.bedrock_invocation_tests} (not evaluated: no importer for Bedrock invocation logs yet; CloudTrail-side Bedrock rules are in ai-abuse)`);
  if (flag('--verbose')) {
    out('');
    for (const d of res.details.filter((x) => x.predicted !== x.expected))
      out(`${d.predicted === null ? 'SKIP' : d.expected ? 'FN' : 'FP'}  ${d.rule}  "${d.test}"${d.mocks ? ' (uses Panther mocks)' : ''}${d.attempt ? ' (failed attempt)' : ''}${d.fired?.length ? `  fired: ${d.fired.join(',')}` : ''}${d.note ? `  ${d.note}` : ''}`);
    out('');
    out(`not covered: ${res.uncovered.join(', ')}`);
  }
  if (benchRes) {
    out('');
    out(`runRules on ${benchRes.events.toLocaleString('en')} synthetic events, ${benchRes.rules} rules: ${benchRes.ms} ms wall (${benchRes.events_per_s.toLocaleString('en')} events/s), ${benchRes.cpu_ms} ms CPU (${benchRes.events_per_cpu_s.toLocaleString('en')} events/CPU-s; includes generating the synthetic events), raw parsed for ${benchRes.raw_parsed.toLocaleString('en')}, ${benchRes.hits} hits, RSS ${benchRes.rss_mb} MB`);
  }
}
