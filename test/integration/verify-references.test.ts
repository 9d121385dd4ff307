/**
 * `irctl verify` checks that a bundle is one consistent state of the case (issue 11, defect 3): every raw record's
 * input is in the inputs member, every event has its raw record and every raw record its event, and the manifest's
 * counts match the members. The tampered bundles here are re-signed with the case key and carry a manifest that
 * agrees with them, as an export that read members at different times would have written them: only the
 * cross-checks can tell (exit 5, naming what is missing).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey } from '../../src/export/keys.js';
import { makeDetectedCase, readBundle, refreshManifest, resign, writeBundle } from '../helpers/export-case.js';
import { runIrctl, tempDir } from '../helpers/run-irctl.js';

const INPUTS = 'evidence/inputs.ndjson';
const RAW = 'evidence/raw-records.ndjson';
const EVENTS = 'normalized/events.ndjson';

let tmp: { dir: string; cleanup: () => void };
let caseDir: string;
let pub: string;
const bundles: Record<string, Map<string, Buffer>> = {};
let k = 0;

beforeAll(async () => {
  tmp = tempDir();
  caseDir = join(tmp.dir, 'case');
  const { threatId } = await makeDetectedCase(caseDir);
  for (const [scope, args] of [
    ['threat', [threatId]],
    ['case', ['--all']],
  ] as const) {
    const out = join(tmp.dir, `${scope}.bundle.tar.gz`);
    const r = await runIrctl(['--case', caseDir, 'export', ...args, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    bundles[scope] = await readBundle(out);
  }
  pub = join(caseDir, 'keys', 'signing-key.pub.pem');
});
afterAll(() => tmp.cleanup());

/** Lines of a member (without the final empty string). */
const linesOf = (m: Map<string, Buffer>, name: string): string[] => m.get(name)!.toString('utf8').split('\n').slice(0, -1);

/**
 * Apply `change` to a copy of a bundle, bring the manifest in line (then apply `afterRefresh` to it), re-sign with
 * the case key, and verify with --key.
 */
async function tamperedAndResigned(
  scope: string,
  change: (m: Map<string, Buffer>) => void,
  afterRefresh: (m: Map<string, Buffer>) => void = () => undefined,
): ReturnType<typeof runIrctl> {
  const m = new Map([...bundles[scope]!].map(([n, b]) => [n, Buffer.from(b)]));
  change(m);
  const refreshed = refreshManifest(m);
  afterRefresh(refreshed);
  const key = loadSigningKey(join(caseDir, 'keys', 'signing-key.pem'));
  const file = join(tmp.dir, `r${++k}.tgz`);
  await writeBundle(resign(refreshed, key.privateKey, key.publicKey), file);
  return runIrctl(['--case', join(tmp.dir, 'no-case'), 'verify', file, '--key', pub], { env: { XDG_CONFIG_HOME: join(tmp.dir, 'no-config') } });
}

/** Remove line `i` of a member. */
function dropLine(m: Map<string, Buffer>, name: string, i = 0): string {
  const lines = linesOf(m, name);
  const [gone] = lines.splice(i, 1);
  m.set(name, Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
  return gone!;
}

for (const scope of ['threat', 'case']) {
  describe(`${scope} bundle`, () => {
    it('re-signed unchanged with the case key: verifies (the tampering below is the only difference)', async () => {
      const r = await tamperedAndResigned(scope, () => undefined);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/ok\s+references\s+every raw record's input is in evidence\/inputs\.ndjson and its event in normalized\/events\.ndjson/);
    });

    it('an input row missing: the raw records that point to it are named (exit 5)', async () => {
      // GIVEN a bundle whose inputs member lacks the first input (an import was writing it during the export)
      let inputId = 0;
      const r = await tamperedAndResigned(scope, (m) => {
        inputId = (JSON.parse(dropLine(m, INPUTS)) as { id: number }).id;
        expect(linesOf(m, RAW).some((l) => (JSON.parse(l) as { input_id: number }).input_id === inputId)).toBe(true);
      });
      // THEN the signature and the manifest hold, the references do not
      expect(r.code).toBe(5);
      expect(r.stdout).toMatch(new RegExp(`evidence/raw-records\\.ndjson line \\d+: its input ${inputId} is not in evidence/inputs\\.ndjson`));
      expect(r.stdout).toMatch(/FAIL\s+references/);
      expect(r.stdout).toMatch(/ok\s+signature/);
      expect(r.stdout).toMatch(/ok\s+manifest/);
    });

    it('an event missing: its raw records are named (exit 5)', async () => {
      let rawLine = 0;
      const r = await tamperedAndResigned(scope, (m) => {
        const id = (JSON.parse(dropLine(m, EVENTS)) as { id: string }).id;
        rawLine = linesOf(m, RAW).findIndex((l) => (JSON.parse(l) as { event_id: string }).event_id === id) + 1;
      });
      expect(rawLine).toBeGreaterThan(0);
      expect(r.code).toBe(5);
      expect(r.stdout).toContain(`evidence/raw-records.ndjson line ${rawLine}: its event is not in normalized/events.ndjson`);
      expect(r.stdout).toMatch(/FAIL\s+references/);
    });

    it('a raw record missing: the event that points to it is named (exit 5)', async () => {
      let sha = '';
      const r = await tamperedAndResigned(scope, (m) => {
        sha = (JSON.parse(dropLine(m, RAW)) as { sha256: string }).sha256;
      });
      expect(r.code).toBe(5);
      expect(r.stdout).toMatch(new RegExp(`normalized/events\\.ndjson line \\d+: its raw record ${sha} is not in evidence/raw-records\\.ndjson`));
    });

    it("the manifest's record count differs from the member (exit 5)", async () => {
      let n = 0;
      const r = await tamperedAndResigned(
        scope,
        (m) => void (n = linesOf(m, RAW).length),
        (m) => {
          const text = m.get('manifest.json')!.toString('utf8');
          expect(text).toContain(`"${RAW}":${n}`);
          m.set('manifest.json', Buffer.from(text.replace(`"${RAW}":${n}`, `"${RAW}":${n + 1}`)));
        },
      );
      expect(r.code).toBe(5);
      expect(r.stdout).toContain(`${RAW} has ${n} records, the manifest says ${n + 1}`);
      expect(r.stdout).toMatch(/FAIL\s+manifest/);
    });
  });
}
