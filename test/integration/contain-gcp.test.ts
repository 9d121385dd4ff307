/**
 * `irctl contain` for a Google Cloud threat (issue 17): the intrusion of fixtures/gcp-incident is detected and
 * investigated offline (malicious), then the plan names the exact IAM and Resource Manager requests: disable the
 * service-account key bob created for terraform-admin (rollback: enable), remove mallory's owner binding with
 * getIamPolicy + setIamPolicy carrying the etag. Execution against a fake of the APIs: contain-gcp-execute.test.ts.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';
import { investigatedThreat } from '../helpers/contain-case.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INC = join(ROOT, 'fixtures/gcp-incident');
const SA = 'terraform-admin@acme-prod.iam.gserviceaccount.com';
const KEY = '8d1f0c5a9e2b47c3a6f1d0e9b8c7a6f5e4d3c2b1';

interface Call {
  api: string;
  params: { method: string; url: string; body?: unknown };
}
interface Step {
  id: string;
  kind: string;
  provider: string;
  target: string;
  calls: Call[];
  reversible: boolean;
  rollback: { calls: Call[]; note: string } | null;
  evidence_ids: string[];
  status: string;
  reason?: string | null;
}

describe('irctl contain: Google Cloud', () => {
  const tmp = tempDir('irctl-contain-gcp-');
  const kase = join(tmp.dir, 'case');
  let threat = '';
  const run = (args: string[]) => runIrctl(['--case', kase, ...args]);

  beforeAll(async () => {
    threat = await investigatedThreat(run, [join(INC, 'activity.gcloud.json'), join(INC, 'data-access.entries.json'), join(INC, 'system-event.pubsub.jsonl')], 'bob@acme.example');
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('plans the exact IAM requests for the key and the owner binding the threat added', async () => {
    const r = await run(['--json', 'contain', threat]);
    expect(r.code, r.stderr).toBe(0);
    const plan = r.json<{ verdict: string; steps: Step[]; notes: string[] }>()[0]!;
    expect(plan.verdict).toBe('malicious');
    expect(plan.steps.map((s) => `${s.id} ${s.kind} ${s.target}`)).toEqual([
      `S1 disable-sa-key projects/acme-prod/serviceAccounts/${SA}/keys/${KEY}`,
      'S2 remove-iam-binding projects/acme-prod roles/owner user:mallory.ops@gmail.com',
    ]);
    const [key, binding] = plan.steps as [Step, Step];
    const keyUrl = `https://iam.googleapis.com/v1/projects/-/serviceAccounts/${SA}/keys/${KEY}`;
    expect(key.calls).toEqual([
      { api: 'iam:projects.serviceAccounts.keys.get', params: { method: 'GET', url: keyUrl } },
      { api: 'iam:projects.serviceAccounts.keys.disable', params: { method: 'POST', url: `${keyUrl}:disable`, body: {} } },
    ]);
    expect(key.reversible).toBe(true);
    expect(key.rollback!.calls).toEqual([{ api: 'iam:projects.serviceAccounts.keys.enable', params: { method: 'POST', url: `${keyUrl}:enable`, body: {} } }]);
    // The key was created by bob and used by terraform-admin: both records are the step's evidence.
    expect(key.evidence_ids.length).toBeGreaterThanOrEqual(2);
    const crm = 'https://cloudresourcemanager.googleapis.com/v1/projects/acme-prod';
    expect(binding.calls[0]).toEqual({ api: 'cloudresourcemanager:projects.getIamPolicy', params: { method: 'POST', url: `${crm}:getIamPolicy`, body: { options: { requestedPolicyVersion: 3 } } } });
    expect(binding.calls[1]!.api).toBe('cloudresourcemanager:projects.setIamPolicy');
    expect(binding.calls[1]!.params).toMatchObject({ method: 'POST', url: `${crm}:setIamPolicy`, body: { policy: { version: 3, etag: '<etag from getIamPolicy>' } } });
    expect(binding.reversible).toBe(true);
    expect(binding.rollback!.calls.map((c) => c.api)).toEqual(['cloudresourcemanager:projects.getIamPolicy', 'cloudresourcemanager:projects.setIamPolicy']);
    const notes = plan.notes.join('\n');
    expect(notes).toContain('log sink projects/acme-prod/sinks/audit-to-siem');
    expect(notes).toContain('bob@acme.example');
    expect(notes).toContain('GCP steps need a credential with the cloud-platform scope');
  });

  it('--execute without Google Cloud credentials stops at the first step: exit 4, the rest not attempted', async () => {
    const x = await runIrctl(['--case', kase, '--json', 'contain', threat, '--execute', '--approve', 'S1,S2'], { env: { METADATA_SERVER_DETECTION: 'none', HOME: tmp.dir } });
    expect(x.code, x.stderr).toBe(4);
    expect(x.stderr).toMatch(/no Google Cloud credentials found/);
    const out = x.json<{ steps: Step[] }>()[0]!;
    expect(out.steps.map((s) => [s.id, s.status])).toEqual([
      ['S1', 'failed'],
      ['S2', 'planned'],
    ]);
    expect(out.steps[1]!.reason).toContain('not attempted');
  });
});
