import { expect, it } from 'vitest';
import { routeFollowUp } from './follow-up.js';

const facts = { primary_principal: 'arn:aws:iam::1:user/x', access_keys: ['AKIAX'] };

it('routes plain questions to the read-only tools', () => {
  expect(routeFollowUp('where did it come from?', facts)).toEqual({ tool: 'entity_profile', args: { kind: 'principal', value: 'arn:aws:iam::1:user/x' } });
  expect(routeFollowUp('what else did the key touch', facts)).toEqual({ tool: 'related_entities', args: { kind: 'access_key', value: 'AKIAX' } });
  expect(routeFollowUp('were the logs tampered with?', facts)).toMatchObject({ tool: 'log_coverage' });
  expect(routeFollowUp('is there a change window?', facts)).toMatchObject({ tool: 'operator_context' });
  expect(routeFollowUp('timeline', facts)).toMatchObject({ tool: 'timeline' });
  expect(routeFollowUp('events action=CreateUser ip=203.0.113.7 limit=5', facts)).toEqual({ tool: 'search_events', args: { action: 'CreateUser', ip: '203.0.113.7', limit: 5 } });
  expect(routeFollowUp('profile ip 203.0.113.7', facts)).toEqual({ tool: 'entity_profile', args: { kind: 'ip', value: '203.0.113.7' } });
  expect(routeFollowUp('events colour=red', facts)).toHaveProperty('help');
  expect(routeFollowUp('tell me a joke', facts)).toHaveProperty('help');
});
