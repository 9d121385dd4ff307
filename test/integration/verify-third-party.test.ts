/**
 * The README/docs "Verifying without irctl" commands (docs/export.md, between the third-party-verify markers), run
 * verbatim with bash on a real exported bundle, and on a tampered copy (must fail).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDetectedCase, readBundle, writeBundle } from '../helpers/export-case.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const DOC = resolve(import.meta.dirname, '../../docs/export.md');

function docScript(): string {
  const text = readFileSync(DOC, 'utf8');
  const m = /<!-- third-party-verify:begin -->\s*```sh\n([\s\S]*?)```\s*<!-- third-party-verify:end -->/.exec(text);
  expect(m, 'docs/export.md has the third-party-verify block').not.toBeNull();
  return m![1]!;
}

let tmp: { dir: string; cleanup: () => void };
let bundle: string;
let fingerprint: string;

beforeAll(async () => {
  tmp = tempDir();
  const caseDir = join(tmp.dir, 'case');
  const { threatId } = await makeDetectedCase(caseDir);
  bundle = join(tmp.dir, 'T.bundle.tar.gz');
  const r = await runIrctl(['--case', caseDir, 'export', threatId, '--out', bundle, '--json']);
  expect(r.code).toBe(0);
  fingerprint = r.json<{ fingerprint: string }>()[0]!.fingerprint;
});
afterAll(() => tmp.cleanup());

function run(file: string, fp: string): { code: number | null; out: string } {
  const r = spawnSync('bash', ['-c', docScript()], { env: { ...process.env, BUNDLE: file, FINGERPRINT: fp, LC_ALL: 'C' }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('third-party verification with sha256sum, openssl and base64', () => {
  it('passes on a bundle exactly as exported', () => {
    const r = run(bundle, fingerprint);
    expect(r.out).toContain(`key: fingerprint ${fingerprint} is the expected one`);
    expect(r.out).toContain('Signature Verified Successfully');
    expect(r.out).toContain('evidence/raw-records.ndjson: OK');
    expect(r.out).toContain('files: exactly the signed set');
    expect(r.out).toContain('SHA256SUMS: OK');
    expect(r.out).toContain(`verified: ${bundle}`);
    expect(r.code).toBe(0);
  });

  it('fails on a wrong expected fingerprint', () => {
    const r = run(bundle, '0'.repeat(64));
    expect(r.code).not.toBe(0);
    expect(r.out).not.toContain('verified:');
  });

  it('fails when a member was altered', async () => {
    const m = await readBundle(bundle);
    const raw = m.get('evidence/raw-records.ndjson')!;
    raw[10] = raw[10]! ^ 0x01;
    const f = join(tmp.dir, 'tampered.tgz');
    await writeBundle(m, f);
    const r = run(f, fingerprint);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('evidence/raw-records.ndjson: FAILED');
    expect(r.out).not.toContain('verified:');
  });

  it('fails when a member was added', async () => {
    const m = await readBundle(bundle);
    m.set('evidence/planted.ndjson', Buffer.from('{}\n'));
    const f = join(tmp.dir, 'added.tgz');
    await writeBundle(m, f);
    const r = run(f, fingerprint);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('evidence/planted.ndjson');
    expect(r.out).not.toContain('verified:');
  });
});
