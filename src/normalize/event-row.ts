/**
 * A normalized event as the store holds it (one row of `events`, plus its raw record's hash and data type). Every
 * stage reads events in this shape; the store writes them. Pure types.
 */

/** One stored event. Columns mirror {@link NormalizedEvent} in `event.ts` in snake case. */
export interface EventRow {
  rowid: number;
  id: string;
  time: string;
  time_ms: number;
  provider: string;
  layer: string;
  class: string;
  account: string | null;
  region: string | null;
  service: string | null;
  action: string;
  actor: string | null;
  actor_type: string | null;
  actor_name: string | null;
  access_key: string | null;
  session: string | null;
  assumed_from: string | null;
  src_ip: string | null;
  src_host: string | null;
  user_agent: string | null;
  outcome: string;
  error_code: string | null;
  read_only: number | null;
  resources: string;
  /** JSON array of [kind, value] pairs: entities the record hands out (identity hops); absent when not selected. */
  related?: string | null | undefined;
  raw_sha256: string;
  data_type: string;
  /** Sanitized excerpt of untrusted text (NormalizedEvent.excerpt); absent when not selected or the store predates it. */
  excerpt?: string | null | undefined;
}

/** An event as rule evaluation sees it: every column but the raw record's hash (detect does not read raw_records for it). */
export type DetectEvent = Omit<EventRow, 'raw_sha256'>;
