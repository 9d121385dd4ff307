/**
 * Detection inputs built straight from parsed records (any registered source), without a case: used by the rule
 * tests, the measurement script (labelled Panther test logs) and `irctl rules test`-style checks. The store-backed
 * path (src/correlate) produces the same shape from stored events. Pure.
 */
import { adapterFor } from '../sources/index.js';
import type { EventRow } from '../normalize/event-row.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import type { DetectInput } from './types.js';

/** The EventRow a stored record would have (rowid = position), and the body rules see. Undefined when no source adapter recognises the record or it does not normalize. */
export function eventRowOf(record: unknown, rowid: number): { event: EventRow; body: unknown } | undefined {
  const adapter = adapterFor(record);
  if (!adapter) return undefined;
  const sha = sha256Hex(canonicalJson(record));
  const res = adapter.normalize(record, sha);
  if (!res.ok) return undefined;
  const e = res.event;
  const event: EventRow = {
    rowid,
    id: e.id,
    time: e.time,
    time_ms: e.timeMs,
    provider: e.provider,
    layer: e.layer,
    class: e.class,
    account: e.account ?? null,
    region: e.region ?? null,
    service: e.service ?? null,
    action: e.action,
    actor: e.actor.principal ?? null,
    actor_type: e.actor.type ?? null,
    actor_name: e.actor.name ?? null,
    access_key: e.actor.accessKey ?? null,
    session: e.actor.session ?? null,
    assumed_from: e.actor.assumedFrom ?? null,
    src_ip: e.srcIp ?? null,
    src_host: e.srcHost ?? null,
    user_agent: e.userAgent ?? null,
    outcome: e.outcome,
    error_code: e.errorCode ?? null,
    read_only: e.readOnly === undefined ? null : e.readOnly ? 1 : 0,
    resources: JSON.stringify(e.resources),
    raw_sha256: sha,
    data_type: e.dataType,
  };
  return { event, body: adapter.ruleBody ? (adapter.ruleBody(record) ?? record) : record };
}

/** DetectInputs for parsed records of any registered source, in time order (ties by event id), as `detect` would feed them. Records no adapter normalizes are skipped. */
export function inputsFromRecords(records: readonly unknown[]): DetectInput[] {
  const out: DetectInput[] = [];
  records.forEach((r, i) => {
    const row = eventRowOf(r, i + 1);
    if (!row) return;
    out.push({ event: row.event, raw: () => row.body });
  });
  return out.sort((a, b) => a.event.time_ms - b.event.time_ms || (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
}
