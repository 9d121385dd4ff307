/**
 * Detection inputs: events streamed in time order from the store, each with lazy access to its parsed raw record
 * (read and JSON.parse'd only when a rule asks for the raw body, and at most once per event).
 */
import type { DetectEvent } from '../normalize/event-row.js';
import { parseStoredRecord, ruleBodyOf } from '../sources/index.js';
import type { DetectInput } from './types.js';

/** One stored event as the store's reader hands it to the detect stage. */
export interface StoredEvent {
  event: DetectEvent;
  /** The raw record's exact text when it was read with the event; undefined: read it with `lookup` when a rule asks. */
  raw: string | undefined;
  /** Id of the event's first raw record (for `lookup`). */
  rawId: number;
}

/** Parse a raw record's text into the body rules see (the data type's adapter removes envelopes). */
export function parseRawBody(dataType: string, raw: string): unknown {
  // A table row arrives with its header (store/record-text.ts) and becomes the record its adapter makes of it.
  const rec = parseStoredRecord(dataType, raw);
  // Evidence was valid when imported; if not, the rule sees no body rather than crashing the run.
  if (!rec.ok) return undefined;
  return ruleBodyOf(dataType, rec.record);
}

/**
 * Wrap one stored row as a DetectInput. The raw text comes with the row when it was prefetched, else from `lookup`
 * (by raw record id) the first time a rule asks.
 */
export function toDetectInput(row: StoredEvent, lookup: (rawId: number) => string | undefined): DetectInput {
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

/** How far rule evaluation got. */
export interface EvaluateResult {
  /** Events evaluated. */
  seen: number;
  /** True when the signal stopped the run (no hits then). */
  interrupted: boolean;
}

/**
 * The detect stage proper: feed every stored event (in time order, in batches) to a started rule pack, stopping
 * between batches when `signal` fires. Reading is the caller's (the store's reader), so this stays pure of I/O.
 */
export async function evaluateEvents(
  batches: AsyncIterable<readonly StoredEvent[]>,
  lookup: (rawId: number) => string | undefined,
  feed: (input: DetectInput) => void,
  opts: { signal?: AbortSignal | undefined; onProgress?: ((seen: number) => void) | undefined },
): Promise<EvaluateResult> {
  let seen = 0;
  for await (const batch of batches) {
    if (opts.signal?.aborted === true) return { seen, interrupted: true };
    for (const row of batch) feed(toDetectInput(row, lookup));
    seen += batch.length;
    opts.onProgress?.(seen);
  }
  return { seen, interrupted: opts.signal?.aborted === true };
}
