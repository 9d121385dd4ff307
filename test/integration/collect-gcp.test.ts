/**
 * `irctl collect gcp` end to end: google-auth-library credentials (a service-account key file, a gcloud ADC file,
 * impersonation) and REST entries.list against the fake Google Cloud (test/fakes/gcp-logging.ts), which evaluates the
 * filter irctl sends, pages, expires page tokens and enforces a read quota.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGcp, makeAuditEntry } from '../fakes/gcp-logging.js';
import { fixture, runIrctl, tempDir } from '../helpers/run-irctl.js';

const MIN = 60_000;
const SA = 'irctl-reader@sec-tools.iam.gserviceaccount.com';
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('irctl collect gcp', () => {
  const fake = new FakeGcp();
  let keyDir: { dir: string; cleanup: () => void };
  let keyFile: string;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let cleanup: () => void;
  beforeAll(async () => {
    const url = await fake.start();
    keyDir = tempDir('irctl-gcp-keys-');
    keyFile = join(keyDir.dir, 'key.json');
    writeFileSync(keyFile, JSON.stringify(fake.serviceAccountKey(SA), null, 2));
    env = {
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      HOME: keyDir.dir,
      METADATA_SERVER_DETECTION: 'none',
      IRCTL_GCP_LOGGING_ENDPOINT: url,
      IRCTL_GCP_ASSET_ENDPOINT: url,
      IRCTL_GCP_RESOURCEMANAGER_ENDPOINT: url,
      IRCTL_GCP_OAUTH2_ENDPOINT: url,
      IRCTL_GCP_IAMCREDENTIALS_ENDPOINT: url,
      IRCTL_RETRY_BASE_MS: '10',
    };
  });
  afterAll(async () => {
    await fake.close();
    keyDir.cleanup();
  });
  beforeEach(() => {
    fake.reset();
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());
  const db = () => new Database(join(dir, 'evidence.sqlite'), { readonly: true });
  const collect = (args: string[], e: NodeJS.ProcessEnv = env, signal?: AbortSignal) =>
    runIrctl(['--case', dir, '--json', 'collect', 'gcp', '--reads-per-minute', '60000', ...args], { env: e, ...(signal ? { signal } : {}) });
  /** `n` entries are in the case, each once: one raw record, one event, distinct identities (insertId + logName + timestamp). */
  const assertExactlyOnce = (n: number): void => {
    const d = db();
    const raws = d.prepare("SELECT event_id FROM raw_records WHERE data_type = 'gcp:audit:entry'").pluck().all() as string[];
    const events = d.prepare("SELECT COUNT(*) FROM events WHERE data_type = 'gcp:audit:entry'").pluck().get() as number;
    d.close();
    expect(raws).toHaveLength(n);
    expect(new Set(raws).size).toBe(n);
    expect(events).toBe(n);
  };
  const spread = (n: number, fromAgoMin: number, toAgoMin: number, o: Partial<Parameters<typeof makeAuditEntry>[0]> = {}) => {
    const now = Date.now();
    return Array.from({ length: n }, (_, i) => makeAuditEntry({ time: now - fromAgoMin * MIN + ((fromAgoMin - toAgoMin) * MIN * i) / Math.max(1, n - 1), ...o }));
  };

  it('pages through the audit logs of a project, storing each page as received and each entry as its slice of the page', async () => {
    // GIVEN 23 audit entries of the four kinds in the window, plus entries that must not come back: a request log, an
    // entry older than the window, another project's and the organization's
    const kinds = ['activity', 'data_access', 'system_event', 'policy'] as const;
    fake.add(...spread(23, 110, 5).map((e, i) => ({ ...e, logName: String(e.logName).replace('activity', kinds[i % 4]!) })));
    fake.add(makeAuditEntry({ time: Date.now() - 30 * MIN, logId: 'run.googleapis.com/requests' }));
    fake.add(makeAuditEntry({ time: Date.now() - 5 * 60 * MIN }));
    fake.add(makeAuditEntry({ time: Date.now() - 30 * MIN, parent: 'projects/other-456' }));
    fake.add(makeAuditEntry({ time: Date.now() - 30 * MIN, parent: 'organizations/123456789012' }));
    // WHEN
    const r = await collect(['--project', 'prod-123', '--since', '2h']);
    // THEN
    expect(r.code, r.stderr).toBe(0);
    const s = r.json()[0]!;
    expect(s).toMatchObject({ caller: SA, credentials: 'service_account_key', resource_names: ['projects/prod-123'], events: 23, duplicates: 0, quarantined: 0, pages: 5, exit_code: 0 });
    expect(s).toMatchObject({ by_log: { activity: 6, data_access: 6, system_event: 6, policy: 5 }, absent_logs: [] });
    const req = fake.listRequests()[0]!.body;
    expect(req).toMatchObject({ resourceNames: ['projects/prod-123'], orderBy: 'timestamp asc', pageSize: 1000 });
    expect(req.filter).toMatch(/^\(log_id\("cloudaudit\.googleapis\.com\/activity"\) OR log_id\("cloudaudit\.googleapis\.com\/data_access"\) OR log_id\("cloudaudit\.googleapis\.com\/system_event"\) OR log_id\("cloudaudit\.googleapis\.com\/policy"\)\) AND timestamp >= "\S+Z" AND timestamp <= "\S+Z"$/);
    const d = db();
    const pages = d.prepare("SELECT id, locator, sha256, size FROM input_status WHERE kind = 'api_page' AND locator LIKE 'logging:%' ORDER BY id").all() as Array<{ id: number; locator: string; sha256: string; size: number }>;
    expect(pages.map((p) => p.sha256)).toEqual(fake.sentPages.map((b) => sha(b)));
    expect(pages.map((p) => p.size)).toEqual(fake.sentPages.map((b) => b.length));
    expect(new Set(pages.map((p) => p.locator))).toEqual(new Set(['logging:entries.list projects/prod-123']));
    // Each stored record is byte for byte its slice of the page it came in (indentation and all).
    const raws = d.prepare("SELECT r.raw, r.byte_offset, r.input_id FROM raw_records r WHERE data_type = 'gcp:audit:entry'").all() as Array<{ raw: string; byte_offset: number; input_id: number }>;
    expect(raws).toHaveLength(23);
    for (const x of raws) {
      const page = fake.sentPages[pages.findIndex((p) => p.id === x.input_id)]!;
      expect(page.subarray(x.byte_offset, x.byte_offset + Buffer.byteLength(x.raw)).toString('utf8')).toBe(x.raw);
      expect(x.raw).toMatch(/^\{\n {6}"protoPayload"/);
    }
    // Events come from the GCP adapter: actor, IP, method
    const ev = d.prepare("SELECT provider, actor, src_ip, action FROM events WHERE data_type = 'gcp:audit:entry' LIMIT 1").get() as Record<string, string>;
    expect(ev).toMatchObject({ provider: 'gcp', actor: 'alice@example.com', src_ip: '203.0.113.10' });
    // Custody: the caller, the parameters, and the hash of every page
    const custody = d.prepare("SELECT action, body FROM custody WHERE action LIKE 'collect.%' ORDER BY seq").all() as Array<{ action: string; body: string }>;
    expect(custody.map((c) => c.action)).toEqual(['collect.start', 'collect.end']);
    const start = JSON.parse(custody[0]!.body) as { details: { caller: { email: string; credential_type: string }; resource_names: string[]; parameters: { reads_per_minute: number; order_by: string } } };
    expect(start.details.caller).toMatchObject({ email: SA, credential_type: 'service_account_key' });
    expect(start.details.parameters).toMatchObject({ reads_per_minute: 60000, order_by: 'timestamp asc' });
    const end = JSON.parse(custody[1]!.body) as { details: { results: Array<{ page_sha256: string[]; resume_point: { timestamp: string } }> } };
    expect(end.details.results[0]!.page_sha256).toEqual(pages.map((p) => p.sha256));
    d.close();
    // WHEN detect runs on the collected case, THEN the built-in GCP rules fire on the collected entries
    const det = await runIrctl(['--case', dir, '--json', 'detect'], { env });
    expect(det.code, det.stderr).toBe(0);
    const d2 = db();
    const rules = d2.prepare('SELECT DISTINCT rule_id FROM detections').pluck().all() as string[];
    d2.close();
    expect(rules).toContain('irctl-gcp-sa-key-created');
    // WHEN a stored page is imported as a file (the same bytes), THEN it yields the same events, and into the same
    // case it adds nothing
    const pageFile = join(dir, 'page-1.json');
    writeFileSync(pageFile, fake.sentPages[0]!);
    const { dir: other, cleanup: c2 } = tempDir();
    const imp = await runIrctl(['--case', other, '--json', 'import', pageFile], { env: { IRCTL_IMPORT_THREADS: '0' } });
    expect(imp.code, imp.stderr).toBe(0);
    const oi = new Database(join(other, 'evidence.sqlite'), { readonly: true });
    const imported = oi.prepare('SELECT id FROM events ORDER BY id').pluck().all() as string[];
    oi.close();
    c2();
    const d3 = db();
    const firstPage = d3.prepare('SELECT e.id FROM events e JOIN raw_records r ON r.id = e.raw_id WHERE r.input_id = ? ORDER BY e.id').pluck().all(pages[0]!.id) as string[];
    d3.close();
    expect(imported).toHaveLength(5);
    expect(imported).toEqual(firstPage);
    const again = await runIrctl(['--case', dir, '--json', 'import', pageFile], { env: { IRCTL_IMPORT_THREADS: '0' } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()[0]).toMatchObject({ events: 0 });
  });

  it('returns organization-level logs for --organization, ANDs --filter in, and sends at most 100 resource names per request', async () => {
    fake.add(...spread(3, 50, 5, { parent: 'organizations/123456789012', method: 'SetIamPolicy', service: 'cloudresourcemanager.googleapis.com' }));
    fake.add(...spread(4, 50, 5, { parent: 'projects/prod-123' }));
    fake.add(...spread(2, 40, 5, { parent: 'organizations/123456789012', method: 'google.logging.v2.ConfigServiceV2.DeleteSink', service: 'logging.googleapis.com' }));
    // WHEN the organization is collected with a filter on the method
    const org = await collect(['--organization', '123456789012', '--since', '1h', '--filter', 'protoPayload.methodName="SetIamPolicy"']);
    // THEN only the organization's own SetIamPolicy entries came back (not the project's, not the sink deletions)
    expect(org.code, org.stderr).toBe(0);
    expect(org.json()[0]).toMatchObject({ events: 3, resource_names: ['organizations/123456789012'], filter: 'protoPayload.methodName="SetIamPolicy"' });
    expect(fake.listRequests()[0]!.body.filter).toMatch(/ AND \(protoPayload\.methodName="SetIamPolicy"\)$/);
    // WHEN 101 projects are collected, THEN two requests split them 100 + 1
    fake.reset();
    const projects = Array.from({ length: 101 }, (_, i) => `proj-${String(i).padStart(4, '0')}`);
    fake.add(makeAuditEntry({ time: Date.now() - 10 * MIN, parent: 'projects/proj-0100' }), makeAuditEntry({ time: Date.now() - 10 * MIN, parent: 'projects/proj-0007' }));
    const many = await collect(['--project', projects.join(','), '--since', '1h']);
    expect(many.code, many.stderr).toBe(0);
    expect(many.json()[0]).toMatchObject({ events: 2 });
    expect(fake.listRequests().map((q) => (q.body.resourceNames as string[]).length)).toEqual([100, 1]);
    // A filter that restricts the timestamp would fight the checkpoints: refused before anything is asked
    const ts = await collect(['--project', 'prod-123', '--since', '1h', '--filter', 'timestamp > "2020-01-01T00:00:00Z"']);
    expect(ts.code).toBe(2);
    expect(ts.stderr).toMatch(/--filter must not restrict timestamp/);
  });

  it('retries RESOURCE_EXHAUSTED with backoff, and paces its reads below the quota', async () => {
    // GIVEN a quota of 4 reads per 3 seconds and 28 entries (6 pages): unpaced, even a loaded machine reads faster
    fake.reset({ readsPerMinute: 4, quotaWindowMs: 3000 });
    fake.add(...spread(28, 50, 1));
    // WHEN irctl reads faster than the quota, THEN it is refused, backs off and still gets everything
    const fast = await collect(['--project', 'prod-123', '--since', '1h', '--max-retries', '30']);
    expect(fast.code, fast.stderr).toBe(0);
    expect(fast.json()[0]).toMatchObject({ events: 28, pages: 6 });
    expect(fast.json()[0]!.throttled as number).toBeGreaterThan(0);
    // WHEN it paces itself at 180 reads per minute (3/s), THEN no read is refused and none come in a burst
    fake.reset({ readsPerMinute: 4, quotaWindowMs: 1000 });
    fake.add(...spread(28, 50, 1));
    const { dir: d2, cleanup: c2 } = tempDir();
    const paced = await runIrctl(['--case', d2, '--json', 'collect', 'gcp', '--project', 'prod-123', '--since', '1h', '--reads-per-minute', '180'], { env });
    c2();
    expect(paced.json()[0]).toMatchObject({ events: 28, pages: 6, throttled: 0 });
    expect(fake.maxInWindow(1000)).toBeLessThanOrEqual(4);
  });

  it('a quota stop is a failed slice with exit 6 and a resume point; the next run resumes with no gaps or duplicates', async () => {
    // GIVEN a quota that allows 3 reads and then refuses for the rest of the minute
    fake.reset({ readsPerMinute: 3, quotaWindowMs: 60_000 });
    const all = spread(24, 50, 1);
    fake.add(...all);
    // WHEN
    const first = await collect(['--project', 'prod-123', '--since', '1h', '--max-retries', '2']);
    // THEN it stops saying so, with exit 6, what it kept and where it will resume
    expect(first.code).toBe(6);
    const s1 = first.json()[0]!;
    expect(s1).toMatchObject({ events: 15, pages: 3, failed_slices: ['projects/prod-123'] });
    const slice = (s1.per_slice as Array<{ status: string; resume_point: { timestamp: string; insertId: string }; error: { kind: string } }>)[0]!;
    expect(slice.status).toBe('failed');
    expect(slice.error.kind).toBe('quota');
    expect(slice.resume_point).toEqual({ timestamp: all[14]!.timestamp, insertId: all[14]!.insertId });
    // WHEN the quota has refilled and the same command runs again
    fake.reset({ readsPerMinute: 60 });
    fake.add(...all);
    const second = await collect(['--project', 'prod-123', '--since', '1h']);
    // THEN it starts at the resume point and the case holds every entry exactly once
    expect(second.code, second.stderr).toBe(0);
    expect(second.json()[0]).toMatchObject({ events: 9 });
    expect(fake.listRequests()[0]!.body.filter).toContain(`timestamp >= "${new Date(Date.parse(String(all[14]!.timestamp)) - 1).toISOString()}"`);
    assertExactlyOnce(24);
  });

  it('continues from the last stored entry when a page token has expired', async () => {
    fake.add(...spread(22, 50, 1));
    // GIVEN the page tokens expire (24 hours pass) when the third page is asked for
    fake.inject({ kind: 'expireToken', after: 2 });
    // WHEN
    const r = await collect(['--project', 'prod-123', '--since', '1h']);
    // THEN the query continues from the last stored entry: every entry once, the restart counted and said
    expect(r.code, r.stderr).toBe(0);
    const s = r.json()[0]!;
    expect(s).toMatchObject({ events: 22, token_restarts: 1 });
    expect(r.stderr).toMatch(/page token was refused/);
    assertExactlyOnce(22);
  });

  it('Ctrl-C saves what was collected, exits 130, and the next run finishes the job', async () => {
    fake.add(...spread(60, 50, 1));
    const ctl = new AbortController();
    const t = setInterval(() => {
      if (fake.listRequests().length >= 4) {
        clearInterval(t);
        ctl.abort();
      }
    }, 1);
    const first = await runIrctl(['--case', dir, '--json', 'collect', 'gcp', '--project', 'prod-123', '--since', '1h', '--reads-per-minute', '1200'], { env, signal: ctl.signal });
    clearInterval(t);
    expect(first.code).toBe(130);
    const s1 = first.json()[0]!;
    expect(s1.interrupted).toBe(true);
    expect(s1.events as number).toBeGreaterThan(0);
    const second = await collect(['--project', 'prod-123', '--since', '1h']);
    expect(second.code).toBe(0);
    expect((s1.events as number) + (second.json()[0]!.events as number)).toBe(60);
  });

  it('names the missing permission on PERMISSION_DENIED (exit 4) and keeps the custody record', async () => {
    fake.add(...spread(3, 30, 1));
    fake.deny('projects/prod-123');
    const r = await collect(['--project', 'prod-123', '--since', '1h']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/permission denied: the caller may not call logging\.entries\.list on projects\/prod-123 \(missing IAM permission logging\.logEntries\.list/);
    expect(r.stderr).toMatch(/roles\/logging\.viewer/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const d = db();
    expect(d.prepare("SELECT COUNT(*) FROM custody WHERE action = 'collect.end'").pluck().get()).toBe(1);
    d.close();
  });

  it('says where credentials can come from when there are none (exit 4), and leaves no empty case behind', async () => {
    const none = { ...env, GOOGLE_APPLICATION_CREDENTIALS: '', HOME: join(dir, 'nohome'), CLOUDSDK_CONFIG: '' };
    const caseDir = join(dir, 'new-case');
    const r = await runIrctl(['--case', caseDir, 'collect', 'gcp', '--project', 'prod-123', '--since', '1h'], { env: none });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no Google Cloud credentials found/);
    expect(r.stderr).toMatch(/gcloud auth application-default login/);
    expect(r.stderr).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(caseDir)).toBe(false);
    expect(fake.seen).toHaveLength(0);
  });

  it('uses the gcloud ADC file (user credentials refreshed at the token endpoint) and records the user as the caller', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.config', 'gcloud'), { recursive: true });
    writeFileSync(join(home, '.config', 'gcloud', 'application_default_credentials.json'), JSON.stringify(fake.userCredentials('responder@example.com')));
    fake.add(...spread(2, 30, 1));
    const r = await collect(['--project', 'prod-123', '--since', '1h'], { ...env, GOOGLE_APPLICATION_CREDENTIALS: '', HOME: home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()[0]).toMatchObject({ caller: 'responder@example.com', credentials: 'authorized_user', events: 2 });
    expect(fake.seen.some((q) => q.path === '/token')).toBe(true);
  });

  it('impersonates a service account with --impersonate-service-account, and explains a refused impersonation', async () => {
    // GIVEN a responder's gcloud user credentials (refreshed at the fake token endpoint) and a read-only IR account
    const target = 'ir-readonly@prod-123.iam.gserviceaccount.com';
    const home = join(dir, 'home');
    mkdirSync(join(home, '.config', 'gcloud'), { recursive: true });
    writeFileSync(join(home, '.config', 'gcloud', 'application_default_credentials.json'), JSON.stringify(fake.userCredentials('responder@example.com')));
    const userEnv = { ...env, GOOGLE_APPLICATION_CREDENTIALS: '', HOME: home };
    fake.add(...spread(2, 30, 1));
    // WHEN the responder may not impersonate it, THEN exit 4 names the role that is missing
    const denied = await collect(['--project', 'prod-123', '--since', '1h', '--impersonate-service-account', target], userEnv);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/roles\/iam\.serviceAccountTokenCreator/);
    expect(fake.listRequests()).toHaveLength(0);
    // WHEN it may, THEN every read is made as the IR account, which custody records as the caller
    fake.allowImpersonation('responder@example.com', target);
    const r = await collect(['--project', 'prod-123', '--since', '1h', '--impersonate-service-account', target], userEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()[0]).toMatchObject({ caller: target, events: 2 });
    expect(fake.listRequests().every((q) => q.caller === target)).toBe(true);
  });

  it('snapshots Cloud Asset Inventory as context with --context', async () => {
    fake.add(...spread(1, 30, 1));
    fake.assets.set('projects/prod-123', [
      { name: '//compute.googleapis.com/projects/prod-123/zones/us-central1-a/instances/web-1', assetType: 'compute.googleapis.com/Instance', project: 'projects/111111111111', location: 'us-central1-a', additionalAttributes: { externalIPs: ['198.51.100.7'], serviceAccounts: ['deployer@prod-123.iam.gserviceaccount.com'] } },
      {
        name: '//compute.googleapis.com/projects/prod-123/global/firewalls/allow-ssh',
        assetType: 'compute.googleapis.com/Firewall',
        project: 'projects/111111111111',
        location: 'global',
        versionedResources: [{ version: 'v1', resource: { name: 'allow-ssh', direction: 'INGRESS', sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], targetTags: ['web'], disabled: false } }],
      },
      { name: '//storage.googleapis.com/prod-123-exports', assetType: 'storage.googleapis.com/Bucket', project: 'projects/111111111111', location: 'us' },
      { name: '//iam.googleapis.com/projects/prod-123/serviceAccounts/deployer@prod-123.iam.gserviceaccount.com', assetType: 'iam.googleapis.com/ServiceAccount', project: 'projects/111111111111', location: 'global' },
      {
        name: '//iam.googleapis.com/projects/prod-123/serviceAccounts/deployer@prod-123.iam.gserviceaccount.com/keys/abc123',
        assetType: 'iam.googleapis.com/ServiceAccountKey',
        project: 'projects/111111111111',
        location: 'global',
        versionedResources: [{ version: 'v1', resource: { name: 'projects/prod-123/serviceAccounts/deployer@prod-123.iam.gserviceaccount.com/keys/abc123', keyType: 'USER_MANAGED', keyOrigin: 'GOOGLE_PROVIDED' } }],
      },
    ]);
    fake.iamPolicies.set('projects/prod-123', [
      { resource: '//storage.googleapis.com/prod-123-exports', assetType: 'storage.googleapis.com/Bucket', project: 'projects/111111111111', policy: { bindings: [{ role: 'roles/storage.objectViewer', members: ['allUsers'] }] } },
    ]);
    const r = await collect(['--project', 'prod-123', '--since', '1h', '--context']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()[0]!.context).toMatchObject({ status: 'ok', counts: { instance: 1, firewall: 1, bucket: 1, 'service-account': 1, 'service-account-key': 1, 'bucket-iam-policy': 1 } });
    // The exposure the snapshot shows: the world-open SSH rule, the external IP, the public bucket, the user-managed key
    expect((r.json()[0]!.context as { exposed: string[] }).exposed).toEqual([
      'bucket prod-123-exports grants roles/storage.objectViewer to allUsers',
      'firewall rule allow-ssh allows tcp:22 from 0.0.0.0/0 to web',
      'instance web-1 has external IP 198.51.100.7',
      'service account deployer@prod-123.iam.gserviceaccount.com has user-managed key abc123',
    ]);
    const d = db();
    const rows = d.prepare("SELECT data_type, layer, resources FROM events WHERE data_type LIKE 'gcp:asset:%' ORDER BY data_type").all() as Array<{ data_type: string; resources: string }>;
    expect(rows.map((x) => x.data_type)).toEqual(['gcp:asset:bucket', 'gcp:asset:bucket-iam-policy', 'gcp:asset:firewall', 'gcp:asset:instance', 'gcp:asset:service-account', 'gcp:asset:service-account-key']);
    expect(rows.find((x) => x.data_type === 'gcp:asset:bucket-iam-policy')!.resources).toContain('allUsers');
    const assetPages = d.prepare("SELECT COUNT(*) FROM input_status WHERE locator LIKE 'cloudasset:%'").pluck().get() as number;
    expect(assetPages).toBe(3); // 5 resources at 3 per page + 1 policy page
    d.close();
    // A refused search is reported and the rest kept: exit 6
    fake.deny('asset:projects/prod-123');
    const partial = await collect(['--project', 'prod-123', '--since', '1h', '--context']);
    expect(partial.code).toBe(6);
    expect(partial.json()[0]!.context).toMatchObject({ status: 'failed' });
  });

  it('links a threat to the snapshot of the resource it touched, and the investigation names its exposure', async () => {
    // GIVEN a snapshot holding the world-open firewall rule that an imported audit entry created
    fake.assets.set('projects/acme-prod', [
      {
        name: '//compute.googleapis.com/projects/acme-prod/global/firewalls/allow-ssh-any',
        assetType: 'compute.googleapis.com/Firewall',
        project: 'projects/412345678901',
        location: 'global',
        versionedResources: [{ version: 'v1', resource: { name: 'allow-ssh-any', direction: 'INGRESS', sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] } }],
      },
    ]);
    expect((await collect(['--project', 'acme-prod', '--since', '1h', '--context'])).code).toBe(0);
    expect((await runIrctl(['--case', dir, 'import', fixture('gcp-rules', 'firewall-open-world.jsonl')])).code).toBe(0);
    await runIrctl(['--case', dir, 'detect']);
    const t = (await runIrctl(['--case', dir, '--json', 'threats'])).json<{ id: string; rules: string[] }>().find((x) => x.rules.includes('irctl-gcp-firewall-open-world'))!;
    // WHEN the threat is investigated offline
    const inv = await runIrctl(['--case', dir, '--json', 'investigate', t.id, '--offline']);
    // THEN the asset context finds the rule's snapshot by the audit entry's resource name and says what it exposes
    expect(inv.stdout).toMatch(/exposed: firewall rule allow-ssh-any allows tcp:22 from 0\.0\.0\.0\/0 to every instance of its network/);
  });

  it('records the log configuration (sinks, exclusions, buckets) read with @google-cloud/logging, and warns what it keeps out of reach', async () => {
    fake.add(...spread(2, 30, 1));
    fake.logConfig.set('projects/prod-123', {
      sinks: [{ name: 'audit-to-bq', destination: 'bigquery.googleapis.com/projects/sec/datasets/audit', filter: 'logName:"cloudaudit.googleapis.com"' }],
      exclusions: [{ name: 'drop-data-access', filter: 'log_id("cloudaudit.googleapis.com/data_access")', disabled: false }, { name: 'old', filter: 'severity<INFO', disabled: true }],
      buckets: [
        { name: 'projects/prod-123/locations/global/buckets/_Default', retentionDays: 30 },
        { name: 'projects/prod-123/locations/global/buckets/_Required', retentionDays: 400, locked: true },
      ],
    });
    // WHEN the window reaches further back than the _Default bucket keeps
    const r = await collect(['--project', 'prod-123', '--since', '40d']);
    // THEN the configuration is in the summary and in custody, and both consequences are said
    expect(r.code, r.stderr).toBe(0);
    const s = r.json()[0]!;
    expect(s.log_config).toEqual([
      {
        parent: 'projects/prod-123',
        sinks: [{ name: 'audit-to-bq', destination: 'bigquery.googleapis.com/projects/sec/datasets/audit', filter: 'logName:"cloudaudit.googleapis.com"', disabled: false, includeChildren: false }],
        exclusions: [{ name: 'drop-data-access', filter: 'log_id("cloudaudit.googleapis.com/data_access")', disabled: false }, { name: 'old', filter: 'severity<INFO', disabled: true }],
        buckets: [
          { name: 'projects/prod-123/locations/global/buckets/_Default', retentionDays: 30, locked: false },
          { name: 'projects/prod-123/locations/global/buckets/_Required', retentionDays: 400, locked: true },
        ],
      },
    ]);
    expect(r.stderr).toMatch(/exclusion drop-data-access .* keeps matching audit entries .* out of the _Default bucket/);
    expect(r.stderr).toMatch(/the _Default bucket keeps 30 days/);
    expect(fake.seen.filter((q) => /\/(sinks|exclusions|buckets)$/.test(q.path)).every((q) => q.caller === SA)).toBe(true);
    const d = db();
    const end = JSON.parse(d.prepare("SELECT body FROM custody WHERE action = 'collect.end'").pluck().get() as string) as { details: { log_config: unknown[]; coverage_warnings: string[] } };
    d.close();
    expect(end.details.log_config).toEqual(s.log_config);
    expect(end.details.coverage_warnings).toHaveLength(2);
    // A configuration that cannot be read is said, and the collection still succeeds
    fake.deny('config:projects/prod-123');
    const denied = await collect(['--project', 'prod-123', '--since', '1h']);
    expect(denied.code).toBe(0);
    expect(denied.stderr).toMatch(/cannot read the log configuration of projects\/prod-123/);
  });

  it('reads the IAM audit configuration, stores it as context and says which services write Data Access logs', async () => {
    // GIVEN a project whose audit config turns Data Access on for Cloud Storage only (one member exempted), and only
    // Admin Activity entries in the window
    fake.add(...spread(2, 30, 1));
    fake.resourcePolicies.set('projects/prod-123', {
      version: 1,
      etag: 'BwYQx3p1Abc=',
      bindings: [{ role: 'roles/owner', members: ['user:alice@acme.example'] }],
      auditConfigs: [
        {
          service: 'storage.googleapis.com',
          auditLogConfigs: [{ logType: 'DATA_READ', exemptedMembers: ['serviceAccount:backup@prod-123.iam.gserviceaccount.com'] }, { logType: 'DATA_WRITE' }],
        },
        { service: 'allServices', auditLogConfigs: [{ logType: 'ADMIN_READ' }] },
      ],
    });
    // WHEN the project is collected
    const r = await collect(['--project', 'prod-123', '--since', '1h']);
    // THEN the summary and the Data Access warning name the services with Data Access logs on, and the rest off
    expect(r.code, r.stderr).toBe(0);
    const s = r.json()[0]!;
    const audit = s.audit_config as Array<{ scope: string; services: unknown[]; data_access: string; page_sha256: string }>;
    expect(audit.map((a) => [a.scope, a.services])).toEqual([
      [
        'projects/prod-123',
        [
          { service: 'allServices', logTypes: ['ADMIN_READ'], exempted: [] },
          { service: 'storage.googleapis.com', logTypes: ['DATA_READ', 'DATA_WRITE'], exempted: ['serviceAccount:backup@prod-123.iam.gserviceaccount.com'] },
        ],
      ],
    ]);
    expect(audit[0]!.data_access).toMatch(
      /^IAM audit config of projects\/prod-123 read \S+Z: Data Access logs on for storage\.googleapis\.com \(DATA_READ, DATA_WRITE; exempted: serviceAccount:backup@prod-123\.iam\.gserviceaccount\.com\); off for every other service/,
    );
    expect(audit[0]!.page_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).toMatch(/no Data Access audit entries .*\. IAM audit config of projects\/prod-123 .*Data Access logs on for storage\.googleapis\.com/);
    const call = fake.seen.find((q) => q.path === '/v3/projects/prod-123:getIamPolicy')!;
    expect(call.caller).toBe(SA);
    // AND the policy is a context record whose input holds the SHA-256 of the response as received
    const d = db();
    const page = d.prepare("SELECT sha256 FROM input_status WHERE locator = 'resourcemanager:getIamPolicy projects/prod-123'").pluck().get() as string;
    const stored = d.prepare("SELECT COUNT(*) FROM events WHERE data_type = 'gcp:iam:policy' AND layer = 'context'").pluck().get() as number;
    d.close();
    expect(page).toBe(audit[0]!.page_sha256);
    expect(stored).toBe(1);
    // AND case info says which services have Data Access logs, next to the missing kind
    const info = await runIrctl(['--case', dir, 'case', 'info'], { env });
    expect(info.stdout).toMatch(/gcp\s+Data Access\s+none\s+MISSING EVIDENCE: no Data Access audit entries: .*\. IAM audit config of projects\/prod-123 read .*: Data Access logs on for storage\.googleapis\.com/);
    // A policy that cannot be read is said; the collection still succeeds
    fake.deny('iam:projects/prod-123');
    const denied = await collect(['--project', 'prod-123', '--since', '1h']);
    expect(denied.code).toBe(0);
    expect(denied.stderr).toMatch(/cannot read the IAM audit configuration of projects\/prod-123 .*resourcemanager\.projects\.getIamPolicy/);
  });

  it('prints a readable summary with the caller, each slice and the custody head, and says when Data Access logs are missing', async () => {
    fake.add(...spread(3, 30, 1));
    const r = await runIrctl(['--case', dir, 'collect', 'gcp', '--project', 'prod-123', '--since', '1h', '--reads-per-minute', '6000'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^caller {4}${SA.replace(/\./g, '\\.')} \\(service_account_key\\)$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}projects\/prod-123 +ok +3 new, 0 duplicate, 1 pages/m);
    expect(r.stdout).toMatch(/^custody {3}head [0-9a-f]{64} \(entry 2\)$/m);
    // Only Admin Activity entries: no Data Access in the window is missing evidence, and both streams say so
    expect(r.stdout).toMatch(/^logs {6}activity 3, data_access 0, system_event 0, policy 0$/m);
    expect(r.stdout).toMatch(/^coverage {2}no Data Access entries: off by default/m);
    expect(r.stderr).toMatch(/Data Access logs are off by default for most services, so reads of data are missing evidence here, not quiet activity/);
  });
});
