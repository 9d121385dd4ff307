/**
 * Field access for rule evaluation. A rule names either a field of the parsed raw record (a dotted JSON path such as
 * `userIdentity.sessionContext.sessionIssuer.type`) or a column of the normalized event (`event.actor`,
 * `event.src_ip`, ...) plus a few derived `event.*` values (network prefixes, user-agent family), or a value its
 * provider computes from the record (`irctl.*`, e.g. the foreign accounts a policy grants). Pure.
 */
import type { DetectEvent as EventRow } from '../normalize/event-row.js';
import { adapterByDataType, instanceOfSession, type DerivedField, type FieldAlias } from '../sources/index.js';
import type { DetectInput } from './types.js';

/**
 * Values of a field in one event: `[]` when the field is absent; JSON `null` is kept as `null`. Getters of
 * single-valued fields (normalized columns, derived values, CloudTrail eventName) also have `single`: the value, or
 * null/undefined when absent, without building an array.
 */
export type FieldGetter = ((input: DetectInput) => unknown[]) & { single?: ((input: DetectInput) => unknown) | undefined };

/** Normalized-event columns rules may name as `event.<column>`. */
export const EVENT_COLUMNS = [
  'id',
  'time',
  'time_ms',
  'provider',
  'layer',
  'class',
  'account',
  'region',
  'service',
  'action',
  'actor',
  'actor_type',
  'actor_name',
  'access_key',
  'session',
  'assumed_from',
  'src_ip',
  'src_host',
  'user_agent',
  'outcome',
  'error_code',
  'read_only',
  'resources',
  'data_type',
] as const satisfies ReadonlyArray<keyof EventRow>;

/**
 * Derived `event.*` values (computed from the normalized columns). `from` picks the column value a derived value
 * depends on and `of` computes it from that alone, so results can be remembered per distinct column value.
 */
export const DERIVED_FIELDS: Record<
  string,
  { description: string; get: (e: EventRow) => string | undefined; from: (e: EventRow) => string | null; of: (v: string) => string | undefined }
> = {};
const derived = (name: string, description: string, from: (e: EventRow) => string | null, of: (v: string) => string | undefined): void => {
  DERIVED_FIELDS[name] = {
    description,
    from,
    of,
    get: (e) => {
      const v = from(e);
      return v === null ? undefined : of(v);
    },
  };
};
derived('src_prefix16', 'IPv4 /16 (IPv6 /48) network of the source IP, e.g. 203.0.0.0/16', (e) => e.src_ip, (v) => ipPrefix(v, 16, 48));
derived('src_prefix24', 'IPv4 /24 (IPv6 /64) network of the source IP', (e) => e.src_ip, (v) => ipPrefix(v, 24, 64));
derived('ua_family', 'user-agent family: the first product token, lower-cased (e.g. curl, python-requests)', (e) => e.user_agent, uaFamily);
derived('instance_id', 'the compute instance the actor\'s role session was issued to (instance-profile sessions)', (e) => e.session ?? e.actor, instanceOfSession);
derived(
  'principal_name',
  'actor name, else the last path element of the actor ARN',
  // The actor name as is; else the ARN's last path element (marked so the two cannot be confused in the memo).
  (e) => (e.actor_name !== null ? `n${e.actor_name}` : e.actor !== null ? `a${e.actor}` : null),
  (v) => (v.startsWith('n') ? v.slice(1) : v.slice(1).split('/').pop()),
);

const COLUMN_SET: ReadonlySet<string> = new Set(EVENT_COLUMNS);

/** Is `path` a normalized-event field (`event.<column>` or a derived value)? */
export function isEventField(path: string): boolean {
  if (!path.startsWith('event.')) return false;
  const name = path.slice(6);
  return COLUMN_SET.has(name) || Object.hasOwn(DERIVED_FIELDS, name);
}

/** User-agent family: first token up to `/`, space or `(`, lower-cased; `[...]` wrappers removed. */
export function uaFamily(ua: string | null | undefined): string | undefined {
  if (!ua) return undefined;
  const s = ua.trim().replace(/^\[/, '');
  const m = /^[^/\s(\]]+/.exec(s);
  return m ? m[0].toLowerCase() : undefined;
}

/** Network prefix of an IP: IPv4 /v4bits, IPv6 /v6bits (hextets). Undefined for non-IPs. */
export function ipPrefix(ip: string | null | undefined, v4bits: 16 | 24, v6bits: 48 | 64): string | undefined {
  if (!ip) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) return v4bits === 16 ? `${v4[1]}.${v4[2]}.0.0/16` : `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  const full = expandIpv6(ip);
  if (!full) return undefined;
  return `${full.slice(0, v6bits / 16).join(':')}::/${v6bits}`;
}

/** Expand an IPv6 literal to 8 hextets (lower-case, no leading zeros), or undefined. */
export function expandIpv6(ip: string): string[] | undefined {
  if (!ip.includes(':') || !/^[0-9a-fA-F:.]+$/.test(ip)) return undefined;
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  // Embedded IPv4 in the last group.
  const last = tail.length ? tail[tail.length - 1] : head[head.length - 1];
  const fix = (arr: string[]): boolean => {
    const l = arr[arr.length - 1];
    if (l?.includes('.')) {
      const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(l);
      if (!m) return false;
      const b = m.slice(1).map(Number);
      arr.splice(arr.length - 1, 1, (((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16), (((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16));
    }
    return true;
  };
  if (last?.includes('.') && !fix(tail.length ? tail : head)) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

/** Collect the values at `parts[i..]` below `v`; arrays are searched element by element; dotted keys are tried too. */
function walk(v: unknown, parts: readonly string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (Array.isArray(v)) for (const x of v as unknown[]) out.push(x);
    else out.push(v);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v as unknown[]) walk(x, parts, i, out);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  let key = parts[i] ?? '';
  for (let j = i; j < parts.length; j++) {
    if (j > i) key += `.${parts[j] ?? ''}`;
    if (Object.hasOwn(o, key)) walk(o[key], parts, j + 1, out);
  }
}

/** Values at a dotted path of a parsed JSON value. */
export function valuesAt(v: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  walk(v, path.split('.'), 0, out);
  return out;
}

const EMPTY: unknown[] = [];
Object.freeze(EMPTY);
/** A bounded memo of a derived value per distinct column value (the same few addresses and agents repeat). */
function memoized(of: (v: string) => string | undefined): (v: string) => string | null {
  const memo = new Map<string, string | null>();
  return (v) => {
    let r = memo.get(v);
    if (r === undefined) {
      r = of(v) ?? null;
      if (memo.size >= 50_000) memo.clear();
      memo.set(v, r);
    }
    return r;
  };
}

/**
 * Compile a field name to a getter. `event.*` reads the normalized event; `eventName` on CloudTrail events reads the
 * `action` column (the normalizer copies it verbatim), so the raw record is parsed only when a rule needs more.
 */
export function fieldGetter(path: string, dataType: string): FieldGetter {
  if (path.startsWith('event.')) {
    const name = path.slice(6);
    const d = DERIVED_FIELDS[name];
    if (d) {
      const { from } = d;
      const of = memoized(d.of);
      const single = (input: DetectInput): string | null => {
        const src = from(input.event);
        return src === null ? null : of(src);
      };
      const one: unknown[] = [undefined];
      const get: FieldGetter = (input) => {
        const v = single(input);
        if (v === null) return EMPTY;
        one[0] = v;
        return one;
      };
      get.single = single;
      return get;
    }
    if (name === 'resources') {
      return (input) => {
        try {
          const arr: unknown = JSON.parse(input.event.resources);
          return Array.isArray(arr) ? (arr as unknown[]) : [];
        } catch {
          return [];
        }
      };
    }
    if (COLUMN_SET.has(name)) {
      const col = name as keyof EventRow;
      // One reused array per getter: values are consumed synchronously by the matcher that asked for them.
      const one: unknown[] = [undefined];
      const get: FieldGetter = (input) => {
        const v = input.event[col];
        if (v === null || v === undefined) return EMPTY;
        one[0] = v;
        return one;
      };
      get.single = (input) => input.event[col];
      return get;
    }
  }
  const derived = derivedField(dataType, path);
  if (derived) return (input) => derived.values(input.raw());
  const alias = fieldAlias(dataType, path);
  if (alias) {
    const col = alias.column;
    const toRecord = alias.toRecord;
    if (!toRecord) {
      const one: unknown[] = [undefined];
      const get: FieldGetter = (input) => {
        one[0] = input.event[col];
        return one;
      };
      get.single = (input) => input.event[col];
      return get;
    }
    return (input) => {
      const s = input.event[col];
      const v = s === null ? undefined : toRecord(s);
      return v === undefined ? valuesAt(input.raw(), path) : [v];
    };
  }
  const parts = path.split('.');
  return (input) => {
    const out: unknown[] = [];
    walk(input.raw(), parts, 0, out);
    return out;
  };
}

/**
 * A getter for a rule that runs on several data types (`irctl.logsources`): each event is read through the getter
 * of its own data type (aliases and derived fields differ between data types).
 */
export function multiTypeFieldGetter(path: string, dataTypes: readonly string[]): FieldGetter {
  const first = fieldGetter(path, dataTypes[0] ?? '');
  if (dataTypes.length <= 1) return first;
  const by = new Map<string, FieldGetter>(dataTypes.map((dt, i) => [dt, i === 0 ? first : fieldGetter(path, dt)]));
  const pick = (input: DetectInput): FieldGetter => by.get(input.event.data_type) ?? first;
  const get: FieldGetter = (input) => pick(input)(input);
  if ([...by.values()].every((g) => g.single !== undefined)) get.single = (input) => (pick(input).single as (i: DetectInput) => unknown)(input);
  return get;
}

/** The normalized column a provider answers a record field of this data type from, if any. */
export function fieldAlias(dataType: string, path: string): FieldAlias | undefined {
  const aliases = adapterByDataType(dataType)?.fieldAliases;
  return aliases && Object.hasOwn(aliases, path) ? aliases[path] : undefined;
}

/** The field a provider computes from the rule body of this data type (`irctl.<name>`), if any. */
export function derivedField(dataType: string, path: string): DerivedField | undefined {
  if (!path.startsWith('irctl.')) return undefined;
  const fields = adapterByDataType(dataType)?.derivedFields;
  return fields && Object.hasOwn(fields, path) ? fields[path] : undefined;
}

/** Every string and number leaf of a parsed JSON value (keyword search). */
export function leafStrings(v: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 64) return out;
  if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v as unknown[]) leafStrings(x, out, depth + 1);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v as Record<string, unknown>)) leafStrings(x, out, depth + 1);
  return out;
}
