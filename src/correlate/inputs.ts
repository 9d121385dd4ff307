/**
 * Detection inputs: events streamed in time order from the store, each with lazy access to its parsed raw record
 * (read and JSON.parse'd only when a rule asks for the raw body, and at most once per event).
 */
import type { DetectInput } from '../detect/types.js';
import { ruleBodyOf } from '../sources/index.js';
import type { DetectRow } from '../store/event-batches.js';

/** Parse a raw record's text into the body rules see (the data type's adapter removes envelopes). */
export function parseRawBody(dataType: string, raw: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Evidence was valid JSON when imported; if not, the rule sees no body rather than crashing the run.
    return undefined;
  }
  return ruleBodyOf(dataType, parsed);
}

/**
 * Wrap one stored row as a DetectInput. The raw text comes with the row when it was prefetched, else from `lookup`
 * (by raw record id) the first time a rule asks.
 */
export function toDetectInput(row: DetectRow, lookup: (rawId: number) => string | undefined): DetectInput {
  let body: unknown;
  let parsed = false;
  return {
    event: row.event,
    raw: () => {
      if (!parsed) {
        const text = row.raw ?? lookup(row.rawId);
        body = text === undefined ? undefined : parseRawBody(row.event.data_type, text);
        parsed = true;
      }
      return body;
    },
  };
}
