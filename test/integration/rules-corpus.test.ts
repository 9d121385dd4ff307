/**
 * The rule engine on real public content: SigmaHQ's cloud and identity rules (fixtures/sigma) and Stratus Red Team
 * detonation logs (fixtures/stratus). Runs the engine directly (no case), as `irctl detect` does per event.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack, runRules } from '../../src/detect/engine.js';
import { inputsFromRecords } from '../../src/detect/record-inputs.js';
import { fixture } from '../helpers/run-irctl.js';

function stratus(technique: string): ReturnType<typeof inputsFromRecords> {
  const recs = JSON.parse(readFileSync(fixture('stratus', `${technique}.json`), 'utf8')) as unknown[];
  return inputsFromRecords(recs);
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
    const files = readdirSync(fixture('stratus')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect(Object.keys(expected).sort()).toEqual(files.sort());
  });

  it.each(Object.entries(expected))('%s fires %j', (technique, ruleIds) => {
    const fired = new Set(runRules(stratus(technique), pack).map((h) => h.rule.id));
    for (const id of ruleIds) expect(fired, `${id} on ${technique}`).toContain(id);
  });

  it('keeps the multi-event story together: the admin-user backdoor is one hit over its three events', () => {
    const hits = runRules(stratus('aws.persistence.iam-create-admin-user'), pack).filter((h) => h.rule.id === 'irctl-aws-iam-admin-user-created');
    expect(hits).toHaveLength(1);
    expect(hits[0]?.eventIds).toHaveLength(3);
    expect(hits[0]?.summary).toBe('IAM user malicious-iam-user created, made admin and given credentials by christophe');
  });
});
