/**
 * The common event schema (OCSF-aligned; design.md "Common event schema"). Pure types and helpers only.
 */

/** Telemetry layer. */
export type Layer = 'control_plane' | 'identity' | 'workload' | 'ai' | 'network' | 'context';
/** Outcome of the operation. */
export type Outcome = 'success' | 'failure' | 'unknown';
/** Event class, mapped to an OCSF class_uid by {@link CLASS_UID}. */
export type EventClass =
  | 'api_activity'
  | 'authentication'
  | 'account_change'
  | 'model_invocation'
  | 'process_activity'
  | 'network_activity'
  | 'dns_activity'
  | 'inventory'
  | 'detection_finding';

/** OCSF class_uid per class (model invocation has no OCSF class yet: 99xxxx is OCSF's extension range). */
export const CLASS_UID: Record<EventClass, number> = {
  api_activity: 6003,
  authentication: 3002,
  account_change: 3001,
  model_invocation: 990001,
  process_activity: 1007,
  network_activity: 4001,
  dns_activity: 4003,
  inventory: 5001,
  detection_finding: 2004,
};

export const LAYERS: readonly Layer[] = ['control_plane', 'identity', 'workload', 'ai', 'network', 'context'];
export const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'unknown'];

/** Who acted. */
export interface Actor {
  /** Principal ARN or name (the string users search by). */
  principal?: string | undefined;
  /** Provider principal type (IAMUser, AssumedRole, Root, AWSService, ...). */
  type?: string | undefined;
  /** Short name: user name, role session name. */
  name?: string | undefined;
  /** Provider principal id (AIDA..., AROA...:session). */
  principalId?: string | undefined;
  /** Access key id used. */
  accessKey?: string | undefined;
  /** Session identity (assumed-role session ARN, federated session). */
  session?: string | undefined;
  /** Role or user the session was assumed from. */
  assumedFrom?: string | undefined;
}

/** One normalized event. */
export interface NormalizedEvent {
  /** Identity: provider's own id (CloudTrail eventID, ...) else `sha256:<hex of raw bytes>`. */
  id: string;
  /** Source data type, e.g. `aws:cloudtrail:entry`. */
  dataType: string;
  /** Event class. */
  class: EventClass;
  /** UTC ISO 8601 with milliseconds. */
  time: string;
  /** Epoch milliseconds of {@link time}. */
  timeMs: number;
  /** aws | azure | gcp | okta | ... */
  provider: string;
  /** Telemetry layer. */
  layer: Layer;
  /** Account / subscription / project. */
  account?: string | undefined;
  /** Region or location. */
  region?: string | undefined;
  /** Service, e.g. `iam`, `s3`. */
  service?: string | undefined;
  /** Operation, e.g. `CreateUser`. */
  action: string;
  /** Who acted. */
  actor: Actor;
  /** Source IP address when the source is an IP. */
  srcIp?: string | undefined;
  /** Source that is not an IP (an AWS service name, "AWS Internal"). */
  srcHost?: string | undefined;
  /** User agent. */
  userAgent?: string | undefined;
  /** Outcome. */
  outcome: Outcome;
  /** Provider error code on failure. */
  errorCode?: string | undefined;
  /** True for reads (Get/List/Describe...). */
  readOnly?: boolean | undefined;
  /** Target resource identifiers (ARNs where known). */
  resources: string[];
  /**
   * Entities the record hands out or names beyond its actor and resources (identity hops: the key and session a
   * credential call issued, the instance a session went to), as `kind` + `value`.
   */
  related?: Array<{ kind: string; value: string }> | undefined;
  /**
   * A short excerpt of attacker-controllable text the record carries (an AI invocation's prompt and output), made
   * with normalize/excerpt.ts (sanitized, cut, quoted, labelled), for timelines and reports. Never the full text.
   */
  excerpt?: string | undefined;
}

/** Result of normalizing one record: an event, or the reason it cannot be one. */
export type NormalizeResult = { ok: true; event: NormalizedEvent } | { ok: false; reason: string };

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parse a provider timestamp to UTC ISO 8601 with milliseconds. A time without an offset is UTC (design.md).
 * Returns undefined when the value is not a valid time.
 */
export function normalizeTime(value: unknown): { iso: string; ms: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ISO_RE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  let offsetMin = 0;
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms) - offsetMin * 60_000;
  if (!Number.isFinite(t)) return undefined;
  const date = new Date(t);
  // Reject impossible calendar values (2024-02-31) that Date.UTC would roll over.
  if (offsetMin === 0 && (date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1)) return undefined;
  return { iso: date.toISOString(), ms: t };
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True when the string is an IPv4 or IPv6 literal. */
export function isIpAddress(value: string): boolean {
  const m = IPV4_RE.exec(value);
  if (m) return m.slice(1).every((p) => Number(p) <= 255);
  return value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value);
}

/** Narrow an unknown JSON value to an object. */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Narrow an unknown JSON value to a non-empty string. */
export function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
