/**
 * The IAM policy of a project, folder or organization as `irctl collect gcp` reads it (Resource Manager
 * `getIamPolicy`), kept as a context record for its `auditConfigs`: which services write Data Access audit logs
 * (`DATA_READ`, `DATA_WRITE`, `ADMIN_READ`) and who is exempted. Log coverage (`case info`, the investigation's
 * `log_coverage`) then says which services have Data Access logs on or off, not only that none are in the case.
 *
 * Record format (data type `gcp:iam:policy`), like the asset snapshot's: canonical JSON written by irctl,
 * `{"contextType":"gcp:iam:policy","observedAt","scope","name","policy":{...the Policy the API returned...}}`; the
 * SHA-256 of the response as received is kept on the page's input row. Pure.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import { canonicalJson } from '../../util/hash.js';
import type { SourceAdapter } from '../types.js';

/** Data type of an IAM policy snapshot. */
export const IAM_POLICY_DATA_TYPE = 'gcp:iam:policy';

/** Build the stored text of one IAM policy snapshot (pure). */
export function iamPolicyRecord(scope: string, policy: unknown, observedAt: string): string {
  return canonicalJson({ contextType: IAM_POLICY_DATA_TYPE, observedAt, scope, name: scope, policy: asObject(policy) ?? {} });
}

function recordOf(record: unknown): Record<string, unknown> | undefined {
  const o = asObject(record);
  return o && o.contextType === IAM_POLICY_DATA_TYPE && typeof o.scope === 'string' ? o : undefined;
}

/** One service's audit logging: the log types it writes and the members exempted from each. */
export interface ServiceAuditConfig {
  /** `allServices` or a service name (`storage.googleapis.com`). */
  service: string;
  /** `ADMIN_READ`, `DATA_READ`, `DATA_WRITE`, sorted. */
  logTypes: string[];
  /** Members exempted from any of them. */
  exempted: string[];
}

/** The audit configuration of a policy, by service (sorted; `allServices` first). */
export function auditConfigsOf(policy: unknown): ServiceAuditConfig[] {
  const list = asObject(policy)?.auditConfigs;
  const out: ServiceAuditConfig[] = [];
  for (const c of Array.isArray(list) ? (list as unknown[]) : []) {
    const o = asObject(c);
    const service = asString(o?.service);
    if (!service) continue;
    const types = new Set<string>();
    const exempted = new Set<string>();
    for (const l of Array.isArray(o?.auditLogConfigs) ? (o.auditLogConfigs as unknown[]) : []) {
      const t = asString(asObject(l)?.logType);
      if (t) types.add(t);
      const ex = asObject(l)?.exemptedMembers;
      if (Array.isArray(ex)) for (const m of ex) if (typeof m === 'string') exempted.add(m);
    }
    out.push({ service, logTypes: [...types].sort(), exempted: [...exempted].sort() });
  }
  return out.sort((a, b) => (a.service === 'allServices' ? -1 : b.service === 'allServices' ? 1 : a.service.localeCompare(b.service)));
}

/** One sentence on which services write Data Access logs under one policy. */
export function dataAccessSentence(scope: string, policy: unknown, observedAt: string): string {
  const data = auditConfigsOf(policy).filter((c) => c.logTypes.some((t) => t === 'DATA_READ' || t === 'DATA_WRITE'));
  const when = `IAM audit config of ${scope} read ${observedAt}`;
  if (data.length === 0) return `${when}: Data Access logs are off for every service (BigQuery writes its own regardless)`;
  const all = data.find((c) => c.service === 'allServices');
  const list = data.map((c) => `${c.service} (${c.logTypes.filter((t) => t !== 'ADMIN_READ').join(', ')}${c.exempted.length > 0 ? `; exempted: ${c.exempted.join(', ')}` : ''})`);
  return `${when}: Data Access logs on for ${list.join(', ')}${all ? '' : '; off for every other service (BigQuery writes its own regardless)'}`;
}

/**
 * What the IAM policy snapshots in a case say about the Data Access log kind: the latest snapshot per scope, one
 * sentence each (for `LogKinds.settings`).
 */
export function dataAccessSettings(records: readonly unknown[]): Record<string, string> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of records) {
    const o = recordOf(r);
    if (!o) continue;
    const prev = latest.get(o.scope as string);
    if (!prev || String(o.observedAt) > String(prev.observedAt)) latest.set(o.scope as string, o);
  }
  if (latest.size === 0) return {};
  const sentences = [...latest.values()].sort((a, b) => String(a.scope).localeCompare(String(b.scope))).map((o) => dataAccessSentence(String(o.scope), o.policy, String(o.observedAt)));
  return { data_access: sentences.join('; ') };
}

function normalizeIamPolicy(record: unknown): NormalizeResult {
  const o = recordOf(record);
  if (!o) return { ok: false, reason: 'not a gcp:iam:policy context record' };
  const t = normalizeTime(o.observedAt);
  if (!t) return { ok: false, reason: 'gcp:iam:policy context record has no valid observedAt' };
  const scope = o.scope as string;
  const project = /^projects\/([^/]+)$/.exec(scope)?.[1];
  return {
    ok: true,
    event: {
      id: `gcp:iam:policy:${scope}@${t.iso}`,
      dataType: IAM_POLICY_DATA_TYPE,
      class: 'inventory',
      time: t.iso,
      timeMs: t.ms,
      provider: 'gcp',
      layer: 'context',
      account: project ?? scope,
      service: 'cloudresourcemanager',
      action: 'inventory:iam-policy',
      actor: {},
      outcome: 'unknown',
      readOnly: true,
      resources: [scope],
    },
  };
}

/** The IAM policy snapshot adapter (context layer). */
export const gcpIamPolicyContext: SourceAdapter = {
  id: 'gcp-iam-policy',
  dataType: IAM_POLICY_DATA_TYPE,
  provider: 'gcp',
  description: 'Google Cloud IAM policy snapshots (bindings and audit configuration) read by `irctl collect gcp` (context layer)',
  version: 1,
  matches: (record) => recordOf(record) !== undefined,
  normalize: normalizeIamPolicy,
};
