import * as crypto from 'node:crypto';

// One-shot hashing (Node >= 20.12) skips creating a Hash object per call: measurable at a million records.
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** Hex SHA-256 of bytes or a UTF-8 string. */
export function sha256Hex(data: Uint8Array | string): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}

/**
 * Canonical JSON: object keys sorted at every level, no whitespace. Used for everything that is hashed or signed
 * and produced by irctl itself (never for evidence, which is kept byte-exact).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
