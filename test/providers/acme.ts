/**
 * A test-only provider for a made-up SaaS audit log ("acme"), defined entirely outside `src/sources/`: its record
 * type, Sigma field map, entities and tampering table. The provider-interface test registers it and runs the whole
 * pipeline on it, proving the generic stages need no provider code.
 */
import { asObject, asString, isIpAddress, normalizeTime, type NormalizeResult } from '../../src/normalize/event.js';
import type { Provider, SourceAdapter } from '../../src/sources/types.js';

function body(record: unknown): Record<string, unknown> | undefined {
  const o = asObject(record);
  return o && typeof o.acme_event_id === 'string' && typeof o.operation === 'string' ? o : undefined;
}

function normalizeAcme(record: unknown, rawSha256: string): NormalizeResult {
  const r = body(record);
  if (!r) return { ok: false, reason: 'not an acme audit record (no acme_event_id/operation)' };
  const t = normalizeTime(r.at);
  if (!t) return { ok: false, reason: `acme audit record has no valid "at" time (${JSON.stringify(r.at)})` };
  const actor = asObject(r.actor) ?? {};
  const client = asObject(r.client) ?? {};
  const ip = asString(client.ip);
  const operation = r.operation as string;
  const target = asString(r.target);
  return {
    ok: true,
    event: {
      id: asString(r.acme_event_id) ?? `sha256:${rawSha256}`,
      dataType: 'acme:audit:entry',
      class: operation.startsWith('session.') ? 'authentication' : 'api_activity',
      time: t.iso,
      timeMs: t.ms,
      provider: 'acme',
      layer: operation.startsWith('session.') ? 'identity' : 'control_plane',
      account: 'tenant-main',
      service: operation.split('.')[0],
      action: operation,
      actor: { principal: asString(actor.login), name: asString(actor.login), session: asString(actor.session), type: 'User' },
      srcIp: ip && isIpAddress(ip) ? ip : undefined,
      userAgent: asString(client.agent),
      outcome: r.result === 'ok' ? 'success' : r.result === 'denied' ? 'failure' : 'unknown',
      readOnly: operation.endsWith('.read'),
      resources: target ? [target] : [],
    },
  };
}

/** The acme audit log record type. */
export const acmeAudit: SourceAdapter = {
  id: 'acme-audit',
  dataType: 'acme:audit:entry',
  provider: 'acme',
  description: 'Acme audit log (test-only provider)',
  version: 1,
  matches: (record) => body(record) !== undefined,
  normalize: normalizeAcme,
  logSources: [{ product: 'acme', service: 'audit', description: 'Acme audit log' }],
  fieldAliases: { operation: { column: 'action' } },
  detailPaths: { request: ['$.target'], error: ['$.error'] },
};

/** The acme provider. */
export const acmeProvider: Provider = {
  name: 'acme',
  description: 'Acme SaaS (test-only provider)',
  adapters: [acmeAudit],
  isServicePrincipal: (v) => v === 'acme-system',
  // Hosts a principal ran commands on are compute instances.
  extraEntities: (e) => {
    const out = [];
    for (const r of JSON.parse(e.resources) as string[]) if (r.startsWith('host/')) out.push({ kind: 'instance', value: r.slice(5) });
    return out;
  },
  tampering: { actions: ['audit.disable', 'audit.retention.reduce'], stops: ['audit.disable'], starts: ['audit.enable'] },
  privilege: {
    isRoot: (p) => p === 'acme-owner',
    adminNamedRole: () => undefined,
    grantActions: [],
    adminGrants: () => [],
  },
};
