/**
 * Collection filters (pure): LookupEvents takes one lookup attribute per call, so the most selective filter the API
 * can apply goes to it and the rest are applied to each event on arrival. LookupEvents has no filter by source IP,
 * by principal ARN or by a wildcard in the event name: those are always applied on arrival.
 */
import { isIP } from 'node:net';
import { UsageError } from '../../errors.js';
import type { LookupAttributeKey, LookupEvent } from './ports.js';

/**
 * Filters of a collection. The member names are those of the first release (they are part of every checkpoint key,
 * so a collection resumes across the flag renames); the flags are the shared vocabulary of `events` and `timeline`.
 */
export interface CollectFilters {
  /** `--actor NAME` (LookupEvents Username: IAM user name or role session name) or `--actor ARN` (matched on arrival). */
  user?: string | undefined;
  /** `--access-key` (or `--actor AKIA...`). */
  accessKey?: string | undefined;
  /** `--action`: the event name; `*` wildcards are matched on arrival. */
  eventName?: string | undefined;
  /** `--service`, as the event source: `iam` is `iam.amazonaws.com`. */
  eventSource?: string | undefined;
  /** `--resource`. */
  resourceName?: string | undefined;
  /** `--ip`: the source IP address (matched on arrival). */
  ip?: string | undefined;
}

/** The filter flags shared by `collect aws`, `events` and `timeline`, as typed. */
export interface FilterFlags {
  actor?: string | undefined;
  accessKey?: string | undefined;
  action?: string | undefined;
  service?: string | undefined;
  resource?: string | undefined;
  ip?: string | undefined;
}

const ACCESS_KEY = /^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,124}$/;

/** The flags as collection filters; a value no CloudTrail event can match is a usage error. */
export function filtersFromFlags(f: FilterFlags): CollectFilters {
  const out: CollectFilters = {};
  if (f.accessKey !== undefined) out.accessKey = f.accessKey;
  if (f.actor !== undefined) {
    if (ACCESS_KEY.test(f.actor)) {
      if (out.accessKey !== undefined && out.accessKey !== f.actor) throw new UsageError(`--actor ${f.actor} and --access-key ${out.accessKey}: an event is made with one access key`);
      out.accessKey = f.actor;
    } else out.user = f.actor;
  }
  if (f.action !== undefined) out.eventName = f.action;
  if (f.service !== undefined) out.eventSource = f.service.includes('.') ? f.service : `${f.service}.amazonaws.com`;
  if (f.resource !== undefined) out.resourceName = f.resource;
  if (f.ip !== undefined) {
    if (isIP(f.ip) === 0) throw new UsageError(`--ip ${JSON.stringify(f.ip)} is not an IP address`);
    out.ip = f.ip;
  }
  return out;
}

const isArn = (v: string): boolean => v.startsWith('arn:');
const isGlob = (v: string): boolean => v.includes('*');

const ORDER: Array<[keyof CollectFilters, LookupAttributeKey | undefined]> = [
  ['accessKey', 'AccessKeyId'],
  ['user', 'Username'],
  ['resourceName', 'ResourceName'],
  ['eventName', 'EventName'],
  ['eventSource', 'EventSource'],
  ['ip', undefined],
];

/** The one attribute sent to LookupEvents (most selective first), among the filters the API can apply. */
export function serverAttribute(f: CollectFilters): { key: LookupAttributeKey; value: string } | undefined {
  for (const [k, key] of ORDER) {
    const v = f[k];
    if (key === undefined || v === undefined || v === '') continue;
    if (k === 'user' && isArn(v)) continue;
    if (k === 'eventName' && isGlob(v)) continue;
    return { key, value: v };
  }
  return undefined;
}

/** `Delete*` as a whole-name pattern (only `*` is special, as in `irctl events --action`). */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** What the record itself says about who and from where (only read when an ARN or IP filter needs it). */
function recordFields(e: LookupEvent): { arns: string[]; ip: string | undefined } | undefined {
  if (e.cloudTrailEvent === undefined) return undefined;
  try {
    const r = JSON.parse(e.cloudTrailEvent) as { userIdentity?: { arn?: unknown; sessionContext?: { sessionIssuer?: { arn?: unknown } } }; sourceIPAddress?: unknown };
    const arns = [r.userIdentity?.arn, r.userIdentity?.sessionContext?.sessionIssuer?.arn].filter((x): x is string => typeof x === 'string');
    return { arns, ip: typeof r.sourceIPAddress === 'string' ? r.sourceIPAddress : undefined };
  } catch {
    return undefined;
  }
}

/**
 * Does an event pass the filters (the one sent to the API included: checking it again costs nothing)? A record that
 * cannot be read is let through, so that it is kept in quarantine with the reason instead of silently dropped.
 */
export function passesClientFilters(e: LookupEvent, f: CollectFilters): boolean {
  if (f.accessKey !== undefined && e.accessKeyId !== f.accessKey) return false;
  if (f.user !== undefined && !isArn(f.user) && e.username !== f.user) return false;
  if (f.eventName !== undefined && !(isGlob(f.eventName) ? globMatch(f.eventName, e.eventName ?? '') : e.eventName === f.eventName)) return false;
  if (f.eventSource !== undefined && e.eventSource !== f.eventSource) return false;
  if (f.resourceName !== undefined && !e.resourceNames.includes(f.resourceName)) return false;
  const needsRecord = (f.user !== undefined && isArn(f.user)) || f.ip !== undefined;
  if (needsRecord) {
    const r = recordFields(e);
    if (r === undefined) return true;
    if (f.user !== undefined && isArn(f.user) && !r.arns.includes(f.user)) return false;
    if (f.ip !== undefined && r.ip !== f.ip) return false;
  }
  return true;
}

/** Filters as a plain object without empty members (canonical for checkpoint keys and custody). */
export function filterObject(f: CollectFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k] of ORDER) {
    const v = f[k];
    if (v !== undefined && v !== '') out[k] = v;
  }
  return out;
}

/** True when no filter is set. */
export function noFilters(f: CollectFilters): boolean {
  return Object.keys(filterObject(f)).length === 0;
}
