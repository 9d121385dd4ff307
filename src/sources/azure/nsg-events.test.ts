import { describe, expect, it } from 'vitest';
import type { TableHeader } from '../types.js';
import { azureKeyVault } from './key-vault.js';
import { azureNsgEvent, azureNsgRuleCounter, macOf, normalizeNsg } from './nsg-events.js';

const NSG = '/SUBSCRIPTIONS/3F2B6C1E-8D4A-4B7E-9C21-5A6D7E8F9A01/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/APP-NSG';
const counter = (props: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  time: '2026-11-20T10:05:00.2500000Z',
  category: 'NetworkSecurityGroupRuleCounter',
  resourceId: NSG,
  operationName: 'NetworkSecurityGroupCounters',
  properties: { macAddress: '00-0D-3A-92-6A-7C', primaryIPv4Address: '10.0.0.4', ruleName: 'DefaultRule_DenyAllInBound', direction: 'In', type: 'block', matchedConnections: 3, ...props },
  ...extra,
});

describe('Azure NSG diagnostics', () => {
  it('writes MAC addresses in one form', () => {
    expect(macOf('00-0D-3A-92-6A-7C')).toBe('00:0d:3a:92:6a:7c');
    expect(macOf('000D3A926A7C')).toBe('00:0d:3a:92:6a:7c');
    expect(macOf('00-0D-3A')).toBeUndefined();
  });

  it('quarantines records without a rule, an NSG resource id or a readable MAC, with the reason', () => {
    expect(normalizeNsg(counter({ ruleName: undefined }), '')).toEqual({ ok: false, reason: 'NSG rule counter record has no properties.ruleName (ruleName_s)' });
    const reason = (r: ReturnType<typeof normalizeNsg>): string | undefined => (r.ok ? undefined : r.reason);
    expect(reason(normalizeNsg(counter({}, { resourceId: '/subscriptions/x/resourceGroups/rg' }), ''))).toMatch(/no network security group resourceId/);
    expect(reason(normalizeNsg(counter({ macAddress: 'zz' }), ''))).toMatch(/macAddress "zz" is not a MAC address/);
    // a record without a MAC is still an event, identified without it
    expect(normalizeNsg(counter({ macAddress: undefined }), '')).toMatchObject({ ok: true, event: { related: [{ kind: 'ip', value: '10.0.0.4' }] } });
  });

  it('reads NSG rows out of a mixed AzureDiagnostics table (CSV strings), leaving other services to their adapters', () => {
    const header: TableHeader = {
      format: 'csv',
      columns: ['TimeGenerated [UTC]', 'ResourceId', 'Category', 'ResourceProvider', 'OperationName', 'CallerIPAddress', 'ruleName_s', 'direction_s', 'type_s', 'macAddress_s', 'matchedConnections_d', 'vnetResourceGuid_s', 'id_s'],
    };
    const nsgRow = ['11/20/2026, 10:05:00.250 AM', NSG, 'NetworkSecurityGroupRuleCounter', 'MICROSOFT.NETWORK', 'NetworkSecurityGroupCounters', '', 'DefaultRule_DenyAllInBound', 'In', 'block', '00-0D-3A-92-6A-7C', '3', '{5E8AEC16-C728-441F-B0CA-B791E1DBC2F4}', ''];
    const kvRow = ['11/20/2026, 10:05:01.000 AM', '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV', 'AuditEvent', 'MICROSOFT.KEYVAULT', 'SecretGet', '198.51.100.7', '', '', '', '', '', '', 'https://kv.vault.azure.net/secrets/a'];
    expect(azureNsgEvent.fromRow?.(header, nsgRow)).toBeUndefined();
    expect(azureNsgRuleCounter.fromRow?.(header, kvRow)).toBeUndefined();
    expect(azureKeyVault.fromRow?.(header, nsgRow)).toBeUndefined();
    const got = azureNsgRuleCounter.fromRow?.(header, nsgRow);
    const fromRow = normalizeNsg(got?.record, '');
    const fromExport = normalizeNsg(counter({}), '');
    // one record, two shapes: one identity
    expect(fromRow.ok && fromExport.ok && fromRow.event.id === fromExport.event.id).toBe(true);
    expect(azureNsgRuleCounter.ruleBody?.(got?.record)).toMatchObject({ MatchedConnections: 3, properties: { vnetResourceGuid: '{5E8AEC16-C728-441F-B0CA-B791E1DBC2F4}' }, network: { action: 'reject', direction: 'ingress' } });
  });
});
