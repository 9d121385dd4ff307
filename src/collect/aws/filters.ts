/**
 * Collection filters (pure): LookupEvents takes one lookup attribute per call, so the most selective filter goes to
 * the API and the rest are applied to each event on arrival.
 */
import type { LookupAttributeKey, LookupEvent } from './ports.js';

/** Filters a user can give. */
export interface CollectFilters {
  /** `--user`: IAM user name / role session name as LookupEvents' Username. */
  user?: string | undefined;
  /** `--access-key`. */
  accessKey?: string | undefined;
  /** `--event-name`. */
  eventName?: string | undefined;
  /** `--event-source`, e.g. iam.amazonaws.com. */
  eventSource?: string | undefined;
  /** `--resource-name`. */
  resourceName?: string | undefined;
}

const ORDER: Array<[keyof CollectFilters, LookupAttributeKey]> = [
  ['accessKey', 'AccessKeyId'],
  ['user', 'Username'],
  ['resourceName', 'ResourceName'],
  ['eventName', 'EventName'],
  ['eventSource', 'EventSource'],
];

/** The one attribute sent to LookupEvents (most selective first). */
export function serverAttribute(f: CollectFilters): { key: LookupAttributeKey; value: string } | undefined {
  for (const [k, key] of ORDER) {
    const v = f[k];
    if (v !== undefined && v !== '') return { key, value: v };
  }
  return undefined;
}

/** Does an event pass the filters that were not sent to the API? */
export function passesClientFilters(e: LookupEvent, f: CollectFilters): boolean {
  if (f.accessKey !== undefined && e.accessKeyId !== f.accessKey) return false;
  if (f.user !== undefined && e.username !== f.user) return false;
  if (f.eventName !== undefined && e.eventName !== f.eventName) return false;
  if (f.eventSource !== undefined && e.eventSource !== f.eventSource) return false;
  if (f.resourceName !== undefined && !e.resourceNames.includes(f.resourceName)) return false;
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
