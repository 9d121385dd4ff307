/**
 * `irctl contain --execute / --status / --rollback` for a Google Cloud threat (issue 17), with a write-scoped
 * self-signed service-account token (the same credential sources as collect gcp) against a local fake of the IAM,
 * Resource Manager and Compute REST APIs (test/fakes/gcp-logging.ts + gcp-contain.ts): exact requests, state read back
 * from the fake, Compute operations waited for, snapshots before the quarantine tag, an etag conflict re-read and
 * re-planned (a concurrent writer's binding survives), rollback restoring the key, the binding and the tags, a 403
 * failing its step (exit 6), and a key already deleted skipped with the reason.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGcp } from '../fakes/gcp-logging.js';
import { FakeGcpContain } from '../fakes/gcp-contain.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';
import { investigatedThreat } from '../helpers/contain-case.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INC = join(ROOT, 'fixtures/gcp-incident');
const SA = 'terraform-admin@acme-prod.iam.gserviceaccount.com';
const KEY = '8d1f0c5a9e2b47c3a6f1d0e9b8c7a6f5e4d3c2b1';
const INSTANCE = 'projects/acme-prod/zones/europe-west1-b/instances/web-1';
const DISK_BOOT = 'projects/acme-prod/zones/europe-west1-b/disks/web-1';
const DISK_DATA = 'projects/acme-prod/zones/europe-west1-b/disks/web-1-data';
const MALLORY = 'user:mallory.ops@gmail.com';
const RESPONDER = 'ir-responder@sec-tools.iam.gserviceaccount.com';

interface Step {
  id: string;
  kind: string;
  status: string;
  reason: string | null;
}

function seed(p: FakeGcpContain): void {
  p.keys.set(`${SA}/${KEY}`, { name: `projects/acme-prod/serviceAccounts/${SA}/keys/${KEY}`, validAfterTime: '2026-03-09T09:12:03Z', validBeforeTime: '9999-12-31T23:59:59Z', keyAlgorithm: 'KEY_ALG_RSA_2048', keyOrigin: 'GOOGLE_PROVIDED', keyType: 'USER_MANAGED', disabled: false });
  p.policies.set('projects/acme-prod', {
    version: 1,
    etag: 'BwYQx3p1Abc=',
    bindings: [
      { role: 'roles/owner', members: [`serviceAccount:${SA}`, MALLORY] },
      { role: 'roles/viewer', members: ['user:dev2@acme.example'] },
    ],
  });
  p.instances.set(INSTANCE, {
    kind: 'compute#instance',
    id: '4417000000000000001',
    name: 'web-1',
    status: 'RUNNING',
    disks: [
      { boot: true, deviceName: 'web-1', source: `https://www.googleapis.com/compute/v1/${DISK_BOOT}` },
      { boot: false, deviceName: 'data', source: `https://www.googleapis.com/compute/v1/${DISK_DATA}` },
    ],
    networkInterfaces: [{ name: 'nic0', network: 'https://www.googleapis.com/compute/v1/projects/acme-prod/global/networks/prod-vpc', networkIP: '10.10.0.5' }],
    tags: { items: ['http-server'], fingerprint: 'fp-1' },
  });
  p.disks.add(DISK_BOOT);
  p.disks.add(DISK_DATA);
}

describe('irctl contain --execute: Google Cloud', () => {
  const tmp = tempDir('irctl-contain-gcpx-');
  const kase = join(tmp.dir, 'case');
  const gcp = new FakeGcp();
  const project = new FakeGcpContain();
  let env: NodeJS.ProcessEnv;
  let threat = '';
  const ids: Record<string, string> = {};
  const run = (args: string[], e: NodeJS.ProcessEnv = env) => runIrctl(['--case', kase, ...args], { env: e });

  beforeAll(async () => {
    const url = await gcp.start();
    project.attach(gcp, url);
    seed(project);
    const keyFile = join(tmp.dir, 'responder.json');
    writeFileSync(keyFile, JSON.stringify(gcp.serviceAccountKey(RESPONDER)));
    env = {
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      METADATA_SERVER_DETECTION: 'none',
      HOME: tmp.dir,
      IRCTL_GCP_IAM_ENDPOINT: url,
      IRCTL_GCP_RESOURCEMANAGER_ENDPOINT: url,
      IRCTL_GCP_COMPUTE_ENDPOINT: url,
      IRCTL_GCP_STORAGE_ENDPOINT: url,
      IRCTL_RETRY_BASE_MS: '5',
    };
    // GIVEN the intrusion of fixtures/gcp-incident, plus terraform-admin (with the stolen key) setting a startup
    // script on web-1 (a rule of this test brings it into the threat), detected and investigated offline.
    const entries = JSON.parse(readFileSync(join(INC, 'activity.gcloud.json'), 'utf8')) as Array<Record<string, unknown>>;
    const tpl = entries.find((e) => (e.protoPayload as { methodName: string }).methodName === 'SetIamPolicy' && JSON.stringify(e).includes('mallory'))!;
    const pp = tpl.protoPayload as Record<string, unknown>;
    const meta = {
      ...tpl,
      insertId: 'setmeta0001',
      timestamp: '2026-03-09T09:20:02.123456Z',
      receiveTimestamp: '2026-03-09T09:20:02.864192Z',
      resource: { type: 'gce_instance', labels: { project_id: 'acme-prod', zone: 'europe-west1-b', instance_id: '4417000000000000001' } },
      protoPayload: { ...pp, serviceName: 'compute.googleapis.com', methodName: 'v1.compute.instances.setMetadata', resourceName: INSTANCE, authorizationInfo: [{ resource: INSTANCE, permission: 'compute.instances.setMetadata', granted: true }], serviceData: undefined, request: { '@type': 'type.googleapis.com/compute.instances.setMetadata', metadata: { items: [{ key: 'startup-script' }] } } },
    };
    writeFileSync(join(tmp.dir, 'extra.gcloud.json'), JSON.stringify([meta]));
    mkdirSync(join(tmp.dir, 'rules'));
    writeFileSync(join(tmp.dir, 'rules', 'gce-set-metadata.yml'), 'title: test GCE metadata change\nid: test-gcp-set-metadata\nstatus: test\nlogsource:\n  product: gcp\n  service: gcp.audit\ndetection:\n  selection:\n    protoPayload.methodName|endswith: compute.instances.setMetadata\n  condition: selection\nlevel: high\ntags:\n  - attack.execution\n');
    const inputs = [join(INC, 'activity.gcloud.json'), join(INC, 'data-access.entries.json'), join(INC, 'system-event.pubsub.jsonl'), join(tmp.dir, 'extra.gcloud.json')];
    threat = await investigatedThreat(run, inputs, 'bob@acme.example', ['--rules', join(tmp.dir, 'rules')]);
    const plan = (await run(['--json', 'contain', threat])).json<{ steps: Step[] }>()[0]!;
    for (const s of plan.steps) ids[s.kind] = s.id;
    expect(plan.steps.map((s) => s.kind)).toEqual(['snapshot-disks', 'isolate-instance', 'disable-sa-key', 'remove-iam-binding']);
  }, 120_000);
  afterAll(async () => {
    await gcp.close();
    tmp.cleanup();
  });

  it('executes every step with the exact requests; an etag conflict is re-read and re-planned; the fake shows it in place', async () => {
    project.concurrentWrites(1);
    const x = await run(['--json', 'contain', threat, '--execute', '--approve', 'all']);
    expect(x.code, x.stdout + x.stderr).toBe(0);
    const out = x.json<{ steps: Step[] }>()[0]!;
    expect(out.steps.map((s) => [s.kind, s.status])).toEqual([
      ['snapshot-disks', 'done'],
      ['isolate-instance', 'done'],
      ['disable-sa-key', 'done'],
      ['remove-iam-binding', 'done'],
    ]);
    const lines = project.lines();
    const body = (line: string, nth = 0) => project.log.filter((l) => `${l.method} ${l.path}` === line)[nth]?.body;
    const C = '/compute/v1/projects/acme-prod';
    // Snapshots of both disks, labelled, each operation waited for, before the firewall rules and the tag.
    const t = threat.toLowerCase();
    expect(body(`POST ${C}/zones/europe-west1-b/disks/web-1/createSnapshot`)).toMatchObject({ name: `irctl-${t}-web-1`, labels: { 'irctl-threat': t, 'irctl-instance': 'web-1' } });
    expect(lines).toContain(`POST ${C}/zones/europe-west1-b/disks/web-1-data/createSnapshot`);
    expect(project.snapshots.get(`projects/acme-prod/global/snapshots/irctl-${t}-web-1-data`)?.status).toBe('READY');
    const waits = lines.filter((l) => /\/operations\/operation-[^/]+\/wait$/.test(l));
    expect(waits.length).toBeGreaterThanOrEqual(10); // 5 operations (2 snapshots, 2 rules, setTags), RUNNING then DONE
    const firstRule = lines.indexOf(`POST ${C}/global/firewalls`);
    expect(firstRule).toBeGreaterThan(lines.lastIndexOf(`POST ${C}/zones/europe-west1-b/disks/web-1-data/createSnapshot`));
    expect(body(`POST ${C}/global/firewalls`, 0)).toMatchObject({ name: 'irctl-deny-all-ingress-prod-vpc', network: 'projects/acme-prod/global/networks/prod-vpc', direction: 'INGRESS', priority: 0, denied: [{ IPProtocol: 'all' }], sourceRanges: ['0.0.0.0/0', '::/0'], targetTags: ['irctl-quarantine'] });
    expect(body(`POST ${C}/global/firewalls`, 1)).toMatchObject({ name: 'irctl-deny-all-egress-prod-vpc', direction: 'EGRESS', destinationRanges: ['0.0.0.0/0', '::/0'] });
    expect(body(`POST ${C}/zones/europe-west1-b/instances/web-1/setTags`)).toEqual({ items: ['http-server', 'irctl-quarantine'], fingerprint: 'fp-1' });
    // The key: disabled, never deleted.
    expect(lines).toContain(`POST /v1/projects/-/serviceAccounts/${SA}/keys/${KEY}:disable`);
    expect(project.keys.get(`${SA}/${KEY}`)!.disabled).toBe(true);
    // The binding: getIamPolicy v3, setIamPolicy with the etag; the first write met a concurrent change (409), so the
    // policy was read again and the change re-planned: the other writer's binding survives, mallory is gone.
    expect(body('POST /v1/projects/acme-prod:getIamPolicy')).toEqual({ options: { requestedPolicyVersion: 3 } });
    expect(lines.filter((l) => l === 'POST /v1/projects/acme-prod:setIamPolicy')).toHaveLength(2);
    expect((body('POST /v1/projects/acme-prod:setIamPolicy', 0) as { policy: { etag: string } }).policy.etag).toBe('BwYQx3p1Abc=');
    const pol = project.policies.get('projects/acme-prod')!;
    expect(pol.bindings).toEqual([
      { role: 'roles/owner', members: [`serviceAccount:${SA}`] },
      { role: 'roles/viewer', members: ['user:dev2@acme.example'] },
      { role: 'roles/viewer', members: ['user:concurrent-0@acme.example'] },
    ]);
    expect((project.instances.get(INSTANCE)!.tags as { items: string[] }).items).toEqual(['http-server', 'irctl-quarantine']);
    const st = await run(['--json', 'contain', threat, '--status']);
    expect(st.code, st.stderr).toBe(0);
    expect(Object.fromEntries(st.json<{ steps: Array<{ kind: string; in_place: boolean | null }> }>()[0]!.steps.map((r) => [r.kind, r.in_place]))).toEqual({
      'snapshot-disks': null,
      'isolate-instance': true,
      'disable-sa-key': true,
      'remove-iam-binding': true,
    });
  });

  it('--rollback enables the key, re-adds the member (with the etag) and takes the quarantine tag off', async () => {
    const r = await run(['--json', 'contain', threat, '--rollback']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json<{ steps: Step[] }>()[0]!.steps.map((s) => [s.kind, s.status])).toEqual([
      ['remove-iam-binding', 'rolled_back'],
      ['disable-sa-key', 'rolled_back'],
      ['isolate-instance', 'rolled_back'],
    ]);
    expect(project.keys.get(`${SA}/${KEY}`)!.disabled).toBe(false);
    expect(project.policies.get('projects/acme-prod')!.bindings[0]).toEqual({ role: 'roles/owner', members: [`serviceAccount:${SA}`, MALLORY] });
    expect((project.instances.get(INSTANCE)!.tags as { items: string[] }).items).toEqual(['http-server']);
    expect(project.lines()).toContain(`POST /v1/projects/-/serviceAccounts/${SA}/keys/${KEY}:enable`);
  });

  it('a 403 fails its step (exit 6); a key already deleted is skipped with the reason; persistent conflicts fail clearly', async () => {
    project.deny.push(/^POST \/v1\/projects\/acme-prod:setIamPolicy$/);
    project.keys.delete(`${SA}/${KEY}`);
    try {
      const r = await run(['--json', 'contain', threat, '--execute', '--approve', `${ids['disable-sa-key']!},${ids['remove-iam-binding']!}`]);
      expect(r.code, r.stderr).toBe(6);
      const by = Object.fromEntries(r.json<{ steps: Step[] }>()[0]!.steps.map((s) => [s.kind, s]));
      expect(by['disable-sa-key']!.status).toBe('skipped');
      expect(by['disable-sa-key']!.reason).toMatch(/no longer exists/);
      expect(by['remove-iam-binding']!.status).toBe('failed');
      expect(by['remove-iam-binding']!.reason).toMatch(/permission denied/);
      expect(project.policies.get('projects/acme-prod')!.bindings[0]!.members).toContain(MALLORY);
    } finally {
      project.deny.length = 0;
    }
    project.concurrentWrites(3);
    const r = await run(['--json', 'contain', threat, '--execute', '--approve', ids['remove-iam-binding']!]);
    expect(r.code).toBe(6);
    const s = r.json<{ steps: Step[] }>()[0]!.steps.find((x) => x.kind === 'remove-iam-binding')!;
    expect(s.status).toBe('failed');
    expect(s.reason).toMatch(/changed under irctl 3 times \(etag conflict\)/);
    expect(project.policies.get('projects/acme-prod')!.bindings[0]!.members).toContain(MALLORY);
  });

  it('the custody chain verifies after every run', async () => {
    const v = await run(['case', 'verify']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
