import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowTuples, parseFlowTuple } from './flow-logs.js';
import { graphPathTemplate, mailboxOwner } from './graph-activity.js';
import { vaultObjectOf } from './key-vault.js';
import { AZURE_RESOURCE_LOG_PSEUDONYMS, ipWithoutPort, tokenIdentity } from './resource-logs.js';
import { Pseudonymizer } from '../../investigate/pseudonymize.js';
import { callerNetwork, tokenCounts } from './openai.js';

const FLOW = resolve(import.meta.dirname, '../../../fixtures/azure-resource-logs/flow-logs');

describe('Azure resource-log helpers', () => {
  it('templates Graph request paths: version, query and object ids removed', () => {
    expect(graphPathTemplate('https://graph.microsoft.com/v1.0/users/6b0d2f3a-1c2b-4d5e-8f9a-0b1c2d3e4f5a/messages?$top=5')).toBe('/users/{id}/messages');
    expect(graphPathTemplate('https://graph.microsoft.com/beta/users/ceo%40fabrikam.example/mailFolders/inbox/messages')).toBe('/users/{id}/mailFolders/inbox/messages');
    expect(graphPathTemplate("https://graph.microsoft.com/v1.0/applications(appId='0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d')")).toBe('/applications({id})');
    expect(graphPathTemplate('https://graph.microsoft.com/v1.0/me/messages/AAMkAGI2THVSAAA4NmRhZDk2LTFiNjYtNDk4Yy05YjE2LWNkNTkxYjc5ODg3YgBGAAAAAA')).toBe('/me/messages/{id}');
    expect(graphPathTemplate('https://graph.microsoft.com/v1.0/organization')).toBe('/organization');
  });

  it('names the mailbox owner of a mail, calendar or contacts request, not /me', () => {
    expect(mailboxOwner('https://graph.microsoft.com/v1.0/users/CFO@fabrikam.example/messages?$top=1')).toBe('cfo@fabrikam.example');
    expect(mailboxOwner("https://graph.microsoft.com/v1.0/users('3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d')/mailFolders/inbox")).toBe('3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d');
    expect(mailboxOwner('https://graph.microsoft.com/v1.0/me/messages')).toBeUndefined();
    expect(mailboxOwner('https://graph.microsoft.com/v1.0/users/x/memberOf')).toBeUndefined();
  });

  it('drops ports, reads claims in any spelling', () => {
    expect(ipWithoutPort('203.0.113.50:51234')).toBe('203.0.113.50');
    expect(ipWithoutPort('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(ipWithoutPort('10.20.1.*')).toBeUndefined();
    expect(tokenIdentity({ 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'live.com#Mallory@Fabrikam.example', oid: 'ABC' })).toMatchObject({ upn: 'mallory@fabrikam.example', objectId: 'abc' });
    expect(tokenIdentity({ http_schemas_microsoft_com_identity_claims_objectidentifier: 'X', appid: 'Y' })).toMatchObject({ objectId: 'x', appId: 'y', upn: undefined });
  });

  it('names a Key Vault object without its version', () => {
    expect(vaultObjectOf('https://kv.vault.azure.net/secrets/db-password/4f1c0d2e')).toBe('https://kv.vault.azure.net/secrets/db-password');
    expect(vaultObjectOf('https://kv.vault.azure.net/')).toBeUndefined();
  });

  it('reads token counts when the service writes them; compares caller networks as the service masks them', () => {
    expect(tokenCounts({ promptTokens: 12, CompletionTokens: '30', totalTokens: 42 })).toEqual({ prompt: 12, completion: 30, total: 42 });
    expect(callerNetwork('203.0.113.7')).toBe(callerNetwork('203.0.113.*'));
    expect(callerNetwork('2001:DB8::1')).toBe('2001:db8::1');
    expect(tokenCounts({ modelName: 'gpt-4o' })).toEqual({ prompt: undefined, completion: undefined, total: undefined });
  });

  it('reads NSG v2 and VNet flow tuples with generic names (Microsoft Learn samples)', () => {
    const nsg = JSON.parse(readFileSync(resolve(FLOW, 'nsg-flow-log-v2.records.json'), 'utf8')) as { records: unknown[] };
    const a = flowTuples(nsg.records[0]);
    if ('error' in a) throw new Error(a.error);
    expect(a.tuples).toHaveLength(7);
    expect(a.tuples[0]).toEqual({
      time: '2018-11-13T12:00:02.000Z',
      srcIp: '192.0.2.190',
      dstIp: '10.5.16.4',
      srcPort: 28746,
      dstPort: 443,
      protocol: 17,
      direction: 'inbound',
      action: 'reject',
      state: 'B',
      packetsOut: undefined,
      bytesOut: undefined,
      packetsIn: undefined,
      bytesIn: undefined,
      rule: 'DefaultRule_DenyAllInBound',
      mac: '000D3AF87856',
    });
    const vnet = JSON.parse(readFileSync(resolve(FLOW, 'vnet-flow-log-v4.records.json'), 'utf8')) as { records: unknown[] };
    const b = flowTuples(vnet.records[0]);
    if ('error' in b) throw new Error(b.error);
    expect(b.tuples).toHaveLength(19);
    expect(b.tuples[1]).toMatchObject({ time: '2022-09-14T09:00:03.606Z', srcIp: '10.0.0.6', dstIp: '52.239.184.180', dstPort: 443, protocol: 6, direction: 'outbound', action: 'accept', state: 'E', packetsOut: 3, bytesOut: 767, packetsIn: 2, bytesIn: 1580 });
    expect(parseFlowTuple('1542110402,192.0.2.190,10.5.16.4,28746,443,U,X,D', false, undefined, undefined)).toMatch(/unknown direction/);
    expect(parseFlowTuple('x,1,2', false, undefined, undefined)).toMatch(/3 fields/);
  });

  it('pseudonymizes vault, secret, storage account, blob path and credential account names; keeps operation words', () => {
    const p = new Pseudonymizer(AZURE_RESOURCE_LOG_PSEUDONYMS);
    const out = p.text(
      'https://fabrikam-prod-kv.vault.azure.net/secrets/db-password /providers/Microsoft.KeyVault/vaults/fabrikam-prod-kv sas:fabrikamfinance/04d64c2b3a704145 https://fabrikamfinance.blob.core.windows.net/finance-backups/ledger-010.bak?sv=1',
    );
    for (const secret of ['fabrikam-prod-kv', 'db-password', 'fabrikamfinance', 'finance-backups', 'ledger-010']) expect(out).not.toContain(secret);
    expect(out).toMatch(/^https:\/\/(\S+)\.vault\.azure\.net\/secrets\/\S+ \/providers\/Microsoft\.KeyVault\/vaults\/\1 sas:(\S+)\/04d64c2b3a704145 https:\/\/\2\.blob\.core\.windows\.net\//);
  });
});
