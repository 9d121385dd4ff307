/**
 * `irctl verify BUNDLE`: offline verification of an evidence bundle, streamed (a bundle of a million events is never
 * held in memory). Checks, in one pass over the archive: the DSSE signature (Ed25519 over the PAE) and the signer
 * against an expected key, every member against the signed in-toto statement and against SHA256SUMS, missing and
 * extra members, every raw record's SHA-256, that every event's raw record is in the bundle, the custody chain,
 * investigation hashes, and the manifest's counts. Reports exactly what does not match.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { entryHash, GENESIS_HASH } from '../store/custody.js';
import { sha256Hex } from '../util/hash.js';
import { ArchiveError, readTarGz, type ArchiveEntry } from './bundle.js';
import { startRawCheck } from './raw-check.js';
import { parseEnvelope, verifyEnvelope } from './dsse.js';
import { fingerprintOf, parsePublicKey } from './keys.js';
import {
  DATA_MEMBERS,
  ENVELOPE_FILE,
  MANIFEST_FILE,
  PAYLOAD_TYPE,
  PUBKEY_FILE,
  REPORT_MEMBERS,
  SUMS_FILE,
  parseSha256Sums,
  parseStatement,
  type BundleManifest,
  type Statement,
} from './manifest.js';

/** Options of a verification. */
export interface VerifyOptions {
  /** The key the bundle must be signed by, and where it came from (shown in the output). */
  expectedKey?: { key: KeyObject; source: string } | undefined;
  /**
   * Check raw records on a worker thread (when irctl runs compiled): `auto` does so for members of at least
   * {@link THREAD_MIN_BYTES}. @default 'auto'
   */
  thread?: boolean | 'auto' | undefined;
}

/** Below this size a raw-records member is checked in-thread (a thread costs more to start than it saves). */
export const THREAD_MIN_BYTES = 32 << 20;

/** One thing that was checked. */
export interface VerifyCheck {
  /** Short name: signature, signer, statement, sha256sums, raw-records, events, custody, investigations, manifest, members, archive. */
  name: string;
  /** Whether it held. */
  ok: boolean;
  /** What was checked (counts) or why it failed. */
  detail: string;
}

/** Result of verifying a bundle. */
export interface VerifyReport {
  /** True only when every check held. */
  ok: boolean;
  /** Bundle path. */
  bundle: string;
  /** SHA-256 of the bundle file. */
  bundle_sha256: string | null;
  /** Fingerprint of the key in the bundle (sha256 of DER SubjectPublicKeyInfo, hex). */
  fingerprint: string | null;
  /** Fingerprint of the expected key, when one was given. */
  expected_fingerprint: string | null;
  /** Where the expected key came from. */
  expected_key_source: string | null;
  /** From the signed statement (when it could be read). */
  signed_at: string | null;
  signer: { os_user: string; host: string; tool_version: string } | null;
  scope: unknown;
  custody_head: { seq: number; hash: string } | null;
  /** Members read. */
  members: number;
  /** What was checked. */
  checks: VerifyCheck[];
  /** Every mismatch, one sentence each (long runs of the same kind are summarized). */
  problems: string[];
}

const SMALL_LIMIT = 64 << 20;
const PER_KIND_CAP = 25;

/** Problem collector that caps each kind so a bundle with a million bad records still prints a readable report. */
class Problems {
  readonly list: string[] = [];
  private readonly counts = new Map<string, number>();
  add(kind: string, msg: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n <= PER_KIND_CAP) this.list.push(msg);
  }
  /** Problems of one kind found elsewhere (the raw-record checker): its first messages and its total. */
  addGroup(kind: string, messages: readonly string[], total: number): void {
    const before = this.counts.get(kind) ?? 0;
    this.counts.set(kind, before + total);
    for (const m of messages.slice(0, Math.max(0, PER_KIND_CAP - before))) this.list.push(m);
  }
  count(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }
  finish(): string[] {
    const out = [...this.list];
    for (const [kind, n] of this.counts) if (n > PER_KIND_CAP) out.push(`... and ${n - PER_KIND_CAP} more ${kind} problem(s)`);
    return out;
  }
}

/** Splits a byte stream into lines (bytes `buf[start..end)`) without holding more than one line. */
async function forEachLine(stream: AsyncIterable<Buffer>, onChunk: (b: Buffer) => void, onLine: (buf: Buffer, start: number, end: number, n: number) => void): Promise<void> {
  let rest: Buffer | undefined;
  let n = 0;
  for await (const chunk of stream) {
    onChunk(chunk);
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    let nl = buf.indexOf(10, start);
    while (nl !== -1) {
      onLine(buf, start, nl, ++n);
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    rest = start < buf.length ? buf.subarray(start) : undefined;
  }
  if (rest && rest.length > 0) onLine(rest, 0, rest.length, n + 1);
}

const RAW_SHA_KEY = Buffer.from('"raw_sha256":"', 'latin1');

/** True when `buf[at..at+64)` is 64 lower-case hex digits. */
function isHex64(buf: Buffer, at: number): boolean {
  if (at + 64 > buf.length) return false;
  for (let i = at; i < at + 64; i++) {
    const c = buf[i] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

interface MemberInfo {
  sha256: string;
  size: number;
  lines?: number;
}

/** Verify a bundle file. Never throws for a bad bundle: problems are in the report. */
export async function verifyBundle(file: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const problems = new Problems();
  const checks: VerifyCheck[] = [];
  const members = new Map<string, MemberInfo>();
  const small = new Map<string, Buffer>();
  const rawSet = new Set<string>();
  let rawDone = false;
  let rawChecked = 0;
  let eventsChecked = 0;
  let eventsCrossChecked = false;
  let invChecked = 0;
  const custody = { entries: 0, prev: GENESIS_HASH, expectSeq: 1, head: { seq: 0, hash: GENESIS_HASH } };
  const ndjsonMembers = new Set<string>(Object.values(DATA_MEMBERS));
  const smallMembers = new Set<string>([SUMS_FILE, PUBKEY_FILE, MANIFEST_FILE]);
  const envelopes: string[] = [];
  const fileHash = createHash('sha256');
  let archiveOk = true;

  const onEntry = async (e: ArchiveEntry): Promise<void> => {
    const name = e.name;
    if (e.type !== 'file') {
      problems.add('member', `unexpected ${e.type} entry "${name}" in the archive (bundles hold regular files only)`);
      return;
    }
    if (name.startsWith('/') || name.split('/').includes('..')) problems.add('member', `member "${name}" has an absolute or parent-relative path`);
    if (members.has(name)) problems.add('member', `member "${name}" appears twice in the archive`);
    const isEnvelope = !name.includes('/') && name.endsWith('.dsse.json');
    if (isEnvelope) envelopes.push(name);
    const hash = createHash('sha256');
    let size = 0;
    const keep = isEnvelope || smallMembers.has(name);
    const parts: Buffer[] = [];
    const onChunk = (c: Buffer): void => {
      hash.update(c);
      size += c.length;
      if (keep && size <= SMALL_LIMIT) parts.push(c);
    };
    let lines: number | undefined;
    if (name === DATA_MEMBERS.rawRecords) {
      const check = startRawCheck(name, opts.thread === true || ((opts.thread ?? 'auto') === 'auto' && e.size >= THREAD_MIN_BYTES));
      try {
        for await (const c of e.stream) {
          onChunk(c);
          await check.feed(c);
        }
      } catch (err) {
        await check.close();
        throw err;
      }
      const res = await check.end();
      lines = res.lines;
      rawChecked = res.checked;
      for (const g of res.problems) problems.addGroup(g.kind, g.messages, g.total);
      for (let i = 0; i + 20 <= res.prefixes.length; i += 20) rawSet.add(res.prefixes.slice(i, i + 20));
      rawDone = true;
    } else if (ndjsonMembers.has(name)) {
      let bad = 0;
      let count = 0;
      const lineCheck = lineCheckerFor(name);
      const isEvents = name === DATA_MEMBERS.events;
      await forEachLine(e.stream, onChunk, (buf, start, end, n) => {
        count++;
        if (isEvents) {
          // A million events: take raw_sha256 (the last key, see iterEventLines) from the line's bytes without
          // decoding or parsing it; the member's bytes are covered by the signed digest anyway.
          checkEventLine(buf, start, end, n);
          return;
        }
        let v: unknown;
        try {
          v = JSON.parse(buf.toString('utf8', start, end));
        } catch {
          if (++bad <= 1) problems.add('format', `${name} line ${n} is not valid JSON`);
          return;
        }
        lineCheck?.(v, n);
      });
      lines = count;
    } else {
      for await (const c of e.stream) onChunk(c);
    }
    if (keep) {
      if (size > SMALL_LIMIT) problems.add('member', `${name} is ${size} bytes, more than a bundle ever writes: not read`);
      else small.set(name, Buffer.concat(parts));
    }
    const info: MemberInfo = { sha256: hash.digest('hex'), size };
    if (lines !== undefined) info.lines = lines;
    members.set(name, info);
  };

  const checkEventLine = (buf: Buffer, start: number, end: number, n: number): void => {
    eventsChecked++;
    const key = end > start ? buf.lastIndexOf(RAW_SHA_KEY, end - 1) : -1;
    const at = key >= start ? key + RAW_SHA_KEY.length : -1;
    if (at < 0 || at + 64 > end || !isHex64(buf, at)) {
      problems.add('event', `${DATA_MEMBERS.events} line ${n}: no raw_sha256`);
      return;
    }
    if (!rawDone) return;
    eventsCrossChecked = true;
    if (!rawSet.has(buf.toString('latin1', at, at + 20))) {
      problems.add('event', `${DATA_MEMBERS.events} line ${n}: its raw record ${buf.toString('latin1', at, at + 64)} is not in ${DATA_MEMBERS.rawRecords}`);
    }
  };

  const lineCheckerFor = (name: string): ((v: unknown, n: number) => void) | undefined => {
    if (name === DATA_MEMBERS.custody) {
      return (v, n) => {
        const r = (v ?? {}) as { seq?: unknown; prev_hash?: unknown; hash?: unknown; body?: unknown };
        custody.entries++;
        if (typeof r.seq !== 'number' || typeof r.prev_hash !== 'string' || typeof r.hash !== 'string' || typeof r.body !== 'string') {
          problems.add('custody', `${name} line ${n}: not a custody entry (seq, prev_hash, hash, body)`);
          return;
        }
        if (r.seq !== custody.expectSeq) problems.add('custody', `custody entry ${r.seq}: expected sequence ${custody.expectSeq} (an entry is missing or out of order)`);
        if (r.prev_hash !== custody.prev) problems.add('custody', `custody entry ${r.seq}: does not link to the previous entry's hash`);
        if (entryHash(r.prev_hash, r.body) !== r.hash) problems.add('custody', `custody entry ${r.seq}: content does not match its hash (altered)`);
        custody.prev = r.hash;
        custody.expectSeq = r.seq + 1;
        custody.head = { seq: r.seq, hash: r.hash };
      };
    }
    if (name === DATA_MEMBERS.investigations) {
      return (v, n) => {
        const r = (v ?? {}) as { id?: unknown; result?: unknown; transcript?: unknown; sha256?: unknown };
        invChecked++;
        if (typeof r.result !== 'string' || typeof r.transcript !== 'string' || typeof r.sha256 !== 'string') {
          problems.add('investigation', `${name} line ${n}: result, transcript or sha256 missing`);
          return;
        }
        if (sha256Hex(`${r.result}\n${r.transcript}`) !== r.sha256) problems.add('investigation', `${name} line ${n} (investigation ${String(r.id)}): result and transcript do not match their sha256 (altered)`);
      };
    }
    return undefined;
  };

  try {
    await readTarGz(createReadStream(file, { highWaterMark: 1 << 20 }), onEntry, (c) => fileHash.update(c));
  } catch (err) {
    archiveOk = false;
    problems.add('archive', err instanceof ArchiveError ? `${err.message}: the bundle is damaged or incomplete; ask for it again` : `cannot read the archive: ${String(err)}`);
  }
  checks.push({ name: 'archive', ok: archiveOk, detail: archiveOk ? `${members.size} members read` : 'the archive could not be read to the end' });

  // --- signature and signer
  let fingerprint: string | null = null;
  let statement: Statement | undefined;
  let bundleKey: KeyObject | undefined;
  const pub = small.get(PUBKEY_FILE);
  if (pub) {
    bundleKey = parsePublicKey(pub.toString('utf8'));
    if (bundleKey) fingerprint = fingerprintOf(bundleKey);
    else problems.add('signature', `${PUBKEY_FILE} is not an Ed25519 public key`);
  }
  const expected = opts.expectedKey;
  const expectedFp = expected ? fingerprintOf(expected.key) : null;
  if (envelopes.length !== 1) problems.add('member', envelopes.length === 0 ? 'no signed envelope (*.dsse.json) at the top level' : `more than one envelope: ${envelopes.join(', ')}`);
  const envName = envelopes[0];
  const envBytes = envName !== undefined ? small.get(envName) : undefined;
  let sigOk = false;
  if (envBytes) {
    const parsed = parseEnvelope(envBytes.toString('utf8'));
    if ('problem' in parsed) problems.add('signature', `${envName ?? ENVELOPE_FILE}: ${parsed.problem}`);
    else {
      const env = parsed.envelope;
      if (env.payloadType !== PAYLOAD_TYPE) problems.add('signature', `envelope payloadType is ${JSON.stringify(env.payloadType)}, expected ${PAYLOAD_TYPE}`);
      const verifyKey = expected?.key ?? bundleKey;
      if (verifyKey) {
        sigOk = verifyEnvelope(env, verifyKey) >= 0;
        if (!sigOk) {
          const byBundleKey = expected && bundleKey ? verifyEnvelope(env, bundleKey) >= 0 : false;
          problems.add(
            'signature',
            byBundleKey
              ? `the signature is valid for the key in the bundle (${fingerprint ?? '?'}) but NOT for the expected key ${expectedFp ?? ''} (${expected?.source ?? ''}): the bundle was signed by someone else`
              : `the signature does not verify with ${expected ? `the expected key (${expected.source})` : PUBKEY_FILE}: the statement or the signature was altered`,
          );
        }
      }
      const st = parseStatement(Buffer.from(env.payload, 'base64').toString('utf8'));
      if ('problem' in st) problems.add('statement', st.problem);
      else statement = st.statement;
      if (fingerprint && env.signatures.every((s) => s.keyid !== '' && s.keyid !== fingerprint)) {
        problems.add('signature', `the envelope names key ${env.signatures[0]?.keyid ?? ''}, but ${PUBKEY_FILE} has fingerprint ${fingerprint}`);
      }
    }
  }
  checks.push({
    name: 'signature',
    ok: sigOk && problems.count('signature') === 0,
    detail: sigOk ? `Ed25519 signature over the DSSE PAE of the in-toto statement verifies (key ${expected ? expected.source : PUBKEY_FILE})` : 'signature not verified',
  });
  if (expected) {
    const same = fingerprint !== null && fingerprint === expectedFp;
    if (!same) problems.add('signer', `the bundle carries key ${fingerprint ?? '(none)'}, expected ${expectedFp ?? ''} (${expected.source})`);
    checks.push({ name: 'signer', ok: same && sigOk, detail: same ? `signed by the expected key (${expected.source})` : `NOT the expected key (${expected.source})` });
  } else {
    checks.push({ name: 'signer', ok: true, detail: 'no expected key given (--key): compare the fingerprint with the one you received out of band' });
  }

  // --- statement subjects vs members
  const names = [...members.keys()];
  if (statement) {
    const subj = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
    let matched = 0;
    for (const [name, digest] of subj) {
      const m = members.get(name);
      if (!m) problems.add('statement', `missing member ${name} (listed in the signed statement)`);
      else if (m.sha256 !== digest) problems.add('statement', `${name} was altered: its sha256 is ${m.sha256}, the signed statement says ${digest}`);
      else matched++;
    }
    for (const name of names) if (name !== envName && !subj.has(name)) problems.add('statement', `extra member ${name} is not covered by the signed statement`);
    if (fingerprint && statement.predicate.key_fingerprint !== fingerprint) problems.add('statement', `the statement names key ${statement.predicate.key_fingerprint}, the bundle carries ${fingerprint}`);
    checks.push({ name: 'statement', ok: problems.count('statement') === 0, detail: `${matched} of ${subj.size} signed subjects match the members${problems.count('statement') > 0 ? '; see problems' : ''}` });
  } else {
    checks.push({ name: 'statement', ok: false, detail: 'no readable signed statement' });
  }

  // --- SHA256SUMS
  const sumsBytes = small.get(SUMS_FILE);
  if (sumsBytes) {
    const { sums, problems: sp } = parseSha256Sums(sumsBytes.toString('utf8'));
    for (const p of sp) problems.add('sha256sums', p);
    let matched = 0;
    for (const [name, digest] of sums) {
      const m = members.get(name);
      if (!m) problems.add('sha256sums', `${SUMS_FILE} lists ${name}, which is not in the archive`);
      else if (m.sha256 !== digest) problems.add('sha256sums', `${name}: sha256 ${m.sha256} does not match ${SUMS_FILE} (${digest})`);
      else matched++;
    }
    for (const name of names) if (name !== envName && name !== SUMS_FILE && !sums.has(name)) problems.add('sha256sums', `${name} is not listed in ${SUMS_FILE}`);
    checks.push({ name: 'sha256sums', ok: problems.count('sha256sums') === 0, detail: `${matched} of ${sums.size} entries match` });
  }

  // --- required members
  for (const req of [SUMS_FILE, PUBKEY_FILE, MANIFEST_FILE, ...Object.values(DATA_MEMBERS), ...Object.values(REPORT_MEMBERS)]) {
    if (!members.has(req) && !(statement?.subject.some((s) => s.name === req) ?? false)) problems.add('member', `missing member ${req}`);
  }
  checks.push({ name: 'members', ok: problems.count('member') === 0, detail: `${members.size} members, ${envelopes.length} envelope` });

  // --- evidence content
  checks.push({ name: 'raw-records', ok: problems.count('raw-record') === 0, detail: `${rawChecked} raw records re-hashed` });
  checks.push({
    name: 'events',
    ok: problems.count('event') === 0,
    detail: eventsCrossChecked ? `${eventsChecked} events point to raw records in the bundle` : `${eventsChecked} events (raw-record cross-check not possible: members out of order)`,
  });
  checks.push({ name: 'investigations', ok: problems.count('investigation') === 0, detail: `${invChecked} investigation run(s): result and transcript match their sha256` });

  // --- manifest
  let manifest: BundleManifest | undefined;
  const mb = small.get(MANIFEST_FILE);
  if (mb) {
    try {
      manifest = JSON.parse(mb.toString('utf8')) as BundleManifest;
    } catch {
      problems.add('manifest', `${MANIFEST_FILE} is not valid JSON`);
    }
  }
  if (manifest) {
    for (const [name, n] of Object.entries(manifest.counts ?? {})) {
      const m = members.get(name);
      if (m?.lines !== undefined && m.lines !== n) problems.add('manifest', `${name} has ${m.lines} records, the manifest says ${n}`);
    }
    for (const f of manifest.files ?? []) {
      const m = members.get(f.path);
      if (m && (m.sha256 !== f.sha256 || m.size !== f.size)) problems.add('manifest', `${f.path} does not match the manifest's digest or size`);
    }
    const mh = manifest.custody_head;
    if (members.has(DATA_MEMBERS.custody) && (mh?.seq !== custody.head.seq || mh.hash !== custody.head.hash)) {
      problems.add('custody', `the custody log ends at entry ${custody.head.seq} (${custody.head.hash}), the manifest records head ${String(mh?.seq)} (${String(mh?.hash)})`);
    }
    if (statement && (statement.predicate.custody_head.seq !== mh?.seq || statement.predicate.custody_head.hash !== mh.hash)) {
      problems.add('manifest', 'the custody head in the manifest differs from the signed statement');
    }
  }
  checks.push({ name: 'manifest', ok: manifest !== undefined && problems.count('manifest') === 0, detail: !manifest ? 'no readable manifest' : problems.count('manifest') === 0 ? `record counts of ${Object.keys(manifest.counts ?? {}).length} members, digests and custody head match` : 'counts, digests or custody head differ from the members' });
  checks.push({
    name: 'custody',
    ok: problems.count('custody') === 0 && members.has(DATA_MEMBERS.custody),
    detail: `${custody.entries} entries walked, chain intact to head ${custody.head.hash} (entry ${custody.head.seq})`,
  });

  const list = problems.finish();
  return {
    ok: list.length === 0 && checks.every((c) => c.ok),
    bundle: file,
    bundle_sha256: archiveOk ? fileHash.digest('hex') : null,
    fingerprint,
    expected_fingerprint: expectedFp,
    expected_key_source: expected?.source ?? null,
    signed_at: statement?.predicate.signed_at ?? null,
    signer: statement?.predicate.signer ?? null,
    scope: statement?.predicate.scope ?? null,
    custody_head: statement?.predicate.custody_head ?? null,
    members: members.size,
    checks,
    problems: list,
  };
}
