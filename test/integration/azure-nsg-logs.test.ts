/**
 * Azure NSG diagnostics through the CLI (fixtures/azure-resource-logs/nsg-*): `NetworkSecurityGroupEvent` and
 * `NetworkSecurityGroupRuleCounter` records as a diagnostic-settings export, as Log Analytics `AzureDiagnostics` rows
 * (query API) and as the Logs blade's CSV go into one case as network-layer events; a record read through two shapes
 * is one event; the bad record is quarantined with its reason (exit 6); show and events present the events.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureNsgEvent } from '../../src/sources/azure/nsg-events.js';
import { fixture, runIrctl, tempDir, type RunResult } from '../helpers/run-irctl.js';

const FILES = ['nsg-diagnostics.PT1H.json', 'nsg-azurediagnostics.query-response.json', 'nsg-azurediagnostics.logs-export.csv'];
const NSG = '/subscriptions/3f2b6c1e-8d4a-4b7e-9c21-5a6d7e8f9a01/resourcegroups/prod-rg/providers/microsoft.network/networksecuritygroups/web-nsg';

interface Ev {
  id: string;
  time: string;
  layer: string;
  class: string;
  service: string;
  action: string;
  account: string;
  outcome: string;
  resources: string[];
}

describe('Azure NSG diagnostics (rule events and rule counters)', () => {
  const tmp = tempDir('irctl-az-nsg-');
  const kase = join(tmp.dir, 'case');
  let imp: RunResult;
  let events: Ev[];
  beforeAll(async () => {
    imp = await runIrctl(['--case', kase, 'import', ...FILES.map((f) => fixture('azure-resource-logs', f)), '--json']);
    events = (await runIrctl(['--case', kase, 'events', '--provider', 'azure', '--json'])).json<Ev>();
  }, 60_000);
  afterAll(tmp.cleanup);

  it('imports the three shapes, one event per record read twice, and quarantines the record with a bad time (exit 6)', async () => {
    expect(imp.code).toBe(6);
    const s = imp.json<{ quarantined: number; conflicts: number; inputs: Array<{ path: string; format: string; events: number; duplicates: number; quarantined: number }> }>()[0]!;
    expect(s.quarantined).toBe(1);
    expect(s.conflicts).toBe(0);
    const by = Object.fromEntries(s.inputs.map((i) => [i.path.split('/').pop() ?? '', [i.events, i.duplicates, i.quarantined]]));
    expect(by).toEqual({
      'nsg-diagnostics.PT1H.json': [5, 0, 1],
      // the export's RDP event and RDP counter again (duplicates) and web-2's RDP event
      'nsg-azurediagnostics.query-response.json': [1, 2, 0],
      // the export's DenyAllInBound event again, portal time form with milliseconds
      'nsg-azurediagnostics.logs-export.csv': [0, 1, 0],
    });
    const q = (await runIrctl(['--case', kase, 'case', 'quarantine', '--json'])).json<{ reason: string }>();
    expect(q.map((x) => x.reason)).toEqual([expect.stringMatching(/NSG event time "20\/11\/2026 10:06" is not an ISO 8601 time/)]);
  });

  it('maps events and counters to the network layer with the NSG as resource, the NIC as related ip and interface', () => {
    expect(events).toHaveLength(6);
    for (const e of events) {
      expect(e).toMatchObject({ layer: 'network', class: 'network_activity', service: 'microsoft.network', account: '3f2b6c1e-8d4a-4b7e-9c21-5a6d7e8f9a01', resources: [NSG] });
    }
    expect(events.filter((e) => e.action === 'NetworkSecurityGroupEvents')).toHaveLength(4);
    expect(events.filter((e) => e.action === 'NetworkSecurityGroupCounters').map((e) => [e.time, e.outcome])).toEqual([
      ['2026-11-20T10:05:00.250Z', 'success'],
      ['2026-11-20T10:05:00.250Z', 'failure'],
    ]);
    // a block is a refused connection: outcome failure
    const deny = events.find((e) => e.time === '2026-11-20T10:02:31.456Z')!;
    expect(deny.outcome).toBe('failure');
    const db = new Database(join(kase, 'evidence.sqlite'), { readonly: true });
    try {
      const related = (id: string): unknown => JSON.parse(db.prepare('SELECT related FROM events WHERE id = ?').pluck().get(id) as string);
      expect(related(deny.id)).toEqual([
        ['ip', '10.20.1.4'],
        ['interface', '00:0d:3a:92:6a:7c'],
      ]);
      const web2 = events.find((e) => e.time === '2026-11-20T10:02:32.010Z')!;
      expect(related(web2.id)).toEqual([
        ['ip', '10.20.1.5'],
        ['interface', '00:0d:3a:92:6a:7d'],
      ]);
    } finally {
      db.close();
    }
  });

  it('show presents the event with both raw copies; rules see the row columns and the generic network fields', async () => {
    const rdp = events.find((e) => e.time === '2026-11-20T10:02:31.123Z')!;
    const show = await runIrctl(['--case', kase, 'show', rdp.id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('network / network_activity');
    expect(show.stdout).toContain('microsoft.network:NetworkSecurityGroupEvents');
    expect(show.stdout).toMatch(/raw records \(2;/);
    const deny = events.find((e) => e.time === '2026-11-20T10:02:31.456Z')!;
    const raw = await runIrctl(['--case', kase, 'show', deny.id, '--raw']);
    expect(raw.stdout).toContain('"ruleName":"DefaultRule_DenyAllInBound"');
    expect(azureNsgEvent.ruleBody?.(JSON.parse(raw.stdout))).toMatchObject({
      RuleName: 'DefaultRule_DenyAllInBound',
      Direction: 'In',
      Type: 'block',
      Priority: 65500,
      PrimaryIPv4Address: '10.20.1.4',
      network: { action: 'reject', direction: 'ingress', interface_id: '00:0d:3a:92:6a:7c' },
    });
    const out = await runIrctl(['--case', kase, 'show', events.find((e) => e.time === '2026-11-20T10:02:31.789Z')!.id, '--raw']);
    expect(azureNsgEvent.ruleBody?.(JSON.parse(out.stdout))).toMatchObject({ network: { action: 'accept', direction: 'egress' } });
  });
});
