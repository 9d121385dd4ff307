/**
 * `irctl verify BUNDLE`: offline verification of an evidence bundle, streamed (a bundle of a million events is never
 * held in memory). Checks, in one pass over the archive: the DSSE signature (Ed25519 over the PAE) and who signed
 * (a pinned key, a trusted key, the case key, or nobody known), every member against the signed in-toto statement
 * and against SHA256SUMS, missing and extra members, every raw record's SHA-256, that every event's raw record, every
 * raw record's event and every raw record's input are in the bundle, the custody chain, investigation hashes, and
 * the manifest's counts. Reports exactly what does not match.
 *
 * A bundle may be hostile: every cost is bounded (VERIFY_LIMITS). Lines are cut in linear time and capped, only a
 * few small members are held in memory, and only up to a size, the archive may not inflate beyond a ratio nor hold
 * more members than a bundle could, and the cross-checks keep compact keys rather than strings.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { entryHash, GENESIS_HASH } from '../store/custody.js';
import { COMMITTED_COLUMNS, singleRowCommitment } from '../store/commitment.js';
import { sha256Hex } from '../util/hash.js';
import { ArchiveError, ArchiveLimitError, readTarGz, type ArchiveEntry } from './bundle.js';
import { MAX_ENVELOPE_BYTES, parseEnvelope, verifyEnvelope } from './dsse.js';
import { hexKey, KeySet, stringKey } from './key-set.js';
import { fingerprintOf, parsePublicKey } from './keys.js';
import { eachLine, JsonLines, LineCutter, MAX_JSON_VALUES, MAX_LINE_BYTES, type LinePiece } from './lines.js';
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
import { startRawCheck, type RawKeys } from './raw-check.js';

/** A public key and where it came from (shown in the output). */
export interface KnownKey {
  key: KeyObject;
  /** e.g. `--key partner.pub.pem`, `trusted key ~/.config/irctl/trusted-keys/ab12....pub.pem`, `case key ...`. */
  source: string;
}

/** Options of a verification. */
export interface VerifyOptions {
  /** The key the bundle must be signed by (`--key`): a bundle signed by any other key fails (exit 5). */
  expectedKey?: KnownKey | undefined;
  /**
   * Keys the user trusts (the trusted-keys directory, the case key), used when no `expectedKey` is given: a bundle
   * signed by one of them is authenticated; by any other key it is intact at best, and its signer not
   * authenticated (exit 9).
   */
  trustedKeys?: readonly KnownKey[] | undefined;
  /**
   * Check raw records on a worker thread (when irctl runs compiled): `auto` does so for members of at least
   * {@link THREAD_MIN_BYTES}. @default 'auto'
   */
  thread?: boolean | 'auto' | undefined;
}

/** Below this size a raw-records member is checked in-thread (a thread costs more to start than it saves). */
export const THREAD_MIN_BYTES = 32 << 20;

/**
 * What verify is willing to read. A bundle irctl writes has 19 members, one envelope, small members of a few KB,
 * and inflates about ten times; anything beyond these is reported (exit 5) instead of being read.
 */
export const VERIFY_LIMITS = {
  /** Archive entries; beyond this the archive is not read further. */
  members: 1000,
  /** Top-level `*.dsse.json` members; only the first is read, and beyond this many the archive is not read further. */
  envelopes: 16,
  /** Members held in memory whole (manifest, SHA256SUMS, public key, envelope), in bytes. */
  smallMember: MAX_ENVELOPE_BYTES,
  /** Characters of a member name. */
  name: 255,
  /** Bytes of one NDJSON line. */
  line: MAX_LINE_BYTES,
  /** JSON values in one line longer than 1 MiB. */
  jsonValues: MAX_JSON_VALUES,
  /** Inflated bytes: at most `slack` plus `ratio` times the compressed bytes read so far. */
  inflate: { ratio: 100, slack: 16 << 20 },
} as const;

/** One thing that was checked. */
export interface VerifyCheck {
  /**
   * Short name: archive, signature, signer, statement, sha256sums, members, format, raw-records, events, references,
   * investigations, manifest, custody.
   */
  name: string;
  /** Whether it held. */
  ok: boolean;
  /** What was checked (counts) or why it failed. */
  detail: string;
}

/** Result of verifying a bundle. */
export interface VerifyReport {
  /** True only when the bundle is intact and its signer authenticated (exit 0). */
  ok: boolean;
  /** Every integrity check held: signature, digests, records, references, custody, manifest (else exit 5). */
  intact: boolean;
  /** The signature verifies with a pinned or trusted key (else, when intact, exit 9). */
  authenticated: boolean;
  /** Bundle path. */
  bundle: string;
  /** SHA-256 of the bundle file. */
  bundle_sha256: string | null;
  /** Fingerprint of the key in the bundle (sha256 of DER SubjectPublicKeyInfo, hex). */
  fingerprint: string | null;
  /** Fingerprint of the expected key, when one was given (`--key`). */
  expected_fingerprint: string | null;
  /** Where the expected key came from. */
  expected_key_source: string | null;
  /** The pinned or trusted key the signature was authenticated with, when it was. */
  signer_key_source: string | null;
  /** From the signed statement (when it could be read). */
  signed_at: string | null;
  signer: { os_user: string; host: string; tool_version: string } | null;
  scope: unknown;
  custody_head: { seq: number; hash: string } | null;
  /** Members read. */
  members: number;
  /** What was checked. */
  checks: VerifyCheck[];
  /** Containment actions the bundle records (containment/actions.ndjson), oldest first, capped at 1,000. */
  actions: BundleAction[];
  /** Every mismatch, one sentence each (long runs of the same kind are summarized). */
  problems: string[];
}

/** One containment action as `irctl verify` shows it. */
export interface BundleAction {
  id: number;
  threat_id: string;
  step_id: string;
  kind: string;
  target: string;
  operation: string;
  status: string;
  approver: string;
  finished_at: string;
  custody_seq: number;
}

/** Actions kept for the cross-check with the custody log (a bundle holds a handful). */
const MAX_ACTIONS = 100_000;

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

const RAW_SHA_KEY = Buffer.from('"raw_sha256":"', 'latin1');
const ID_KEY = Buffer.from('{"id":"', 'latin1');

/** True when `buf[at..at+64)` is 64 lower-case hex digits. */
function isHex64(buf: Buffer, at: number): boolean {
  if (at + 64 > buf.length) return false;
  for (let i = at; i < at + 64; i++) {
    const c = buf[i] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/**
 * The id of an event line (`{"id":"...",` comes first, see iterEventLines), read from its bytes: the string as
 * JSON.parse would give it, or undefined when the line does not start that way.
 */
function eventLineId(buf: Buffer, start: number, end: number): string | undefined {
  if (end - start < ID_KEY.length + 1 || buf.compare(ID_KEY, 0, ID_KEY.length, start, start + ID_KEY.length) !== 0) return undefined;
  const from = start + ID_KEY.length;
  let escaped = false;
  for (let i = from; i < end; i++) {
    const c = buf[i] as number;
    if (c === 0x5c) {
      escaped = true;
      i++;
    } else if (c === 0x22) {
      if (!escaped) return buf.toString('utf8', from, i);
      try {
        return JSON.parse(buf.toString('utf8', from - 1, i + 1)) as string;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A member name fit for a message (names are attacker-chosen). */
function shown(name: string): string {
  return name.length > 80 ? `${name.slice(0, 80)}...` : name;
}

interface MemberInfo {
  sha256: string;
  size: number;
  lines?: number;
}

/** One pass over the archive: every member hashed, NDJSON members checked line by line, small members kept. */
class BundleReader {
  readonly problems = new Problems();
  readonly members = new Map<string, MemberInfo>();
  readonly small = new Map<string, Buffer>();
  readonly envelopes: string[] = [];
  readonly custody = { entries: 0, prev: GENESIS_HASH, expectSeq: 1, head: { seq: 0, hash: GENESIS_HASH } };
  raw: RawKeys | undefined;
  rawChecked = 0;
  /** Input ids of the inputs member (id + 1), once read. */
  inputIds: KeySet | undefined;
  eventsChecked = 0;
  eventsCrossChecked = false;
  invChecked = 0;
  /** Lines of the actions member (values as stored, with their custody position). */
  readonly actionLines: Array<{ n: number; row: Record<string, unknown> }> = [];
  /** `contain.step` custody entries by seq: hash and details. */
  readonly containSteps = new Map<number, { hash: string; details: Record<string, unknown> }>();
  private entries = 0;
  private readonly thread: boolean | 'auto';
  private readonly ndjson = new Set<string>(Object.values(DATA_MEMBERS));
  private readonly smallNames = new Set<string>([SUMS_FILE, PUBKEY_FILE, MANIFEST_FILE]);

  constructor(thread: boolean | 'auto') {
    this.thread = thread;
  }

  readonly onEntry = async (e: ArchiveEntry): Promise<void> => {
    const name = e.name;
    if (++this.entries > VERIFY_LIMITS.members) {
      throw new ArchiveLimitError(`the archive has more than ${VERIFY_LIMITS.members} members (a bundle has about 20): not read further`);
    }
    if (e.type !== 'file') {
      this.problems.add('member', `unexpected ${e.type} entry "${shown(name)}" in the archive (bundles hold regular files only)`);
      return;
    }
    if (name.length > VERIFY_LIMITS.name) {
      this.problems.add('member', `a member's name is ${name.length} characters long ("${shown(name)}"): not a bundle member, not read`);
      return;
    }
    if (name.startsWith('/') || name.split('/').includes('..')) this.problems.add('member', `member "${name}" has an absolute or parent-relative path`);
    if (this.members.has(name)) this.problems.add('member', `member "${name}" appears twice in the archive`);
    const isEnvelope = !name.includes('/') && name.endsWith('.dsse.json');
    if (isEnvelope) {
      if (this.envelopes.length >= VERIFY_LIMITS.envelopes) {
        throw new ArchiveLimitError(`the archive has more than ${VERIFY_LIMITS.envelopes} envelopes (*.dsse.json; a bundle has one): not read further`);
      }
      this.envelopes.push(name);
    }
    // Only the first envelope is read: a second one is a problem whatever it holds.
    const keep = (isEnvelope && this.envelopes.length === 1) || this.smallNames.has(name);
    const hash = createHash('sha256');
    let size = 0;
    let parts: Buffer[] = [];
    const onChunk = (c: Buffer): void => {
      hash.update(c);
      size += c.length;
      if (!keep) return;
      if (size <= VERIFY_LIMITS.smallMember) parts.push(c);
      else parts = [];
    };
    let lines: number | undefined;
    if (name === DATA_MEMBERS.rawRecords) lines = await this.readRawRecords(e, onChunk);
    else if (this.ndjson.has(name)) lines = await this.readNdjson(name, e.stream, onChunk);
    else for await (const c of e.stream) onChunk(c);
    if (keep) {
      if (size > VERIFY_LIMITS.smallMember) this.problems.add('member', `${name} is ${size} bytes, more than a bundle ever writes (${VERIFY_LIMITS.smallMember}): not read`);
      else this.small.set(name, Buffer.concat(parts));
    }
    const info: MemberInfo = { sha256: hash.digest('hex'), size };
    if (lines !== undefined) info.lines = lines;
    this.members.set(name, info);
  };

  private async readRawRecords(e: ArchiveEntry, onChunk: (c: Buffer) => void): Promise<number> {
    const check = startRawCheck(e.name, this.thread === true || (this.thread === 'auto' && e.size >= THREAD_MIN_BYTES));
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
    this.rawChecked = res.checked;
    for (const g of res.problems) this.problems.addGroup(g.kind, g.messages, g.total);
    this.raw = res.keys;
    return res.lines;
  }

  /** An NDJSON member other than the raw records: lines cut with the caps, each checked by the member's checker. */
  private async readNdjson(name: string, stream: AsyncIterable<Buffer>, onChunk: (c: Buffer) => void): Promise<number> {
    const json = new JsonLines(name, (_n, text) => this.problems.add('format', text));
    const check = this.lineCheckerFor(name, json);
    const cutter = new LineCutter(VERIFY_LIMITS.line, (n) => this.problems.add('format', `${name} line ${n} is longer than ${VERIFY_LIMITS.line >> 20} MiB: not read`));
    const each = (p: LinePiece): void => eachLine(p, (start, end, n) => check(p.buf, start, end, n));
    for await (const c of stream) {
      onChunk(c);
      const p = cutter.take(c);
      if (p) each(p);
    }
    const p = cutter.finish();
    if (p) each(p);
    // One message per member: a broken member would repeat it a million times.
    if (json.firstBad !== null) this.problems.add('format', `${name} line ${json.firstBad} is not valid JSON`);
    return cutter.count;
  }

  private lineCheckerFor(name: string, json: JsonLines): (buf: Buffer, start: number, end: number, n: number) => void {
    // A million events: take id and raw_sha256 (the first and the last key, see iterEventLines) from the line's bytes
    // without decoding or parsing it; the member's bytes are covered by the signed digest anyway.
    if (name === DATA_MEMBERS.events) {
      // Events are checked against the raw records as they stream, so the raw records must come first (they do in
      // the sorted order irctl writes).
      this.eventsCrossChecked = this.raw !== undefined;
      return (buf, start, end, n) => this.checkEventLine(buf, start, end, n);
    }
    const parsed = (each: (v: unknown, n: number) => void) => (buf: Buffer, start: number, end: number, n: number) => {
      const line = json.parse(buf, start, end, n);
      if (line) each(line.value, n);
    };
    if (name === DATA_MEMBERS.custody) return parsed((v, n) => this.checkCustodyLine(v, n));
    if (name === DATA_MEMBERS.investigations) return parsed((v, n) => this.checkInvestigationLine(v, n));
    if (name === DATA_MEMBERS.actions) {
      return parsed((v, n) => {
        if (this.actionLines.length >= MAX_ACTIONS) this.problems.add('actions', `${name} has more than ${MAX_ACTIONS} lines: the rest are not checked`);
        else if (v !== null && typeof v === 'object' && !Array.isArray(v)) this.actionLines.push({ n, row: v as Record<string, unknown> });
        else this.problems.add('actions', `${name} line ${n}: not an action object`);
      });
    }
    if (name === DATA_MEMBERS.inputs) {
      const ids = (this.inputIds = new KeySet(64));
      return parsed((v, n) => {
        const id = (v as { id?: unknown } | null)?.id;
        if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) ids.add(id + 1, n);
        else this.problems.add('reference', `${name} line ${n}: an input without an id`);
      });
    }
    return parsed(() => undefined);
  }

  private checkEventLine(buf: Buffer, start: number, end: number, n: number): void {
    this.eventsChecked++;
    const key = end > start ? buf.lastIndexOf(RAW_SHA_KEY, end - 1) : -1;
    const at = key >= start ? key + RAW_SHA_KEY.length : -1;
    if (at < 0 || at + 64 > end || !isHex64(buf, at)) {
      this.problems.add('event', `${DATA_MEMBERS.events} line ${n}: no raw_sha256`);
      return;
    }
    const id = eventLineId(buf, start, end);
    if (id === undefined) this.problems.add('event', `${DATA_MEMBERS.events} line ${n}: no event id`);
    const raw = this.raw;
    if (!raw || !this.eventsCrossChecked) return;
    if (id !== undefined) raw.events.mark(stringKey(id));
    if (!raw.sha.has(hexKey(buf.toString('latin1', at, at + 13)))) {
      this.problems.add('event', `${DATA_MEMBERS.events} line ${n}: its raw record ${buf.toString('latin1', at, at + 64)} is not in ${DATA_MEMBERS.rawRecords}`);
    }
  }

  private checkCustodyLine(v: unknown, n: number): void {
    const c = this.custody;
    const r = (v ?? {}) as { seq?: unknown; prev_hash?: unknown; hash?: unknown; body?: unknown };
    c.entries++;
    if (typeof r.seq !== 'number' || typeof r.prev_hash !== 'string' || typeof r.hash !== 'string' || typeof r.body !== 'string') {
      this.problems.add('custody', `${DATA_MEMBERS.custody} line ${n}: not a custody entry (seq, prev_hash, hash, body)`);
      return;
    }
    if (r.seq !== c.expectSeq) this.problems.add('custody', `custody entry ${r.seq}: expected sequence ${c.expectSeq} (an entry is missing or out of order)`);
    if (r.prev_hash !== c.prev) this.problems.add('custody', `custody entry ${r.seq}: does not link to the previous entry's hash`);
    if (entryHash(r.prev_hash, r.body) !== r.hash) this.problems.add('custody', `custody entry ${r.seq}: content does not match its hash (altered)`);
    if (r.body.includes('"action":"contain.step"')) {
      try {
        const b = JSON.parse(r.body) as { action?: unknown; details?: unknown };
        if (b.action === 'contain.step' && b.details !== null && typeof b.details === 'object') this.containSteps.set(r.seq, { hash: r.hash, details: b.details as Record<string, unknown> });
      } catch {
        // a body that is not JSON is reported by the hash check and `case verify`
      }
    }
    c.prev = r.hash;
    c.expectSeq = r.seq + 1;
    c.head = { seq: r.seq, hash: r.hash };
  }

  private checkInvestigationLine(v: unknown, n: number): void {
    const r = (v ?? {}) as { id?: unknown; result?: unknown; transcript?: unknown; sha256?: unknown };
    this.invChecked++;
    if (typeof r.result !== 'string' || typeof r.transcript !== 'string' || typeof r.sha256 !== 'string') {
      this.problems.add('investigation', `${DATA_MEMBERS.investigations} line ${n}: result, transcript or sha256 missing`);
      return;
    }
    if (sha256Hex(`${r.result}\n${r.transcript}`) !== r.sha256) {
      this.problems.add('investigation', `${DATA_MEMBERS.investigations} line ${n} (investigation ${String(r.id)}): result and transcript do not match their sha256 (altered)`);
    }
  }
}

/**
 * Verify a bundle file. Never throws for a bad bundle: problems are in the report. A bundle whose members are out of
 * the order irctl writes them in (sorted) cannot have its events checked against its raw records: that is a problem.
 */
export async function verifyBundle(file: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const r = new BundleReader(opts.thread ?? 'auto');
  const { problems, members } = r;
  const checks: VerifyCheck[] = [];
  const fileHash = createHash('sha256');
  let archiveOk = true;
  try {
    await readTarGz(createReadStream(file, { highWaterMark: 1 << 20 }), r.onEntry, (c) => fileHash.update(c), VERIFY_LIMITS.inflate);
  } catch (err) {
    archiveOk = false;
    problems.add(
      'archive',
      err instanceof ArchiveLimitError
        ? `${err.message}; this is not a bundle irctl wrote`
        : err instanceof ArchiveError
          ? `${err.message}: the bundle is damaged or incomplete; ask for it again`
          : `cannot read the archive: ${String(err)}`,
    );
  }
  checks.push({ name: 'archive', ok: archiveOk, detail: archiveOk ? `${members.size} members read` : 'the archive could not be read to the end' });

  const sig = checkSignature(r, opts, checks);
  const statement = sig.statement;
  checkStatement(r, statement, sig.fingerprint, checks);
  checkSums(r, checks);

  // --- required members
  for (const req of [SUMS_FILE, PUBKEY_FILE, MANIFEST_FILE, ...Object.values(DATA_MEMBERS), ...Object.values(REPORT_MEMBERS)]) {
    if (!members.has(req) && !(statement?.subject.some((s) => s.name === req) ?? false)) problems.add('member', `missing member ${req}`);
  }
  checks.push({ name: 'members', ok: problems.count('member') === 0, detail: `${members.size} members, ${r.envelopes.length} envelope` });
  checks.push({ name: 'format', ok: problems.count('format') === 0, detail: problems.count('format') === 0 ? 'every NDJSON line is JSON within the limits' : 'lines that are not JSON or are over the limits' });

  // --- evidence content
  checks.push({ name: 'raw-records', ok: problems.count('raw-record') === 0, detail: `${r.rawChecked} raw records re-hashed` });
  if (members.has(DATA_MEMBERS.events) && members.has(DATA_MEMBERS.rawRecords) && !r.eventsCrossChecked && (r.eventsChecked > 0 || r.rawChecked > 0)) {
    problems.add('event', `${DATA_MEMBERS.events} comes before ${DATA_MEMBERS.rawRecords} in the archive (irctl writes members sorted): events cannot be checked against raw records`);
  }
  checks.push({ name: 'events', ok: problems.count('event') === 0, detail: `${r.eventsChecked} events point to raw records in the bundle` });
  checkReferences(r, checks);
  checks.push({ name: 'investigations', ok: problems.count('investigation') === 0, detail: `${r.invChecked} investigation run(s): result and transcript match their sha256` });
  checkManifest(r, statement, checks);
  const actions = checkActions(r, checks);
  checks.push({
    name: 'custody',
    ok: problems.count('custody') === 0 && members.has(DATA_MEMBERS.custody),
    detail: `${r.custody.entries} entries walked, chain intact to head ${r.custody.head.hash} (entry ${r.custody.head.seq})`,
  });

  const list = problems.finish();
  const intact = list.length === 0 && checks.every((c) => c.ok || c.name === 'signer');
  return {
    ok: intact && sig.authenticated,
    intact,
    authenticated: sig.authenticated,
    bundle: file,
    bundle_sha256: archiveOk ? fileHash.digest('hex') : null,
    fingerprint: sig.fingerprint,
    expected_fingerprint: opts.expectedKey ? fingerprintOf(opts.expectedKey.key) : null,
    expected_key_source: opts.expectedKey?.source ?? null,
    signer_key_source: sig.authenticated ? sig.source : null,
    signed_at: statement?.predicate.signed_at ?? null,
    signer: statement?.predicate.signer ?? null,
    scope: statement?.predicate.scope ?? null,
    custody_head: statement?.predicate.custody_head ?? null,
    members: members.size,
    checks,
    actions,
    problems: list,
  };
}

/**
 * The envelope's signature, and who made it: with `expectedKey` the signature must verify with that key; otherwise
 * it must verify with the key in the bundle, which is authenticated only if it is one of `trustedKeys`.
 */
function checkSignature(
  r: BundleReader,
  opts: VerifyOptions,
  checks: VerifyCheck[],
): { statement: Statement | undefined; fingerprint: string | null; authenticated: boolean; source: string | null } {
  const { problems } = r;
  let fingerprint: string | null = null;
  let statement: Statement | undefined;
  let bundleKey: KeyObject | undefined;
  const pub = r.small.get(PUBKEY_FILE);
  if (pub) {
    bundleKey = parsePublicKey(pub.toString('utf8'));
    if (bundleKey) fingerprint = fingerprintOf(bundleKey);
    else problems.add('signature', `${PUBKEY_FILE} is not an Ed25519 public key`);
  }
  const expected = opts.expectedKey;
  const expectedFp = expected ? fingerprintOf(expected.key) : null;
  if (r.envelopes.length !== 1) problems.add('member', r.envelopes.length === 0 ? 'no signed envelope (*.dsse.json) at the top level' : `more than one envelope: ${r.envelopes.join(', ')}`);
  const envName = r.envelopes[0];
  const envBytes = envName !== undefined ? r.small.get(envName) : undefined;
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
    return { statement, fingerprint, authenticated: same && sigOk, source: expected.source };
  }
  const trusted = fingerprint === null ? undefined : (opts.trustedKeys ?? []).find((k) => fingerprintOf(k.key) === fingerprint);
  const authenticated = sigOk && trusted !== undefined;
  checks.push({
    name: 'signer',
    ok: authenticated,
    detail: authenticated
      ? `signed by a key you trust (${trusted?.source ?? ''})`
      : `NOT AUTHENTICATED: key ${fingerprint ?? '(none)'} is not pinned with --key, not in your trusted keys and not the case key`,
  });
  return { statement, fingerprint, authenticated, source: trusted?.source ?? null };
}

/** Members against the signed statement's subjects. */
function checkStatement(r: BundleReader, statement: Statement | undefined, fingerprint: string | null, checks: VerifyCheck[]): void {
  const { problems, members } = r;
  if (!statement) {
    checks.push({ name: 'statement', ok: false, detail: 'no readable signed statement' });
    return;
  }
  const envName = r.envelopes[0];
  const subj = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
  let matched = 0;
  for (const [name, digest] of subj) {
    const m = members.get(name);
    if (!m) problems.add('statement', `missing member ${name} (listed in the signed statement)`);
    else if (m.sha256 !== digest) problems.add('statement', `${name} was altered: its sha256 is ${m.sha256}, the signed statement says ${digest}`);
    else matched++;
  }
  for (const name of members.keys()) if (name !== envName && !subj.has(name)) problems.add('statement', `extra member ${name} is not covered by the signed statement`);
  if (fingerprint && statement.predicate.key_fingerprint !== fingerprint) problems.add('statement', `the statement names key ${statement.predicate.key_fingerprint}, the bundle carries ${fingerprint}`);
  checks.push({ name: 'statement', ok: problems.count('statement') === 0, detail: `${matched} of ${subj.size} signed subjects match the members${problems.count('statement') > 0 ? '; see problems' : ''}` });
}

/** Members against SHA256SUMS. */
function checkSums(r: BundleReader, checks: VerifyCheck[]): void {
  const { problems, members } = r;
  const sumsBytes = r.small.get(SUMS_FILE);
  if (!sumsBytes) return;
  const envName = r.envelopes[0];
  const { sums, problems: sp } = parseSha256Sums(sumsBytes.toString('utf8'));
  for (const p of sp) problems.add('sha256sums', p);
  let matched = 0;
  for (const [name, digest] of sums) {
    const m = members.get(name);
    if (!m) problems.add('sha256sums', `${SUMS_FILE} lists ${name}, which is not in the archive`);
    else if (m.sha256 !== digest) problems.add('sha256sums', `${name}: sha256 ${m.sha256} does not match ${SUMS_FILE} (${digest})`);
    else matched++;
  }
  for (const name of members.keys()) if (name !== envName && name !== SUMS_FILE && !sums.has(name)) problems.add('sha256sums', `${name} is not listed in ${SUMS_FILE}`);
  checks.push({ name: 'sha256sums', ok: problems.count('sha256sums') === 0, detail: `${matched} of ${sums.size} entries match` });
}

/**
 * Every raw record's input is in the inputs member and its event in the events member (a bundle read from one state
 * of the case always has them; one assembled from reads at different times may not).
 */
function checkReferences(r: BundleReader, checks: VerifyCheck[]): void {
  const { problems, members } = r;
  const raw = r.raw;
  const name = DATA_MEMBERS.rawRecords;
  if (raw && r.inputIds && members.has(DATA_MEMBERS.inputs)) {
    const inputIds = r.inputIds;
    const { entries, total } = raw.inputs.select((key) => !inputIds.has(key), PER_KIND_CAP);
    problems.addGroup('reference', entries.map(([key, line]) => `${name} line ${line}: its input ${key - 1} is not in ${DATA_MEMBERS.inputs}`), total);
  }
  if (raw && members.has(DATA_MEMBERS.events) && r.eventsCrossChecked) {
    const { values, total } = raw.events.unmarked(PER_KIND_CAP);
    problems.addGroup('reference', values.map((line) => `${name} line ${line}: its event is not in ${DATA_MEMBERS.events}`), total);
  }
  const n = problems.count('reference');
  checks.push({
    name: 'references',
    ok: n === 0,
    detail: n === 0 ? `every raw record's input is in ${DATA_MEMBERS.inputs} and its event in ${DATA_MEMBERS.events}` : `${n} raw record reference(s) point outside the bundle`,
  });
}

/** Shape of manifest.json as far as verify relies on it. */
function readManifest(bytes: Buffer): BundleManifest | string {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return `${MANIFEST_FILE} is not valid JSON`;
  }
  const m = (v ?? {}) as Partial<Record<keyof BundleManifest, unknown>>;
  const counts = m.counts;
  if (counts === null || typeof counts !== 'object' || Array.isArray(counts) || !Object.values(counts).every((c) => typeof c === 'number')) return `${MANIFEST_FILE} has no record counts`;
  if (!Array.isArray(m.files) || !m.files.every((f: unknown) => f !== null && typeof f === 'object' && typeof (f as { path?: unknown }).path === 'string')) return `${MANIFEST_FILE} has no file list`;
  return v as BundleManifest;
}

/** The manifest's counts, digests and custody head against the members. */
function checkManifest(r: BundleReader, statement: Statement | undefined, checks: VerifyCheck[]): void {
  const { problems, members, custody } = r;
  const mb = r.small.get(MANIFEST_FILE);
  const read = mb ? readManifest(mb) : undefined;
  if (typeof read === 'string') problems.add('manifest', read);
  const manifest = typeof read === 'string' ? undefined : read;
  if (manifest) {
    const counted = new Set(Object.keys(manifest.counts));
    for (const [name, n] of Object.entries(manifest.counts)) {
      const m = members.get(name);
      if (!m) problems.add('manifest', `the manifest counts ${n} records in ${name}, which is not in the archive`);
      else if (m.lines !== undefined && m.lines !== n) problems.add('manifest', `${name} has ${m.lines} records, the manifest says ${n}`);
    }
    for (const name of Object.values(DATA_MEMBERS)) if (members.has(name) && !counted.has(name)) problems.add('manifest', `the manifest has no record count for ${name}`);
    const listed = new Set<string>();
    for (const f of manifest.files) {
      listed.add(f.path);
      const m = members.get(f.path);
      if (!m) problems.add('manifest', `the manifest lists ${f.path}, which is not in the archive`);
      else if (m.sha256 !== f.sha256 || m.size !== f.size) problems.add('manifest', `${f.path} does not match the manifest's digest or size`);
      else if (f.records !== undefined && m.lines !== undefined && f.records !== m.lines) problems.add('manifest', `${f.path} has ${m.lines} records, the manifest's file list says ${f.records}`);
    }
    for (const name of [...Object.values(DATA_MEMBERS), ...Object.values(REPORT_MEMBERS)]) if (members.has(name) && !listed.has(name)) problems.add('manifest', `${name} is not in the manifest's file list`);
    const mh = manifest.custody_head as BundleManifest['custody_head'] | undefined;
    if (members.has(DATA_MEMBERS.custody) && (mh?.seq !== custody.head.seq || mh.hash !== custody.head.hash)) {
      problems.add('custody', `the custody log ends at entry ${custody.head.seq} (${custody.head.hash}), the manifest records head ${String(mh?.seq)} (${String(mh?.hash)})`);
    }
    if (statement && (statement.predicate.custody_head.seq !== mh?.seq || statement.predicate.custody_head.hash !== mh.hash)) {
      problems.add('manifest', 'the custody head in the manifest differs from the signed statement');
    }
  }
  checks.push({
    name: 'manifest',
    ok: manifest !== undefined && problems.count('manifest') === 0,
    detail: !manifest
      ? 'no readable manifest'
      : problems.count('manifest') === 0
        ? `record counts of ${Object.keys(manifest.counts).length} members, digests and custody head match`
        : 'counts, digests or custody head differ from the members',
  });
}

/**
 * Containment actions against the custody log: each action line names the `contain.step` entry that recorded it; that
 * entry must be in the bundle's chain with the same hash, name the action's id, and commit to the action's values.
 */
function checkActions(r: BundleReader, checks: VerifyCheck[]): BundleAction[] {
  const { problems } = r;
  const name = DATA_MEMBERS.actions;
  const out: BundleAction[] = [];
  const haveCustody = r.members.has(DATA_MEMBERS.custody);
  for (const { n, row } of r.actionLines) {
    const seq = row.custody_seq;
    const id = row.id;
    if (typeof seq !== 'number' || typeof id !== 'number' || typeof row.custody_hash !== 'string') {
      problems.add('actions', `${name} line ${n}: no id, custody_seq or custody_hash`);
      continue;
    }
    if (haveCustody) {
      const entry = r.containSteps.get(seq);
      if (!entry) problems.add('actions', `${name} line ${n} (action ${id}): custody entry ${seq} is not a contain.step entry of the bundle's custody log`);
      else if (entry.hash !== row.custody_hash) problems.add('actions', `${name} line ${n} (action ${id}): custody entry ${seq} has another hash than the action names`);
      else if (entry.details.action_id !== id) problems.add('actions', `${name} line ${n} (action ${id}): custody entry ${seq} records action ${String(entry.details.action_id)}`);
      else {
        const values = COMMITTED_COLUMNS.actions.map((c) => {
          const v = row[c];
          return typeof v === 'string' || typeof v === 'number' ? v : null;
        });
        const got = singleRowCommitment('actions', values).actions;
        const claimed = (entry.details.commitment as { actions?: { count?: unknown; sha256?: unknown } } | undefined)?.actions;
        if (!got || !claimed || claimed.sha256 !== got.sha256 || claimed.count !== got.count) {
          problems.add('actions', `${name} line ${n} (action ${id}): its values differ from what custody entry ${seq} commits to (altered)`);
        }
      }
    }
    if (out.length < 1000) {
      const s = (k: string): string => (typeof row[k] === 'string' ? (row[k]) : '');
      out.push({ id, threat_id: s('threat_id'), step_id: s('step_id'), kind: s('kind'), target: s('target'), operation: s('operation'), status: s('status'), approver: s('approver'), finished_at: s('finished_at'), custody_seq: seq });
    }
  }
  const bad = problems.count('actions');
  checks.push({
    name: 'actions',
    ok: bad === 0,
    detail: bad === 0 ? `${r.actionLines.length} containment action(s), each committed by its custody entry` : `${bad} containment action problem(s)`,
  });
  return out;
}
