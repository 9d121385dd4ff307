import { expect, it } from 'vitest';
import { addChangeWindow, addRedTeamMarker, setAwareAt } from './context-edit.js';

it('adds windows and markers while keeping comments, and refuses duplicates', () => {
  const start = '# keep\nautomation_principals: ["arn:aws:iam::1:role/ci"]\n';
  const a = addChangeWindow(start, { id: 'CHG-1', start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T02:00:00.000Z', principals: [] }, 'c.yaml');
  expect(a.errors).toEqual([]);
  expect(a.text).toContain('# keep');
  expect(a.text).toContain('CHG-1');
  expect(addChangeWindow(a.text, { id: 'CHG-1', start: '2026-01-02T00:00:00.000Z', end: '2026-01-02T01:00:00.000Z', principals: [] }, 'c.yaml').errors[0]).toMatch(/already exists/);
  const m = addRedTeamMarker(a.text, 'stratus-red-team_', 'c.yaml');
  expect(m.text).toMatch(/user_agent_markers:[\s\S]*stratus-red-team_/);
  expect(setAwareAt('', '2026-01-01T00:00:00.000Z', 'c.yaml').text).toMatch(/aware_at: 2026-01-01T00:00:00.000Z/);
});
