/**
 * `irctl contain` without a cloud: plans for a provider without containment steps, flag and context.yaml errors,
 * approval (nothing runs unapproved on a non-terminal), the context.yaml policy, and a credential failure mid-plan
 * (exit 4, what ran recorded). The cloud end to end is test/integration/contain-moto.test.ts.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { runIrctl } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const INC = join(ROOT, 'fixtures/azure-incident');

interface Step {
  id: string;
  kind: string;
  target: string;
  status: string;
  reason?: string | null;
}

describe('irctl contain (plans, approval, policy, failures)', () => {
  let dir: string;
  let kase: string;
  let azureThreat = '';
  let awsThreat = '';
  let server: Server;
  let url = '';
  let requests = 0;
  /** Aborted (as Ctrl-C would) when the fake endpoint receives a request. */
  let ctrlC: AbortController | undefined;
  const run = (args: string[], env: NodeJS.ProcessEnv = {}, signal?: AbortSignal) => runIrctl(['--case', kase, ...args], { env, ...(signal ? { signal } : {}) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-contain-'));
    kase = join(dir, 'case');
    const imp = await run(['import', join(INC, 'activity-log.arm.json'), join(INC, 'signins.graph.json'), join(INC, 'audits.graph.json'), join(ROOT, 'fixtures/cloudtrail/stratus-iam-create-admin-user.json')]);
    expect([0, 6]).toContain(imp.code);
    expect((await run(['detect'])).code).toBe(0);
    const t = (await run(['threats', '--json'])).json<{ id: string; entities: Array<{ kind: string; value: string }> }>();
    azureThreat = t.find((x) => x.entities.some((e) => e.value === 'alice@fabrikam.example'))!.id;
    awsThreat = t.find((x) => x.entities.some((e) => e.value === 'AKIAOZUDECYXYM4ONAN4'))!.id;
    // An AWS endpoint whose every answer is "the security token has expired" (IAM's query-protocol error shape).
    server = createServer((req, res) => {
      requests++;
      req.resume();
      ctrlC?.abort();
      res.writeHead(403, { 'content-type': 'text/xml', 'x-amzn-requestid': `expired-${requests}` });
      res.end('<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error><RequestId>expired</RequestId></ErrorResponse>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans Azure steps from the evidence, and says which cannot be rolled back (execution: contain-azure-execute.test.ts)', async () => {
    const r = await run(['--json', 'contain', azureThreat]);
    expect(r.code, r.stderr).toBe(0);
    const plan = r.json<{ steps: Step[]; notes: string[] }>()[0]!;
    expect(plan.steps.map((s) => s.kind)).toContain('revoke-user-sessions');
    expect(plan.notes.join('\n')).not.toContain('no containment steps for provider azure');
    expect(plan.notes.join('\n')).toContain('irreversible: --rollback cannot undo revoke-user-sessions');
  });

  it('plans AWS steps from the evidence of a threat without a verdict (dry run)', async () => {
    const r = await run(['--json', 'contain', awsThreat]);
    expect(r.code).toBe(0);
    const plan = r.json<{ verdict: string | null; steps: Step[] }>()[0]!;
    expect(plan.verdict).toBeNull();
    expect(plan.steps.map((s) => `${s.kind} ${s.target}`)).toEqual(
      expect.arrayContaining(['deactivate-access-key AKIAOZUDECYXYM4ONAN4', 'detach-policy arn:aws:iam::aws:policy/AdministratorAccess from user malicious-iam-user', 'disable-console-login christophe']),
    );
    const h = await run(['contain', awsThreat]);
    expect(h.stdout).toContain('none: not investigated');
    expect(h.stdout).toContain('dry run   nothing was changed');
  });

  it('shows the recommended plan after an investigation that ends malicious (the machine verdict: enough for --execute)', async () => {
    const r = await run(['investigate', awsThreat, '--offline', '--no-bundle']);
    expect(r.code, r.stderr).toBe(0);
    // the deterministic engine calls this admin-user creation malicious (no red-team marker in context.yaml)
    expect(r.stdout).toMatch(/contain {3}\d+ recommended step\(s\)/);
    expect(r.stdout).toContain('deactivate access key AKIAOZUDECYXYM4ONAN4');
  });

  it('refuses flag combinations that make no sense and an unknown threat', async () => {
    expect((await run(['contain', awsThreat, '--approve', 'all'])).code).toBe(2);
    expect((await run(['contain', awsThreat, '--execute', '--force'])).code).toBe(2);
    expect((await run(['contain', awsThreat, '--execute', '--status'])).code).toBe(2);
    const changed = await run(['contain', awsThreat, '--execute', '--approve', 'all', '--expect-plan', '0'.repeat(64)]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('changed since you reviewed it');
    const u = await run(['contain', 'T-999']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('no threat T-999');
  });

  it('rejects an invalid containment section of context.yaml (exit 3)', async () => {
    writeFileSync(join(kase, 'context.yaml'), 'containment:\n  allow_without_prompt: [deactivate-access-key]\n  min_confidence: 2\n');
    expect((await run(['verdict', awsThreat, '--set', 'malicious', '--reason', 'keys used from a Tor exit'])).code).toBe(0);
    const r = await run(['contain', awsThreat, '--execute']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('containment.min_confidence');
  });

  it('runs nothing unapproved when there is no terminal: every step skipped and recorded (exit 6)', async () => {
    writeFileSync(join(kase, 'context.yaml'), '');
    const before = requests;
    const r = await run(['--json', 'contain', awsThreat, '--execute'], { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x' });
    expect(r.code).toBe(6);
    const steps = r.json<{ steps: Step[] }>()[0]!.steps;
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      expect(s.status).toBe('skipped');
      expect(s.reason).toContain('not approved');
    }
    expect(requests).toBe(before);
    expect((await run(['case', 'verify'])).code).toBe(0);
  });

  it('lets the context.yaml policy approve a step kind; expired credentials stop the run with exit 4 and what ran recorded', async () => {
    writeFileSync(join(kase, 'context.yaml'), 'containment:\n  allow_without_prompt: [deactivate-access-key]\n  min_confidence: 0.8\n');
    const r = await run(['--json', 'contain', awsThreat, '--execute'], { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('expired');
    const steps = r.json<{ steps: Array<Step & { approval: string | null; request_ids: string[] }> }>()[0]!.steps;
    const key = steps.find((s) => s.kind === 'deactivate-access-key' && s.target === 'AKIAOZUDECYXYM4ONAN4')!;
    expect(key).toMatchObject({ status: 'failed' });
    expect(key.approval).toBe('policy');
    expect(key.request_ids.length).toBeGreaterThan(0);
    const after = steps.slice(steps.indexOf(key) + 1);
    expect(after.every((s) => s.status === 'planned' && (s.reason ?? '').includes('fatal'))).toBe(true);
    // the failure is on record: the plan shows it and the custody chain verifies
    const plan = (await run(['--json', 'contain', awsThreat])).json<{ steps: Step[] }>()[0]!;
    expect(plan.steps.find((s) => s.id === key.id)!.status).toBe('failed');
    expect((await run(['case', 'verify'])).code).toBe(0);
  });

  it('Ctrl-C during a step: the step is recorded, the rest are not attempted (exit 130)', async () => {
    writeFileSync(join(kase, 'context.yaml'), '');
    ctrlC = new AbortController();
    const r = await run(['--json', 'contain', awsThreat, '--execute', '--approve', 'all'], { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x' }, ctrlC.signal);
    ctrlC = undefined;
    expect(r.code, r.stderr).toBe(130);
    const out = r.json<{ interrupted: boolean; steps: Step[] }>()[0]!;
    expect(out.interrupted).toBe(true);
    const ran = out.steps.filter((s) => s.status === 'failed');
    expect(ran).toHaveLength(1);
    expect(out.steps.slice(out.steps.indexOf(ran[0]!) + 1).every((s) => s.status === 'planned' && (s.reason ?? '').includes('interrupted'))).toBe(true);
    const plan = (await run(['--json', 'contain', awsThreat])).json<{ steps: Step[] }>()[0]!;
    expect(plan.steps.find((s) => s.id === ran[0]!.id)!.status).toBe('failed');
    expect((await run(['case', 'verify'])).code).toBe(0);
  });

  it('asks y/n/skip/quit per step on a terminal: declined steps are recorded, quit stops asking (exit 6)', async () => {
    writeFileSync(join(kase, 'context.yaml'), '');
    // GIVEN a terminal that answers skip, n, then quit, each when asked
    const answers = ['skip', 'n', 'quit'];
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    let err = '';
    let out = '';
    const stderr = new Writable({
      write(chunk: Buffer, _e, cb) {
        err += chunk.toString();
        if (/\[y\/n\/skip\/quit\] $/.test(err)) {
          err += '\n';
          const a = answers.shift();
          if (a !== undefined) setImmediate(() => stdin.write(`${a}\n`));
        }
        cb();
      },
    });
    const stdout = new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const before = requests;
    // WHEN
    const code = await main(['node', 'irctl', '--case', kase, '--json', 'contain', awsThreat, '--execute'], {
      env: { NO_COLOR: '1', AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x' },
      stdout,
      stderr,
      stdin,
      signal: new AbortController().signal,
    });
    // THEN
    expect(code, err).toBe(6);
    const steps = (JSON.parse(out.trim()) as { steps: Step[] }).steps;
    expect(steps[0]).toMatchObject({ status: 'skipped', reason: 'declined at the prompt (skip)' });
    expect(steps[1]).toMatchObject({ status: 'skipped', reason: 'declined at the prompt (no)' });
    expect(steps.slice(2).every((s) => s.status === 'planned' && (s.reason ?? '').includes('quit'))).toBe(true);
    expect(err).toContain(`${steps[0]!.id} ${steps[0]!.kind} ${steps[0]!.target}`);
    expect(requests).toBe(before);
  });
});
