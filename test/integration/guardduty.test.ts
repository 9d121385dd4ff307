/**
 * GuardDuty findings through the CLI (issue 16): an EventBridge "GuardDuty Finding" event (Runtime Monitoring reverse
 * shell in an EKS pod), the S3 export (JSON Lines .jsonl.gz: two versions of an AI-protection finding, an IAM finding
 * and one with an unreadable time) and GetFindings output (PascalCase) holding the IAM finding again; plus the public
 * sample findings (camelCase files, GetFindings doc example). Checks layers, entities, identity of versions and
 * copies, the detection per finding with GuardDuty's severity and the type's ATT&CK / ATLAS techniques, and that
 * sample findings are informational.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl, type RunResult } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const GD = join(ROOT, 'fixtures/aws-guardduty/findings');
const SESSION = 'arn:aws:sts::111122223333:assumed-role/support-agent-role/i-0a1b2c3d4e5f60718';

interface EventJson {
  id: string;
  layer: string;
  class: string;
  service: string;
  action: string;
  actor: string | null;
  session: string | null;
  access_key: string | null;
  src_ip: string | null;
  resources: string[];
}
interface Detection {
  rule_id: string;
  rule_title: string;
  severity: string;
  techniques: string[];
  tactics: string[];
  summary: string;
  entities: Array<{ kind: string; value: string }>;
}

describe('GuardDuty findings', () => {
  let dir: string;
  let kase: string;
  let imported: RunResult;
  let events: EventJson[];
  let detections: Detection[];
  const irctl = (...args: string[]) => runIrctl(['--case', kase, ...args]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-guardduty-'));
    kase = join(dir, 'case');
    imported = await irctl('import', GD, '--json');
    events = (await irctl('events', '--service', 'guardduty', '--json')).json<EventJson>();
    await irctl('detect');
    const threats = (await irctl('threats', '--json')).json<{ id: string }>();
    detections = [];
    for (const t of threats) detections.push(...((await irctl('threats', 'show', t.id, '--json')).json<{ detection_list: Detection[] }>()[0]?.detection_list ?? []));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads EventBridge events, the S3 export and GetFindings output; quarantines a finding without a time (exit 6)', () => {
    expect(imported.code).toBe(6);
    const s = imported.json<{ records: number; events: number; duplicates: number; quarantined: number; inputs: Array<{ path: string; format: string }> }>()[0];
    expect(s).toMatchObject({ records: 6, events: 4, duplicates: 1, quarantined: 1 });
    expect(s?.inputs.map((i) => i.format).sort()).toEqual(['guardduty', 'json', 'jsonl']);
    expect(imported.stderr).toContain('GuardDuty finding 0badf1nd1ng0000000000000000000001: eventFirstSeen / createdAt "yesterday" is not an ISO 8601 time');
  });

  it('gives each finding the layer of what it is about, and its entities', () => {
    const by = (t: string) => events.filter((e) => e.action === t);
    expect(by('Execution:Runtime/ReverseShell')).toMatchObject([{ layer: 'workload', class: 'detection_finding', service: 'guardduty', actor: null }]);
    // Two versions of one finding (count 3, then 9) are two observations.
    expect(by('Impact:IAMUser/AnomalousModelInvocation')).toHaveLength(2);
    expect(by('Impact:IAMUser/AnomalousModelInvocation').every((e) => e.layer === 'ai' && e.session === SESSION && e.access_key === 'ASIAIOSFODNN7EXAMPLE')).toBe(true);
    const exf = by('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(exf).toMatchObject([{ layer: 'identity', actor: SESSION, src_ip: '203.0.113.50' }]);
  });

  it('keeps the GetFindings (PascalCase) copy as another raw record of the same finding', async () => {
    const exf = events.find((e) => e.action.startsWith('UnauthorizedAccess')) as EventJson;
    const shown = (await irctl('show', exf.id, '--json')).json<{ copies: unknown[] }>()[0];
    expect(shown?.copies).toHaveLength(2);
  });

  it("makes one detection per finding with GuardDuty's severity and the type's techniques", () => {
    expect(detections).toHaveLength(4);
    expect(detections.every((d) => d.rule_id === 'irctl-aws-guardduty-finding')).toBe(true);
    const rs = detections.find((d) => d.rule_title.endsWith('Execution:Runtime/ReverseShell')) as Detection;
    expect(rs).toMatchObject({ severity: 'high', tactics: ['execution'] });
    expect(rs.techniques).toEqual(['T1059', 'T1059.004']);
    expect(rs.summary).toBe('GuardDuty Execution:Runtime/ReverseShell (severity 8, count 1): A reverse shell was created in a container of pod support-agent-7d9f8c6b5-x2k4p.');
    for (const [kind, value] of [
      ['pod', 'agents/support-agent-7d9f8c6b5-x2k4p'],
      ['namespace', 'agents'],
      ['container', '3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a'],
      ['image', '111122223333.dkr.ecr.us-east-1.amazonaws.com/support-agent:1.4.2'],
      ['instance', 'i-0a1b2c3d4e5f60718'],
      ['interface', 'eni-0a1b2c3d4e5f60718'],
      ['ip', '203.0.113.50'],
    ]) expect(rs.entities).toContainEqual({ kind, value });
    const ai = detections.filter((d) => d.rule_title.endsWith('AnomalousModelInvocation'));
    expect(ai.map((d) => d.severity)).toEqual(['medium', 'medium']);
    expect(ai[0]?.techniques).toContain('AML.T0040');
    const exf = detections.find((d) => d.rule_title.includes('InstanceCredentialExfiltration')) as Detection;
    expect(exf).toMatchObject({ severity: 'high' });
    expect(exf.techniques).toContain('T1552.005');
  });

  it('reports the public sample findings as informational and marks them', async () => {
    const r = await irctl('import', join(ROOT, 'fixtures/aws-guardduty/samples'), '--json');
    expect(r.code).toBe(0);
    expect(r.json<{ events: number }>()[0]?.events).toBe(4);
    await irctl('detect');
    const ts = (await irctl('threats', '--json')).json<{ id: string; title: string; severity: string }>();
    const samples = ts.filter((t) => t.title.includes('(sample finding)'));
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((t) => t.severity === 'informational')).toBe(true);
    // The GetFindings doc example is a real-looking finding: medium (severity 5), not a sample.
    expect(ts.find((t) => t.title.includes('Recon:IAMUser/UserPermissions'))).toMatchObject({ severity: 'medium' });
  });
});
