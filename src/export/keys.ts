/**
 * The case signing key (Ed25519): generation, loading, fingerprint. The private key stays in `<case>/keys/`
 * (mode 0600) and is never written into a bundle; only `signing-key.pub.pem` travels.
 *
 * Fingerprint: lowercase hex SHA-256 of the DER-encoded SubjectPublicKeyInfo of the public key, i.e.
 * `openssl pkey -pubin -in signing-key.pub.pem -outform DER | sha256sum`.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConfigError, UsageError, errnoCode, errorMessage } from '../errors.js';

/** File name of the private key inside `<case>/keys/`. */
export const PRIVATE_KEY_FILE = 'signing-key.pem';
/** File name of the public key inside `<case>/keys/` and at the top of every bundle. */
export const PUBLIC_KEY_FILE = 'signing-key.pub.pem';

/** A loaded signing key. */
export interface SigningKey {
  /** Ed25519 private key. */
  privateKey: KeyObject;
  /** Its public key. */
  publicKey: KeyObject;
  /** Public key as SPKI PEM (what goes into the bundle). */
  publicPem: string;
  /** sha256 of the DER SubjectPublicKeyInfo, hex. */
  fingerprint: string;
  /** Where the private key was read from. */
  file: string;
}

/** Paths of the case key pair. */
export function caseKeyPaths(keysDir: string): { privatePath: string; publicPath: string } {
  return { privatePath: join(keysDir, PRIVATE_KEY_FILE), publicPath: join(keysDir, PUBLIC_KEY_FILE) };
}

/** Fingerprint of a public key: hex sha256 of its DER SubjectPublicKeyInfo. */
export function fingerprintOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Public key as SPKI PEM. */
export function publicPemOf(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** Result of generating a key pair. */
export interface GeneratedKey {
  privatePath: string;
  publicPath: string;
  fingerprint: string;
}

/**
 * Generate an Ed25519 key pair into `keysDir`. Refuses to replace an existing key unless `force` (a replaced key
 * cannot verify bundles it did not sign, so the old public key should be kept by whoever received bundles).
 */
export function generateKeyFiles(keysDir: string, opts: { force?: boolean } = {}): GeneratedKey {
  const { privatePath, publicPath } = caseKeyPaths(keysDir);
  if (existsSync(privatePath) && opts.force !== true) {
    throw new UsageError(`a signing key already exists at ${privatePath}`, {
      hint: 'Keep it (bundles already handed on were signed with it), or pass --force to replace it.',
    });
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const privPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    // mode applies on creation only; chmod covers an existing file replaced with --force.
    writeFileSync(privatePath, privPem, { mode: 0o600 });
    chmodSync(privatePath, 0o600);
    writeFileSync(publicPath, publicPemOf(publicKey), { mode: 0o644 });
  } catch (err) {
    throw new ConfigError(`cannot write the signing key into ${keysDir}: ${errorMessage(err)}`, { cause: err });
  }
  return { privatePath, publicPath, fingerprint: fingerprintOf(publicKey) };
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new ConfigError(`${what} ${file} does not exist`, { hint: 'Create the case key with `irctl keys generate`, or pass --key FILE.' });
    throw new ConfigError(`cannot read ${what} ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Load an Ed25519 private key (PKCS#8 PEM). */
export function loadSigningKey(file: string): SigningKey {
  const pem = readPem(file, 'signing key');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new ConfigError(`${file} is not a PEM private key: ${errorMessage(err)}`, {
      hint: 'Pass an Ed25519 private key in PEM (e.g. made by `irctl keys generate` or `openssl genpkey -algorithm ed25519`).',
      cause: err,
    });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(`${file} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; bundles are signed with Ed25519`, {
      hint: 'Generate one with `irctl keys generate` or `openssl genpkey -algorithm ed25519 -out key.pem`.',
    });
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicPem: publicPemOf(publicKey), fingerprint: fingerprintOf(publicKey), file };
}

/** Parse an Ed25519 public key from PEM text (a private key PEM is accepted and its public half used). */
export function parsePublicKey(pem: string): KeyObject | undefined {
  try {
    const k = createPublicKey(pem);
    return k.asymmetricKeyType === 'ed25519' ? k : undefined;
  } catch {
    return undefined;
  }
}

/** Load an expected public key for `verify --key` (or the case key). */
export function loadPublicKeyFile(file: string): KeyObject {
  const pem = readPem(file, 'public key');
  const k = parsePublicKey(pem);
  if (!k) throw new UsageError(`${file} is not an Ed25519 public key in PEM`, { hint: 'Pass the signing-key.pub.pem you received out of band.' });
  return k;
}

/** True when the private key file is readable by group or others (it should be 0600). */
export function privateKeyTooOpen(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/**
 * The user's trusted signer keys: `$XDG_CONFIG_HOME/irctl/trusted-keys/` (XDG Base Directory: an unset, empty or
 * relative value means `~/.config`). Per user and never in a case: a case travels with its bundles, and a key that
 * came with the evidence cannot vouch for it.
 */
export function trustedKeysDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.config');
  return join(base, 'irctl', 'trusted-keys');
}

/** A public key the user trusts to sign bundles. */
export interface TrustedKey {
  /** sha256 of the DER SubjectPublicKeyInfo, hex. */
  fingerprint: string;
  /** The PEM file in the trusted-keys directory. */
  file: string;
  /** The key. */
  key: KeyObject;
}

/** Writable by group or others: anyone who can write there could make a bundle verify as theirs. */
const tooOpen = (mode: number): boolean => (mode & 0o022) !== 0;

/**
 * The trusted keys in `dir` (none when it does not exist), sorted by fingerprint. Files that are not Ed25519 public
 * keys, and files (or a directory) writable by other users, are skipped with a warning.
 */
export function listTrustedKeys(dir: string): { keys: TrustedKey[]; warnings: string[] } {
  const warnings: string[] = [];
  let names: string[];
  try {
    if (tooOpen(statSync(dir).mode)) return { keys: [], warnings: [`${dir} is writable by other users: no key in it is trusted (run: chmod go-w ${dir})`] };
    names = readdirSync(dir).filter((n) => n.endsWith('.pem'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { keys: [], warnings };
    return { keys: [], warnings: [`cannot read the trusted keys in ${dir}: ${errorMessage(err)}`] };
  }
  const byFp = new Map<string, TrustedKey>();
  for (const name of names.sort()) {
    const file = join(dir, name);
    try {
      if (tooOpen(statSync(file).mode)) {
        warnings.push(`${file} is writable by other users: not trusted (run: chmod go-w ${file})`);
        continue;
      }
      const key = parsePublicKey(readFileSync(file, 'utf8'));
      if (!key) {
        warnings.push(`${file} is not an Ed25519 public key in PEM: skipped`);
        continue;
      }
      const fingerprint = fingerprintOf(key);
      if (!byFp.has(fingerprint)) byFp.set(fingerprint, { fingerprint, file, key });
    } catch (err) {
      warnings.push(`cannot read ${file}: ${errorMessage(err)}`);
    }
  }
  return { keys: [...byFp.values()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1)), warnings };
}

/**
 * Trust the public key in `file` (a private key PEM gives its public half): written as `<fingerprint>.pub.pem` into
 * `dir` (created 0700). `added` is false when it was trusted already.
 */
export function trustKey(dir: string, file: string): { fingerprint: string; file: string; added: boolean } {
  const key = loadPublicKeyFile(file);
  const fingerprint = fingerprintOf(key);
  const existing = listTrustedKeys(dir).keys.find((k) => k.fingerprint === fingerprint);
  if (existing) return { fingerprint, file: existing.file, added: false };
  const out = join(dir, `${fingerprint}.pub.pem`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(out, publicPemOf(key), { mode: 0o644 });
  } catch (err) {
    throw new ConfigError(`cannot write the trusted key into ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  return { fingerprint, file: out, added: true };
}

/**
 * Stop trusting a key, named by its fingerprint (or a unique prefix of at least 8 hex digits) or by a PEM file of
 * it. Returns the files removed.
 */
export function untrustKey(dir: string, which: string): TrustedKey[] {
  const fp = /^[0-9a-f]{8,64}$/.test(which) ? which : existsSync(which) ? fingerprintOf(loadPublicKeyFile(which)) : undefined;
  if (fp === undefined) throw new UsageError(`${which} is neither a key fingerprint nor a key file`, { hint: 'Run `irctl keys list` to see the trusted keys.' });
  const { keys } = listTrustedKeys(dir);
  const match = keys.filter((k) => k.fingerprint.startsWith(fp));
  if (match.length === 0) throw new UsageError(`no trusted key ${fp} in ${dir}`, { hint: 'Run `irctl keys list` to see the trusted keys.' });
  if (match.length > 1) throw new UsageError(`${fp} matches ${match.length} trusted keys`, { hint: 'Give more digits of the fingerprint.' });
  // The same key may sit in several files (copied in by hand): remove them all.
  const removed = readdirSync(dir)
    .filter((n) => n.endsWith('.pem'))
    .map((n) => join(dir, n))
    .filter((f) => {
      try {
        const k = parsePublicKey(readFileSync(f, 'utf8'));
        return k !== undefined && fingerprintOf(k) === match[0]?.fingerprint;
      } catch {
        return false;
      }
    });
  for (const f of removed) rmSync(f, { force: true });
  return removed.map((file) => ({ ...(match[0] as TrustedKey), file }));
}
