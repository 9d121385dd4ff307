/**
 * The provider registry: the one place generic stages ask for provider knowledge (docs/architecture.md "Providers").
 * Every answer is the union over registered providers, or the answer of the provider that wrote an event.
 */
import type { NormalizedEvent } from '../normalize/event.js';
import type { DetectEvent, EventRow } from '../normalize/event-row.js';
import { awsProvider } from './aws/index.js';
import { azureProvider } from './azure/index.js';
import { gcpProvider } from './gcp/index.js';
import { googleWorkspaceProvider } from './google_workspace/index.js';
import { oktaProvider } from './okta/index.js';
import { falcoProvider } from './falco/index.js';
import { tetragonProvider } from './tetragon/index.js';
import { plannedProviders } from './planned.js';
import { parseCsvRecord } from '../util/csv.js';
import { splitTextFields } from '../util/text-fields.js';
import type { TextFormat } from './types.js';
import type { ContainerFormat, Entity, LogKinds, LogSource, Provider, PseudonymPattern, SourceAdapter, TableHeader } from './types.js';

/** Registered providers, in the order their adapters are tried. Add one line per new provider. */
// Azure before AWS: an ARM Activity Log entry has an `eventName` object, which the CloudTrail matcher accepts; the
// Azure matchers require Azure-only keys (operationName with eventTimestamp, createdDateTime, activityDateTime).
// Okta requires a dotted eventType with an actor or published time; Workspace an id.applicationName with an actor;
// Google Cloud a LogEntry `protoPayload` (AuditLog): no key set is another's, so their place does not matter.
// Falco's matcher requires `rule` with an `output_fields` object, keys no other provider's records carry.
// Tetragon's requires a `process_*` event key (an object) next to `node_name` or `time`: no other provider's key.
const PROVIDERS: Provider[] = [awsProvider, azureProvider, oktaProvider, googleWorkspaceProvider, gcpProvider, falcoProvider, tetragonProvider, ...plannedProviders];

/** Caches derived from {@link PROVIDERS}; cleared when a provider is registered. */
let cache: {
  adapters?: SourceAdapter[];
  byDataType?: Map<string, SourceAdapter>;
  byName?: Map<string, Provider>;
  tamper?: { actions: Set<string>; stops: Set<string>; starts: string[] };
} = {};

/**
 * Register another provider (plug-ins and tests: a provider defined outside `src/sources/` goes through exactly the
 * same stages). A provider with the name of a registered one replaces it.
 */
export function registerProvider(p: Provider): void {
  const i = PROVIDERS.findIndex((x) => x.name === p.name);
  if (i >= 0) PROVIDERS[i] = p;
  else PROVIDERS.push(p);
  cache = {};
}

/** Remove a provider registered with {@link registerProvider} (tests). */
export function unregisterProvider(name: string): void {
  const i = PROVIDERS.findIndex((x) => x.name === name);
  if (i >= 0) PROVIDERS.splice(i, 1);
  cache = {};
}

/** Every registered provider. */
export function providers(): readonly Provider[] {
  return PROVIDERS;
}

/** Every source adapter, tried in order for each record. */
export function sourceAdapters(): readonly SourceAdapter[] {
  return (cache.adapters ??= PROVIDERS.flatMap((p) => p.adapters));
}

/** The first adapter that recognises a parsed record. */
export function adapterFor(record: unknown, adapters: readonly SourceAdapter[] = sourceAdapters()): SourceAdapter | undefined {
  return adapters.find((a) => a.matches(record));
}

/** Adapter by data type (to re-normalize stored raw records, to read rule bodies). */
export function adapterByDataType(dataType: string): SourceAdapter | undefined {
  cache.byDataType ??= new Map(sourceAdapters().map((a) => [a.dataType, a]));
  return cache.byDataType.get(dataType);
}

/** `<source id>@<normalizer version>`: recorded with every event an adapter made (`events.normalizer`). */
export function normalizerTag(a: SourceAdapter): string {
  return `${a.id}@${a.version}`;
}

/** A stored raw record normalized again by the adapter of its data type. */
export type StoredNormalizeResult =
  | { ok: true; event: NormalizedEvent; normalizer: string }
  | { ok: false; reason: string };

/**
 * Normalize a stored raw record (its exact text and SHA-256) again with the current adapter of its data type: what
 * `case rebuild` stores and `case verify` compares stored events with. Never throws.
 */
export function normalizeStored(dataType: string, raw: string, sha256: string): StoredNormalizeResult {
  const adapter = adapterByDataType(dataType);
  if (!adapter) return { ok: false, reason: `no adapter for data type ${dataType}` };
  const rec = parseStoredRecord(dataType, raw);
  if (!rec.ok) return rec;
  const parsed = rec.record;
  try {
    const res = adapter.normalize(parsed, sha256);
    return res.ok ? { ok: true, event: res.event, normalizer: normalizerTag(adapter) } : res;
  } catch (err) {
    return { ok: false, reason: `normalizer failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * The key under which a stored table row travels with its header (store/record-text.ts builds it in SQL): no vendor
 * writes a top-level key with this prefix.
 */
export const ROW_ENVELOPE_KEY = 'irctl.row';

/** The envelope a table row travels in with its header (as store/record-text.ts builds it in SQL). */
export function rowEnvelope(headerJson: string, row: string): string {
  return `{"${ROW_ENVELOPE_KEY}":{"header":${headerJson},"row":${JSON.stringify(row)}}}`;
}

/** The cells of a table row's text: a JSON array (JSON tables) or a CSV record, as many as the header has columns. */
export function rowRecord(header: TableHeader, text: string): { row: unknown[] } | { error: string } {
  let row: unknown[];
  if (header.format === 'csv') {
    const r = parseCsvRecord(text);
    if ('error' in r) return { error: `is not a CSV record (${r.error})` };
    row = r.cells;
  } else if (header.format === 'text') {
    const r = splitTextFields(text);
    if ('error' in r) return { error: `is not a line of space-separated fields (${r.error})` };
    row = r.cells;
    if (header.minColumns !== undefined) {
      if (row.length < header.minColumns) return { error: `has ${row.length} field(s) but this format has at least ${header.minColumns} (a cut line)` };
      return { row };
    }
    if (row.length !== header.columns.length) {
      return { error: `has ${row.length} field(s) but the header names ${header.columns.length} (a cut line, or a line written with another format)` };
    }
    return { row };
  } else {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      return { error: `is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
    }
    if (!Array.isArray(v)) return { error: 'is not a JSON array of cells' };
    row = v;
  }
  if (row.length !== header.columns.length) {
    return { error: `has ${row.length} cell(s) but the header names ${header.columns.length} column(s) (a cell with an unquoted comma or line break, or a cut row)` };
  }
  return { row };
}

/**
 * The record a stored raw record stands for: its JSON, or, for a table row read with its header (the envelope
 * store/record-text.ts builds), what the data type's adapter makes of the row. Never throws.
 */
export function parseStoredRecord(dataType: string, text: string): { ok: true; record: unknown } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.hasOwn(parsed, ROW_ENVELOPE_KEY)) return { ok: true, record: parsed };
  const env = (parsed as Record<string, unknown>)[ROW_ENVELOPE_KEY] as { header?: TableHeader; row?: unknown } | null;
  if (!env || typeof env.row !== 'string' || !env.header || !Array.isArray(env.header.columns)) return { ok: false, reason: 'table row without its header' };
  const cells = rowRecord(env.header, env.row);
  if ('error' in cells) return { ok: false, reason: `table row ${cells.error}` };
  const adapter = adapterByDataType(dataType);
  if (!adapter?.fromRow) return { ok: false, reason: `the ${dataType} adapter reads no table rows` };
  try {
    const made = adapter.fromRow(env.header, cells.row);
    return made ? { ok: true, record: made.record } : { ok: false, reason: `the ${dataType} adapter no longer reads rows with these columns` };
  } catch (err) {
    return { ok: false, reason: `row reader failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Adapter by source id (`--source aws-cloudtrail`) or data type. */
export function adapterById(id: string): SourceAdapter | undefined {
  return sourceAdapters().find((a) => a.id === id) ?? adapterByDataType(id);
}

/** Provider by name (the `provider` column of an event). */
export function providerNamed(name: string | null | undefined): Provider | undefined {
  if (!name) return undefined;
  cache.byName ??= new Map(PROVIDERS.map((p) => [p.name, p]));
  return cache.byName.get(name);
}

/** Container formats every provider defines. */
export function containerFormats(): ContainerFormat[] {
  return PROVIDERS.flatMap((p) => p.containers ?? []);
}

/** Text log formats every provider defines. */
export function textFormats(): TextFormat[] {
  return PROVIDERS.flatMap((p) => p.textFormats ?? []);
}

/**
 * The record inside a delivery envelope some provider defines (a Pub/Sub push message), or the element itself.
 */
export function unwrapEnvelope(bytes: Buffer, parsed: unknown): { bytes: Buffer; parsed: unknown } | { error: string } {
  for (const p of PROVIDERS) for (const e of p.envelopes ?? []) if (e.matches(parsed)) return e.unwrap(bytes, parsed);
  return { bytes, parsed };
}

/** The record text another document carries (a SIEM's copy), if any provider finds one. */
export function embeddedRecord(element: unknown): string | undefined {
  for (const p of PROVIDERS) {
    const t = p.embeddedRecord?.(element);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** Why a file found while walking an import tree is not a log file, if a provider says so. */
export function skipReason(path: string): string | undefined {
  for (const p of PROVIDERS) {
    const r = p.skipFile?.(path);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Every Sigma log source: those with an importer, then planned ones. */
export function logSources(): Array<LogSource & { dataType: string; importer: boolean }> {
  const out: Array<LogSource & { dataType: string; importer: boolean }> = [];
  for (const a of sourceAdapters()) for (const l of a.logSources ?? []) out.push({ ...l, dataType: a.dataType, importer: true });
  for (const p of PROVIDERS) for (const l of p.plannedLogSources ?? []) out.push({ ...l, importer: false });
  return out;
}

/** Data types answering a provider-neutral log source category, in registry order. */
export function dataTypesOfCategory(category: string): string[] {
  return sourceAdapters()
    .filter((a) => a.categories?.includes(category) === true)
    .map((a) => a.dataType);
}

/** Every provider-neutral category some data type answers, with its data types. */
export function logCategories(): Array<{ category: string; dataTypes: string[] }> {
  const all = new Set(sourceAdapters().flatMap((a) => a.categories ?? []));
  return [...all].sort().map((category) => ({ category, dataTypes: dataTypesOfCategory(category) }));
}

/** The body rules see for a parsed raw record of a data type. */
export function ruleBodyOf(dataType: string, parsed: unknown): unknown {
  const f = adapterByDataType(dataType)?.ruleBody;
  return f ? (f(parsed) ?? parsed) : parsed;
}

/** True when any provider says the value names its own service rather than an actor. */
export function isServicePrincipal(value: string, actorType?: string | null): boolean {
  return PROVIDERS.some((p) => p.isServicePrincipal?.(value, actorType) === true);
}

/**
 * Entities of one normalized event: the generic ones every provider's events have (actor, key, session, role, IP,
 * account, resources), plus what the event's provider adds (instances, issued keys, ...).
 */
export function eventEntities(e: DetectEvent, opts: { resources?: readonly string[]; servicePrincipals?: boolean } = {}): Entity[] {
  const out: Entity[] = [];
  const add = (kind: string, v: string | null | undefined): void => {
    if (v !== null && v !== undefined && v !== '') out.push({ kind, value: v });
  };
  // Service principals are kept on a detection (what fired) but are not an actor entity of the event (they link nothing).
  if (e.actor && (opts.servicePrincipals === true || !isServicePrincipal(e.actor, e.actor_type))) add('principal', e.actor);
  add('access_key', e.access_key);
  add('session', e.session);
  add('role', e.assumed_from);
  add('ip', e.src_ip);
  add('account', e.account);
  for (const r of opts.resources ?? parseResources(e.resources)) add('resource', r);
  if (e.related && e.related !== '[]') {
    try {
      for (const pair of JSON.parse(e.related) as unknown[]) if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') add(pair[0], pair[1]);
    } catch {
      // A malformed column only loses related entities.
    }
  }
  const extra = providerNamed(e.provider)?.extraEntities?.(e);
  if (extra) out.push(...extra);
  return out;
}

/** The resources column (a JSON array) as strings; a malformed column only loses resources. */
export function parseResources(json: string | null | undefined): string[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The instance a session was issued to, asking every provider. */
export function instanceOfSession(session: string | null | undefined): string | undefined {
  if (!session) return undefined;
  for (const p of PROVIDERS) {
    const r = p.instanceOfSession?.(session);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** What a host name says about its machine (private address, instance id), asking every provider. */
export function hostEntities(host: string): Entity[] {
  return PROVIDERS.flatMap((p) => p.hostEntities?.(host) ?? []);
}

/** The role a session came from, asking every provider. */
export function roleOfSession(session: string): string | undefined {
  for (const p of PROVIDERS) {
    const r = p.roleOfSession?.(session);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Short display name of a principal (user or role name); the value itself when no provider knows it. */
export function shortName(principal: string): string {
  for (const p of PROVIDERS) {
    const r = p.shortName?.(principal);
    if (r !== undefined && r !== '') return r;
  }
  return principal;
}

/** Why a principal is privileged by its name alone (the account root, an admin-named role), or undefined. */
export function privilegeOf(principal: string): { root: true } | { adminRole: string } | undefined {
  for (const p of PROVIDERS) {
    const k = p.privilege;
    if (!k) continue;
    if (k.isRoot(principal)) return { root: true };
    const role = k.adminNamedRole(principal);
    if (role !== undefined) return { adminRole: role };
  }
  return undefined;
}

/** Logging-tampering actions of every provider. */
export function tamperingActions(): { actions: ReadonlySet<string>; stops: ReadonlySet<string>; starts: readonly string[] } {
  if (!cache.tamper) {
    const t = { actions: new Set<string>(), stops: new Set<string>(), starts: [] as string[] };
    for (const p of PROVIDERS) {
      for (const a of p.tampering?.actions ?? []) t.actions.add(a);
      for (const a of p.tampering?.stops ?? []) t.stops.add(a);
      t.starts.push(...(p.tampering?.starts ?? []));
    }
    cache.tamper = t;
  }
  return cache.tamper;
}

/** Every provider's log kinds (which kinds of log its records come from), with the provider's name. */
export function logKindSpecs(): Array<LogKinds & { provider: string }> {
  return PROVIDERS.flatMap((p) => (p.logKinds ? [{ ...p.logKinds, provider: p.name }] : []));
}

/** Roles an event assumed (blast radius), by the event's provider. */
export function rolesAssumed(e: EventRow, resources: readonly string[]): string[] {
  return providerNamed(e.provider)?.rolesAssumed?.(e, resources) ?? [];
}

/** The forms a crown-jewel entry may take in events: the entry itself plus every provider's other forms. */
export function jewelForms(jewel: string): string[] {
  const out = new Set([jewel]);
  for (const p of PROVIDERS) for (const f of p.jewelForms?.(jewel) ?? []) out.add(f);
  return [...out];
}

/** Let every provider read its settings from the environment (before detection); their notes for the operator. */
export function configureProviders(env: Readonly<Record<string, string | undefined>>): string[] {
  return PROVIDERS.flatMap((p) => p.configure?.(env) ?? []);
}

/** Provider-specific identifier shapes to pseudonymize, every provider's. */
export function pseudonymPatterns(): PseudonymPattern[] {
  return PROVIDERS.flatMap((p) => p.pseudonymPatterns ?? []);
}

/** JSON paths of request parameters and error messages, per data type, for investigation displays. */
export function detailPaths(): Array<{ dataType: string; request: readonly string[]; error: readonly string[]; response: readonly string[] }> {
  return sourceAdapters().flatMap((a) => (a.detailPaths ? [{ dataType: a.dataType, ...a.detailPaths, response: a.detailPaths.response ?? [] }] : []));
}

export type { ContainerFormat, TextFormat, FindingVerdict, DerivedField, EnvelopeFormat, Entity, FieldAlias, LogKinds, LogSource, Provider, RecordOrigin, SourceAdapter, TableHeader } from './types.js';

/** Exposure findings of a context record, from its provider (empty when the provider computes none). */
export function exposureFindings(provider: string | null | undefined, dataType: string, record: unknown): string[] {
  return providerNamed(provider)?.exposure?.(dataType, record) ?? [];
}
