import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pae, parseEnvelope, serializeEnvelope, signEnvelope, verifyEnvelope } from './dsse.js';

describe('DSSE', () => {
  it('PAE matches the specification example', () => {
    // GIVEN the example of the DSSE protocol document
    const out = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    // THEN
    expect(out.toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('PAE counts bytes, not characters', () => {
    expect(pae('t', Buffer.from('é', 'utf8')).toString('utf8')).toBe('DSSEv1 1 t 2 é');
  });

  it('signs and verifies; a changed payload or another key does not verify', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const env = signEnvelope(Buffer.from('{"a":1}'), 'application/vnd.in-toto+json', privateKey, 'kid');
    expect(verifyEnvelope(env, publicKey)).toBe(0);
    expect(verifyEnvelope(env, other.publicKey)).toBe(-1);
    expect(verifyEnvelope({ ...env, payload: Buffer.from('{"a":2}').toString('base64') }, publicKey)).toBe(-1);
    expect(verifyEnvelope({ ...env, payloadType: 'text/plain' }, publicKey)).toBe(-1);
  });

  it('serializes one field per line and parses back', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const env = signEnvelope(Buffer.from('x'), 'application/vnd.in-toto+json', privateKey, 'kid');
    const text = serializeEnvelope(env);
    expect(text.split('\n').filter((l) => l.startsWith('"payload":'))).toHaveLength(1);
    expect(text).toMatch(/^\{"keyid":"kid","sig":"[A-Za-z0-9+/=]+"\}$/m);
    const back = parseEnvelope(text);
    expect('envelope' in back && back.envelope).toEqual(env);
  });

  it('reports malformed envelopes instead of throwing', () => {
    expect(parseEnvelope('{')).toHaveProperty('problem');
    expect(parseEnvelope('[]')).toEqual({ problem: 'envelope is not a JSON object' });
    expect(parseEnvelope('{"payloadType":"t","payload":"!!","signatures":[]}')).toEqual({ problem: 'envelope payload is missing or not base64' });
    expect(parseEnvelope('{"payloadType":"t","payload":"eA==","signatures":[]}')).toEqual({ problem: 'envelope has no signatures' });
  });
});
