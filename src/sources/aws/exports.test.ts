import { describe, expect, it } from 'vitest';
import { normalizeCloudTrail } from './cloudtrail.js';
import { cloudTrailFromRow, cloudTrailOrigin, embeddedCloudTrail, pathValue } from './exports.js';

describe('CloudTrail exports', () => {
  it('reads dotted and nested Elastic keys alike', () => {
    expect(pathValue({ aws: { 'cloudtrail.user_identity': { arn: 'a' } } }, 'aws.cloudtrail.user_identity.arn')).toBe('a');
    expect(pathValue({ 'event.original': '{}' }, 'event.original')).toBe('{}');
  });

  it('finds the record a SIEM carries as text, and only JSON objects', () => {
    expect(embeddedCloudTrail({ result: { _raw: '{"eventName":"x"}' } })).toBe('{"eventName":"x"}');
    expect(embeddedCloudTrail({ _source: { event: { original: '{"a":1}' } } })).toBe('{"a":1}');
    expect(embeddedCloudTrail({ _raw: 'Nov 20 sshd[1]: accepted' })).toBeUndefined();
  });

  it('Logstash: eventTime from @timestamp, disableApiTermination unwrapped, origin reshaped', () => {
    const rec = {
      '@timestamp': '2026-11-20T09:00:00.000Z',
      '@version': '1',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'ModifyInstanceAttribute',
      eventID: 'e1',
      requestParameters: { instanceId: 'i-1', disableApiTermination: { value: false } },
    };
    const n = normalizeCloudTrail(rec, 'sha');
    expect(n.ok && n.event.time).toBe('2026-11-20T09:00:00.000Z');
    expect(cloudTrailOrigin(rec)).toBe('reshaped');
    expect(cloudTrailOrigin({ eventTime: 'x', eventName: 'y' })).toBe('native');
  });

  it('console CSV: needs the console columns; the record carries what the download kept', () => {
    const header = { format: 'csv' as const, columns: ['Event name', 'Event time', 'Event source', 'User name', 'Event ID'] };
    const made = cloudTrailFromRow(header, ['StopLogging', '2026-11-20T09:15:41Z', 'cloudtrail.amazonaws.com', 'mallory', 'e2']);
    expect(made).toEqual({
      origin: 'reshaped',
      record: { eventName: 'StopLogging', eventTime: '2026-11-20T09:15:41Z', eventSource: 'cloudtrail.amazonaws.com', eventID: 'e2', userIdentity: { userName: 'mallory' } },
    });
    expect(cloudTrailFromRow({ format: 'csv', columns: ['a', 'b', 'c'] }, ['1', '2', '3'])).toBeUndefined();
  });
});
