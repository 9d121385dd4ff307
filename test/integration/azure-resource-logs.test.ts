/**
 * Azure resource logs through the CLI (fixtures/azure-resource-logs): Key Vault audit, Microsoft Graph activity,
 * Storage blob and Azure OpenAI records, each as a diagnostic-settings export and as Log Analytics rows, go into one
 * case; a record read through both shapes is one event; bad records are quarantined with the reason (exit 6); the
 * rules fire on the intrusion and stay quiet on the look-alikes; show and timeline present the events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl, type RunResult } from '../helpers/run-irctl.js';

const FIX = resolve(import.meta.dirname, '../../fixtures/azure-resource-logs');
const FILES = [
  'keyvault-auditevent.PT1H.json',
  'azurediagnostics.query-response.json',
  'graph-activity.PT1H.json',
  'microsoftgraphactivitylogs.query-response.json',
  'storage-blob.PT1H.json',
  'storagebloblogs.query-response.json',
  'storagebloblogs.logs-export.csv',
  'openai-requestresponse.PT1H.json',
  'storage-read.panther.json',
  'flow-logs/nsg-flow-log-v2.records.json',
  'flow-logs/vnet-flow-log-v4.records.json',
];

interface Ev {
  id: string;
  data_type?: string;
  layer: string;
  class: string;
  service: string;
  action: string;
  actor: string | null;
  actor_type: string | null;
  access_key: string | null;
  session: string | null;
  src_ip: string | null;
  user_agent: string | null;
  outcome: string;
  error_code: string | null;
  resources: string[];
}
interface Det {
  rule_id: string;
  entities?: Array<{ kind: string; value: string }>;
  summary: string;
  event_ids?: string[];
}

describe('Azure resource logs (Key Vault, Graph activity, Storage blob, Azure OpenAI)', () => {
  let dir: string;
  let kase: string;
  let imp: RunResult;
  let events: Ev[];
  let threats: Array<{ id: string; title: string; entities: Array<{ kind: string; value: string }> }>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-az-logs-'));
    kase = join(dir, 'case');
    imp = await runIrctl(['--case', kase, 'import', ...FILES.map((f) => join(FIX, f)), '--json']);
    events = (await runIrctl(['--case', kase, 'events', '--provider', 'azure', '--json'])).json<Ev>();
    await runIrctl(['--case', kase, 'detect']);
    threats = (await runIrctl(['--case', kase, 'threats', '--json'])).json();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports every shape, keeps one event per request read twice, quarantines the four bad records and the flow-log records (exit 6)', () => {
    expect(imp.code).toBe(6);
    const s = imp.json<{ quarantined: number; duplicates: number; conflicts: number; inputs: Array<{ path: string; format: string; events: number; duplicates: number; quarantined: number }> }>()[0]!;
    expect(s.quarantined).toBe(8);
    expect(s.conflicts).toBe(0);
    const by: Record<string, unknown[]> = Object.fromEntries(s.inputs.map((i) => [i.path.split('/').pop() ?? '', [i.format, i.events, i.duplicates, i.quarantined]]));
    expect(by).toEqual({
      'keyvault-auditevent.PT1H.json': ['jsonl', 20, 0, 1],
      // the export's first SecretGet again: a duplicate, not a new event (and a KeyDecrypt, a chat completion)
      'azurediagnostics.query-response.json': ['tables', 2, 1, 1],
      'graph-activity.PT1H.json': ['jsonl', 36, 0, 1],
      'microsoftgraphactivitylogs.query-response.json': ['tables', 1, 1, 0],
      'storage-blob.PT1H.json': ['jsonl', 71, 0, 1],
      'storagebloblogs.query-response.json': ['tables', 1, 1, 0],
      // the Logs blade's CSV (portal time form, ms): the same request again, and a row without a time
      'storagebloblogs.logs-export.csv': ['csv', 0, 1, 1],
      // the chat completion the AzureDiagnostics row already brought
      'openai-requestresponse.PT1H.json': ['jsonl', 12, 1, 0],
      'storage-read.panther.json': ['array', 4, 0, 0],
      // recognised, tuples read, kept in quarantine: not normalized yet
      'nsg-flow-log-v2.records.json': ['records', 0, 0, 2],
      'vnet-flow-log-v4.records.json': ['records', 0, 0, 1],
    });
    // each bad record is named with what is wrong
    expect(imp.stderr).toMatch(/keyvault-auditevent\.PT1H\.json: record 5: Key Vault audit record has no time/);
    expect(imp.stderr).toMatch(/azurediagnostics\.query-response\.json: row 4: Key Vault audit time "not-a-time" is not an ISO 8601 time/);
    expect(imp.stderr).toMatch(/graph-activity\.PT1H\.json: record 1: Microsoft Graph activity record has no requestMethod \/ requestUri/);
    expect(imp.stderr).toMatch(/storagebloblogs\.logs-export\.csv: row 2 \(line 3\): Azure Storage blob log record has no time/);
    expect(imp.stderr).toMatch(/nsg-flow-log-v2\.records\.json: record 0: Azure NSG\/VNet flow log record with 7 flow tuple\(s\) is recognised but not normalized yet/);
    expect(imp.stderr).toMatch(/vnet-flow-log-v4\.records\.json: record 0: Azure NSG\/VNet flow log record with 19 flow tuple\(s\)/);
    expect(imp.stderr).toMatch(/storage-blob\.PT1H\.json: record 2: Azure Storage blob log time "yesterday" is not an ISO 8601 time/);
  });

  it('normalizes a Key Vault SecretGet: the UPN from the claims, the secret without its version, the vault', () => {
    const e = events.find((x) => x.action === 'SecretGet' && x.actor === 'mallory@fabrikam.example' && x.resources[0]?.endsWith('/secrets/db-password'))!;
    expect(e).toMatchObject({
      id: expect.stringMatching(/^azure-keyvault:[0-9a-f]{32}$/) as string,
      layer: 'control_plane',
      class: 'api_activity',
      service: 'microsoft.keyvault',
      actor_type: 'User',
      src_ip: '198.51.100.77',
      user_agent: 'python/3.11 azure-keyvault-secrets/4.7.0',
      outcome: 'success',
      resources: ['https://fabrikam-prod-kv.vault.azure.net/secrets/db-password', '/subscriptions/3f2b6c1e-8d4a-4b7e-9c21-5a6d7e8f9a01/resourcegroups/prod-rg/providers/microsoft.keyvault/vaults/fabrikam-prod-kv'],
    });
    const refused = events.find((x) => x.action === 'KeyGet')!;
    expect([refused.outcome, refused.error_code]).toEqual(['failure', 'Forbidden']);
    // the managed identity's reads (short claim names) are the app id, a service principal
    expect(events.some((x) => x.action === 'KeyDecrypt' && x.actor === '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d' && x.actor_type === 'ServicePrincipal')).toBe(true);
  });

  it('normalizes Graph requests: method and path template, the user object id, the sign-in token id as session', () => {
    const e = events.find((x) => x.action === 'GET /groups/{id}/members')!;
    expect(e).toMatchObject({ service: 'microsoft.graph', actor: '5d1b9a3c-7e2f-4c6a-8b9d-0e1f2a3b4c5d', actor_type: 'User', session: 'Xk3c9QmZ0UuyJ2qg7NxrAA', src_ip: '198.51.100.77', outcome: 'success' });
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events.find((x) => x.action === 'GET /identity/conditionalAccess/policies')).toMatchObject({ outcome: 'failure', error_code: '403' });
    // app-only calls are the application (its app id)
    expect(events.some((x) => x.action === 'GET /users/{id}/messages' && x.actor === 'b5c6d7e8-f9a0-4b1c-9d2e-3f4a5b6c7d8e' && x.actor_type === 'ServicePrincipal')).toBe(true);
  });

  it('normalizes blob requests: a SAS token is its own principal, the URI loses its query, the port is dropped', () => {
    const get = events.find((x) => x.action === 'GetBlob' && x.resources[0]?.endsWith('/ledger-010.bak'))!;
    expect(get).toMatchObject({ actor: 'sas:fabrikamfinance/04d64c2b3a704145', actor_type: 'SAS', access_key: 'sas:fabrikamfinance/04d64c2b3a704145', src_ip: '203.0.113.50', outcome: 'success' });
    expect(get.resources[0]).toBe('https://fabrikamfinance.blob.core.windows.net/finance-backups/2026/ledger-010.bak');
    expect(events.some((x) => x.action === 'GetBlob' && x.actor === 'bob@fabrikam.example' && x.actor_type === 'User')).toBe(true);
    expect(events.find((x) => x.actor === 'anonymous:fabrikamfinance')).toMatchObject({ outcome: 'failure', error_code: 'AnonymousResourceNotFound' });
  });

  it('normalizes Azure OpenAI records to the ai layer: deployment, caller or API key, masked address kept as written', () => {
    const ai = events.filter((x) => x.layer === 'ai');
    expect(ai).toHaveLength(13);
    const mi = ai.find((x) => x.actor === '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f')!;
    expect(mi).toMatchObject({ class: 'model_invocation', action: 'ChatCompletions_Create', actor_type: 'EntraPrincipal', src_ip: '10.20.1.*' });
    expect(mi.resources[0]).toBe('/subscriptions/3f2b6c1e-8d4a-4b7e-9c21-5a6d7e8f9a01/resourcegroups/ai-rg/providers/microsoft.cognitiveservices/accounts/fabrikam-aoai/deployments/gpt-4o-support');
    const key = ai.filter((x) => x.actor === 'apikey:fabrikam-aoai');
    expect(key.filter((x) => x.outcome === 'failure').map((x) => x.error_code)).toEqual(['429']);
    expect(key).toHaveLength(11);
    expect(ai.find((x) => x.action === 'ListKey')).toMatchObject({ class: 'api_activity', src_ip: '198.51.100.77' });
  });

  it('fires the six rules on the intrusion and not on the look-alikes', async () => {
    const dets: Det[] = [];
    for (const t of threats) dets.push(...(await runIrctl(['--case', kase, 'threats', 'show', t.id, '--json'])).json<{ detection_list: Det[] }>()[0]!.detection_list);
    const rules = dets.map((d) => d.rule_id).sort();
    expect(rules).toEqual([
      'irctl-azure-graph-app-mailbox-read',
      'irctl-azure-graph-directory-enumeration',
      'irctl-azure-keyvault-secrets-bulk-read',
      'irctl-azure-openai-key-new-network',
      'irctl-azure-storage-blob-bulk-download',
      'irctl-azure-storage-sas-new-ip',
    ]);
    const text = JSON.stringify(dets);
    // the attacker's sweeps, the leaked SAS, the mail-reading app
    expect(text).toContain('mallory@fabrikam.example read 5 distinct Key Vault objects');
    expect(text).toContain('read 8 distinct directory collections');
    expect(text).toContain('read 5 mailboxes');
    expect(text).toMatch(/sas:fabrikamfinance\/04d64c2b3a704145 downloaded 50 blobs/);
    expect(text).toContain('new address 203.0.113.50');
    expect(text).toContain('API key apikey:fabrikam-aoai called ChatCompletions_Create from a new network 198.51.100.*; earlier: 20.61.10.*');
    // the managed identity, bob, the HR sync app, the helpdesk app and the partner's SAS stay quiet
    for (const quiet of ['9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', 'bob@fabrikam.example', 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'e8f9a0b1-c2d3-4e4f-8a5b-6c7d8e9f0a1b', 'sas:fabrikamfinance/9b1f7e3d5c2a4b6e'])
      expect(text).not.toContain(quiet);
  });

  it('groups the Key Vault sweep and the Graph enumeration of one attacker into one threat; timeline and show present them', async () => {
    const t = threats.find((x) => x.entities.some((e) => e.value === 'mallory@fabrikam.example'))!;
    expect(t.entities).toEqual(expect.arrayContaining([{ kind: 'session', value: 'Xk3c9QmZ0UuyJ2qg7NxrAA' }, { kind: 'ip', value: '198.51.100.77' }]));
    const tl = await runIrctl(['--case', kase, 'timeline', t.id]);
    expect(tl.code).toBe(0);
    expect(tl.stdout).toContain('microsoft.keyvault:SecretGet');
    expect(tl.stdout).toContain('microsoft.graph:GET /organization');
    expect(tl.stdout).toMatch(/ai\s+-\s+microsoft\.cognitiveservices:ListKey/);
    // show: normalized fields and the raw record as stored (both copies of the SecretGet read twice)
    const e = events.find((x) => x.action === 'SecretGet' && x.resources[0]?.endsWith('/secrets/db-password') && x.actor === 'mallory@fabrikam.example')!;
    const show = await runIrctl(['--case', kase, 'show', e.id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('mallory@fabrikam.example');
    expect(show.stdout).toMatch(/raw records \(2;/);
    const raw = await runIrctl(['--case', kase, 'show', e.id, '--raw']);
    expect(raw.stdout).toContain('"category":"AuditEvent"');
  });
});
