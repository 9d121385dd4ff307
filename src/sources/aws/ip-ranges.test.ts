import { describe, expect, it } from 'vitest';
import { outsideAws, parseAwsIpRanges } from './ip-ranges.js';

const doc = JSON.stringify({
  syncToken: '1',
  createDate: '2026-11-20-08-00-00',
  prefixes: [{ ip_prefix: '198.51.100.0/24' }, { ip_prefix: 'not-a-prefix' }, { ip_prefix: '2001:db8::/32' }],
  ipv6_prefixes: [{ ipv6_prefix: '2001:db8:1::/48' }, { ipv6_prefix: '2001:db8:1::/129' }],
});

describe('AWS IP ranges', () => {
  it('checks IPv4 and IPv6 addresses by CIDR, counting unusable entries', () => {
    const r = parseAwsIpRanges(doc, 'x.json');
    expect(r).toMatchObject({ createDate: '2026-11-20-08-00-00', ipv4: 1, ipv6: 1, skipped: 3 });
    expect(outsideAws('198.51.100.200', r)).toBe(false);
    expect(outsideAws('198.51.101.1', r)).toBe(true);
    expect(outsideAws('::ffff:198.51.100.9', r)).toBe(false);
    expect(outsideAws('2001:db8:1:ffff::1', r)).toBe(false);
    expect(outsideAws('2001:db8:2::1', r)).toBe(true);
    expect(outsideAws('ec2.amazonaws.com', r)).toBeUndefined();
    expect(outsideAws('198.51.100.1', undefined)).toBeUndefined();
  });
  it('refuses what is not an ip-ranges.json', () => {
    expect(() => parseAwsIpRanges('[]', 'a.json')).toThrow(/a\.json: not an ip-ranges\.json document/);
    expect(() => parseAwsIpRanges('{"prefixes":[{"ip_prefix":"x"}]}', 'b.json')).toThrow(/no valid prefix/);
  });
});
