/**
 * The AI-chain sample case (issue 16, sections 2 and 4): an Okta push-fatigue sign-in, a SAML session into the
 * support agent's role, a poisoned ticket, a Bedrock invocation carrying the injection, Falco on the agent's instance
 * (python spawning a shell, a connection to the attacker, a reverse shell), the instance role's credentials sharing
 * a database snapshot and bulk-reading a bucket, and the egress in VPC flow logs. `detect` must make it one threat
 * across the layers, ranked first, with the agent's routine work (same role, same instance, same tools) left out;
 * `investigate --offline` must call it malicious, walking the chain layer by layer, although the agent's role is a
 * declared automation principal.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const CASE_FIXTURE = resolve(import.meta.dirname, '../../fixtures/ai-chain-case');
const LAYOUT = resolve(import.meta.dirname, '../../scripts/lib/report-layout.mjs');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const AGENT_SESSION = 'arn:aws:sts::444455556666:assumed-role/support-agent/i-0a1b2c3d4e5f60718';
const DANA_SAML_SESSION = 'arn:aws:sts::444455556666:assumed-role/support-agent/dana@acme.example';

interface Threat {
  id: string;
  title: string;
  priority: number;
  first_seen: string;
  last_seen: string;
  rules: string[];
  detection_ids: string[];
  entities: Array<{ kind: string; value: string; common?: boolean }>;
}
interface Entry {
  time: string;
  layer: string;
  action: string;
  actor: string | null;
  detections: string[];
}

describe('the AI-chain sample case', () => {
  const dir = mkdtempSync(join(tmpdir(), 'irctl-ai-chain-'));
  let threats: Threat[] = [];
  let chain: Threat;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    copyFileSync(join(CASE_FIXTURE, 'context.yaml'), join(dir, 'context.yaml'));
    const imp = await runIrctl(['--case', dir, 'import', join(CASE_FIXTURE, 'logs')]);
    expect(imp.code, imp.stderr).toBe(0);
    const det = await runIrctl(['--case', dir, 'detect', '--json']);
    expect(det.code, det.stderr).toBe(0);
    expect(det.json<{ workload_window_ms: number }>()[0]?.workload_window_ms).toBe(3_600_000);
    threats = (await runIrctl(['--case', dir, 'threats', '--json'])).json<Threat>();
    chain = threats[0] as Threat;
  }, 120_000);

  it('imports every layer of the case with nothing quarantined', async () => {
    const info = (await runIrctl(['--case', dir, '--json', 'case', 'info'])).stdout;
    for (const layer of ['identity', 'control_plane', 'ai', 'workload', 'network']) expect(info).toContain(`"${layer}"`);
    expect(info).not.toMatch(/"quarantined":\s*[1-9]/);
  });

  it('makes the chain one threat, ranked first, whose detections cross four layers', async () => {
    // THEN the top threat holds the identity, AI, workload and control-plane detections of the chain
    expect(chain.rules).toEqual(
      expect.arrayContaining([
        'irctl-okta-mfa-push-fatigue',
        'irctl-aws-bedrock-prompt-injection',
        'irctl-falco-shell-from-service',
        'irctl-falco-reverse-shell',
        'irctl-aws-snapshot-shared',
        'irctl-aws-s3-bulk-download',
        'irctl-falco-download-execute',
      ]),
    );
    expect(chain.priority).toBeGreaterThan(threats[1]?.priority ?? 0);
    const lines = (await runIrctl(['--case', dir, 'timeline', chain.id, '--json'])).json<Entry>();
    const detected = new Set(lines.filter((l) => l.detections.length > 0).map((l) => l.layer));
    expect([...detected].sort()).toEqual(['ai', 'control_plane', 'identity', 'workload']);
    // AND its timeline holds the fifth layer too: the egress in the instance's flow logs
    expect(new Set(lines.map((l) => l.layer))).toEqual(new Set(['identity', 'control_plane', 'ai', 'workload', 'network']));
  });

  it('joins the IdP user to the SAML session it was issued, and the invocation identity to the instance and its host', async () => {
    const kinds = (k: string): string[] => chain.entities.filter((e) => e.kind === k && e.common !== true).map((e) => e.value);
    expect(kinds('principal')).toEqual(expect.arrayContaining(['dana@acme.example', AGENT_SESSION]));
    // the SAML session never fired a rule: it is on the threat because AssumeRoleWithSAML handed it to dana
    expect(kinds('session')).toContain(DANA_SAML_SESSION);
    expect(kinds('instance')).toEqual(['i-0a1b2c3d4e5f60718']);
    expect(kinds('host')).toEqual(['ip-10-0-1-23.ec2.internal']);
    const lines = (await runIrctl(['--case', dir, 'timeline', chain.id, '--json'])).json<Entry>();
    const saml = lines.find((l) => l.action === 'AssumeRoleWithSAML' && l.time === '2026-11-24T09:38:04.000Z');
    expect(saml).toBeDefined();
    // the poisoned ticket the SAML session planted is in the story, before the invocation that read it
    const planted = lines.find((l) => l.action === 'PutObject' && l.actor === DANA_SAML_SESSION);
    const invocation = lines.find((l) => l.layer === 'ai' && l.detections.includes('irctl-aws-bedrock-prompt-injection'));
    expect(planted && invocation && planted.time < invocation.time).toBe(true);
  });

  it('leaves the agent routine out: its morning knowledge-base pulls stay separate threats, one per day', () => {
    // GIVEN the agent's role, instance and tools are the same every day (python runs a shell to git pull at 06:10)
    const routine = threats.filter((t) => t.id !== chain.id);
    expect(routine).toHaveLength(4);
    for (const t of routine) {
      expect(t.rules).toEqual(['irctl-falco-shell-from-service']);
      expect(t.first_seen.slice(11)).toBe('06:10:02.000Z');
    }
    // THEN nothing of the routine joined the chain, which starts with the push fatigue on the 24th
    expect(chain.first_seen).toBe('2026-11-24T09:31:10.000Z');
    // (8 detections plus the download-and-execute rule on the chain's `sh -c "curl ... | sh"` alert)
    expect(chain.detection_ids.length).toBe(9);
  });

  it('joins workload links only within the workload window', async () => {
    // WHEN the workload window is wide enough to reach the 06:10 pull, that pull joins the chain
    const wide = mkdtempSync(join(tmpdir(), 'irctl-ai-chain-wide-'));
    try {
      copyFileSync(join(CASE_FIXTURE, 'context.yaml'), join(wide, 'context.yaml'));
      expect((await runIrctl(['--case', wide, 'import', join(CASE_FIXTURE, 'logs')])).code).toBe(0);
      expect((await runIrctl(['--case', wide, 'detect', '--workload-window', '5h'])).code).toBe(0);
      const top = (await runIrctl(['--case', wide, 'threats', '--json'])).json<Threat>()[0] as Threat;
      expect(top.first_seen).toBe('2026-11-24T06:10:02.000Z');
      // but never the other days' pulls: a day is further than 5 h
      expect(top.detection_ids.length).toBe(10);
    } finally {
      rmSync(wide, { recursive: true, force: true });
    }
  });

  it('filters the timeline by layer and shows the layers side by side', async () => {
    const only = (await runIrctl(['--case', dir, 'timeline', chain.id, '--json', '--layer', 'ai,workload'])).json<Entry>();
    expect(new Set(only.map((l) => l.layer))).toEqual(new Set(['ai', 'workload']));
    const lanes = await runIrctl(['--case', dir, 'timeline', chain.id, '--format', 'lanes', '--no-color']);
    expect(lanes.code).toBe(0);
    const header = lanes.stdout.split('\n').find((l) => l.startsWith('TIME (UTC)')) ?? '';
    expect(header.split(/\s{2,}/).slice(2)).toEqual(['IDENTITY', 'CONTROL PLANE', 'AI', 'WORKLOAD', 'NETWORK']);
    const bad = await runIrctl(['--case', dir, 'timeline', chain.id, '--layer', 'runtime']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--layer runtime is not a layer');
  });

  it('investigates offline to malicious, walking the chain layer by layer, although the agent role is automation', async () => {
    // GIVEN context.yaml declares the agent's role an automation principal
    expect(readFileSync(join(dir, 'context.yaml'), 'utf8')).toContain('automation_principals: ["arn:aws:iam::444455556666:role/support-agent"]');
    const r = await runIrctl(['--case', dir, '--json', 'investigate', chain.id, '--offline', '--no-bundle']);
    expect(r.code, r.stderr).toBe(0);
    const v = r.json<{ verdict: string; confidence: number; rationale: Array<{ claim: string }>; injection_flags: unknown[] }>()[0]!;
    expect(v.verdict).toBe('malicious');
    expect(v.injection_flags.length).toBeGreaterThan(0);
    const steps = v.rationale.map((c) => c.claim).filter((c) => c.startsWith('chain step'));
    expect(steps.map((c) => /, (.+?) layer/.exec(c)?.[1])).toEqual(['identity', 'ai', 'workload', 'control plane']);
    expect(steps[1]).toContain('Prompt injection in a Bedrock model invocation');
    expect(steps[2]).toContain('Reverse shell (Falco)');
  });

  it('plans containment of the chain: the invoking role revoked, the instance preserved before it is isolated', async () => {
    // GIVEN the malicious verdict recorded by the test above
    const text = await runIrctl(['--case', dir, 'contain', chain.id]);
    expect(text.code, text.stderr).toBe(0);
    // THEN the terminal cuts the evidence list of a step that cites the whole chain; --json keeps every id
    expect(text.stdout).toMatch(/evidence {2}\S+(, \S+){7} \.\.\. and \d+ more \(--json lists all\)/);
    const plan = (await runIrctl(['--case', dir, '--json', 'contain', chain.id])).json<{ steps: Array<{ id: string; kind: string; target: string; evidence_ids: string[] }> }>()[0]!;
    const revoke = plan.steps.find((s) => s.kind === 'revoke-role-sessions');
    expect(revoke?.target).toBe('arn:aws:iam::444455556666:role/support-agent');
    expect(revoke!.evidence_ids.length).toBeGreaterThan(8);
    const kinds = plan.steps.map((s) => s.kind);
    expect(kinds.indexOf('snapshot-volumes')).toBeLessThan(kinds.indexOf('isolate-instance'));
  });

  it('draws one labelled chart lane per layer in the HTML report', async () => {
    const out = join(dir, 'chain.html');
    expect((await runIrctl(['--case', dir, 'report', chain.id, '--format', 'html', '--out', out])).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    const lanes = [...html.matchAll(/class="lbl">([^<]+)</g)].map((m) => m[1]?.replace(/ \(\d+\)$/, ''));
    expect(lanes).toEqual(['Identity', 'Control plane', 'AI', 'Workload', 'Network']);
    if (!chromium) {
      expect(process.env.IRCTL_REQUIRE_CHROMIUM, 'chromium is required (IRCTL_REQUIRE_CHROMIUM=1) but not installed').not.toBe('1');
      return;
    }
    // AND it lays out on screen and on paper (its session ARNs are longer than the first case's)
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, [LAYOUT, out, '--json'], { encoding: 'utf8', timeout: 100_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      stdout = (err as { stdout?: string }).stdout ?? '';
      if (stdout === '') throw err;
    }
    const layout = JSON.parse(stdout) as { ok: boolean; failures: string[]; screen: { chart: { lanes: string[] } } };
    expect(layout.failures).toEqual([]);
    expect(layout.screen.chart.lanes).toHaveLength(5);
  }, 120_000);
});
