import { describe, expect, it } from 'vitest';
import type { DetectEvent } from '../normalize/event-row.js';
import { fieldGetter } from './fields.js';
import type { DetectInput } from './types.js';

const base: DetectEvent = {
  rowid: 1,
  id: 'e1',
  time: '2026-11-22T10:00:00.000Z',
  time_ms: Date.parse('2026-11-22T10:00:00.000Z'),
  provider: 'aws',
  layer: 'control_plane',
  class: 'api_activity',
  account: '111122223333',
  region: 'us-east-1',
  service: 's3',
  action: 'GetObject',
  actor: 'arn:aws:iam::111122223333:user/ops/bob',
  actor_type: 'IAMUser',
  actor_name: null,
  access_key: 'AKIAEXAMPLE',
  session: null,
  assumed_from: null,
  src_ip: '203.0.113.7',
  src_host: null,
  user_agent: 'aws-cli/2.15.0 Python/3.11',
  outcome: 'success',
  error_code: null,
  read_only: 1,
  resources: '[]',
  data_type: 'aws:cloudtrail:entry',
};
const input = (over: Partial<DetectEvent>): DetectInput => ({ event: { ...base, ...over }, raw: () => undefined });

describe('normalized and derived fields', () => {
  it('give the same value through the list and the single-value form, remembering derived values per column value', () => {
    for (const name of ['event.actor', 'event.src_ip', 'event.read_only', 'event.src_prefix16', 'event.src_prefix24', 'event.ua_family', 'event.instance_id', 'event.principal_name', 'eventName']) {
      const g = fieldGetter(name, 'aws:cloudtrail:entry');
      for (const over of [{}, { src_ip: '198.51.100.9', user_agent: 'Boto3/1.34' }, { session: 'arn:aws:sts::1:assumed-role/web/i-0123456789abcdef0' }, { src_ip: null, user_agent: null }]) {
        const i = input(over);
        const list = g(i);
        const one = g.single?.(i);
        expect(list, name).toEqual(one === null || one === undefined ? [] : [one]);
      }
    }
  });

  it('principal_name: the actor name as is, else the last element of the actor ARN', () => {
    const g = fieldGetter('event.principal_name', 'aws:cloudtrail:entry');
    expect(g(input({}))).toEqual(['bob']);
    expect(g(input({ actor_name: 'team/alice' }))).toEqual(['team/alice']);
    expect(g(input({ actor: null, actor_name: null }))).toEqual([]);
    expect(fieldGetter('event.src_prefix16', 'aws:cloudtrail:entry')(input({ src_ip: '2001:db8:1:2::5' }))).toEqual(['2001:db8:1::/48']);
    expect(fieldGetter('event.instance_id', 'aws:cloudtrail:entry')(input({ session: 'arn:aws:sts::1:assumed-role/web/i-0123456789abcdef0' }))).toEqual(['i-0123456789abcdef0']);
  });
});
