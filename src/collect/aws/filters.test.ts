import { describe, expect, it } from 'vitest';
import { filtersFromFlags, passesClientFilters, serverAttribute } from './filters.js';
import { buildLakeQuery } from './lake.js';
import type { LookupEvent } from './ports.js';

const event = (o: Partial<LookupEvent> & { arn?: string; ip?: string } = {}): LookupEvent => ({
  eventName: 'CreateAccessKey',
  eventSource: 'iam.amazonaws.com',
  username: 'bob',
  accessKeyId: 'AKIAEXAMPLEEXAMPLE01',
  resourceNames: [],
  cloudTrailEvent: JSON.stringify({ userIdentity: { arn: o.arn ?? 'arn:aws:iam::111122223333:user/bob' }, sourceIPAddress: o.ip ?? '203.0.113.7' }),
  ...o,
});

describe('collection filters from the shared flags', () => {
  it('maps the vocabulary of events/timeline onto CloudTrail', () => {
    // GIVEN / WHEN / THEN
    expect(filtersFromFlags({ actor: 'bob', action: 'CreateUser', service: 'iam', resource: 'arn:aws:s3:::b', ip: '203.0.113.7' })).toEqual({
      user: 'bob',
      eventName: 'CreateUser',
      eventSource: 'iam.amazonaws.com',
      resourceName: 'arn:aws:s3:::b',
      ip: '203.0.113.7',
    });
    expect(filtersFromFlags({ service: 'iam.amazonaws.com' }).eventSource).toBe('iam.amazonaws.com');
    expect(filtersFromFlags({ actor: 'AKIAIOSFODNN7EXAMPLE' })).toEqual({ accessKey: 'AKIAIOSFODNN7EXAMPLE' });
    expect(() => filtersFromFlags({ actor: 'AKIAIOSFODNN7EXAMPLE', accessKey: 'AKIAOTHEROTHEROTHER1' })).toThrow(/one access key/);
    expect(() => filtersFromFlags({ ip: '203.0.113' })).toThrow(/not an IP address/);
  });

  it('sends LookupEvents only what it can apply, and matches the rest on arrival', () => {
    expect(serverAttribute({ user: 'arn:aws:iam::1:role/deploy', eventName: 'Delete*', ip: '203.0.113.7' })).toBeUndefined();
    expect(serverAttribute({ user: 'arn:aws:iam::1:role/deploy', eventSource: 'iam.amazonaws.com' })).toEqual({ key: 'EventSource', value: 'iam.amazonaws.com' });
    expect(passesClientFilters(event(), { eventName: 'Create*' })).toBe(true);
    expect(passesClientFilters(event(), { eventName: 'Delete*' })).toBe(false);
    expect(passesClientFilters(event(), { eventName: 'Create' })).toBe(false);
    expect(passesClientFilters(event({ ip: '198.51.100.1' }), { ip: '203.0.113.7' })).toBe(false);
    expect(passesClientFilters(event(), { user: 'arn:aws:iam::111122223333:user/bob' })).toBe(true);
    expect(passesClientFilters(event(), { user: 'arn:aws:iam::111122223333:user/alice' })).toBe(false);
    // A record that cannot be read is let through (and quarantined later with the reason), never dropped unseen.
    expect(passesClientFilters(event({ cloudTrailEvent: '{not json' }), { ip: '203.0.113.7' })).toBe(true);
  });

  it('writes the same filters into a Lake query', () => {
    const sql = buildLakeQuery('EDS-1', 0, 60_000, { user: 'arn:aws:iam::1:role/deploy', eventName: 'Delete_*', ip: '203.0.113.7' });
    expect(sql).toContain("(userIdentity.arn = 'arn:aws:iam::1:role/deploy' OR userIdentity.sessioncontext.sessionissuer.arn = 'arn:aws:iam::1:role/deploy')");
    expect(sql).toContain("eventName LIKE 'Delete\\_%' ESCAPE '\\'");
    expect(sql).toContain("sourceIPAddress = '203.0.113.7'");
  });
});
