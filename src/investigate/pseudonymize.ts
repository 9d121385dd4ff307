/**
 * What leaves the machine. Before anything is sent to a model, secrets are removed and IP addresses, principals
 * (ARNs, user and role names, e-mail addresses), account ids and access keys become stable pseudonyms such as
 * `IP_1`, `principal-2`, `ACCT_1`, `KEY_1`. The mapping stays in memory on this machine and is applied back to the
 * model's answer (and to the arguments of its tool calls). Pure.
 */

/** Pseudonym kinds. */
export type PseudoKind = 'ip' | 'principal' | 'account' | 'key' | 'principal_id' | 'email';

const PREFIX: Record<PseudoKind, string> = {
  ip: 'IP_',
  principal: 'principal-',
  account: 'ACCT_',
  key: 'KEY_',
  principal_id: 'PID_',
  email: 'user-',
};

const REDACTED = '[REDACTED]';

// Secrets: values of secret-looking keys in JSON text, PEM blocks, bearer tokens, Anthropic/AWS secret material.
const SECRET_KEY_VALUE =
  /("(?:[\w-]*(?:password|passwd|secret|token|privatekey|private_key|apikey|api_key|credential|sessiontoken|secretaccesskey|secretstring|secretbinary)[\w-]*)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]\s]+)/gi;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/g;
const ANTHROPIC_KEY = /\bsk-ant-[A-Za-z0-9_-]{10,}/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const SESSION_TOKEN = /\b(?:FwoG|IQoJ|AQoD)[A-Za-z0-9/+=]{60,}/g;

/** Remove secrets from a text. */
export function redactSecrets(s: string): string {
  return s
    .replace(PEM, REDACTED)
    .replace(SECRET_KEY_VALUE, (_m, k: string) => `${k}"${REDACTED}"`)
    .replace(BEARER, (_m, kind: string) => `${kind} ${REDACTED}`)
    .replace(ANTHROPIC_KEY, REDACTED)
    .replace(SESSION_TOKEN, REDACTED)
    .replace(AWS_SECRET, (m) => (/[0-9]/.test(m) && /[A-Z]/.test(m) && /[a-z]/.test(m) ? REDACTED : m));
}

const IAM_ARN = /\barn:(aws[\w-]*):(iam|sts)::(\d{12}):([\w-]+)((?:\/[\w+=,.@-]+)*)/g;
const ACCOUNT = /(?<![\w.-])\d{12}(?![\w-])/g;
const KEY = /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,20}\b/g;
const PRINCIPAL_ID = /\b(?:AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA)[A-Z0-9]{12,20}\b/g;
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g;
const IPV6 = /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}:?[0-9a-fA-F]{0,4}(?![\w:])/g;
const EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b/g;

function isIpv6(s: string): boolean {
  return (s.match(/:/g) ?? []).length >= 3 || s.includes('::') ? /[a-fA-F]|::/.test(s) || (s.match(/:/g) ?? []).length >= 4 : false;
}

/** A reversible, per-run pseudonymizer. */
export class Pseudonymizer {
  private readonly forward = new Map<string, string>();
  private readonly reverse = new Map<string, string>();
  private readonly counters = new Map<PseudoKind, number>();
  /** Short principal names learnt from ARNs: replaced wherever they appear as whole words. */
  private readonly names = new Map<string, string>();

  /** The pseudonym of a value (created on first use). */
  pseudo(kind: PseudoKind, value: string): string {
    const existing = this.forward.get(`${kind}\u0000${value}`);
    if (existing) return existing;
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const p = `${PREFIX[kind]}${n}`;
    this.forward.set(`${kind}\u0000${value}`, p);
    this.reverse.set(p, value);
    return p;
  }

  /** Register a principal name (user, role or session name) so free text mentioning it is pseudonymized too. */
  private principalName(name: string): string {
    const p = this.pseudo('principal', name);
    if (name.length >= 3) this.names.set(name, p);
    return p;
  }

  /** Pseudonymize and redact one text. */
  text(s: string): string {
    let out = redactSecrets(s);
    out = out.replace(IAM_ARN, (arn, part: string, svc: string, acct: string, type: string, path: string) => {
      const a = this.pseudo('account', acct);
      const parts = path.split('/').filter((x) => x !== '');
      const pparts = parts.map((x) => this.principalName(x));
      // The partition as written (aws, aws-us-gov, aws-cn): only the account and names are pseudonymized.
      const pseudoArn = `arn:${part}:${svc}::${a}:${type}${pparts.length > 0 ? `/${pparts.join('/')}` : ''}`;
      this.reverse.set(pseudoArn, arn);
      this.forward.set(`arn\u0000${arn}`, pseudoArn);
      return pseudoArn;
    });
    out = out.replace(KEY, (k) => this.pseudo('key', k));
    out = out.replace(PRINCIPAL_ID, (k) => this.pseudo('principal_id', k));
    out = out.replace(EMAIL, (e) => {
      const full = `${this.pseudo('email', e)}@example.invalid`;
      this.reverse.set(full, e);
      return full;
    });
    out = out.replace(ACCOUNT, (a) => this.pseudo('account', a));
    out = out.replace(IPV4, (ip) => this.pseudo('ip', ip));
    out = out.replace(IPV6, (ip) => (isIpv6(ip) ? this.pseudo('ip', ip) : ip));
    // Known principal names as whole words (longest first so "ci-deployer-2" wins over "ci-deployer").
    const names = [...this.names.keys()].sort((a, b) => b.length - a.length);
    for (const name of names) {
      const re = new RegExp(`(?<![\\w-])${escapeRe(name)}(?![\\w-])`, 'g');
      out = out.replace(re, this.names.get(name) as string);
    }
    return out;
  }

  /** Pseudonymize every string (values and object keys) in a JSON value. */
  value<T>(v: T): T {
    return mapStrings(v, (s) => this.text(s)) as T;
  }

  /** Map pseudonyms in a text back to the real values. */
  restoreText(s: string): string {
    if (this.reverse.size === 0) return s;
    const keys = [...this.reverse.keys()].sort((a, b) => b.length - a.length);
    const re = new RegExp(`(?<![\\w-])(?:${keys.map(escapeRe).join('|')})(?![\\w-]|\\d)`, 'g');
    return s.replace(re, (m) => this.reverse.get(m) ?? m);
  }

  /** Map pseudonyms in every string of a JSON value back. */
  restore<T>(v: T): T {
    return mapStrings(v, (s) => this.restoreText(s)) as T;
  }

  /** The mapping (for `--show-payload` and debugging; never sent). */
  mapping(): Array<{ pseudonym: string; value: string }> {
    return [...this.reverse.entries()].map(([pseudonym, value]) => ({ pseudonym, value })).sort((a, b) => a.pseudonym.localeCompare(b.pseudonym));
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // Keys too: facts hold maps keyed by log values (principals, IPs, user agents).
    for (const [k, x] of Object.entries(v)) out[f(k)] = mapStrings(x, f);
    return out;
  }
  return v;
}
