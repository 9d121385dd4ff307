/**
 * Follow-up questions after a run (`investigate --interactive`): a question in plain words is routed to one of the
 * same read-only tools. Routing is by keywords (deterministic, offline). Pure routing plus a small loop.
 */
import type { ThreatFacts } from './tools.js';
import type { ToolName } from './types.js';

/** A routed question. */
export type Route = { tool: ToolName; args: Record<string, unknown> } | { help: string };

/** Help listing what can be asked. */
export const FOLLOW_UP_HELP = [
  'Ask in plain words; each question is answered by a read-only tool:',
  '  "where did it come from?" / "has it done this before?"   -> entity_profile of the principal',
  '  "what else did the key touch?"                           -> related_entities',
  '  "were logs tampered with?" / "coverage?"                 -> log_coverage',
  '  "change window?" / "red team?" / "context?"              -> operator_context',
  '  "what is exposed?" / "assets?"                           -> asset_context',
  '  "similar threats?"                                       -> past_investigations',
  '  "timeline" / "what happened in order?"                   -> timeline',
  '  "events action=CreateUser ip=203.0.113.7 since=2026-11-21T00:00:00Z" -> search_events',
  '  "profile ip 203.0.113.7" (principal|access_key|ip|user_agent|resource) -> entity_profile',
  'An empty line, "quit" or "exit" ends.',
].join('\n');

const SEARCH_KEYS: Record<string, string> = {
  principal: 'principal',
  actor: 'principal',
  key: 'access_key',
  access_key: 'access_key',
  ip: 'ip',
  action: 'action',
  resource: 'resource',
  since: 'since',
  until: 'until',
  limit: 'limit',
};

/** Route a question to a tool. */
export function routeFollowUp(question: string, facts: Pick<ThreatFacts, 'primary_principal' | 'access_keys'>): Route {
  const q = question.trim();
  const lower = q.toLowerCase();
  const search = /^(events|search)\b(.*)$/i.exec(q);
  if (search) {
    const args: Record<string, unknown> = {};
    for (const m of (search[2] ?? '').matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      const k = SEARCH_KEYS[(m[1] ?? '').toLowerCase()];
      if (!k) return { help: `unknown filter "${m[1] ?? ''}": use ${Object.keys(SEARCH_KEYS).join(', ')}` };
      const v = (m[2] ?? '').replace(/^"|"$/g, '');
      args[k] = k === 'limit' ? Number(v) : v;
    }
    if (Object.keys(args).length === 0) return { help: 'give filters, e.g. events action=CreateUser ip=203.0.113.7' };
    return { tool: 'search_events', args };
  }
  const profile = /^profile\s+(principal|access_key|ip|user_agent|resource)\s+(.+)$/i.exec(q);
  if (profile) return { tool: 'entity_profile', args: { kind: (profile[1] ?? '').toLowerCase(), value: (profile[2] ?? '').trim() } };
  const principal = facts.primary_principal;
  const has = (re: RegExp): boolean => re.test(lower);
  if (has(/\b(similar|past|previous|earlier) (threat|investigation|case)s?\b|\bmemory\b/)) return { tool: 'past_investigations', args: {} };
  if (has(/\b(log|logs|logging|coverage|tamper\w*|trail|gaps?|blind)\b/)) return { tool: 'log_coverage', args: {} };
  if (has(/\b(change|window|red.?team|test|automation|context|planned|authori[sz]ed)\b/)) return { tool: 'operator_context', args: {} };
  if (has(/\b(asset|assets|expos\w*|instance|crown|jewel)\b/)) return { tool: 'asset_context', args: {} };
  if (has(/\b(timeline|sequence|order|happened|chronolog\w*)\b/)) return { tool: 'timeline', args: {} };
  if (has(/\b(key|touch\w*|related|else|pivot|session|who else)\b/)) {
    const key = facts.access_keys[0];
    if (key) return { tool: 'related_entities', args: { kind: 'access_key', value: key } };
    if (principal) return { tool: 'related_entities', args: { kind: 'principal', value: principal } };
  }
  if (principal && has(/\b(ip|where|address|from|region|before|history|usual\w*|normal\w*|baseline|profile|who|agent|client)\b/))
    return { tool: 'entity_profile', args: { kind: 'principal', value: principal } };
  return { help: FOLLOW_UP_HELP };
}
