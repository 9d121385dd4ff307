/**
 * The provider interface, proved with a second provider: a test-only "acme" audit log (test/providers/acme.ts) goes
 * through import, detect (Sigma), grouping, investigation and a signed export without a line of provider code in the
 * generic stages; and the generic stages name no provider specifics.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerProvider, unregisterProvider } from '../../src/sources/index.js';
import { acmeProvider } from '../providers/acme.js';
import { runIrctl } from '../helpers/run-irctl.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/test-provider');

describe('a provider defined outside src/sources', () => {
  let dir: string;
  let kase: string;
  beforeAll(() => {
    registerProvider(acmeProvider);
    dir = mkdtempSync(join(tmpdir(), 'irctl-provider-'));
    kase = join(dir, 'case');
  });
  afterAll(() => {
    unregisterProvider('acme');
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports its records, quarantining the malformed one', async () => {
    // GIVEN seven good acme records and one malformed line
    // WHEN they are imported with auto-detection
    const r = await runIrctl(['--case', kase, 'import', join(FIX, 'acme-audit.jsonl'), '--json']);
    // THEN the good ones are events of the acme provider and the bad one is quarantined (exit 6)
    expect(r.code).toBe(6);
    const s = r.json<{ events: number; quarantined: number }>()[0]!;
    expect(s).toMatchObject({ events: 7, quarantined: 1 });
    const ev = await runIrctl(['--case', kase, 'events', '--json']);
    const rows = ev.json<{ provider: string; action: string }>();
    expect(new Set(rows.map((x) => x.provider))).toEqual(new Set(['acme']));
    expect(rows.map((x) => x.action)).toContain('audit.disable');
  });

  it('--source forces the adapter: records of another type are quarantined, not guessed', async () => {
    const other = join(dir, 'other');
    const r = await runIrctl(['--case', other, 'import', join(ROOT, 'fixtures/test-provider/acme-audit.jsonl'), '--source', 'aws-cloudtrail', '--json']);
    expect(r.code).toBe(6);
    expect(r.json<{ events: number; quarantined: number }>()[0]).toMatchObject({ events: 0, quarantined: 8 });
    const q = await runIrctl(['--case', other, 'case', 'quarantine', '--json']);
    expect(q.stdout).toContain('is not a aws-cloudtrail record (--source)');
  });

  it('detects with Sigma rules on its log source, groups by its entities, and lists its tampering', async () => {
    // WHEN only the acme rules run
    const d = await runIrctl(['--case', kase, 'detect', '--no-builtin', '--rules', join(FIX, 'rules'), '--json']);
    expect(d.code).toBe(0);
    const det = d.json<{ detections: number; threats: number; rule_errors: number }>()[0]!;
    // THEN both rules fire (audit.disable once, the action-indexed vault rule on both scripted reads) in one threat
    expect(det).toMatchObject({ detections: 3, threats: 1, rule_errors: 0 });
    const t = await runIrctl(['--case', kase, 'threats', '--json']);
    const threat = t.json<{ id: string; title: string; entities: Array<{ kind: string; value: string }> }>()[0]!;
    expect(threat.title).toContain('mallory');
    expect(threat.entities).toEqual(expect.arrayContaining([{ kind: 'principal', value: 'mallory' }, expect.objectContaining({ kind: 'session', value: 's-mal-9' })]));
    expect(threat.entities.some((e) => e.value === 'alice')).toBe(false);

    // AND the investigation runs on it, sees the provider's tampering table and ends in a verdict
    const inv = await runIrctl(['--case', kase, 'investigate', threat.id, '--offline', '--json']);
    expect(inv.code).toBe(0);
    expect(inv.stdout).toContain('audit.disable');
    const res = inv.json<{ threat_id: string; verdict: string; confidence: number }>()[0]!;
    expect(res.threat_id).toBe(threat.id);
    // The threat's own actor disabled the audit log (the provider's tampering table) and read vault secrets with a
    // script: the deterministic engine calls that malicious.
    expect(res.verdict).toBe('malicious');

    // AND it exports as a signed bundle that verifies
    const out = join(dir, 'acme.bundle.tar.gz');
    const ex = await runIrctl(['--case', kase, 'export', threat.id, '--out', out]);
    expect(ex.code).toBe(0);
    const v = await runIrctl(['--case', kase, 'verify', out]);
    expect(v.code).toBe(0);
  });
});

describe('generic stages are provider-neutral', () => {
  it('name no AWS specifics in code lines (provider knowledge lives in src/sources/<provider>/)', () => {
    // The check the project's before-stop hook makes, as a regression test (comment lines may explain), reading the
    // files themselves so that it also runs in a copy without git metadata (CI's second Node version).
    const names = /eventName|eventSource|userIdentity|requestParameters|arn:aws|amazonaws\.com|CloudTrail/;
    const comment = /^\s*(\/\/|\*|\/\*)/;
    const offending: string[] = [];
    const walk = (d: string): void => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, entry.name);
        if (entry.isDirectory()) {
          if (p !== join(ROOT, 'src/detect/rules')) walk(p);
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          readFileSync(p, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (names.test(line) && !comment.test(line)) offending.push(`${relative(ROOT, p)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    for (const stage of ['detect', 'correlate', 'timeline', 'investigate', 'store', 'export', 'report', 'ingest']) walk(join(ROOT, 'src', stage));
    expect(offending).toEqual([]);
  });
});
