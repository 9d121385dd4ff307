/**
 * DSSE (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse) with Ed25519 from node:crypto.
 * The signature covers the pre-authentication encoding (PAE), never the JSON envelope, so a third party can rebuild
 * the signed bytes with printf and verify them with `openssl pkeyutl -verify -rawin` (docs/export.md).
 */
import { sign, verify, type KeyObject } from 'node:crypto';

/** One signature of an envelope. */
export interface DsseSignature {
  /** Key id: irctl uses the key fingerprint (sha256 of the DER SubjectPublicKeyInfo, hex). */
  keyid: string;
  /** Base64 (standard alphabet, padded) Ed25519 signature over PAE(payloadType, payload). */
  sig: string;
}

/** A DSSE envelope as serialized in `*.dsse.json`. */
export interface DsseEnvelope {
  /** Base64 of the payload bytes. */
  payload: string;
  /** Media type of the payload, e.g. `application/vnd.in-toto+json`. */
  payloadType: string;
  /** At least one signature. */
  signatures: DsseSignature[];
}

/** DSSE v1 pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal bytes. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}

/** Sign `payload` with an Ed25519 private key and wrap it in an envelope. */
export function signEnvelope(payload: Uint8Array, payloadType: string, privateKey: KeyObject, keyid: string): DsseEnvelope {
  const sig = sign(null, pae(payloadType, payload), privateKey);
  return { payload: Buffer.from(payload).toString('base64'), payloadType, signatures: [{ keyid, sig: sig.toString('base64') }] };
}

/**
 * Serialize an envelope: one member per line so that a third party can pull fields out with grep/cut alone
 * (base64 never contains a double quote). Still plain JSON.
 */
export function serializeEnvelope(env: DsseEnvelope): string {
  const sigs = env.signatures.map((s) => `{"keyid":${JSON.stringify(s.keyid)},"sig":${JSON.stringify(s.sig)}}`).join(',\n');
  return `{\n"payloadType":${JSON.stringify(env.payloadType)},\n"payload":${JSON.stringify(env.payload)},\n"signatures":[\n${sigs}\n]\n}\n`;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Largest envelope read (bytes). irctl's envelope carries a statement of a few KB; a verifier that buffered whatever
 * an archive calls `*.dsse.json` could be made to hold gigabytes.
 */
export const MAX_ENVELOPE_BYTES = 1 << 20;
/** Most signatures an envelope may carry (irctl writes one; each costs a verification). */
export const MAX_SIGNATURES = 16;

/** Parse and shape-check an envelope; returns a problem sentence instead of throwing. */
export function parseEnvelope(text: string): { envelope: DsseEnvelope } | { problem: string } {
  if (text.length > MAX_ENVELOPE_BYTES) return { problem: `envelope is larger than ${MAX_ENVELOPE_BYTES} bytes: not read` };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { problem: `envelope is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { problem: 'envelope is not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.payloadType !== 'string') return { problem: 'envelope has no payloadType' };
  if (typeof o.payload !== 'string' || !B64.test(o.payload)) return { problem: 'envelope payload is missing or not base64' };
  if (!Array.isArray(o.signatures) || o.signatures.length === 0) return { problem: 'envelope has no signatures' };
  if (o.signatures.length > MAX_SIGNATURES) return { problem: `envelope has ${o.signatures.length} signatures, more than ${MAX_SIGNATURES}: not read` };
  const signatures: DsseSignature[] = [];
  for (const s of o.signatures as unknown[]) {
    if (s === null || typeof s !== 'object') return { problem: 'envelope signature entry is not an object' };
    const so = s as Record<string, unknown>;
    if (typeof so.sig !== 'string' || !B64.test(so.sig)) return { problem: 'envelope signature is missing or not base64' };
    signatures.push({ keyid: typeof so.keyid === 'string' ? so.keyid : '', sig: so.sig });
  }
  return { envelope: { payload: o.payload, payloadType: o.payloadType, signatures } };
}

/** Index of the first signature that verifies under `publicKey`, or -1. */
export function verifyEnvelope(env: DsseEnvelope, publicKey: KeyObject): number {
  const payload = Buffer.from(env.payload, 'base64');
  const msg = pae(env.payloadType, payload);
  return env.signatures.findIndex((s) => {
    try {
      return verify(null, msg, publicKey, Buffer.from(s.sig, 'base64'));
    } catch {
      return false;
    }
  });
}
