/**
 * Pure bundle metadata: member names, SHA256SUMS, the manifest and the in-toto Statement v1 whose subjects are every
 * file of the bundle. No I/O here (style.md §4): the writer (bundle.ts) hashes files and passes the digests in.
 */
import { canonicalJson } from '../util/hash.js';

/** Identifies the bundle layout; bumped when members or their formats change. */
export const BUNDLE_FORMAT = 'irctl-evidence-bundle/1';
/** The DSSE envelope (top level). */
export const ENVELOPE_FILE = 'bundle.dsse.json';
/** `sha256sum -c` compatible digests of every member except itself and the envelope (top level). */
export const SUMS_FILE = 'SHA256SUMS';
/** The signer's public key (top level). */
export const PUBKEY_FILE = 'signing-key.pub.pem';
/** Counts, scope, custody head, data-member digests. */
export const MANIFEST_FILE = 'manifest.json';
/** DSSE payload type of an in-toto statement. */
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** in-toto Statement v1 `_type`. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** Predicate type of irctl's bundle attestation (an identifier, not a URL to fetch). */
export const PREDICATE_TYPE = 'https://irctl.dev/attestation/evidence-bundle/v1';

/** Data members, in bundle order. Every bundle has all of them; an empty file means "none". */
export const DATA_MEMBERS = {
  inputs: 'evidence/inputs.ndjson',
  rawRecords: 'evidence/raw-records.ndjson',
  quarantine: 'evidence/quarantine.ndjson',
  verdictOverrides: 'evidence/verdict-overrides.ndjson',
  custody: 'custody/custody-log.ndjson',
  events: 'normalized/events.ndjson',
  detections: 'detect/detections.ndjson',
  threats: 'detect/threats.ndjson',
  timeline: 'timeline/timeline.ndjson',
  investigations: 'investigation/investigations.ndjson',
  verdicts: 'investigation/verdicts.ndjson',
  actions: 'containment/actions.ndjson',
} as const;

/** Report members (not NDJSON). */
export const REPORT_MEMBERS = { md: 'report/report.md', html: 'report/report.html' } as const;

/** Key of a data member. */
export type DataMemberKey = keyof typeof DATA_MEMBERS;

/** One file of the bundle with its digest. */
export interface BundleFile {
  /** Path inside the archive (forward slashes, no leading `./`). */
  path: string;
  /** Lowercase hex SHA-256 of the member's bytes. */
  sha256: string;
  /** Size in bytes. */
  size: number;
  /** Lines (records) for NDJSON members; absent for other files. */
  records?: number;
}

/** What the bundle covers. */
export type BundleScope = { kind: 'threat'; threat_id: string } | { kind: 'case' };

/** A custody chain head. */
export interface Head {
  /** Sequence number of the last entry (0 when empty). */
  seq: number;
  /** Hash of the last entry. */
  hash: string;
}

/** manifest.json: deterministic for a given case state (no export time: that is in the signed statement). */
export interface BundleManifest {
  /** {@link BUNDLE_FORMAT}. */
  format: string;
  /** What the bundle covers. */
  scope: BundleScope;
  /** irctl version that wrote the bundle. */
  tool_version: string;
  /** Custody chain head of the case when the bundle was built (the export's own entry comes after). */
  custody_head: Head;
  /** First and last event time in the bundle (null when there are no events). */
  time_span: { first: string | null; last: string | null };
  /** Record count per NDJSON member, keyed by member path. */
  counts: Record<string, number>;
  /** Digest, size and record count of every data and report member. */
  files: BundleFile[];
  /** Human notes, e.g. which stages had not run ("detections: none, `irctl detect` has not been run"). */
  notes: string[];
}

/** Byte-order comparison (stable across locales, like `LC_ALL=C sort`). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Build the manifest (files sorted by path). */
export function buildManifest(m: Omit<BundleManifest, 'format' | 'files'> & { files: readonly BundleFile[] }): BundleManifest {
  return { format: BUNDLE_FORMAT, ...m, files: [...m.files].sort((a, b) => byteOrder(a.path, b.path)) };
}

/** Manifest bytes (canonical JSON, pretty enough to read: one line, keys sorted). */
export function serializeManifest(m: BundleManifest): string {
  return `${canonicalJson(m)}\n`;
}

/** SHA256SUMS text in `sha256sum` format (`<hex>  <path>`), sorted by path. */
export function sha256SumsText(files: ReadonlyArray<Pick<BundleFile, 'path' | 'sha256'>>): string {
  return [...files]
    .sort((a, b) => byteOrder(a.path, b.path))
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .join('');
}

/** Parse SHA256SUMS; malformed lines are problems. */
export function parseSha256Sums(text: string): { sums: Map<string, string>; problems: string[] } {
  const sums = new Map<string, string>();
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) {
      problems.push(`${SUMS_FILE} line ${i + 1} is not "<sha256>  <file>"`);
      return;
    }
    if (sums.has(m[2]!)) problems.push(`${SUMS_FILE} lists ${m[2]!} twice`);
    sums.set(m[2]!, m[1]!);
  });
  return { sums, problems };
}

/** in-toto resource descriptor (subject). */
export interface Subject {
  /** Member path. */
  name: string;
  /** Digest set. */
  digest: { sha256: string };
}

/** The predicate irctl signs. */
export interface BundlePredicate {
  /** {@link BUNDLE_FORMAT}. */
  bundle_format: string;
  /** What the bundle covers. */
  scope: BundleScope;
  /** Custody chain head at export time. */
  custody_head: Head;
  /** When the statement was signed (UTC ISO 8601): the only part of a bundle that changes between exports of the same state. */
  signed_at: string;
  /** Who signed, where, with which irctl. */
  signer: { os_user: string; host: string; tool_version: string };
  /** Fingerprint of the signing key (sha256 of DER SubjectPublicKeyInfo, hex). */
  key_fingerprint: string;
}

/** in-toto Statement v1. */
export interface Statement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate: BundlePredicate;
}

/** Statement bytes: canonical JSON (keys sorted), subjects sorted by name. */
export function buildStatement(files: ReadonlyArray<Pick<BundleFile, 'path' | 'sha256'>>, predicate: BundlePredicate): string {
  const subject: Subject[] = [...files]
    .sort((a, b) => byteOrder(a.path, b.path))
    .map((f) => ({ name: f.path, digest: { sha256: f.sha256 } }));
  const st: Statement = { _type: STATEMENT_TYPE, subject, predicateType: PREDICATE_TYPE, predicate };
  return canonicalJson(st);
}

/** Parse a statement (the verified payload); problems instead of exceptions. */
export function parseStatement(text: string): { statement: Statement } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { problem: 'the signed payload is not valid JSON' };
  }
  if (v === null || typeof v !== 'object') return { problem: 'the signed payload is not a JSON object' };
  const o = v as Record<string, unknown>;
  if (o._type !== STATEMENT_TYPE) return { problem: `the signed payload is not an in-toto Statement v1 (_type ${JSON.stringify(o._type)})` };
  if (!Array.isArray(o.subject)) return { problem: 'the statement has no subject list' };
  const subject: Subject[] = [];
  for (const s of o.subject as unknown[]) {
    const so = (s ?? {}) as { name?: unknown; digest?: { sha256?: unknown } };
    if (typeof so.name !== 'string' || typeof so.digest?.sha256 !== 'string') return { problem: 'a statement subject has no name or sha256 digest' };
    subject.push({ name: so.name, digest: { sha256: so.digest.sha256 } });
  }
  if (o.predicateType !== PREDICATE_TYPE) return { problem: `unexpected predicateType ${JSON.stringify(o.predicateType)}` };
  const p = (o.predicate ?? {}) as Partial<BundlePredicate>;
  if (typeof p.signed_at !== 'string' || typeof p.key_fingerprint !== 'string' || p.custody_head === undefined || p.scope === undefined) {
    return { problem: 'the statement predicate lacks signed_at, key_fingerprint, scope or custody_head' };
  }
  return { statement: { _type: STATEMENT_TYPE, subject, predicateType: PREDICATE_TYPE, predicate: p as BundlePredicate } };
}
