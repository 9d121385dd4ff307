import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const t = tempDir('irctl-rules-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const GOOD = `title: My trail rule
id: 11111111-2222-4333-8444-555555555555
author: Example Analyst
level: medium
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: StopLogging
  condition: selection
`;

describe('irctl rules list', () => {
  it('lists the built-in pack with severity, techniques and author as JSON lines', async () => {
    // GIVEN / WHEN
    const r = await runIrctl(['rules', 'list', '--json']);
    // THEN
    expect(r.code).toBe(0);
    const rows = r.json<{ id: string; severity: string; techniques: string[]; author: string; source: string; family: string }>();
    expect(rows.length).toBeGreaterThanOrEqual(60);
    const stop = rows.find((x) => x.id === 'irctl-aws-cloudtrail-stopped');
    expect(stop).toMatchObject({ severity: 'high', source: 'builtin', family: 'logging-tampering', author: 'irctl' });
    expect(stop?.techniques).toContain('T1562.008');
  });

  it('adds SigmaHQ rules from --rules with their authors, and prints a readable table', async () => {
    const r = await runIrctl(['rules', 'list', '--no-builtin', '--rules', fixture('sigma', 'cloud', 'aws'), '--json']);
    expect(r.code).toBe(0);
    const rows = r.json<{ id: string; title: string; author: string | null; source: string; data_type: string }>();
    expect(rows).toHaveLength(57);
    const mfa = rows.find((x) => x.title === 'AWS Successful Console Login Without MFA');
    expect(mfa?.author).toBeTruthy();
    expect(mfa?.source).toBe('sigma:aws_cloudtrail_console_login_success_without_mfa.yml');
    expect(mfa?.data_type).toBe('aws:cloudtrail:entry');
    const table = await runIrctl(['rules', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+SEVERITY\s+KIND/);
    expect(table.stderr).toMatch(/\d+ rule\(s\) loaded/);
  });
});

describe('irctl rules validate', () => {
  it('accepts a folder of valid rules (exit 0)', async () => {
    const d = dir();
    writeFileSync(join(d, 'good.yml'), GOOD);
    const r = await runIrctl(['rules', 'validate', d]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 rule\(s\) valid, 0 file\(s\) rejected/);
  });

  it('reports every problem as file:line, not only the first, and exits 6', async () => {
    // GIVEN one file with three problems and one with an aggregation
    const d = dir();
    writeFileSync(join(d, 'good.yml'), GOOD);
    writeFileSync(
      join(d, 'bad.yml'),
      GOOD.replace('level: medium', 'level: urgent').replace('eventName: StopLogging', 'eventName|sorta: StopLogging').replace('condition: selection', 'condition: selection and filter'),
    );
    writeFileSync(join(d, 'agg.yml'), GOOD.replace('11111111', '22222222').replace('condition: selection', 'condition: selection | count() by userIdentity.arn > 5'));
    // WHEN
    const r = await runIrctl(['rules', 'validate', d]);
    // THEN
    expect(r.code).toBe(6);
    const bad = join(d, 'bad.yml');
    expect(r.stdout).toContain(`${bad}:4: error: level 'urgent' is not one of`);
    expect(r.stdout).toContain(`${bad}:9: error: selection 'selection': 'eventName|sorta': unknown modifier 'sorta'`);
    expect(r.stdout).toContain(`${bad}:10: error: condition names 'filter', which is not defined under detection`);
    expect(r.stdout).toContain(`${join(d, 'agg.yml')}:10: error: condition 'selection | count() by userIdentity.arn > 5': aggregation '| count() by userIdentity.arn > 5' is not supported`);
    expect(r.stdout).toMatch(/1 rule\(s\) valid, 2 file\(s\) rejected \(4 error\(s\)/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('prints one JSON summary with every problem', async () => {
    const d = dir();
    writeFileSync(join(d, 'broken.yml'), 'title: x\ndetection: [\n');
    const r = await runIrctl(['rules', 'validate', d, '--json']);
    expect(r.code).toBe(6);
    const [out] = r.json<{ ok: boolean; rules_loaded: number; problems: Array<{ file: string; line: number; level: string; message: string }> }>();
    expect(out?.ok).toBe(false);
    expect(out?.rules_loaded).toBe(0);
    expect(out?.problems[0]).toMatchObject({ file: join(d, 'broken.yml'), level: 'error' });
    expect(out?.problems[0]?.message).toMatch(/^YAML:/);
    expect(out?.problems[0]?.line).toBeGreaterThan(0);
  });

  it('validates the built-in pack when no folder is given, and rejects a missing path with exit 2', async () => {
    const ok = await runIrctl(['rules', 'validate']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/\d+ rule\(s\) valid, 0 file\(s\) rejected/);
    const missing = await runIrctl(['rules', 'validate', join(dir(), 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});
