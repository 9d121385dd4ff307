import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asObject } from '../normalize/event.js';
import { completeNetworkFields } from '../normalize/network.js';
import { registerProvider, unregisterProvider } from '../sources/index.js';
import type { Provider } from '../sources/types.js';
import { loadRulePack, runRules } from './engine.js';
import { inputsFromRecords } from './record-inputs.js';

/**
 * The network rules are written on the generic flow fields (logsource category network_flow), so every provider whose flow
 * adapter answers the category feeds them. A provider registered here (as the Azure and GCP flow adapters will be)
 * gets port-scan detections without a rule of its own.
 */
const other: Provider = {
  name: 'othercloud',
  description: 'a second cloud with flow records (test)',
  adapters: [
    {
      id: 'othercloud-flow',
      dataType: 'othercloud:flow:record',
      provider: 'othercloud',
      description: 'flow records (test)',
      version: 1,
      categories: ['network_flow'],
      matches: (r) => asObject(r)?.kind === 'othercloud-flow',
      normalize: (r, sha) => {
        const o = asObject(r) ?? {};
        const ms = Number(o.t);
        return {
          ok: true,
          event: {
            id: `othercloud:${sha}`,
            dataType: 'othercloud:flow:record',
            class: 'network_activity',
            time: new Date(ms).toISOString(),
            timeMs: ms,
            provider: 'othercloud',
            layer: 'network',
            action: String(o.verdict),
            actor: {},
            srcIp: String(o.src),
            outcome: o.verdict === 'DENY' ? 'failure' : 'success',
            resources: [],
          },
        };
      },
      ruleBody: (r) => {
        const o = asObject(r) ?? {};
        return { ...o, network: completeNetworkFields({ src_ip: String(o.src), dst_ip: String(o.dst), dst_port: Number(o.port), protocol_number: 6, action: o.verdict === 'DENY' ? 'reject' : 'accept' }) };
      },
    },
  ],
};

describe('network rules on the generic flow fields', () => {
  beforeAll(() => registerProvider(other));
  afterAll(() => unregisterProvider('othercloud'));

  it("run on another provider's flow records: a sweep of 20 denied host:port pairs is a port scan, 19 is not", () => {
    // GIVEN a pack loaded with the second provider registered, and its flow records
    const pack = loadRulePack({ builtin: true });
    expect(pack.compiled.find((r) => r.meta.id === 'irctl-network-port-scan')?.dataTypes).toEqual(['aws:vpcflow:record', 'gcp:vpc-flow:entry', 'othercloud:flow:record']);
    const t0 = Date.UTC(2026, 10, 20, 9);
    const flows = (src: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ kind: 'othercloud-flow', t: t0 + i * 10_000, src, dst: `10.1.0.${(i % 4) + 1}`, port: 1000 + i, verdict: 'DENY' }));
    // WHEN the rules run
    const hits = runRules(inputsFromRecords([...flows('198.51.100.5', 20), ...flows('198.51.100.6', 19)]), pack).filter((h) => h.rule.id === 'irctl-network-port-scan');
    // THEN one port scan, from the source that reached the threshold
    expect(hits).toHaveLength(1);
    expect(hits[0]?.summary).toContain('198.51.100.5 had 20 connections to distinct host:port pairs rejected within 10m');
  });
});

describe('isPrivateAddress', () => {
  it('knows private, shared and public IPv4 and IPv6 addresses', async () => {
    const { isPrivateAddress } = await import('../normalize/network.js');
    for (const ip of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '169.254.169.254', '100.64.0.1', '100.127.255.255', 'fd00::1', 'fe80::1', '::1'])
      expect(isPrivateAddress(ip)).toBe(true);
    for (const ip of ['172.32.0.1', '100.128.0.1', '203.0.113.5', '8.8.8.8', '2001:db8::1']) expect(isPrivateAddress(ip)).toBe(false);
    for (const ip of ['999.1.1.1', 'eni-0abc', '-']) expect(isPrivateAddress(ip)).toBeUndefined();
  });
});
