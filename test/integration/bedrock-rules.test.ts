/**
 * The Bedrock AI rules of issue 16 on hit / miss fixtures (fixtures/bedrock-rules/, made by scripts/make-bedrock-rules-fixtures.mjs)
 * through the CLI: a guardrail-intervention burst, a model or region new to the principal (shadow AI), a token spike
 * against the principal's own baseline, and secrets in outputs (cloud keys, private keys, JWTs, card numbers with a
 * Luhn check). Each scenario has its own principal; near misses must not fire.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const FIX = resolve(import.meta.dirname, '../../fixtures/bedrock-rules');

interface Detection {
  rule_id: string;
  summary: string;
}

describe('Bedrock AI rules on hit and miss fixtures', () => {
  let dir: string;
  let kase: string;
  const detections: Detection[] = [];
  let techniques: string[] = [];
  const irctl = (...args: string[]) => runIrctl(['--case', kase, ...args]);
  /** Summaries of a rule's detections. */
  const of = (rule: string): string[] => detections.filter((d) => d.rule_id === rule).map((d) => d.summary);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'irctl-bedrock-rules-'));
    kase = join(dir, 'case');
    const files = readdirSync(FIX).filter((f) => f.endsWith('.jsonl')).map((f) => join(FIX, f));
    const imp = await irctl('import', ...files, '--json');
    expect(imp.code, imp.stderr).toBe(0);
    const det = await irctl('detect', '--json');
    expect(det.code, det.stderr).toBe(0);
    const threats = (await irctl('threats', '--json')).json<{ id: string; techniques: string[] }>();
    for (const t of threats) {
      techniques.push(...t.techniques);
      const show = (await irctl('threats', 'show', t.id, '--json')).json<{ detection_list: Detection[] }>()[0]!;
      detections.push(...show.detection_list);
    }
    techniques = [...new Set(techniques)];
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a burst of guardrail interventions by one principal fires once; the same count spread out does not', () => {
    const s = of('irctl-aws-bedrock-guardrail-burst');
    expect(s).toEqual(['a guardrail intervened in 5 invocations by guard-hit within 10m (last on anthropic.claude-3-haiku-20240307-v1:0)']);
    expect(techniques).toEqual(expect.arrayContaining(['AML.T0054']));
  });

  it('a model in a region the principal never used fires after its baseline; a known mix or a new principal does not', () => {
    const s = of('irctl-aws-bedrock-shadow-model');
    expect(s).toHaveLength(1);
    expect(s[0]).toMatch(/^shadow-hit invoked anthropic\.claude-3-opus-20240229-v1:0@us-west-2 for the first time \(25 earlier invocations; known: anthropic\.claude-3-haiku-20240307-v1:0@us-east-1\)$/);
    expect(techniques).toEqual(expect.arrayContaining(['AML.T0040']));
  });

  it('a token count far above the principal mean fires; a 6x jump or a jump under the floor does not', () => {
    const s = of('irctl-aws-bedrock-token-spike');
    expect(s).toEqual(['spike-hit used 60000 tokens in one invocation of anthropic.claude-3-haiku-20240307-v1:0, 115x its mean of 520 over 25 earlier invocations']);
    expect(techniques).toEqual(expect.arrayContaining(['AML.T0034', 'T1496']));
  });

  it('secrets in outputs: every kind is named, near misses (Luhn failures, non-card prefixes, prose) are not', () => {
    const s = of('irctl-aws-bedrock-output-secrets').map((x) => x.replace(/^.*contains secrets: /, ''));
    expect(s.sort()).toEqual(['aws-secret-key', 'azure-storage-key', 'card-number', 'card-number', 'gcp-api-key', 'jwt', 'private-key']);
    // No detection names the secret miss principal's outputs, and no summary carries a secret.
    expect(detections.some((d) => d.rule_id === 'irctl-aws-bedrock-output-secrets' && d.summary.includes('secret-miss'))).toBe(false);
    expect(JSON.stringify(detections)).not.toMatch(/4111 1111|wJalrXUtnFEMI|AIzaSy|eyJhbGci/);
  });
});
