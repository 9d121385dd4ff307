/**
 * Test helpers for export/verify/report: a detected sample case (with a tiny test-only rule pack, a machine
 * investigation and an analyst override), and reading/rewriting bundles member by member for tamper tests.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { cpSync, createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { expect } from 'vitest';
import { openCase } from '../../src/case/case.js';
import { loadContext } from '../../src/context/context.js';
import { runDetect } from '../../src/correlate/run-detect.js';
import { readTarGz } from '../../src/export/bundle.js';
import { serializeEnvelope, signEnvelope } from '../../src/export/dsse.js';
import { fingerprintOf, publicPemOf } from '../../src/export/keys.js';
import {
  buildStatement,
  DATA_MEMBERS,
  ENVELOPE_FILE,
  MANIFEST_FILE,
  PAYLOAD_TYPE,
  PUBKEY_FILE,
  SUMS_FILE,
  serializeManifest,
  sha256SumsText,
  type BundleManifest,
  type BundlePredicate,
} from '../../src/export/manifest.js';
import { insertInvestigation, insertOverride } from '../../src/store/investigate-repo.js';
import { sha256Hex } from '../../src/util/hash.js';
import { actionRule, fakeLoader } from './fake-rules.js';
import { fixture, runIrctl } from './run-irctl.js';

/** A fixed clock for reproducible exports. */
export const FIXED_NOW = (): Date => new Date('2026-11-21T12:00:00.000Z');

const RULES = [
  actionRule('t-stoplogging', 'StopLogging', 'high', ['defense-evasion']),
  actionRule('t-guardduty', 'DeleteDetector', 'high', ['defense-evasion']),
  actionRule('t-createuser', 'CreateUser', 'medium', ['persistence']),
  actionRule('t-bucket-policy', 'PutBucketPolicy', 'medium', ['exfiltration']),
  actionRule('t-deleteuser', 'DeleteUser', 'low', ['impact']),
];

/**
 * Import the sample case into `caseDir`, run detection (test rule pack) and record one machine investigation and one
 * analyst override of the first threat. Returns the id of the threat of the leaked key (the one with StopLogging).
 */
export async function makeDetectedCase(caseDir: string): Promise<{ threatId: string }> {
  mkdirSync(caseDir, { recursive: true });
  cpSync(fixture('sample-case', 'context.yaml'), join(caseDir, 'context.yaml'));
  const r = await runIrctl(['--case', caseDir, 'import', fixture('sample-case', 'logs'), '--json']);
  expect(r.code).toBe(0);
  const kase = openCase(caseDir);
  try {
    await runDetect(kase, fakeLoader(RULES), {
      builtin: true,
      ruleDirs: [],
      windowMs: 24 * 3_600_000,
      marginMs: 3_600_000,
      context: loadContext(kase.contextPath).context,
      now: FIXED_NOW,
    });
    const threatId = kase.db
      .prepare(
        "SELECT td.threat_id FROM threat_detections td JOIN detections d ON d.id = td.detection_id WHERE d.rule_id = 't-stoplogging' LIMIT 1",
      )
      .pluck()
      .get() as string;
    const eventId = kase.db.prepare("SELECT id FROM events WHERE action = 'StopLogging' LIMIT 1").pluck().get() as string;
    const result = JSON.stringify({
      verdict: 'malicious',
      confidence: 0.9,
      summary: 'Leaked backup key used from an unknown IP to stop CloudTrail.',
      rationale: [{ claim: 'CloudTrail was stopped by the backup user from 203.0.113.77.', evidence_ids: [eventId] }],
      missing_evidence: ['VPC flow logs for 203.0.113.77'],
    });
    const transcript = JSON.stringify([{ kind: 'tool', tool: 'events', args: { access_key: 'AKIASVCBACKUPLEAKED1' } }]);
    // Through the store's writers, as investigate and verdict record them (with their custody entries).
    insertInvestigation(
      kase.db,
      {
        id: 'inv-1',
        threat_id: threatId,
        started_at: '2026-11-21T10:00:00.000Z',
        finished_at: '2026-11-21T10:00:05.000Z',
        engine: 'deterministic',
        verdict: 'malicious',
        confidence: 0.9,
        result,
        transcript,
        sha256: sha256Hex(`${result}\n${transcript}`),
      },
      { run_id: 'inv-1', details: { threat_id: threatId } },
      kase.provenance,
      new Date('2026-11-21T10:00:05.000Z'),
    );
    insertOverride(
      kase.db,
      {
        threat_id: threatId,
        investigation_id: 'inv-1',
        machine_verdict: 'malicious',
        verdict: 'malicious',
        reason: 'Confirmed with the backup team: <b>not</b> them | no change',
        analyst: 'analyst1',
        time: '2026-11-21T11:00:00.000Z',
      },
      { run_id: 'verdict-1' },
      kase.provenance,
      new Date('2026-11-21T11:00:00.000Z'),
    );
    return { threatId };
  } finally {
    kase.close();
  }
}

/** Every member of a bundle in archive order. */
export async function readBundle(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  await readTarGz(createReadStream(file), async (e) => {
    const parts: Buffer[] = [];
    for await (const c of e.stream) parts.push(c);
    out.set(e.name, Buffer.concat(parts));
  });
  return out;
}

/** Write members (in the given order) as a tar.gz. */
export async function writeBundle(members: Map<string, Buffer>, file: string): Promise<void> {
  const pack = tar.pack();
  const { createWriteStream } = await import('node:fs');
  const done = pipeline(pack, createGzip(), createWriteStream(file));
  for (const [name, data] of members) {
    await new Promise<void>((res, rej) => pack.entry({ name, size: data.length, mtime: new Date(0) }, data, (err) => (err ? rej(err) : res())));
  }
  pack.finalize();
  await done;
}

/** A fresh Ed25519 key pair written as PEM files into `dir`. */
export function newKey(dir: string, name: string): { privateKey: KeyObject; publicKey: KeyObject; privPath: string; pubPath: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privPath = join(dir, `${name}.pem`);
  const pubPath = join(dir, `${name}.pub.pem`);
  writeFileSync(privPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pubPath, publicPemOf(publicKey));
  return { privateKey, publicKey, privPath, pubPath };
}

/** Re-sign a (possibly modified) bundle consistently with another key: new SHA256SUMS, statement and envelope. */
export function resign(members: Map<string, Buffer>, privateKey: KeyObject, publicKey: KeyObject): Map<string, Buffer> {
  const out = new Map(members);
  out.set(PUBKEY_FILE, Buffer.from(publicPemOf(publicKey)));
  const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const files = [...out].filter(([n]) => n !== ENVELOPE_FILE && n !== SUMS_FILE).map(([path, b]) => ({ path, sha256: digest(b) }));
  const sums = Buffer.from(sha256SumsText(files));
  out.set(SUMS_FILE, sums);
  files.push({ path: SUMS_FILE, sha256: digest(sums) });
  const env = JSON.parse(members.get(ENVELOPE_FILE)!.toString()) as { payload: string };
  const old = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as { predicate: BundlePredicate };
  const fp = fingerprintOf(publicKey);
  const statement = buildStatement(files, { ...old.predicate, key_fingerprint: fp });
  out.set(ENVELOPE_FILE, Buffer.from(serializeEnvelope(signEnvelope(Buffer.from(statement), PAYLOAD_TYPE, privateKey, fp))));
  return out;
}

/**
 * Bring manifest.json in line with edited members (record counts, digests, sizes), as an exporter that read an
 * inconsistent case state would have written it. Re-sign afterwards.
 */
export function refreshManifest(members: Map<string, Buffer>): Map<string, Buffer> {
  const out = new Map(members);
  const manifest = JSON.parse(members.get(MANIFEST_FILE)!.toString('utf8')) as BundleManifest;
  const ndjson = new Set<string>(Object.values(DATA_MEMBERS));
  const lines = (b: Buffer): number => b.toString('utf8').split('\n').length - 1;
  for (const f of manifest.files) {
    const b = members.get(f.path);
    if (!b) continue;
    f.sha256 = createHash('sha256').update(b).digest('hex');
    f.size = b.length;
    if (ndjson.has(f.path)) f.records = manifest.counts[f.path] = lines(b);
  }
  out.set(MANIFEST_FILE, Buffer.from(serializeManifest(manifest)));
  return out;
}

/** A stream over a buffer (for tests that feed readTarGz directly). */
export function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
