/**
 * The case signing key (Ed25519): generation, loading, fingerprint. The private key stays in `<case>/keys/`
 * (mode 0600) and is never written into a bundle; only `signing-key.pub.pem` travels.
 *
 * Fingerprint: lowercase hex SHA-256 of the DER-encoded SubjectPublicKeyInfo of the public key, i.e.
 * `openssl pkey -pubin -in signing-key.pub.pem -outform DER | sha256sum`.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
