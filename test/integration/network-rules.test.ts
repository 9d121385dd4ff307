/**
 * The network rules through the CLI on VPC flow log fixtures written for them (fixtures/aws-vpc-flow/rules): each
 * file holds the activity a rule must report and near misses it must not. import -> detect -> threats -> timeline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const RULES = join(resolve(import.meta.dirname, '../..'), 'fixtures/aws-vpc-flow/rules');

interface Detection {
  rule_id: string;
  severity: string;
  summary: string;
  techniques: string[];
  entities: Array<{ kind: string; value: string }>;
}

describe('network rules (VPC flow logs)', () => {
  let dir: string;
  let kase: string;
  let detections: Detection[];
  let threats: Array<{ id: string; rules: string[] }>;
  const irctl = (...args: string[]) => runIrctl(['--case', kase, ...args]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-netrules-'));
    kase = join(dir, 'case');
    const imp = await irctl('import', RULES);
    expect(imp.code).toBe(0);
    expect((await irctl('detect')).code).toBe(0);
    threats = (await irctl('threats', '--json')).json<{ id: string; rules: string[] }>();
    detections = [];
    for (const t of threats) detections.push(...((await irctl('threats', 'show', t.id, '--json')).json<{ detection_list: Detection[] }>()[0]?.detection_list ?? []));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const of = (id: string) => detections.filter((d) => d.rule_id === id);

  it('reports the sweep of 24 rejected host:port pairs, not 10 rejected pairs or 30 accepted connections', () => {
    const scans = of('irctl-network-port-scan');
    expect(scans).toHaveLength(1);
    expect(scans[0]?.summary).toMatch(/^198\.51\.100\.66 had 20 connections to distinct host:port pairs rejected within 10m/);
    expect(scans[0]?.techniques).toEqual(['T1046', 'T1595.001']);
    expect(detections.some((d) => d.summary.includes('198.51.100.77') || d.summary.includes('10.0.0.5 had'))).toBe(false);
  });

  it('reports 1.2 GiB sent to the internet by one interface within an hour, not 900 MiB, ingress or internal transfers', () => {
    const egress = of('irctl-network-large-egress');
    expect(egress).toHaveLength(1);
    expect(egress[0]?.summary).toBe('interface eni-0a1b2c3d4e5f60718 (instance unknown) sent 1.2 GiB to internet addresses within 1h (last to 203.0.113.99:443)');
    expect(egress[0]?.entities).toContainEqual({ kind: 'interface', value: 'eni-0a1b2c3d4e5f60718' });
    for (const eni of ['eni-0c3d4e5f607182930', 'eni-0d4e5f60718293041', 'eni-0e5f6071829304152']) expect(detections.some((d) => d.summary.includes(eni))).toBe(false);
  });

  it('reports a new internet destination after the baseline, not before it', () => {
    const nd = of('irctl-network-new-destination');
    expect(nd).toHaveLength(1);
    expect(nd[0]?.summary).toBe(
      'interface eni-0f607182930415263 (instance unknown) connected to new address 203.0.113.200:8443 tcp; baseline of 24 flows, addresses known before: 203.0.113.10',
    );
    expect(detections.some((d) => d.summary.includes('eni-07182930415263748'))).toBe(false);
  });

  it('shows the detections on the threat timeline', async () => {
    const t = threats.find((x) => x.rules.includes('irctl-network-new-destination')) as { id: string };
    const tl = await irctl('timeline', t.id, '--json');
    const rows = tl.json<{ layer: string; action: string; detections: string[] }>();
    expect(rows.some((r) => r.layer === 'network' && r.action === 'ACCEPT' && r.detections.includes('irctl-network-new-destination'))).toBe(true);
  });
});
