/**
 * The Google Cloud rules on Cloud Audit Logs entries, as `irctl detect` evaluates them (engine directly, no case):
 * every built-in `irctl-gcp-*` rule fires on exactly the entries of its regression fixture whose insertId starts
 * with `hit-` (fixtures/gcp-rules/<rule>.jsonl), and SigmaHQ's GCP rules (fixtures/sigma, DRL-1.1) load and run
 * through the field map on entries with the method names Google writes (fixtures/gcp-rules/sigma-hits.jsonl).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePack, runRules } from '../../src/detect/engine.js';
import { eventRowOf, inputsFromRecords } from '../../src/detect/record-inputs.js';
import { fixture } from '../helpers/run-irctl.js';

function entries(name: string): Array<Record<string, unknown>> {
  return readFileSync(fixture('gcp-rules', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The test name of a record: a LogEntry's insertId; a Vertex AI request-response row (no insertId) carries it in the
 * request's user labels (`full_request.labels.case`).
 */
function nameOf(r: Record<string, unknown>): string {
  const labels = ((r.full_request as Record<string, unknown> | undefined)?.labels ?? {}) as Record<string, unknown>;
  return String(r.insertId ?? labels.case);
}

/** Test name of each record by the event id it normalizes to. */
function insertIds(recs: ReadonlyArray<Record<string, unknown>>): Map<string, string> {
  return new Map(recs.map((r, i) => [eventRowOf(r, i + 1)!.event.id, nameOf(r)]));
}

describe('built-in Google Cloud rules on their regression fixtures', () => {
  const pack = loadRulePack({ builtin: true });
  const files = readdirSync(fixture('gcp-rules')).filter((f) => f.endsWith('.jsonl') && f !== 'sigma-hits.jsonl');

  it('has a fixture for every irctl-gcp rule, each with ATT&CK tags', () => {
    const gcp = pack.rules.filter((r) => r.id.startsWith('irctl-gcp-'));
    expect(gcp.map((r) => `${r.id.replace('irctl-gcp-', '')}.jsonl`).sort()).toEqual([...files].sort());
    for (const r of gcp) expect(r.techniques.length, r.id).toBeGreaterThan(0);
  });

  it.each(files)('%s: fires on the hit- entries only', (file) => {
    const recs = entries(file);
    const ids = insertIds(recs);
    const rule = `irctl-gcp-${file.replace(/\.jsonl$/, '')}`;
    const hits = runRules(inputsFromRecords(recs), pack).filter((h) => h.rule.id === rule);
    const fired = new Set(hits.map((h) => ids.get(h.eventIds[h.eventIds.length - 1]!)));
    expect([...fired].sort()).toEqual(recs.map(nameOf).filter((i) => i.startsWith('hit-')).sort());
  });
});

describe('SigmaHQ GCP rules (fixtures/sigma/cloud/gcp/audit, DRL-1.1) through the field map', () => {
  const pack = loadRulePack({ builtin: false, dirs: [fixture('sigma/cloud/gcp')] });

  it('all 16 load for gcp:audit:entry; 10 fire on entries with the names Google writes', () => {
    expect(pack.errors.filter((e) => e.level === 'error')).toEqual([]);
    expect(pack.rules).toHaveLength(16);
    expect(pack.rules.every((r) => r.dataType === 'gcp:audit:entry')).toBe(true);
    const recs = entries('sigma-hits.jsonl');
    const ids = insertIds(recs);
    const hits = runRules(inputsFromRecords(recs), pack);
    // Each entry is named after the rule it was written for; a rule fires on its own entry.
    const fired = new Set(hits.filter((h) => (h.rule.file ?? '').includes(ids.get(h.eventIds[0]!) ?? '\u0000')).map((h) => ids.get(h.eventIds[0]!)));
    expect([...fired].sort()).toEqual([
      'gcp_access_policy_deleted',
      'gcp_bucket_enumeration',
      'gcp_bucket_modified_or_deleted',
      'gcp_dns_zone_modified_or_deleted',
      'gcp_firewall_rule_modified_or_deleted',
      'gcp_full_network_traffic_packet_capture',
      'gcp_kubernetes_admission_controller',
      'gcp_kubernetes_rolebinding',
      'gcp_kubernetes_secrets_modified_or_deleted',
      'gcp_sql_database_modified_or_deleted',
    ]);
    // Not firing: the break-glass rule's keyword is an annotation key (`image-policy.k8s.io/break-glass: "true"`)
    // and keywords match values, not keys (its field conditions do match through the map). The others because the
    // rule's values are not names audit entries carry (docs/gcp.md): DLP's method is
    // google.privacy.dlp.v2.DlpService.ReidentifyContent (rule: projects.content.reidentify); IAM's are
    // google.iam.admin.v1.DisableServiceAccount / CreateServiceAccount (rules: *.serviceAccounts.disable / .create,
    // permission names); VPN tunnels are v1.compute.vpnTunnels.* (rule: compute.vpnTunnels.*, no version); GKE
    // writes io.k8s.batch.v1.cronjobs.create (rule: io.k8s.api.batch.v*.CronJob, a type name).
  });
});
