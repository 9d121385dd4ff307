/**
 * Custody seals and anchors (issue 11). Someone who can write the case database can cut the end of the custody log
 * or put back an older copy of the database, and the chain still checks out; only a head kept outside the case shows
 * it. Three kinds of anchor are accepted by `irctl case verify`:
 *
 * - `--head [SEQ:]HASH`: a head written down (ticket, notebook) from any command that extends the chain;
 * - `--bundle FILE`: the head an exported bundle records in its manifest;
 * - `--seal FILE`: a seal made by `irctl case seal`, the head (seq, hash, time) and the case id signed with the
 *   case key, small enough to mail, attach to a ticket or put in a WORM bucket.
 *
 * A seal is a DSSE envelope (as `bundle.dsse.json` is) whose payload is canonical JSON, so it can be checked with
 * openssl alone (docs/export.md). The case id is the hash of the case's first custody entry.
 */
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { ConfigError, IntegrityError, UsageError, errorMessage } from '../errors.js';
import { parseEnvelope, serializeEnvelope, signEnvelope, verifyEnvelope } from '../export/dsse.js';
import { caseKeyPaths, fingerprintOf, loadPublicKeyFile, loadSigningKey } from '../export/keys.js';
import { chainHead, type ChainHead } from '../store/custody.js';
import type { Db } from '../store/db.js';
import { custodyEntryAt, custodySeqsOfHash } from '../store/verify-repo.js';
import { canonicalJson } from '../util/hash.js';
import type { CaseHandle } from './case.js';

/** DSSE payload type of a seal. */
export const SEAL_PAYLOAD_TYPE = 'application/vnd.irctl.custody-seal+json';
/** `format` of a seal's payload. */
export const SEAL_FORMAT = 'irctl-custody-seal/1';

/** What a seal signs. */
export interface SealPayload {
  /** {@link SEAL_FORMAT}. */
  format: string;
  /** Hash of the case's first custody entry. */
  case_id: string;
  /** Sequence number of the sealed head. */
  seq: number;
  /** Hash of the sealed head. */
  hash: string;
  /** Time of the sealed entry. */
  time: string;
  /** When the seal was made. */
  sealed_at: string;
  /** Fingerprint of the signing key. */
  key_fingerprint: string;
}

/** A head to look for in the chain, and where it came from. */
export interface Anchor {
  /** `--head`, `bundle FILE`, `seal FILE`: for messages. */
  source: string;
  /** Sequence number, when the anchor records one. */
  seq: number | undefined;
  /** Entry hash. */
  hash: string;
}

/** Outcome of checking one anchor. */
export interface AnchorResult extends Anchor {
  /** True when the chain contains the head at its sequence number. */
  ok: boolean;
  /** What was found, in a sentence. */
  message: string;
}

/** Hash of the first custody entry: the case id a seal names. */
export function caseId(db: Db): string | undefined {
  return custodyEntryAt(db, 1)?.hash;
}

/** Sign the current head with the case key and write the seal file. Reads the case only. */
export function writeSeal(kase: CaseHandle, out: string, now: Date): { payload: SealPayload; file: string } {
  if (existsSync(out)) throw new UsageError(`${out} already exists`, { hint: 'Choose another --out path (seals are never overwritten).' });
  const { privatePath } = caseKeyPaths(kase.keysDir);
  if (!existsSync(privatePath)) {
    throw new ConfigError(`the case has no signing key (${privatePath})`, { hint: 'Create one with `irctl keys generate` (export also creates one on first use), then seal.' });
  }
  const key = loadSigningKey(privatePath);
  const head = chainHead(kase.db);
  const id = caseId(kase.db);
  if (head.seq === 0 || id === undefined) throw new UsageError('the custody log is empty: nothing to seal yet', { hint: 'Import or collect evidence first.' });
  const entry = custodyEntryAt(kase.db, head.seq);
  const t = entry ? (JSON.parse(entry.body) as { time?: unknown }).time : undefined;
  const time = typeof t === 'string' ? t : '';
  const payload: SealPayload = { format: SEAL_FORMAT, case_id: id, seq: head.seq, hash: head.hash, time, sealed_at: now.toISOString(), key_fingerprint: key.fingerprint };
  const env = signEnvelope(Buffer.from(canonicalJson(payload), 'utf8'), SEAL_PAYLOAD_TYPE, key.privateKey, key.fingerprint);
  try {
    writeFileSync(out, serializeEnvelope(env), { flag: 'wx', mode: 0o644 });
  } catch (err) {
    throw new ConfigError(`cannot write the seal to ${out}: ${errorMessage(err)}`, { cause: err });
  }
  return { payload, file: out };
}

/**
 * Read a seal and check its signature against the case's public key. Problems (a bad signature, another case) are
 * returned, not thrown, so that `case verify` reports them with everything else; an unreadable file throws.
 */
export function readSeal(db: Db, keysDir: string, file: string): { anchor: Anchor; payload: SealPayload | undefined; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the seal ${file}: ${errorMessage(err)}`, { cause: err });
  }
  const source = `seal ${file}`;
  const parsed = parseEnvelope(text);
  if ('problem' in parsed) throw new IntegrityError(`${source}: ${parsed.problem}`);
  const env = parsed.envelope;
  if (env.payloadType !== SEAL_PAYLOAD_TYPE) throw new IntegrityError(`${source}: payload type ${env.payloadType} is not a custody seal's (${SEAL_PAYLOAD_TYPE})`);
  let payload: SealPayload;
  try {
    payload = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as SealPayload;
  } catch (err) {
    throw new IntegrityError(`${source}: its payload is not JSON`, { cause: err });
  }
  if (payload.format !== SEAL_FORMAT || !Number.isSafeInteger(payload.seq) || typeof payload.hash !== 'string' || typeof payload.case_id !== 'string') {
    throw new IntegrityError(`${source}: not a ${SEAL_FORMAT} payload (format, case_id, seq, hash)`);
  }
  const problems: string[] = [];
  const { publicPath } = caseKeyPaths(keysDir);
  if (!existsSync(publicPath)) {
    problems.push(`${source}: its signature cannot be checked: the case has no public key at ${publicPath} (restore keys/ from a copy, or check the seal with the key out of band)`);
  } else {
    const pub = loadPublicKeyFile(publicPath);
    if (verifyEnvelope(env, pub) < 0) {
      problems.push(`${source}: its signature does not verify with the case key (fingerprint ${fingerprintOf(pub)}): it was not made with this case's key, or it was altered`);
    }
  }
  const id = caseId(db);
  if (id !== undefined && id !== payload.case_id) problems.push(`${source}: it seals case ${payload.case_id}, but this case's id (hash of its first custody entry) is ${id}`);
  return { anchor: { source, seq: payload.seq, hash: payload.hash }, payload, problems };
}

/** Parse a `--head` value: `HASH` or `SEQ:HASH`. */
export function parseHeadArg(value: string): Anchor {
  const m = /^(?:(\d+):)?([0-9a-fA-F]{64})$/.exec(value.trim());
  if (!m) throw new UsageError(`--head ${value}: expected a custody entry hash (64 hex digits), optionally prefixed by its sequence number (SEQ:HASH)`);
  return { source: '--head', seq: m[1] === undefined ? undefined : Number(m[1]), hash: (m[2] as string).toLowerCase() };
}

/** Does the chain still contain the anchored head at its sequence number? (Run after the chain itself is walked.) */
export function checkAnchor(db: Db, a: Anchor, head: ChainHead = chainHead(db)): AnchorResult {
  const named = `${a.source} records head ${a.hash}${a.seq === undefined ? '' : ` (entry ${a.seq})`}`;
  const fail = (why: string): AnchorResult => ({ ...a, ok: false, message: `${named}, but ${why}` });
  let seq = a.seq;
  if (seq === undefined) {
    const first = custodySeqsOfHash(db, a.hash)[0];
    if (first === undefined) return fail(`the custody log (${head.seq} entries) does not contain it: the end of the log was cut, or the database was rolled back to an older copy or rewritten`);
    seq = first;
  }
  const entry = custodyEntryAt(db, seq);
  if (!entry) {
    return fail(`the custody log ends at entry ${head.seq}: its end was cut, or the database was rolled back to an older copy`);
  }
  if (entry.hash !== a.hash) return fail(`custody entry ${seq} now has hash ${entry.hash}: the log was rewritten from there on, or rolled back to a copy that went another way`);
  const after = head.seq - seq;
  return { ...a, seq, ok: true, message: `${named}: the custody log contains it (${after === 0 ? 'it is the current head' : `${after} entr${after === 1 ? 'y' : 'ies'} after it`})` };
}

/** Anchors named on the command line, read and checked for authenticity (seals) where they can be. */
export async function resolveAnchors(
  kase: Pick<CaseHandle, 'db' | 'keysDir'>,
  given: { heads?: readonly string[]; bundles?: readonly string[]; seals?: readonly string[] },
): Promise<{ anchors: Anchor[]; problems: string[] }> {
  const anchors: Anchor[] = (given.heads ?? []).map(parseHeadArg);
  const problems: string[] = [];
  if ((given.bundles ?? []).length > 0) {
    const { readBundleHead } = await import('../export/bundle-head.js');
    for (const b of given.bundles ?? []) {
      const h = await readBundleHead(b);
      anchors.push({ source: `bundle ${b}`, seq: h.seq, hash: h.hash });
    }
  }
  for (const s of given.seals ?? []) {
    const r = readSeal(kase.db, kase.keysDir, s);
    anchors.push(r.anchor);
    problems.push(...r.problems);
  }
  return { anchors, problems };
}
