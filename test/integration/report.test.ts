/**
 * `irctl report` through the CLI: sections, verdict with who decided, clocks from context.yaml, attacker-controlled
 * text escaped, self-contained HTML with an inline SVG timeline, rendered in headless Chromium when present.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_NOW, makeDetectedCase } from '../helpers/export-case.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;
let threatId: string;

beforeAll(async () => {
  tmp = tempDir();
  caseDir = join(tmp.dir, 'case');
  ({ threatId } = await makeDetectedCase(caseDir));
});
afterAll(() => tmp.cleanup());

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('report (Markdown)', () => {
  it('has every section, the analyst decision with reason, the machine run, clocks and the evidence index', async () => {
    const r = await runIrctl(['--case', caseDir, 'report', threatId], { now: FIXED_NOW });
    expect(r.code).toBe(0);
    const md = r.stdout;
    for (const h of ['## Summary', '## Verdict', '## Regulatory clocks (reminders)', '## Attack timeline', '## Detections', '## Blast radius', '## Actions taken', '## Open questions and missing evidence', '## Evidence index']) {
      expect(md).toContain(h);
    }
    expect(md).toContain('**Malicious**, decided by analyst analyst1 at 2026-11-21T11:00:00.000Z');
    expect(md).toMatch(/\| Malicious \| 90% \| machine deterministic \|/);
    // attacker-/analyst-controlled text cannot inject HTML or break the table
    expect(md).toContain('\\<b\\>not\\</b\\> them \\| no change');
    // clocks from aware_at 2026-11-21T09:00Z as of 12:00Z
    expect(md).toContain('Reminders, not legal advice');
    expect(md).toMatch(/\| 2026-11-24T09:00:00\.000Z \| GDPR \|.*\| in 2 d 21 h \|/);
    expect(md).toMatch(/\| 2026-11-22T09:00:00\.000Z \| NIS2 \| early warning/);
    expect(md).toMatch(/\| 2026-11-26T09:00:00\.000Z \| SEC Form 8-K \|/); // Sat 21 Nov: Mon 23, Tue 24, Wed 25, Thu 26
    expect(md).toMatch(/\| 2027-01-20T09:00:00\.000Z \| HIPAA \|/);
    expect(md).toContain('Missing evidence: VPC flow logs for 203.0.113.77');
    expect(md).toMatch(/\| [0-9a-f-]{36} \| [0-9a-f]{64} \| rationale \|/);
    expect(md).toContain('arn:aws:s3:::customer-exports'); // crown jewel touched
  });

  it('says the clocks have not started when awareness is not recorded', async () => {
    const c = join(tmp.dir, 'no-aware');
    cpSync(caseDir, c, { recursive: true });
    writeFileSync(join(c, 'context.yaml'), 'incident:\n  name: test\n');
    const r = await runIrctl(['--case', c, 'report', threatId]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Not started: the time the organisation became aware is not recorded');
  });

  it('whole-case report lists threats with their verdicts; an unknown threat is a usage error', async () => {
    const r = await runIrctl(['--case', caseDir, 'report', '--all']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('## Threats');
    expect(r.stdout).toMatch(new RegExp(`\\| ${threatId} \\|.*\\| Malicious \\|`));
    const bad = await runIrctl(['--case', caseDir, 'report', 'T-404']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no threat T-404');
  });

  it('--json prints the report model', async () => {
    const r = await runIrctl(['--case', caseDir, 'report', threatId, '--json'], { now: FIXED_NOW });
    expect(r.code).toBe(0);
    const m = r.json<{ verdict: { decided_by: string }; clocks: unknown[]; timeline: unknown[] }>()[0]!;
    expect(m.verdict.decided_by).toBe('analyst');
    expect(m.clocks).toHaveLength(6);
    expect(m.timeline.length).toBeGreaterThan(10);
  });
});

describe('report (HTML)', () => {
  it('is self-contained with an inline SVG timeline, and renders in headless Chromium', async () => {
    const out = join(tmp.dir, 'report.html');
    const r = await runIrctl(['--case', caseDir, 'report', threatId, '--format', 'html', '--out', out], { now: FIXED_NOW });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`report written to ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain("Content-Security-Policy\" content=\"default-src 'none'");
    expect(html).toMatch(/<svg [^>]*aria-label="attack timeline by layer"/);
    expect((html.match(/class="hit"/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"' <)]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
    expect(html).toContain('&lt;b&gt;not&lt;/b&gt; them | no change');
    if (!chromium) {
      // Rendering needs Debian's chromium (CI installs it); the static checks above still ran.
      expect(process.env.IRCTL_REQUIRE_CHROMIUM, 'chromium is required (IRCTL_REQUIRE_CHROMIUM=1) but not installed').not.toBe('1');
      return;
    }
    const png = join(tmp.dir, 'report.png');
    const dom = execFileSync(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--dump-dom', `file://${out}`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 },
    );
    expect(dom).toContain('<circle');
    execFileSync(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--window-size=1280,1600', `--screenshot=${png}`, `file://${out}`],
      { stdio: 'ignore', timeout: 60_000 },
    );
    expect(statSync(png).size).toBeGreaterThan(20_000);
    const head = readFileSync(png).subarray(0, 24);
    expect(head.subarray(1, 4).toString()).toBe('PNG');
    expect(head.readUInt32BE(16)).toBe(1280);
  }, 120_000);

  it('defaults to <case>/exports/<id>-report-<UTC timestamp>.html', async () => {
    const r = await runIrctl(['--case', caseDir, 'report', threatId, '--format', 'html'], { now: FIXED_NOW });
    expect(r.code).toBe(0);
    const expected = join(caseDir, 'exports', `${threatId}-report-20261121T120000Z.html`);
    expect(r.stdout).toContain(expected);
    expect(existsSync(expected)).toBe(true);
  });
});
