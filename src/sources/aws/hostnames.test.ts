import { describe, expect, it } from 'vitest';
import { awsHostEntities } from './hostnames.js';

describe('awsHostEntities', () => {
  it('reads the private address of IP-based names and the instance of resource-based names', () => {
    expect(awsHostEntities('ip-10-0-1-23')).toEqual([{ kind: 'private_ip', value: '10.0.1.23' }]);
    expect(awsHostEntities('ip-10-0-1-23.ec2.internal')).toEqual([{ kind: 'private_ip', value: '10.0.1.23' }]);
    expect(awsHostEntities('ip-172-31-4-5.eu-west-1.compute.internal')).toEqual([{ kind: 'private_ip', value: '172.31.4.5' }]);
    expect(awsHostEntities('i-0a1b2c3d4e5f60718.us-east-2.compute.internal')).toEqual([{ kind: 'instance', value: 'i-0a1b2c3d4e5f60718' }]);
  });

  it('says nothing about other names', () => {
    for (const h of ['web-1', 'ip-10-0-1-999.ec2.internal', 'ip-10-0-1-23.example.com', 'i-xyz', 'node-ip-10-0-1-23']) expect(awsHostEntities(h)).toEqual([]);
  });
});
