/**
 * Detection inputs built straight from parsed CloudTrail records, without a case: used by the rule tests, the
 * measurement script (labelled Panther test logs) and `irctl rules test`-style checks. The store-backed path
 * (src/correlate) produces the same shape from stored events. Pure.
 */
import { normalizeTime } from '../normalize/event.js';
import { cloudTrailBody, normalizeCloudTrail } from '../sources/aws-cloudtrail.js';
import type { EventRow } from '../store/query-repo.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import type { DetectInput } from './types.js';

/** Options of {@link inputsFromCloudTrail}. */
export interface RecordInputOptions {
  /**
   * Time to use when a record's eventTime is missing or not ISO 8601 (some labelled test logs are trimmed), epoch ms.
   * Without it such records are skipped.
   */
  fallbackTimeMs?: number | undefined;
}

/** The EventRow a stored CloudTrail record would have (rowid = position). Undefined when it is not CloudTrail. */
export function eventRowOf(record: unknown, rowid: number, opts: RecordInputOptions = {}): EventRow | undefined {
  const body = cloudTrailBody(record);
  if (!body) return undefined;
  const sha = sha256Hex(canonicalJson(record));
  let res = normalizeCloudTrail(record, sha);
  if (!res.ok && opts.fallbackTimeMs !== undefined && normalizeTime(body.eventTime) === undefined) {
    const patched = { ...body, eventTime: new Date(opts.fallbackTimeMs).toISOString() };
    res = normalizeCloudTrail(patched, sha);
  }
  if (!res.ok) return undefined;
  const e = res.event;
  return {
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
}

/** DetectInputs for CloudTrail records, in time order (ties by event id), as `detect` would feed them. */
export function inputsFromCloudTrail(records: readonly unknown[], opts: RecordInputOptions = {}): DetectInput[] {
  const out: DetectInput[] = [];
  records.forEach((r, i) => {
    const event = eventRowOf(r, i + 1, opts);
    if (!event) return;
    const body = cloudTrailBody(r);
    out.push({ event, raw: () => body });
  });
  return out.sort((a, b) => a.event.time_ms - b.event.time_ms || (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
}
