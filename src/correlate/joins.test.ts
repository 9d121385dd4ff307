import { describe, expect, it } from 'vitest';
import { isPrivateAddress, joinKey } from './joins.js';

describe('joins', () => {
  it('tells private addresses from public ones', () => {
    for (const ip of ['10.0.1.23', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.169.254', 'fd12:3456::1', 'fe80::1']) expect(isPrivateAddress(ip)).toBe(true);
    for (const ip of ['198.51.100.23', '172.32.0.1', '11.0.0.1', '2001:db8::1', 'not-an-ip']) expect(isPrivateAddress(ip)).toBe(false);
  });

  it('links a workload address as an address and compares e-mail principals case-insensitively', () => {
    expect(joinKey({ kind: 'private_ip', value: '10.0.1.23' })).toBe(joinKey({ kind: 'ip', value: '10.0.1.23' }));
    expect(joinKey({ kind: 'principal', value: 'Dana@Acme.example' })).toBe(joinKey({ kind: 'principal', value: 'dana@acme.example' }));
    // an ARN keeps its case (an assumed-role session name is case-sensitive)
    expect(joinKey({ kind: 'principal', value: 'arn:aws:sts::1:assumed-role/R/Dana@Acme.example' })).not.toBe(joinKey({ kind: 'principal', value: 'arn:aws:sts::1:assumed-role/R/dana@acme.example' }));
  });
});
