/**
 * The rules of issue 12 through the CLI: CloudTrail log files written in the native format (fixtures/cloudtrail-written)
 * imported into a case, `irctl detect --json`, then the stored detections (`irctl threats show --json`).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;

beforeEach(() => {
  tmp = tempDir();
  caseDir = join(tmp.dir, 'case');
});
afterEach(() => tmp.cleanup());

interface StoredDetection {
  rule_id: string;
  rule_title: string;
  severity: string;
  summary: string;
}

/** Import the written fixtures, run detect, and return every stored detection of every threat. */
async function detectOn(files: string[]): Promise<{ summary: Record<string, unknown>; detections: StoredDetection[] }> {
  for (const f of files) {
    const imp = await runIrctl(['--case', caseDir, 'import', fixture('cloudtrail-written', f)]);
    expect(imp.code, imp.stderr).toBe(0);
  }
  const r = await runIrctl(['--case', caseDir, 'detect', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const summary = r.json()[0] as Record<string, unknown>;
  const threats = summary.threat_list as Array<{ id: string }>;
  const detections: StoredDetection[] = [];
  for (const t of threats) {
    const show = await runIrctl(['--case', caseDir, 'threats', 'show', t.id, '--json']);
    expect(show.code, show.stderr).toBe(0);
    detections.push(...((show.json()[0] as { detection_list: StoredDetection[] }).detection_list ?? []));
  }
  return { summary, detections };
}

describe('irctl detect on CloudTrail files with the new rules', () => {
  it('detects instance-role credentials used from a laptop in S3 data events with bracketed user agents', async () => {
    // GIVEN an instance-profile session whose S3 GetObject/ListObjects data events come from a macOS aws-cli
    // WHEN
    const { summary, detections } = await detectOn(['instance-credentials-laptop.json']);
    // THEN one threat, high, with the desktop-client detections naming the instance and the session
    expect(summary.threats).toBe(1);
    const desktop = detections.filter((d) => d.rule_id === 'irctl-aws-instance-credentials-desktop-client');
    expect(desktop).toHaveLength(6);
    expect(desktop.every((d) => d.severity === 'high')).toBe(true);
    expect(desktop.map((d) => d.summary)).toContain(
      'instance credentials of i-0a1b2c3d4e5f60718 (session arn:aws:sts::111122223333:assumed-role/web-app-role/i-0a1b2c3d4e5f60718) used from a desktop client at 203.0.113.45: aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/s3.ls',
    );
    expect(detections.some((d) => d.rule_id === 'irctl-aws-instance-credentials-new-network')).toBe(true);
  });

  it('stores failed tampering attempts one level lower, and the CloudTrail bucket lifecycle rule as high', async () => {
    // GIVEN denied tampering calls by a CI role, and a Stratus-style 1-day expiry on a trail's bucket
    // WHEN
    const { detections } = await detectOn(['failed-tampering.json', 'aws.defense-evasion.cloudtrail-lifecycle-rule.json']);
    // THEN
    const stop = detections.filter((d) => d.rule_id === 'irctl-aws-cloudtrail-stopped');
    expect(stop).toHaveLength(4);
    expect(stop.every((d) => d.severity === 'medium' && d.rule_title === 'CloudTrail trail stopped or deleted (attempt failed)')).toBe(true);
    const lifecycle = detections.filter((d) => d.rule_id === 'irctl-aws-cloudtrail-bucket-lifecycle');
    expect(lifecycle.map((d) => d.severity)).toEqual(['high']);
    expect(lifecycle[0]?.summary).toMatch(/stratus-red-team-ct-lifecycle-x7k2 to expire objects after 1 day/);
  });
});
