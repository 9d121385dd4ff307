import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { azureEndpoints } from './cloud.js';
import { azureWindow, parseRate } from './collect.js';
import { callerFromToken } from './credential.js';
import { AzureApiError, retryAfterMs } from './http.js';
import { SlidingWindow } from './paged.js';
import { exposureOf } from './resource-graph.js';
import { isExpiredToken } from './sources.js';

const err = (status: number, code: string, message: string): AzureApiError => new AzureApiError(message, { operation: 'GET /x', status, code, retryClass: 'fatal' });

describe('collect azure (pure parts)', () => {
  it('endpoints: the cloud picks hosts and audiences; overrides move hosts only', () => {
    const gov = azureEndpoints('AzureUSGovernment', { IRCTL_AZURE_ARM_ENDPOINT: 'https://127.0.0.1:9/' });
    expect(gov.arm).toBe('https://127.0.0.1:9');
    expect(gov.armAudience).toBe('https://management.usgovcloudapi.net');
    expect(gov.graph).toBe('https://graph.microsoft.us');
    expect(azureEndpoints(undefined, {}).logs).toBe('https://api.loganalytics.io/v1');
    expect(() => azureEndpoints('AzureGermanCloud', {})).toThrow(UsageError);
  });

  it('--graph-rate and the window', () => {
    expect(parseRate('5/10s')).toEqual({ limit: 5, periodMs: 10_000 });
    expect(parseRate('100/1s')).toEqual({ limit: 100, periodMs: 1000 });
    expect(() => parseRate('fast')).toThrow(UsageError);
    const now = new Date('2026-11-28T12:00:00Z');
    expect(() => azureWindow('91d', undefined, now, true)).toThrow(/90 days/);
    expect(azureWindow('91d', undefined, now, false)[1]).toBe(now.getTime());
  });

  it('Retry-After in seconds, as a date, or retry-after-ms', () => {
    expect(retryAfterMs({ 'retry-after': '3' }, 0)).toBe(3000);
    expect(retryAfterMs({ 'retry-after-ms': '250' }, 0)).toBe(250);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4000)).toBe(6000);
    expect(retryAfterMs({}, 0)).toBeUndefined();
  });

  it('an expired continuation token is told from other bad requests', () => {
    expect(isExpiredToken(err(400, 'Request_BadRequest', 'The $skiptoken has expired or is invalid.'))).toBe(true);
    expect(isExpiredToken(err(410, 'Gone', 'gone'))).toBe(true);
    expect(isExpiredToken(err(400, 'BadRequest', 'Invalid filter clause'))).toBe(false);
    expect(isExpiredToken(err(403, 'Forbidden', 'skiptoken expired'))).toBe(false);
  });

  it('the caller comes from the token claims; a token that is not a JWT leaves it unknown', () => {
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(callerFromToken(`${b64({})}.${b64({ tid: 't', oid: 'o', upn: 'a@b.example' })}.sig`)).toEqual({ tenant: 't', object_id: 'o', app_id: null, upn: 'a@b.example' });
    expect(callerFromToken('opaque')).toEqual({ tenant: 'unknown', object_id: 'unknown', app_id: null, upn: null });
  });

  it('the sliding window never lets more than N requests into any period', async () => {
    let t = 0;
    const starts: number[] = [];
    const w = new SlidingWindow(5, 10_000, { now: () => t, sleep: (ms) => ((t += ms), Promise.resolve()) });
    for (let i = 0; i < 12; i++) {
      await w.take();
      starts.push(t);
      w.done();
    }
    for (let i = 5; i < starts.length; i++) expect(starts[i]! - starts[i - 5]!).toBeGreaterThanOrEqual(10_000);
  });

  it('exposure: inbound allow rules from anywhere, and anonymous blob access', () => {
    const nsg = {
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n',
      properties: {
        securityRules: [
          { name: 'ssh', properties: { direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', destinationPortRange: '22' } },
          { name: 'deny', properties: { direction: 'Inbound', access: 'Deny', protocol: '*', sourceAddressPrefix: '*', destinationPortRange: '*' } },
          { name: 'out', properties: { direction: 'Outbound', access: 'Allow', protocol: '*', sourceAddressPrefix: '*', destinationPortRange: '*' } },
          { name: 'office', properties: { direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefixes: ['203.0.113.0/24'], destinationPortRanges: ['443'] } },
        ],
      },
    };
    expect(exposureOf('network-security-group', nsg)).toEqual([`${nsg.id}: rule ssh allows Tcp:22 from Internet`]);
    expect(exposureOf('storage-account', { id: 'sa', properties: { allowBlobPublicAccess: true } })).toHaveLength(1);
    expect(exposureOf('storage-account', { id: 'sa', properties: { allowBlobPublicAccess: false } })).toHaveLength(0);
  });
});
