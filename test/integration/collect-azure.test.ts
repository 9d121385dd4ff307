/**
 * `irctl collect azure` against a local fake of Entra ID, ARM and Microsoft Graph (test/fakes/azure-cloud.ts) with the
 * real @azure/identity and @azure/core-rest-pipeline: paging, throttling with Retry-After, expired skip tokens, a
 * tenant without P1/P2, access denied, no credentials, kill and resume, and stored raw equal to the bytes received.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAzure, makeActivity, makeAudit, makeResource, makeSignIn, makeSignInRow } from '../fakes/azure-cloud.js';
import { runIrctl, spawnIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;
const SUB = '089bd33f-d4ec-47fe-8ba5-0753aa5c5b33';
const SUB2 = '1c2d3e4f-0000-4000-8000-000000000002';
const BIG = '2b3c4d5e-0000-4000-8000-000000000003';
const WS = 'a1b2c3d4-0000-4000-8000-00000000000a';
const built = existsSync(resolve(import.meta.dirname, '../../dist/cli/main.js'));
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function open(dir: string): Database.Database {
  return new Database(join(dir, 'evidence.sqlite'), { readonly: true });
}

describe('irctl collect azure', () => {
  let fake: FakeAzure;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let cleanup: () => void;
  const now = Date.now();
  beforeAll(async () => {
    fake = new FakeAzure({ graphLimit: 1000, graphWindowMs: 1000 });
    await fake.start();
    env = fake.env();
    fake.activity.set(SUB, Array.from({ length: 23 }, (_, i) => makeActivity({ subscription: SUB, time: now - 100 * MIN + i * 3 * MIN })));
    fake.activity.set(SUB2, []);
    fake.activity.set(BIG, Array.from({ length: 150 }, (_, i) => makeActivity({ subscription: BIG, time: now - 110 * MIN + i * 40_000 })));
    fake.signIns.push(...Array.from({ length: 12 }, (_, i) => makeSignIn({ time: now - 90 * MIN + i * 5 * MIN })));
    const nsgRules = [
      { name: 'allow-rdp-any', properties: { direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', destinationPortRange: '3389', priority: 100 } },
      { name: 'allow-https-office', properties: { direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '203.0.113.0/24', destinationPortRange: '443', priority: 110 } },
    ];
    fake.resources.push(
      ...Array.from({ length: 7 }, (_, i) => makeResource({ subscription: SUB, type: 'microsoft.compute/virtualmachines', name: `vm-${i}`, properties: { networkProfile: { networkInterfaces: [{ id: `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic-${i}` }] } } })),
      makeResource({ subscription: SUB, type: 'microsoft.network/networkinterfaces', name: 'nic-0' }),
      makeResource({ subscription: SUB, type: 'microsoft.network/publicipaddresses', name: 'pip-0', properties: { ipAddress: '20.1.2.3' } }),
      makeResource({ subscription: SUB, type: 'microsoft.network/networksecuritygroups', name: 'nsg-web', properties: { securityRules: nsgRules } }),
      makeResource({ subscription: SUB, type: 'microsoft.storage/storageaccounts', name: 'stpublic', properties: { allowBlobPublicAccess: true } }),
      makeResource({ subscription: SUB, type: 'microsoft.storage/storageaccounts', name: 'stprivate', properties: { allowBlobPublicAccess: false } }),
      makeResource({ subscription: SUB, type: 'microsoft.keyvault/vaults', name: 'kv-payroll' }),
      makeResource({ subscription: SUB, type: 'microsoft.authorization/roleassignments', name: 'ra-1', properties: { principalId: '5b8e1a3c-2222-4c4c-8c8c-abcdefabcdef', principalType: 'User', roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635', scope: `/subscriptions/${SUB}` } }),
      makeResource({ subscription: SUB2, type: 'microsoft.keyvault/vaults', name: 'kv-other-sub' }),
    );
    fake.workspaces.set(
      WS,
      new Map([
        ['SigninLogs', Array.from({ length: 30 }, (_, i) => makeSignInRow({ time: now - 100 * MIN + i * 3 * MIN }))],
        ['AADNonInteractiveUserSignInLogs', Array.from({ length: 5 }, (_, i) => makeSignInRow({ table: 'AADNonInteractiveUserSignInLogs', time: now - 30 * MIN + i * MIN }))],
      ]),
    );
    fake.audits.push(...Array.from({ length: 7 }, (_, i) => makeAudit({ time: now - 80 * MIN + i * 7 * MIN })));
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('collects the Activity Log page by page, storing each record byte for byte and each page with its hash', async () => {
    // WHEN
    const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--subscription', `${SUB},${SUB2}`], { env });
    // THEN every entry is stored once, in 5 pages of 5 (the fake's page size), and exit 0
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(0);
    const s = r.json()[0]!;
    expect(s.events).toBe(23);
    expect(s.pages).toBe(5 + 1);
    expect(s.caller).toEqual({ tenant: fake.tenant, object_id: fake.objectId, app_id: fake.clientId, upn: null });
    const db = open(dir);
    const raws = db.prepare("SELECT raw, sha256, event_id FROM raw_records WHERE data_type = 'azure:activity:entry'").all() as Array<{ raw: string; sha256: string }>;
    const want = new Map(fake.activity.get(SUB)!.map((x) => [x.text, x]));
    expect(raws).toHaveLength(23);
    for (const x of raws) {
      expect(want.has(x.raw)).toBe(true); // the exact text the service sent (pretty-printed, escapes kept)
      expect(x.sha256).toBe(sha(x.raw));
    }
    // every input is a page the service sent, hashed over the bytes received
    const inputs = db.prepare("SELECT locator, sha256, size, params FROM input_status WHERE kind = 'api_page'").all() as Array<{ locator: string; sha256: string; size: number; params: string }>;
    expect(inputs).toHaveLength(6);
    for (const i of inputs) {
      const body = fake.bodies.get(i.sha256);
      expect(body, i.locator).toBeDefined();
      expect(i.size).toBe(body!.length);
      expect(i.locator).toMatch(/^arm:activitylog /);
      expect((JSON.parse(i.params) as { request: string }).request).toMatch(/eventtypes\/management\/values\?api-version=2015-04-01&\$filter=eventTimestamp/);
    }
    // custody: the caller and the hash of every page
    const custody = db.prepare("SELECT json_extract(body, '$.details') FROM custody WHERE action IN ('collect.start', 'collect.end') ORDER BY seq").pluck().all() as string[];
    db.close();
    const start = JSON.parse(custody[0]!) as { caller: { tenant: string; object_id: string }; subscriptions: string[] };
    expect(start.caller.object_id).toBe(fake.objectId);
    expect(start.caller.tenant).toBe(fake.tenant);
    expect(start.subscriptions).toEqual([SUB, SUB2]);
    const end = JSON.parse(custody[1]!) as { results: Array<{ page_sha256: string[] }> };
    expect(end.results.flatMap((x) => x.page_sha256).sort()).toEqual(inputs.map((i) => i.sha256).sort());
    // WHEN run again THEN only the overlap is re-read, and nothing is stored twice
    const again = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--subscription', SUB], { env });
    expect(again.code).toBe(0);
    expect(again.json()[0]!.events).toBe(0);
    expect(again.json()[0]!.pages as number).toBeLessThan(5);
  });

  it('--context snapshots resources through Resource Graph as context records holding each element byte for byte, and lists what is exposed', async () => {
    // WHEN
    const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '1h', '--subscription', SUB, '--context'], { env });
    // THEN
    expect(r.code).toBe(0);
    const s = r.json()[0]!;
    const c = s.context as { counts: Record<string, number>; pages: number; exposed: string[] };
    expect(c.counts).toEqual({ 'virtual-machine': 7, 'network-interface': 1, 'public-ip': 1, 'network-security-group': 1, 'storage-account': 2, 'key-vault': 1, 'role-assignment': 1 });
    expect(c.pages).toBe(8); // 7 VMs in pages of 5, one page for each other kind
    expect(c.exposed).toHaveLength(2);
    expect(c.exposed.join('\n')).toMatch(/nsg-web: rule allow-rdp-any allows Tcp:3389 from \*/);
    expect(c.exposed.join('\n')).toMatch(/stpublic: anonymous blob access/);
    const db = open(dir);
    const rows = db.prepare("SELECT e.data_type, e.layer, e.account, e.resources, r.raw FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE e.layer = 'context'").all() as Array<{ data_type: string; account: string; resources: string; raw: string }>;
    const pages = db.prepare("SELECT sha256 FROM input_status WHERE locator LIKE 'arm:resourcegraph %'").pluck().all() as string[];
    db.close();
    expect(rows).toHaveLength(14);
    for (const row of rows) {
      const el = fake.resources.find((x) => row.raw.includes(x.record.text));
      expect(el, row.raw.slice(0, 200)).toBeDefined(); // the element's bytes as the service sent them
      expect(row.account).toBe(SUB);
    }
    expect(rows.find((x) => x.data_type === 'azure:resource:virtual-machine' && x.resources.includes('/vm-0'))?.resources).toMatch(/networkinterfaces\/nic-0/);
    for (const h of pages) expect(fake.bodies.has(h)).toBe(true);
    // the wrong audience is refused by the fake: irctl asked for an ARM token for ARM
    expect(fake.requests('arm', 401)).toHaveLength(0);
    // and the case verifies: hashes, custody, commitments, re-normalization of every record
    const v = await runIrctl(['--case', dir, 'case', 'verify'], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('--workspace reads Log Analytics tables, halves slices the service cuts short, stores each answer and each row as received, and notes absent default tables', async () => {
    // GIVEN a service capping answers at 8 rows, throttling once
    fake.maxRows = 8;
    fake.throttle(1);
    const before = fake.requests('logs').length;
    try {
      // WHEN
      const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--workspace', WS], { env });
      // THEN
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const s = r.json()[0]!;
      expect(s.events).toBe(35);
      expect(s.throttled).toBe(1);
      const per = s.per_scope as Array<{ scope: string; status: string; events: number }>;
      expect(per.filter((x) => x.status === 'absent').map((x) => x.scope.split(' ').pop()).sort()).toEqual(['AADManagedIdentitySignInLogs', 'AADServicePrincipalSignInLogs', 'AuditLogs', 'AzureActivity']);
      expect((s.notes as string[]).join('\n')).toMatch(/table AuditLogs does not exist in workspace/);
      const db = open(dir);
      const raws = db.prepare("SELECT raw, event_id FROM raw_records WHERE data_type = 'azure:signin:entry'").all() as Array<{ raw: string; event_id: string }>;
      const inputs = db.prepare("SELECT sha256, size, status, params FROM input_status WHERE locator LIKE 'logs:%'").all() as Array<{ sha256: string; size: number; status: string; params: string }>;
      db.close();
      const rows = [...fake.workspaces.get(WS)!.values()].flat();
      expect(raws.map((x) => x.event_id).sort()).toEqual(rows.map((x) => x.id).sort()); // each row once: no gap, no duplicate
      const texts = new Set(rows.map((x) => x.text));
      for (const x of raws) expect(texts.has(x.raw)).toBe(true); // the row's exact bytes
      for (const i of inputs) {
        expect(fake.bodies.get(i.sha256)?.length).toBe(i.size); // each answer hashed over the bytes received
      }
      expect(inputs.filter((i) => i.status === 'partial').length).toBeGreaterThan(0); // the cut-short answers are kept, marked partial
      for (const i of inputs.filter((x) => x.status === 'partial')) expect((JSON.parse(i.params) as { partial_error: string }).partial_error).toMatch(/PartialError/);
      expect(fake.requests('logs').length - before).toBeGreaterThan(6 + 1);
      // WHEN run again THEN nothing new, and only the overlap is queried
      const again = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--workspace', WS, '--tables', 'SigninLogs'], { env });
      expect(again.code).toBe(0);
      expect(again.json()[0]!.events).toBe(0);
      expect(again.json()[0]!.duplicates as number).toBeLessThan(8);
      const v = await runIrctl(['--case', dir, 'case', 'verify'], { env });
      expect(v.code, v.stdout + v.stderr).toBe(0);
    } finally {
      fake.maxRows = 500_000;
    }
  });

  it('a query that times out (504) is split into smaller slices until each answers', async () => {
    fake.logsTimeoutOverMs = 40 * MIN;
    try {
      const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--workspace', WS, '--tables', 'SigninLogs'], { env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.json()[0]!.events).toBe(30);
      expect(fake.requests('logs', 504).length).toBeGreaterThan(0);
      const db = open(dir);
      const spans = (db.prepare("SELECT params FROM input_status WHERE locator LIKE 'logs:%'").pluck().all() as string[]).map((p) => (JSON.parse(p) as { timespan: string }).timespan.split('/').map(Date.parse));
      db.close();
      for (const [a, b] of spans) expect(b! - a!).toBeLessThanOrEqual(40 * MIN); // only the slices that answered are stored
    } finally {
      fake.logsTimeoutOverMs = Infinity;
    }
  });

  it('a table named in --tables that the workspace lacks is exit 6 (the others collected)', async () => {
    const r = await runIrctl(['--case', dir, 'collect', 'azure', '--since', '2h', '--workspace', WS, '--tables', 'SigninLogs,StorageBlobLogs'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(6);
    expect(r.stdout).toMatch(/StorageBlobLogs\s+failed/);
    expect(r.stdout).toMatch(/Failed to resolve table or column expression named 'StorageBlobLogs'/);
    expect(r.stdout).toMatch(/SigninLogs\s+ok\s+30 new/);
  });

  it('waits out 429 Retry-After and resumes an expired $skiptoken from the last time seen, with no gaps or duplicates', async () => {
    // GIVEN the service throttles twice and a continuation token expires mid-export
    fake.throttle(2);
    fake.expireTokens(1);
    const before = fake.requests('graph', 429).length;
    // WHEN
    const t0 = Date.now();
    const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--tenant', fake.tenant, '--graph-rate', '100/1s'], { env });
    // THEN
    expect(r.code).toBe(0);
    const s = r.json()[0]!;
    expect(s.throttled).toBe(2);
    expect(fake.requests('graph', 429).length - before).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000); // Retry-After: 1, twice
    expect(s.expired_tokens).toBe(1);
    expect(s.events).toBe(12 + 7);
    const db = open(dir);
    const ids = db.prepare("SELECT event_id FROM raw_records WHERE data_type IN ('azure:signin:entry', 'azure:audit:entry')").pluck().all() as string[];
    db.close();
    expect(ids.sort()).toEqual([...fake.signIns, ...fake.audits].map((x) => x.id).sort());
  });

  it('paces Graph under the service limit (no 429 from a tenant allowing 5 requests per second)', async () => {
    // GIVEN a fake allowing 5 per 1 s, and irctl paced at 5 per 1 s
    const strict = new FakeAzure({ graphLimit: 5, graphWindowMs: 1000, pageSize: 2 });
    await strict.start();
    try {
      strict.signIns.push(...Array.from({ length: 12 }, (_, i) => makeSignIn({ time: now - 50 * MIN + i * MIN })));
      const r = await runIrctl(['--case', dir, '--json', 'collect', 'azure', '--since', '1h', '--tenant', strict.tenant, '--graph-rate', '5/1s'], { env: strict.env() });
      expect(r.code).toBe(0);
      expect(r.json()[0]!.events).toBe(12);
      expect(strict.requests('graph').length).toBeGreaterThan(5);
      expect(strict.throttled).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('names the licence and the alternative when the tenant has no Entra ID P1/P2 (audits still collected, exit 6)', async () => {
    fake.nonPremium = true;
    try {
      const r = await runIrctl(['--case', dir, 'collect', 'azure', '--since', '2h', '--tenant', fake.tenant, '--graph-rate', '100/1s'], { env });
      expect(r.code).toBe(6);
      expect(r.stdout).toMatch(/Entra ID P1 or P2/);
      expect(r.stdout).toMatch(/diagnostic setting.*Log Analytics workspace/);
      expect(r.stdout).toMatch(/directoryAudits\s+ok\s+7 new/);
    } finally {
      fake.nonPremium = false;
    }
  });

  it('access denied to the only subscription is exit 4 naming the permission', async () => {
    fake.deniedSubscriptions.add(SUB);
    try {
      const r = await runIrctl(['--case', dir, 'collect', 'azure', '--since', '2h', '--subscription', SUB], { env });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/access denied to the Activity Log of subscription/);
      expect(r.stderr).toMatch(/Reader/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      fake.deniedSubscriptions.delete(SUB);
    }
  });

  it('tokens are asked for the cloud\'s audience: a sovereign-cloud token sent to this (public-cloud) service is refused, exit 4', async () => {
    const r = await runIrctl(['--case', dir, 'collect', 'azure', '--since', '1h', '--subscription', SUB, '--cloud', 'AzureUSGovernment'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/InvalidAuthenticationTokenAudience/);
    expect(fake.requests('arm', 401).at(-1)?.path).toMatch(/eventtypes\/management\/values/);
  });

  it('a wrong client secret is exit 4 before anything is recorded, and leaves no case behind', async () => {
    const caseDir = join(dir, 'new-case');
    const r = await runIrctl(['--case', caseDir, 'collect', 'azure', '--since', '2h', '--subscription', SUB], { env: { ...env, AZURE_CLIENT_SECRET: 'wrong' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Entra ID did not accept the credentials/);
    expect(r.stderr).toMatch(/AADSTS7000215/);
    expect(existsSync(caseDir)).toBe(false);
  });

  it('no credentials at all: a clear message (exit 4), no request to the APIs, and no case left behind (real process)', async () => {
    if (!built) throw new Error('this test runs the built bin/irctl: run `npm run build` first (npm test does)');
    const caseDir = join(dir, 'new-case');
    const seen = fake.seen.length;
    // No service principal, a metadata service without an identity (local: never the real IMDS address), no az CLI.
    const none: NodeJS.ProcessEnv = {
      ...env,
      AZURE_TENANT_ID: '',
      AZURE_CLIENT_ID: '',
      AZURE_CLIENT_SECRET: '',
      AZURE_POD_IDENTITY_AUTHORITY_HOST: fake.imdsUrl,
      IDENTITY_ENDPOINT: '',
      MSI_ENDPOINT: '',
      PATH: '/nonexistent',
      HOME: dir,
    };
    const r = await spawnIrctl(['--case', caseDir, 'collect', 'azure', '--since', '1h', '--subscription', SUB], { env: none });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no Azure credentials found/);
    expect(fake.imdsRequests).toBeGreaterThan(0); // the managed identity was tried, and found missing
    expect(r.stderr).toMatch(/AZURE_CLIENT_SECRET/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(fake.seen.slice(seen).filter((x) => x.api !== 'token')).toHaveLength(0);
    expect(existsSync(caseDir)).toBe(false);
  });

  function assertExactlyOnce(caseDir: string): void {
    const db = open(caseDir);
    const ids = db.prepare("SELECT event_id FROM raw_records WHERE data_type = 'azure:activity:entry'").pluck().all() as string[];
    const events = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    db.close();
    expect(ids).toHaveLength(150); // one raw record per entry: none missing, none twice
    expect(new Set(ids).size).toBe(150);
    expect(events).toBe(150);
  }

  it('a run killed with SIGKILL mid-collection resumes with no gaps and no duplicates', async () => {
    if (!built) throw new Error('this test runs the built bin/irctl: run `npm run build` first (npm test does)');
    // GIVEN a collection of 30 pages, killed after 10
    const args = ['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--subscription', BIG];
    const startArm = fake.requests('arm').length;
    const killed = await spawnIrctl(args, {
      env,
      onSpawn: (child) => {
        const t = setInterval(() => {
          if (fake.requests('arm').length - startArm >= 10) {
            clearInterval(t);
            child.kill('SIGKILL');
          }
        }, 5);
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const firstRun = fake.requests('arm').length - startArm;
    const partial = open(dir);
    const kept = partial.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    partial.close();
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(150);
    // WHEN the same command runs again
    const again = await spawnIrctl(args, { env });
    // THEN it resumes (fewer pages than a full run) and the case holds every entry exactly once
    expect(again.code).toBe(0);
    expect(again.json()[0]!.events).toBe(150 - kept);
    expect(fake.requests('arm').length - startArm - firstRun).toBeLessThan(30);
    assertExactlyOnce(dir);
  });

  it('Ctrl-C saves what was collected, exits 130, and the next run finishes the job', async () => {
    const ctl = new AbortController();
    const startArm = fake.requests('arm').length;
    const t = setInterval(() => {
      if (fake.requests('arm').length - startArm >= 6) {
        clearInterval(t);
        ctl.abort();
      }
    }, 5);
    const args = ['--case', dir, '--json', 'collect', 'azure', '--since', '2h', '--subscription', BIG];
    const first = await runIrctl(args, { env, signal: ctl.signal });
    clearInterval(t);
    expect(first.code).toBe(130);
    const s1 = first.json()[0]!;
    expect(s1.interrupted).toBe(true);
    expect(s1.events).toBeGreaterThan(0);
    const second = await runIrctl(args, { env });
    expect(second.code).toBe(0);
    expect((s1.events as number) + (second.json()[0]!.events as number)).toBe(150);
    assertExactlyOnce(dir);
  });
});
