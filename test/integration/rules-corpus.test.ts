/**
 * The rule engine on real public content: SigmaHQ's cloud and identity rules (fixtures/sigma) and Stratus Red Team
 * detonation logs (fixtures/stratus). Runs the engine directly (no case), as `irctl detect` does per event.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack, runRules, type RulePack } from '../../src/detect/engine.js';
import { inputsFromRecords } from '../../src/detect/record-inputs.js';
import { fixture } from '../helpers/run-irctl.js';

function stratus(technique: string): ReturnType<typeof inputsFromRecords> {
  const recs = JSON.parse(readFileSync(fixture('stratus', `${technique}.json`), 'utf8')) as unknown[];
  return inputsFromRecords(recs);
}

/** Names (without .json) of the JSON files in a fixtures folder that start with `prefix`. */
function jsonNames(dir: string, prefix = ''): string[] {
  return readdirSync(fixture(dir))
    .filter((f) => f.endsWith('.json') && f.startsWith(prefix))
    .map((f) => f.replace(/\.json$/, ''));
}

/** Every one of `ruleIds` fires on the inputs. */
function expectFires(inputs: ReturnType<typeof inputsFromRecords>, pack: RulePack, ruleIds: readonly string[], what: string): void {
  const fired = new Set(runRules(inputs, pack).map((h) => h.rule.id));
  for (const id of ruleIds) expect(fired, `${id} on ${what}`).toContain(id);
}

/** A CloudTrail log file written for the rule tests (fixtures/cloudtrail-written, `{"Records": [...]}`). */
function written(name: string): ReturnType<typeof inputsFromRecords> {
  const file = JSON.parse(readFileSync(fixture('cloudtrail-written', `${name}.json`), 'utf8')) as { Records: unknown[] };
  return inputsFromRecords(file.Records);
}

describe('SigmaHQ rules (fixtures/sigma, DRL-1.1)', () => {
  const pack = loadRulePack({ builtin: false, dirs: [fixture('sigma')] });

  it('loads all 217 AWS, Azure, GCP and Okta rules; none is rejected', () => {
    // Every construct these rules use is supported (field lists and maps, contains/startswith/endswith/all/re/
    // fieldref, null, keywords, 1 of / all of, not). Rejections are covered by the unit tests and rules.test.ts.
    expect(pack.errors.filter((e) => e.level === 'error')).toEqual([]);
    expect(pack.rules).toHaveLength(217);
    const byType = new Map<string, number>();
    for (const r of pack.rules) byType.set(r.dataType ?? '', (byType.get(r.dataType ?? '') ?? 0) + 1);
    expect(Object.fromEntries(byType)).toEqual({
      'aws:cloudtrail:entry': 57,
      'azure:activity:entry': 35,
      'azure:audit:entry': 44,
      'azure:riskdetection:entry': 19,
      'azure:pim:entry': 7,
      'azure:signin:entry': 18,
      'gcp:audit:entry': 16,
      'okta:system:entry': 21,
    });
    expect(pack.rules.every((r) => r.author !== undefined && r.id.length > 0)).toBe(true);
  });

  it.each([
    ['aws.defense-evasion.cloudtrail-stop', 'AWS CloudTrail Important Change'],
    ['aws.defense-evasion.cloudtrail-delete', 'AWS CloudTrail Important Change'],
    ['aws.defense-evasion.vpc-remove-flow-logs', 'AWS VPC Flow Logs Deleted'],
    ['aws.exfiltration.ec2-share-ebs-snapshot', 'AWS Snapshot Backup Exfiltration'],
    ['aws.exfiltration.ec2-security-group-open-port-22-ingress', 'Ingress/Egress Security Group Modification'],
    ['aws.initial-access.console-login-without-mfa', 'AWS Successful Console Login Without MFA'],
    ['aws.persistence.iam-backdoor-user', 'AWS IAM Backdoor Users Keys'],
    ['aws.persistence.lambda-layer-extension', 'AWS New Lambda Layer Attached'],
    ['aws.privilege-escalation.iam-update-user-login-profile', 'AWS User Login Profile Was Modified'],
    ['aws.execution.ssm-send-command', 'Potential Malicious Usage of CloudTrail System Manager'],
  ])('fires on Stratus %s: "%s", crediting the rule author', (technique, title) => {
    const hits = runRules(stratus(technique), pack).filter((h) => h.rule.title === title);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]?.rule.author).toBeTruthy();
    expect(hits[0]?.rule.source).toMatch(/^sigma:/);
  });

  it('does not run Azure / GCP / Okta rules on CloudTrail events', () => {
    const all = readdirSync(fixture('stratus'))
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => stratus(f.replace(/\.json$/, '')));
    const hits = runRules(all, pack);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.rule.dataType === 'aws:cloudtrail:entry')).toBe(true);
  });
});

describe('built-in pack on Stratus Red Team detonations', () => {
  const pack = loadRulePack({ builtin: true });
  const expected: Record<string, string[]> = {
    'aws.credential-access.ec2-get-password-data': ['irctl-aws-ec2-password-data'],
    'aws.credential-access.ec2-steal-instance-credentials': ['irctl-aws-instance-credentials-shared-ip', 'irctl-aws-ssm-command-by-person'],
    'aws.credential-access.secretsmanager-batch-retrieve-secrets': ['irctl-aws-secrets-batch-read'],
    'aws.credential-access.secretsmanager-retrieve-secrets': ['irctl-aws-secrets-bulk-read'],
    'aws.credential-access.ssm-retrieve-securestring-parameters': ['irctl-aws-ssm-parameters-bulk-decrypt'],
    'aws.defense-evasion.cloudtrail-delete': ['irctl-aws-cloudtrail-stopped'],
    'aws.defense-evasion.cloudtrail-event-selectors': ['irctl-aws-cloudtrail-selectors-reduced'],
    'aws.defense-evasion.cloudtrail-stop': ['irctl-aws-cloudtrail-stopped'],
    'aws.defense-evasion.dns-delete-logs': ['irctl-aws-dns-logging-deleted'],
    'aws.defense-evasion.organizations-leave': ['irctl-aws-organizations-leave'],
    'aws.defense-evasion.vpc-remove-flow-logs': ['irctl-aws-flow-logs-deleted'],
    'aws.discovery.ec2-download-user-data': ['irctl-aws-ec2-user-data-read'],
    'aws.execution.ec2-launch-unusual-instances': ['irctl-aws-ec2-unusual-instances'],
    'aws.execution.ec2-user-data': ['irctl-aws-ec2-user-data-modified'],
    'aws.execution.ssm-send-command': ['irctl-aws-ssm-command-by-person'],
    'aws.execution.ssm-start-session': ['irctl-aws-ssm-command-by-person'],
    'aws.exfiltration.ec2-security-group-open-port-22-ingress': ['irctl-aws-security-group-open-world'],
    'aws.exfiltration.ec2-share-ami': ['irctl-aws-ami-shared'],
    'aws.exfiltration.ec2-share-ebs-snapshot': ['irctl-aws-snapshot-shared'],
    'aws.exfiltration.rds-share-snapshot': ['irctl-aws-snapshot-shared'],
    'aws.impact.bedrock-invoke-model': ['irctl-aws-bedrock-llmjacking', 'irctl-aws-bedrock-model-access-enabled', 'irctl-aws-bedrock-model-enumeration'],
    'aws.initial-access.console-login-without-mfa': ['irctl-aws-console-login-without-mfa'],
    'aws.lateral-movement.ec2-instance-connect': ['irctl-aws-ec2-instance-connect-key'],
    'aws.lateral-movement.ec2-serial-console-send-ssh-public-key': ['irctl-aws-ec2-instance-connect-key'],
    'aws.persistence.iam-backdoor-role': ['irctl-aws-iam-role-trust-modified'],
    'aws.persistence.iam-backdoor-user': ['irctl-aws-iam-access-key-other-user'],
    'aws.persistence.iam-create-admin-user': ['irctl-aws-iam-admin-user-created', 'irctl-aws-iam-admin-policy-attached'],
    'aws.persistence.iam-create-backdoor-role': ['irctl-aws-iam-role-trust-modified', 'irctl-aws-iam-admin-policy-attached'],
    'aws.persistence.iam-create-user-login-profile': ['irctl-aws-iam-login-profile-other-user'],
    'aws.persistence.lambda-backdoor-function': ['irctl-aws-lambda-public-permission'],
    'aws.persistence.lambda-layer-extension': ['irctl-aws-lambda-layer-added'],
    'aws.persistence.lambda-overwrite-code': ['irctl-aws-lambda-code-updated'],
    'aws.persistence.rolesanywhere-create-trust-anchor': ['irctl-aws-rolesanywhere-trust-anchor'],
    'aws.persistence.sts-federation-token': ['irctl-aws-sts-federation-token'],
    'aws.privilege-escalation.iam-update-user-login-profile': ['irctl-aws-iam-login-profile-other-user'],
  };

  it('covers every Stratus technique in fixtures/stratus', () => {
    expect(Object.keys(expected).sort()).toEqual(jsonNames('stratus').sort());
  });

  it.each(Object.entries(expected))('%s fires %j', (technique, ruleIds) => expectFires(stratus(technique), pack, ruleIds, technique));

  it('keeps the multi-event story together: the admin-user backdoor is one hit over its three events', () => {
    const hits = runRules(stratus('aws.persistence.iam-create-admin-user'), pack).filter((h) => h.rule.id === 'irctl-aws-iam-admin-user-created');
    expect(hits).toHaveLength(1);
    expect(hits[0]?.eventIds).toHaveLength(3);
    expect(hits[0]?.summary).toBe('IAM user malicious-iam-user created, made admin and given credentials by christophe');
  });
});

/**
 * The current Stratus Red Team AWS technique list (stratus-red-team.cloud, read 2026-11): every technique has an
 * upstream detonation log (fixtures/stratus) or a CloudTrail file written from its documentation
 * (fixtures/cloudtrail-written), and the built-in pack fires on it.
 */
const STRATUS_AWS_TECHNIQUES = [
  'aws.credential-access.ec2-get-password-data',
  'aws.credential-access.ec2-steal-instance-credentials',
  'aws.credential-access.secretsmanager-batch-retrieve-secrets',
  'aws.credential-access.secretsmanager-retrieve-secrets',
  'aws.credential-access.ssm-retrieve-securestring-parameters',
  'aws.defense-evasion.bedrock-guardrail-delete',
  'aws.defense-evasion.bedrock-model-invocation-logging-delete',
  'aws.defense-evasion.cloudtrail-delete',
  'aws.defense-evasion.cloudtrail-event-selectors',
  'aws.defense-evasion.cloudtrail-lifecycle-rule',
  'aws.defense-evasion.cloudtrail-stop',
  'aws.defense-evasion.dns-delete-logs',
  'aws.defense-evasion.organizations-leave',
  'aws.defense-evasion.vpc-remove-flow-logs',
  'aws.discovery.bedrock-enumerate-models-multiple-regions',
  'aws.discovery.ec2-download-user-data',
  'aws.discovery.ec2-enumerate-from-instance',
  'aws.discovery.ses-enumerate',
  'aws.execution.ec2-launch-unusual-instances',
  'aws.execution.ec2-user-data',
  'aws.execution.sagemaker-update-lifecycle-config',
  'aws.execution.ssm-send-command',
  'aws.execution.ssm-start-session',
  'aws.exfiltration.ec2-security-group-open-port-22-ingress',
  'aws.exfiltration.ec2-share-ami',
  'aws.exfiltration.ec2-share-ebs-snapshot',
  'aws.exfiltration.rds-share-snapshot',
  'aws.exfiltration.s3-backdoor-bucket-policy',
  'aws.impact.bedrock-invoke-model',
  'aws.impact.ec2-deregister-ami',
  'aws.impact.s3-ransomware-batch-deletion',
  'aws.impact.s3-ransomware-client-side-encryption',
  'aws.impact.s3-ransomware-individual-deletion',
  'aws.initial-access.console-login-without-mfa',
  'aws.lateral-movement.ec2-instance-connect',
  'aws.lateral-movement.ec2-serial-console-send-ssh-public-key',
  'aws.persistence.cognito-refresh-token-reuse',
  'aws.persistence.ec2-create-suspicious-keypair',
  'aws.persistence.iam-backdoor-role',
  'aws.persistence.iam-backdoor-user',
  'aws.persistence.iam-create-admin-user',
  'aws.persistence.iam-create-backdoor-role',
  'aws.persistence.iam-create-user-login-profile',
  'aws.persistence.lambda-backdoor-function',
  'aws.persistence.lambda-layer-extension',
  'aws.persistence.lambda-overwrite-code',
  'aws.persistence.rolesanywhere-create-trust-anchor',
  'aws.persistence.sts-federation-token',
  'aws.privilege-escalation.iam-update-user-login-profile',
];

describe('built-in pack on the Stratus techniques without an upstream log (fixtures/cloudtrail-written)', () => {
  const pack = loadRulePack({ builtin: true });
  const expected: Record<string, string[]> = {
    'aws.defense-evasion.bedrock-guardrail-delete': ['irctl-aws-bedrock-guardrail-removed'],
    'aws.defense-evasion.bedrock-model-invocation-logging-delete': ['irctl-aws-bedrock-invocation-logging-disabled'],
    'aws.defense-evasion.cloudtrail-lifecycle-rule': ['irctl-aws-cloudtrail-bucket-lifecycle', 'irctl-aws-s3-lifecycle-expiry'],
    'aws.discovery.bedrock-enumerate-models-multiple-regions': ['irctl-aws-bedrock-multi-region-invoke'],
    'aws.discovery.ec2-enumerate-from-instance': ['irctl-aws-instance-role-recon', 'irctl-aws-iam-authorization-details'],
    'aws.discovery.ses-enumerate': ['irctl-aws-ses-enumeration'],
    'aws.execution.sagemaker-update-lifecycle-config': ['irctl-aws-sagemaker-lifecycle-config-attached'],
    'aws.exfiltration.s3-backdoor-bucket-policy': ['irctl-aws-s3-bucket-policy-foreign-account'],
    'aws.impact.ec2-deregister-ami': ['irctl-aws-ec2-ami-deregistered'],
    'aws.impact.s3-ransomware-batch-deletion': ['irctl-aws-s3-ransomware-versions-destroyed'],
    'aws.impact.s3-ransomware-client-side-encryption': ['irctl-aws-s3-ssec-overwrite'],
    'aws.impact.s3-ransomware-individual-deletion': ['irctl-aws-s3-ransomware-versions-destroyed'],
    'aws.persistence.cognito-refresh-token-reuse': ['irctl-aws-cognito-refresh-token-scripted'],
    'aws.persistence.ec2-create-suspicious-keypair': ['irctl-aws-ec2-key-pair-known-bad'],
  };

  it('has a detonation log or a written CloudTrail file for every current Stratus AWS technique, and nothing else', () => {
    const mine = jsonNames('cloudtrail-written', 'aws.');
    expect([...jsonNames('stratus'), ...mine].sort()).toEqual([...STRATUS_AWS_TECHNIQUES].sort());
    expect(Object.keys(expected).sort()).toEqual(mine.sort());
  });

  it.each(Object.entries(expected))('%s fires %j', (technique, ruleIds) => expectFires(written(technique), pack, ruleIds, technique));

  it('links the lifecycle rule to the trail bucket: one high detection naming the bucket', () => {
    const hits = runRules(written('aws.defense-evasion.cloudtrail-lifecycle-rule'), pack).filter((h) => h.rule.id === 'irctl-aws-cloudtrail-bucket-lifecycle');
    expect(hits).toHaveLength(1);
    expect(hits[0]?.rule.severity).toBe('high');
    expect(hits[0]?.summary).toBe('red-team-operator set CloudTrail log bucket stratus-red-team-ct-lifecycle-x7k2 to expire objects after 1 day(s)');
    // the CreateTrail and the lifecycle rule, in time order
    expect(hits[0]?.eventIds).toHaveLength(2);
  });

  it('names the foreign account a bucket policy grants', () => {
    const [hit] = runRules(written('aws.exfiltration.s3-backdoor-bucket-policy'), pack).filter((h) => h.rule.id === 'irctl-aws-s3-bucket-policy-foreign-account');
    expect(hit?.summary).toBe('red-team-operator granted account 444455556666 access to bucket stratus-red-team-bucket-policy-q4m1 (PutBucketPolicy)');
  });

  it('fires none of these rules on benign look-alikes (same-account policy, long retention, one SES call, Terraform tear-down, two Bedrock regions...)', () => {
    const ids = new Set([...Object.values(expected).flat(), 'irctl-aws-s3-bucket-public', 'irctl-aws-instance-credentials-desktop-client']);
    const hits = runRules(written('benign-lookalikes'), pack).filter((h) => ids.has(h.rule.id));
    expect(hits.map((h) => h.rule.id)).toEqual([]);
  });
});

describe('failed tampering attempts (fixtures/cloudtrail-written/failed-tampering.json)', () => {
  const pack = loadRulePack({ builtin: true });
  const hits = runRules(written('failed-tampering'), pack);

  it('reports each denied tampering call, one severity level lower than success, titled as an attempt', () => {
    const attempts = hits.filter((h) => h.rule.title.endsWith('(attempt failed)'));
    expect(attempts.map((h) => [h.rule.id, h.rule.severity])).toEqual([
      ['irctl-aws-cloudtrail-stopped', 'medium'],
      ['irctl-aws-cloudtrail-stopped', 'medium'],
      ['irctl-aws-cloudtrail-stopped', 'medium'],
      ['irctl-aws-cloudtrail-stopped', 'medium'],
      ['irctl-aws-flow-logs-deleted', 'medium'],
      ['irctl-aws-guardduty-disabled', 'medium'],
      ['irctl-aws-s3-lifecycle-expiry', 'low'],
    ]);
    expect(attempts[0]?.summary).toBe(
      'gh-actions-7731 ran StopLogging on trail arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail from 192.0.2.88 (attempt failed: AccessDenied)',
    );
    // the rule's own metadata is untouched: a success is still high
    expect(pack.rules.find((r) => r.id === 'irctl-aws-cloudtrail-stopped')?.severity).toBe('high');
  });

  it('gives every logging-tampering rule irctl.attempts', () => {
    const tampering = pack.compiled.filter((c) => c.meta.family === 'logging-tampering' && !c.stateful);
    expect(tampering.length).toBeGreaterThanOrEqual(10);
    expect(tampering.filter((c) => !c.attemptMeta).map((c) => c.meta.id)).toEqual([]);
  });
});

describe('EC2 instance credentials used off the instance (fixtures/cloudtrail-written/instance-credentials-laptop.json)', () => {
  const pack = loadRulePack({ builtin: true });
  const inputs = written('instance-credentials-laptop');
  const hits = runRules(inputs, pack);

  it('stores the S3 data events\' bracketed user agents without the brackets', () => {
    const laptop = inputs.filter((i) => i.event.src_ip === '203.0.113.45' && i.event.action === 'GetObject');
    expect(laptop.map((i) => i.event.user_agent)).toEqual(Array(3).fill('aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/s3.cp'));
    expect((laptop[0]?.raw() as { userAgent: string }).userAgent).toMatch(/^\[aws-cli\/2\.15\.30 .*\]$/);
  });

  it('flags the laptop calls (high), naming the instance and the session, and not the instance\'s own CLI', () => {
    const desktop = hits.filter((h) => h.rule.id === 'irctl-aws-instance-credentials-desktop-client');
    expect(desktop.length).toBe(6);
    expect(desktop.every((h) => h.rule.severity === 'high')).toBe(true);
    expect(desktop.map((h) => h.summary)).toContain(
      'instance credentials of i-0a1b2c3d4e5f60718 (session arn:aws:sts::111122223333:assumed-role/web-app-role/i-0a1b2c3d4e5f60718) used from a desktop client at 203.0.113.45: aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/s3.cp',
    );
    const ownCli = inputs.find((i) => i.event.action === 'PutObject');
    expect(desktop.some((h) => h.eventIds.includes(ownCli?.event.id ?? ''))).toBe(false);
  });

  it('also sees the second network and, with the normalized agent, the interactive tool on a public address', () => {
    const ids = new Set(hits.map((h) => h.rule.id));
    expect(ids).toContain('irctl-aws-instance-credentials-new-network');
    const publicIp = hits.filter((h) => h.rule.id === 'irctl-aws-instance-credentials-public-ip');
    // the laptop's S3 data events (bracketed in the record) are among them
    const dataEvents = inputs.filter((i) => i.event.src_ip === '203.0.113.45' && i.event.action.startsWith('GetObject')).map((i) => i.event.id);
    expect(dataEvents.every((id) => publicIp.some((h) => h.eventIds.includes(id)))).toBe(true);
  });
});
