/**
 * How `irctl collect okta` authenticates: an API token (`OKTA_API_TOKEN`, sent as `SSWS <token>`) or an OAuth 2.0
 * service app (`OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY_FILE` or `OKTA_PRIVATE_KEY`): the client-credentials grant with
 * a `private_key_jwt` client assertion for the `okta.logs.read` scope, with DPoP-bound tokens when the app requires
 * them (Okta turns DPoP on by default for new service apps). Secrets come from the environment only (never flags:
 * flags land in shell history and process lists) and never leave this module; custody records where they came from.
 *
 * Okta references: "Implement OAuth for Okta with a service app", "Configure OAuth 2.0 Demonstrating Proof-of-
 * Possession" (RFC 9449: `DPoP` proof JWT per request, `use_dpop_nonce` retry, `ath` on resource requests).
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SourceAccessError, UsageError } from '../../errors.js';

/** The credential a collection uses. */
export interface OktaAuth {
  /** Where it came from, for custody and messages (never the secret). */
  readonly from: string;
  /** The service app's client id (not secret), when OAuth. */
  readonly clientId: string | undefined;
  /** Headers for one API request. */
  headers(method: string, url: string, signal: AbortSignal): Promise<Record<string, string>>;
  /** The API said 401: forget the access token so the next request gets a fresh one. False when nothing can change. */
  invalidate(): boolean;
  /** The API answered with a `DPoP-Nonce` header: use it in later proofs. */
  nonce(value: string | null): void;
}

/** A token-endpoint answer that is not a token (`{"error": "invalid_client", "error_description": ...}`). */
export class OktaTokenError extends Error {
  readonly status: number | undefined;
  readonly error: string | undefined;
  constructor(message: string, o: { status?: number | undefined; error?: string | undefined; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'OktaTokenError';
    this.status = o.status;
    this.error = o.error;
  }
}

const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** JWS signing algorithm for a private key (Okta accepts RS256/384/512 and ES256/384/512). */
function algOf(key: KeyObject): { alg: string; hash: string; ec: boolean } {
  if (key.asymmetricKeyType === 'rsa') return { alg: 'RS256', hash: 'sha256', ec: false };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return { alg: 'ES256', hash: 'sha256', ec: true };
    if (curve === 'secp384r1' || curve === 'P-384') return { alg: 'ES384', hash: 'sha384', ec: true };
    if (curve === 'secp521r1' || curve === 'P-521') return { alg: 'ES512', hash: 'sha512', ec: true };
  }
  throw new UsageError(`the Okta private key is a ${key.asymmetricKeyType ?? 'unknown'} key${key.asymmetricKeyDetails?.namedCurve ? ` on ${key.asymmetricKeyDetails.namedCurve}` : ''}: Okta signs client assertions with RSA or EC P-256/384/521`, {
    hint: 'Generate the service app key pair in the Okta Admin Console (Applications > the app > General > Public keys) and save the private key as PEM or JWK.',
  });
}

/** Compact JWS of `payload` (ES* signatures in the JOSE r||s form). */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const { hash, ec } = algOf(key);
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const sig = sign(hash, Buffer.from(input), ec ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${b64u(sig)}`;
}

/** Read the private key from PEM or JWK text; the JWK's `kid` is used when OKTA_KEY_ID is not set. */
function loadKey(text: string, origin: string): { key: KeyObject; kid: string | undefined } {
  const t = text.trim();
  try {
    if (t.startsWith('{')) {
      const jwk = JSON.parse(t) as JsonWebKey & { kid?: unknown };
      const key = createPrivateKey({ key: jwk, format: 'jwk' });
      return { key, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined };
    }
    return { key: createPrivateKey(t), kid: undefined };
  } catch (err) {
    throw new UsageError(`${origin} is not a private key in PEM or JWK form (${err instanceof Error ? err.message : String(err)})`, {
      hint: 'Save the private key of the Okta service app (PKCS#8 or PKCS#1 PEM, or the JWK the Admin Console shows) and point OKTA_PRIVATE_KEY_FILE at it.',
      cause: err,
    });
  }
}

/** The API token credential. */
function tokenAuth(token: string): OktaAuth {
  return {
    from: 'OKTA_API_TOKEN',
    clientId: undefined,
    headers: () => Promise.resolve({ authorization: `SSWS ${token}` }),
    invalidate: () => false,
    nonce: () => undefined,
  };
}

interface AccessToken {
  value: string;
  type: 'Bearer' | 'DPoP';
  expiresAtMs: number;
}

/** Deps of the OAuth flow (tests inject the clock). */
export interface OktaAuthDeps {
  env: NodeJS.ProcessEnv;
  nowMs: () => number;
}

/**
 * The credential from the environment: OKTA_API_TOKEN, or an OAuth service app. `org` is the org's origin (the
 * client assertion's audience); `base` is where requests go (the org, or IRCTL_OKTA_ENDPOINT in tests).
 */
export function oktaAuthFromEnv(org: string, base: string, deps: OktaAuthDeps): OktaAuth {
  const env = deps.env;
  const token = env.OKTA_API_TOKEN?.trim();
  const clientId = env.OKTA_CLIENT_ID?.trim();
  if (token && clientId) {
    throw new UsageError('both OKTA_API_TOKEN and OKTA_CLIENT_ID are set: irctl does not guess which credential to use', {
      hint: 'Unset one of them: OKTA_API_TOKEN for an API token, or OKTA_CLIENT_ID with OKTA_PRIVATE_KEY_FILE for an OAuth service app.',
    });
  }
  if (token) return tokenAuth(token);
  if (!clientId) {
    throw new SourceAccessError('no Okta credential: neither OKTA_API_TOKEN nor OKTA_CLIENT_ID is set', {
      hint:
        'Either export OKTA_API_TOKEN=... (a token of a Read-Only Administrator: Security > API > Tokens), or use an OAuth service app ' +
        'granted okta.logs.read: export OKTA_CLIENT_ID=... and OKTA_PRIVATE_KEY_FILE=path/to/key.pem (neither is stored in the case).',
    });
  }
  const keyFile = env.OKTA_PRIVATE_KEY_FILE?.trim();
  const keyText = env.OKTA_PRIVATE_KEY;
  let loaded: { key: KeyObject; kid: string | undefined };
  let keyFrom: string;
  if (keyFile) {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read OKTA_PRIVATE_KEY_FILE ${JSON.stringify(keyFile)}: ${err instanceof Error ? err.message : String(err)}`, {
        hint: 'Point OKTA_PRIVATE_KEY_FILE at the service app private key (PEM or JWK).',
        cause: err,
      });
    }
    loaded = loadKey(text, `OKTA_PRIVATE_KEY_FILE ${JSON.stringify(keyFile)}`);
    keyFrom = 'OKTA_PRIVATE_KEY_FILE';
  } else if (keyText !== undefined && keyText.trim() !== '') {
    loaded = loadKey(keyText, 'OKTA_PRIVATE_KEY');
    keyFrom = 'OKTA_PRIVATE_KEY';
  } else {
    throw new UsageError('OKTA_CLIENT_ID is set but the service app private key is not', {
      hint: 'export OKTA_PRIVATE_KEY_FILE=path/to/key.pem (or OKTA_PRIVATE_KEY with the PEM/JWK text).',
    });
  }
  const kid = env.OKTA_KEY_ID?.trim() || loaded.kid;
  const scopes = env.OKTA_SCOPES?.trim() || 'okta.logs.read';
  return new ServiceAppAuth({ org, base, clientId, key: loaded.key, kid, scopes, from: `OKTA_CLIENT_ID + ${keyFrom} (OAuth service app, private_key_jwt)`, nowMs: deps.nowMs });
}

/** The OAuth 2.0 client-credentials flow of an Okta service app, with DPoP when the app requires it. */
class ServiceAppAuth implements OktaAuth {
  readonly from: string;
  readonly clientId: string;
  private readonly o: { org: string; base: string; key: KeyObject; kid: string | undefined; scopes: string; nowMs: () => number };
  private token: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;
  /** The per-run DPoP key pair (made on first need; never stored). */
  private dpopKey: { priv: KeyObject; jwk: Record<string, string> } | undefined;
  private dpopNonce: string | undefined;
  private useDpop = false;

  constructor(o: { org: string; base: string; clientId: string; key: KeyObject; kid: string | undefined; scopes: string; from: string; nowMs: () => number }) {
    this.from = o.from;
    this.clientId = o.clientId;
    this.o = o;
    algOf(o.key);
  }

  invalidate(): boolean {
    this.token = undefined;
    return true;
  }

  nonce(value: string | null): void {
    if (value !== null && value !== '') this.dpopNonce = value;
  }

  async headers(method: string, url: string, signal: AbortSignal): Promise<Record<string, string>> {
    const t = await this.accessToken(signal);
    if (t.type === 'Bearer') return { authorization: `Bearer ${t.value}` };
    return { authorization: `DPoP ${t.value}`, dpop: this.proof(method, url, t.value) };
  }

  private async accessToken(signal: AbortSignal): Promise<AccessToken> {
    // Refresh a minute before expiry: a page request must not race the token's end.
    if (this.token !== undefined && this.token.expiresAtMs - 60_000 > this.o.nowMs()) return this.token;
    this.pending ??= this.requestToken(signal).finally(() => {
      this.pending = undefined;
    });
    this.token = await this.pending;
    return this.token;
  }

  private dpop(): { priv: KeyObject; jwk: Record<string, string> } {
    if (this.dpopKey === undefined) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const j = publicKey.export({ format: 'jwk' });
      // The public members only, in the order RFC 7638 thumbprints use.
      this.dpopKey = { priv: privateKey, jwk: { crv: j.crv ?? 'P-256', kty: j.kty ?? 'EC', x: j.x ?? '', y: j.y ?? '' } };
    }
    return this.dpopKey;
  }

  /** A DPoP proof for one request (`ath` binds it to the access token on resource requests). */
  private proof(method: string, url: string, accessToken?: string): string {
    const k = this.dpop();
    const u = new URL(url);
    const payload: Record<string, unknown> = { htm: method, htu: `${u.origin}${u.pathname}`, iat: Math.floor(this.o.nowMs() / 1000), jti: randomUUID() };
    if (this.dpopNonce !== undefined) payload.nonce = this.dpopNonce;
    if (accessToken !== undefined) payload.ath = b64u(createHash('sha256').update(accessToken).digest());
    return signJwt({ typ: 'dpop+jwt', alg: 'ES256', jwk: k.jwk }, payload, k.priv);
  }

  private assertion(): string {
    const now = Math.floor(this.o.nowMs() / 1000);
    const header: Record<string, unknown> = { alg: algOf(this.o.key).alg, typ: 'JWT' };
    if (this.o.kid !== undefined) header.kid = this.o.kid;
    // The audience is the org's token endpoint even when requests go to a test endpoint.
    return signJwt(header, { iss: this.clientId, sub: this.clientId, aud: `${this.o.org}/oauth2/v1/token`, iat: now, exp: now + 300, jti: randomUUID() }, this.o.key);
  }

  private async requestToken(signal: AbortSignal): Promise<AccessToken> {
    const url = `${this.o.base}/oauth2/v1/token`;
    // At most: one plain try, one with a DPoP proof, one with the server's nonce.
    for (let attempt = 0; attempt < 4; attempt++) {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: this.o.scopes,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: this.assertion(),
      });
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'irctl' };
      if (this.useDpop) headers.dpop = this.proof('POST', url);
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers, body: form.toString(), signal, redirect: 'error' });
      } catch (err) {
        if (signal.aborted) throw err;
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
        throw new OktaTokenError(`network error at the token endpoint${cause || (err instanceof Error ? `: ${err.message}` : '')}`, { cause: err });
      }
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        const v = JSON.parse(text) as unknown;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
      } catch {
        // an HTML error page from a proxy
      }
      const error = typeof body.error === 'string' ? body.error : undefined;
      const description = typeof body.error_description === 'string' ? body.error_description.slice(0, 300) : undefined;
      if (res.status === 400 && error === 'invalid_dpop_proof' && !this.useDpop) {
        // The app requires DPoP ("The DPoP proof JWT header is missing"): prove possession from now on.
        this.useDpop = true;
        continue;
      }
      if (res.status === 400 && error === 'use_dpop_nonce' && res.headers.get('dpop-nonce') !== null) {
        this.useDpop = true;
        this.nonce(res.headers.get('dpop-nonce'));
        continue;
      }
      if (res.status !== 200) {
        throw new OktaTokenError(`the token endpoint answered HTTP ${res.status}${error !== undefined ? ` ${error}` : ''}${description !== undefined ? `: ${description}` : ''}`, { status: res.status, error });
      }
      const value = body.access_token;
      const type = typeof body.token_type === 'string' ? body.token_type : 'Bearer';
      if (typeof value !== 'string' || value === '') throw new OktaTokenError('the token endpoint answered 200 without an access_token', { status: 200 });
      const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
      return { value, type: type.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', expiresAtMs: this.o.nowMs() + expiresIn * 1000 };
    }
    throw new OktaTokenError('the token endpoint kept asking for a new DPoP nonce', { status: 400, error: 'use_dpop_nonce' });
  }
}

/** From a token-endpoint failure to a message an operator can act on (exit 4). */
export function explainTokenError(err: OktaTokenError, org: string, auth: OktaAuth): SourceAccessError {
  // eslint-disable-next-line no-control-regex -- strip terminal control characters from a server-provided message
  const msg = err.message.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  const app = `the Okta service app ${auth.clientId ?? ''}`.trim();
  if (err.error === 'invalid_client') {
    return new SourceAccessError(`${org} refused the client assertion of ${app} (${msg})`, {
      hint: 'Check OKTA_CLIENT_ID, that the app uses "Public key / Private key" client authentication, that its public key matches OKTA_PRIVATE_KEY_FILE, and OKTA_KEY_ID if the app holds several keys.',
      cause: err,
    });
  }
  if (err.error === 'invalid_scope' || err.error === 'access_denied') {
    return new SourceAccessError(`${app} may not read the System Log of ${org} (${msg})`, {
      hint: 'Grant the okta.logs.read scope to the app (Applications > the app > Okta API Scopes) and give it the Read-Only Administrator role.',
      cause: err,
    });
  }
  if (err.error?.includes('dpop') === true) {
    return new SourceAccessError(`${org} refused the DPoP proof of ${app} (${msg})`, { hint: 'Run again with --debug; if it persists, turn off "Require DPoP" for the app or report the message.', cause: err });
  }
  if (err.status === undefined) return new SourceAccessError(`cannot reach the token endpoint of ${org} (${msg})`, { hint: 'Check the network and proxy (and IRCTL_OKTA_ENDPOINT if set), then run again: it resumes.', cause: err });
  return new SourceAccessError(`getting an access token for ${app} from ${org} failed (${msg})`, { hint: 'Run again with --debug.', cause: err });
}
