import { expect, it } from 'vitest';
import { resultForModel, submitVerdictTool } from './engine-claude.js';
import { LlmUnavailableError, estimateCost, parseResponse } from './llm-client.js';

it('validates responses and keeps only text and tool_use blocks', () => {
  const r = parseResponse({ content: [{ type: 'thinking', thinking: 'x' }, { type: 'text', text: 'hi' }, { type: 'tool_use', id: 't1', name: 'get_threat', input: {} }], stop_reason: 'tool_use', usage: { input_tokens: 5, output_tokens: 2 } }, 'm');
  expect(r.content).toEqual([{ type: 'text', text: 'hi' }, { type: 'tool_use', id: 't1', name: 'get_threat', input: {} }]);
  expect(r.usage).toEqual({ input_tokens: 5, output_tokens: 2 });
  expect(() => parseResponse({ content: 'x' }, 'm')).toThrow(LlmUnavailableError);
});

it('prices known model families and returns null for unknown ones', () => {
  expect(estimateCost('claude-sonnet-4-5', 1_000_000, 100_000)).toBe(4.5);
  expect(estimateCost('some-other-model', 1, 1)).toBeNull();
});

it('caps a tool result sent to the model and describes submit_verdict as JSON Schema', () => {
  const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ evidence_id: String(i), v: 'x'.repeat(100) })), facts: { a: 1 } };
  const text = resultForModel(big);
  expect(text.length).toBeLessThanOrEqual(40_000);
  expect(JSON.parse(text)).toMatchObject({ truncated: true });
  expect(submitVerdictTool().input_schema).toMatchObject({ type: 'object', required: ['verdict', 'confidence', 'summary', 'rationale'] });
});
