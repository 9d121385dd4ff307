/**
 * Detection inputs: events streamed in time order from the store, each with lazy access to its parsed raw record
 * (JSON.parse runs only when a rule asks for the raw body, and at most once per event).
 */
import type { DetectInput } from '../detect/types.js';
import { cloudTrailBody } from '../sources/aws-cloudtrail.js';
import type { EventWithRaw } from '../store/detect-repo.js';

/** Parse a raw record's text into the body rules see (for CloudTrail: the record inside any EventBridge envelope). */
export function parseRawBody(dataType: string, raw: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Evidence was valid JSON when imported; if not, the rule sees no body rather than crashing the run.
    return undefined;
  }
  if (dataType === 'aws:cloudtrail:entry') return cloudTrailBody(parsed) ?? parsed;
  return parsed;
}

/** Wrap one stored row as a DetectInput. */
export function toDetectInput(row: EventWithRaw): DetectInput {
  let body: unknown;
  let parsed = false;
  return {
    event: row.event,
    raw: () => {
      if (!parsed) {
        body = parseRawBody(row.event.data_type, row.raw);
        parsed = true;
      }
      return body;
    },
  };
}

/** Options of {@link detectInputs}. */
export interface InputStreamOptions {
  /** Stop yielding (the run is then discarded) once aborted. */
  signal?: AbortSignal | undefined;
  /** Called every `every` events with the count so far. */
  onProgress?: ((seen: number) => void) | undefined;
  /** @default 20000 */
  every?: number | undefined;
}

/** State shared with the caller: how many events were yielded, and whether the stream stopped early. */
export interface InputStreamState {
  seen: number;
  interrupted: boolean;
}

/** Turn a row stream into DetectInputs, counting and honouring Ctrl-C between events. */
export function detectInputs(rows: Iterable<EventWithRaw>, state: InputStreamState, opts: InputStreamOptions = {}): Iterable<DetectInput> {
  const every = opts.every ?? 20_000;
  return {
    *[Symbol.iterator]() {
      for (const row of rows) {
        if (opts.signal?.aborted === true) {
          state.interrupted = true;
          return;
        }
        state.seen++;
        if (opts.onProgress && state.seen % every === 0) opts.onProgress(state.seen);
        yield toDetectInput(row);
      }
    },
  };
}
