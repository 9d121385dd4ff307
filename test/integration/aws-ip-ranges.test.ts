/**
 * issue 12 item 2: instance credentials used from a source address outside AWS's published IP ranges, from a file
 * the operator points to with IRCTL_AWS_IP_RANGES (no fetch at run time), IPv4 and IPv6, the detection naming the
 * check and the ranges file; without the file the rule stays silent and the weaker public-IP rule remains.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

let dir: string;
let cleanup: () => void;
let caseDir: string;
const ranges = fixture('aws-ip-ranges', 'ip-ranges.synthetic.json');

interface Detection {
  rule_id: string;
  summary: string;
  event_ids: string[];
}

async function detections(env: Record<string, string>): Promise<{ code: number; stderr: string; list: Detection[] }> {
  const d = await runIrctl(['--case', caseDir, 'detect'], { env });
  if (d.code !== 0) return { code: d.code, stderr: d.stderr, list: [] };
  const t = await runIrctl(['--case', caseDir, 'threats', 'show', 'T-1', '--json']);
  return { code: d.code, stderr: d.stderr, list: t.json<{ detection_list: Detection[] }>()[0]?.detection_list ?? [] };
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  caseDir = join(dir, 'case');
  expect((await runIrctl(['--case', caseDir, 'import', fixture('aws-ip-ranges', 'instance-credentials-outside.json')])).code).toBe(0);
});
afterAll(() => cleanup());

describe('AWS published IP ranges (IRCTL_AWS_IP_RANGES)', () => {
  it('flags the instance session only where the source is outside the ranges (IPv4 and IPv6) and says which check fired', async () => {
    const { code, stderr, list } = await detections({ IRCTL_AWS_IP_RANGES: ranges });
    expect(code).toBe(0);
    expect(stderr).toContain(`AWS IP ranges: ${ranges} (createDate 2026-11-20-08-00-00, 3 IPv4 and 1 IPv6 prefixes)`);
    const outside = list.filter((d) => d.rule_id === 'irctl-aws-instance-credentials-outside-aws');
    expect(outside.flatMap((d) => d.event_ids).sort()).toEqual(['7d0c6a10-0000-4000-8000-000000000003', '7d0c6a10-0000-4000-8000-000000000004']);
    expect(outside.map((d) => d.summary).join('\n')).toContain(
      'instance credentials of i-0fedcba9876543210 (session arn:aws:sts::111122223333:assumed-role/app-server/i-0fedcba9876543210) used from 203.0.113.99, outside AWS (check: source address not in AWS ip-ranges.json createDate 2026-11-20-08-00-00)',
    );
    expect(outside.map((d) => d.summary).join('\n')).toContain('used from 2001:db8:2::5, outside AWS');
    // with the ranges known, the weak public-IP rule gives way (inside: the instance's own NAT; outside: the rule above)
    expect(list.filter((d) => d.rule_id === 'irctl-aws-instance-credentials-public-ip')).toEqual([]);
  });

  it('without the file the rule cannot fire and the public-IP rule remains', async () => {
    const { code, stderr, list } = await detections({});
    expect(code).toBe(0);
    expect(stderr).not.toContain('AWS IP ranges');
    expect(list.filter((d) => d.rule_id === 'irctl-aws-instance-credentials-outside-aws')).toEqual([]);
    expect(list.filter((d) => d.rule_id === 'irctl-aws-instance-credentials-public-ip').flatMap((d) => d.event_ids)).toHaveLength(4);
  });

  it('a missing or malformed file is a configuration error (exit 3) naming it', async () => {
    const missing = await runIrctl(['--case', caseDir, 'detect'], { env: { IRCTL_AWS_IP_RANGES: join(dir, 'nope.json') } });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`IRCTL_AWS_IP_RANGES=${join(dir, 'nope.json')}: cannot read it`);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"syncToken":"1","createDate":"x"}');
    const r = await runIrctl(['--case', caseDir, 'detect'], { env: { IRCTL_AWS_IP_RANGES: bad } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no "prefixes" array: not an ip-ranges.json document');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
