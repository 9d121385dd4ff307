/**
 * Log coverage configuration (pure): what a project's Cloud Logging configuration keeps out of what `entries.list`
 * can read. Read with `@google-cloud/logging`'s configuration client (sinks, exclusions, buckets); recorded in the
 * custody log and summarized as warnings.
 */

/** The configuration of one resource (project, folder, organization) as irctl records it. */
export interface LogConfig {
  parent: string;
  sinks: Array<{ name: string; destination: string; filter: string; disabled: boolean; includeChildren: boolean }>;
  exclusions: Array<{ name: string; filter: string; disabled: boolean }>;
  buckets: Array<{ name: string; retentionDays: number | null; locked: boolean }>;
  /** Set when the configuration could not be read (the collection goes on). */
  error?: string | undefined;
}

const AUDIT = /cloudaudit|data_access|activity|system_event|policy/i;

/** Plain values of a configuration API object (missing fields as defaults). */
function s(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Shape the API's sinks, exclusions and buckets (unknown JSON) into a {@link LogConfig}. */
export function logConfigOf(parent: string, sinks: unknown[], exclusions: unknown[], buckets: unknown[]): LogConfig {
  const o = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
  return {
    parent,
    sinks: sinks.map(o).map((x) => ({ name: s(x.name), destination: s(x.destination), filter: s(x.filter), disabled: x.disabled === true, includeChildren: x.includeChildren === true })),
    exclusions: exclusions.map(o).map((x) => ({ name: s(x.name), filter: s(x.filter), disabled: x.disabled === true })),
    buckets: buckets.map(o).map((x) => ({ name: s(x.name), retentionDays: typeof x.retentionDays === 'number' ? x.retentionDays : null, locked: x.locked === true })),
  };
}

/** What the configuration means for this collection, one sentence each. */
export function coverageWarnings(c: LogConfig, windowStartMs: number, nowMs: number): string[] {
  const out: string[] = [];
  for (const e of c.exclusions) {
    if (!e.disabled && AUDIT.test(e.filter)) {
      out.push(`${c.parent}: exclusion ${e.name} (${e.filter}) keeps matching audit entries (Data Access, Policy Denied) out of the _Default bucket: they are not in what irctl can read`);
    }
  }
  const ageDays = (nowMs - windowStartMs) / 86_400_000;
  for (const b of c.buckets) {
    if (b.name.endsWith('/buckets/_Default') && b.retentionDays !== null && b.retentionDays < ageDays) {
      out.push(`${c.parent}: the _Default bucket keeps ${b.retentionDays} days: Data Access and Policy Denied entries older than that are gone (Admin Activity and System Event stay 400 days in _Required)`);
    }
  }
  return out;
}
