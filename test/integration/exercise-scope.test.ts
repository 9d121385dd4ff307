/**
 * Exercise scope (issue 12, point 8): with only the red-team marker declared, the exercise's own set-up and
 * clean-up calls (same principal, same source, around the marked call, Terraform user agent) belong to the exercise.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIrctl } from '../helpers/run-irctl.js';

const FIX = resolve(import.meta.dirname, '../../fixtures/exercise-scope');

describe('red-team exercise scope', () => {
  const dir = mkdtempSync(join(tmpdir(), 'irctl-exercise-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('calls the whole detonation a security test and says which unmarked events it attributed, and why', async () => {
    // GIVEN the marker declared, and a trail stopped by the marked call and deleted by unmarked Terraform clean-up
    copyFileSync(join(FIX, 'context.yaml'), join(dir, 'context.yaml'));
    expect((await runIrctl(['--case', dir, 'import', join(FIX, 'stratus-cloudtrail-stop-with-terraform.json')])).code).toBe(0);
    expect((await runIrctl(['--case', dir, 'detect'])).code).toBe(0);
    const threats = (await runIrctl(['--case', dir, 'threats', '--json'])).json<{ id: string }>();
    expect(threats).toHaveLength(1);
    // WHEN investigated
    const r = (await runIrctl(['--case', dir, 'investigate', threats[0]!.id, '--offline', '--json'])).json<{
      verdict: string;
      questions: Array<{ tool: string; answer: string }>;
    }>()[0]!;
    // THEN it is a security test, and the context answer names the unmarked set-up/clean-up events and the reason
    expect(r.verdict).toBe('security_test');
    const ctx = r.questions.find((q) => q.tool === 'operator_context')!;
    expect(ctx.answer).toMatch(/without the marker by the same principal or session from the same source within the exercise's span/);
  });
});
