import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { explainOktaError, nextLink, OktaApiError, orgBaseUrl, resetDelayMs } from './client.js';
import { rowsOfPage } from './collect.js';

describe('Okta System Log client helpers', () => {
  it('reads rel="next" from one Link header or several joined', () => {
    expect(nextLink('<https://a.okta.com/api/v1/logs?since=x>; rel="self", <https://a.okta.com/api/v1/logs?after=1&since=x>; rel="next"')).toBe(
      'https://a.okta.com/api/v1/logs?after=1&since=x',
    );
    expect(nextLink('<https://a.okta.com/api/v1/logs?x=1,2>; rel="self"')).toBeUndefined();
    expect(nextLink('<https://a.okta.com/p?q=1,2>; rel=next')).toBe('https://a.okta.com/p?q=1,2');
    expect(nextLink(null)).toBeUndefined();
  });

  it('measures X-Rate-Limit-Reset against the server Date (clock skew ignored)', () => {
    expect(resetDelayMs('1767225660', 'Thu, 01 Jan 2026 00:00:00 GMT', 0)).toBe(60_000);
    expect(resetDelayMs('1767225600', null, 1767225590_000)).toBe(10_000);
    expect(resetDelayMs('1767225000', 'Thu, 01 Jan 2026 00:00:00 GMT', 0)).toBe(0);
    expect(resetDelayMs(null, null, 0)).toBeUndefined();
    expect(resetDelayMs('soon', null, 0)).toBeUndefined();
  });

  it('accepts the org as host or https URL and refuses clear text, paths and junk', () => {
    expect(orgBaseUrl('acme.okta.com')).toBe('https://acme.okta.com');
    expect(orgBaseUrl('https://acme.okta.com/')).toBe('https://acme.okta.com');
    for (const bad of ['http://acme.okta.com', 'https://acme.okta.com/api/v1', 'https://u:p@acme.okta.com', 'https://']) expect(() => orgBaseUrl(bad)).toThrow(UsageError);
  });

  it('explains 401, 403 and 429 with what to do', () => {
    const e401 = explainOktaError(new OktaApiError('HTTP 401 E0000011: Invalid token provided', { status: 401 }), 'https://a.okta.com');
    expect(e401.message).toBe('Okta rejected the API token for https://a.okta.com (HTTP 401 E0000011: Invalid token provided)');
    expect(e401.hint).toContain('OKTA_API_TOKEN');
    expect(explainOktaError(new OktaApiError('HTTP 403', { status: 403 }), 'https://a.okta.com').hint).toContain('Read-Only Administrator');
    expect(new OktaApiError('x', { status: 429 }).retryClass).toBe('throttle');
    expect(new OktaApiError('x', { status: 503 }).retryClass).toBe('transient');
    expect(new OktaApiError('x').retryClass).toBe('transient');
    expect(new OktaApiError('x', { status: 400 }).retryClass).toBe('fatal');
  });

  it('splits a page into byte-exact records, quarantining what is not an event', () => {
    const ev = '{"eventType":"user.session.start","published":"2026-11-20T02:16:46.102Z","uuid":"u1","actor":{"alternateId":"a@x.example"}}';
    const body = Buffer.from(`[ ${ev} ,\n {"eventType":"user.session.start","uuid":"u2"} ]`);
    const { rows, latestMs } = rowsOfPage(body);
    expect(rows.map((r) => r.kind)).toEqual(['accepted', 'rejected']);
    expect(rows[0]?.kind === 'accepted' ? rows[0].raw : '').toBe(ev);
    expect(latestMs).toBe(Date.parse('2026-11-20T02:16:46.102Z'));
    expect(rowsOfPage(Buffer.from('[]')).rows).toEqual([]);
  });
});
