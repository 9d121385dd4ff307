/**
 * What leaves the machine. Before anything is sent to a model, secrets are removed and the case's identifiers
 * (principals and their names, accounts, keys, IPs, sessions, resources, e-mail addresses) become stable pseudonyms
 * such as `principal-2`, `ACCT_1`, `KEY_1`, `IP_1`, `resource-4`. The mapping stays in memory on this machine and is
 * applied back to the model's answer (and to the arguments of its tool calls).
 *
 * By construction rather than by luck: the agent first teaches the pseudonymizer every entity value of the case
 * ({@link Pseudonymizer.learn}), so a name is replaced wherever it appears (a threat title, a detection summary,
 * an error message), not only where a pattern happens to recognise it. Provider-specific identifier shapes (ARNs,
 * key ids, account ids, secret formats, public values) come from the provider registry (`pseudonymPatterns()`);
 * what is here is provider-neutral. Pure: no I/O.
 */
import { isServicePrincipal, jewelForms, pseudonymPatterns } from '../sources/index.js';
import type { PseudonymPattern } from '../sources/types.js';
import { decodePercent } from './decode.js';

/** Pseudonym kinds. */
export type PseudoKind = 'ip' | 'principal' | 'account' | 'key' | 'principal_id' | 'email' | 'resource' | 'host';

const PREFIX: Record<PseudoKind, string> = {
  ip: 'IP_',
  principal: 'principal-',
  account: 'ACCT_',
  key: 'KEY_',
  principal_id: 'PID_',
  email: 'user-',
  resource: 'resource-',
  host: 'host-',
};

const REDACTED = '[REDACTED]';

// ---------------------------------------------------------------------------------------------------------------
// secrets

// A quote in any escaping: JSON at any depth (\" \\\" ...), \u0022, URL (%22, %2522), HTML (&quot; &#34;).
const QUOTE = String.raw`\\*"|\\*'|\\+u00(?:22|27)|%(?:25)*2[27]|&(?:quot|apos|#0*3[49]|#x0*2[27]);`;
const SEPARATOR = String.raw`:|=|%(?:25)*3[AaDd]|\\+u003[AaDd]`;
/** A secret-looking key (JSON key, query parameter, header, log field) followed by its separator and opening quote. */
const SECRET_KEY = new RegExp(
  String.raw`(?<![A-Za-z0-9_.:/-])(?<key>[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|private[_-]?key|api[_-]?key|credential|authorization|cookie|signature)[A-Za-z0-9_.-]*)(?:${QUOTE})?\s*(?:${SEPARATOR})\s*(?<open>${QUOTE})?`,
  'gi',
);
/** Keys that name or count a secret rather than hold it (`secretId`, `tokenCount`): their values are kept. */
const NOT_A_SECRET_VALUE = /(?:id|ids|arn|arns|name|names|count|type|types|length|version)$/i;
const UNQUOTED_VALUE = /^[^\s,;&}\])"'<>\\]+/;
const MAX_SECRET = 10_000;

/** Secret shapes that need no key: PEM private keys, HTTP credentials, well-known token formats. */
const SECRET_SHAPES: readonly RegExp[] = [
  /-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(?<=(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWT
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g,
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}/g,
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g,
];

/** Where the quoted value that starts at `from` ends: the next `open` token at the same escaping depth. */
function closingQuote(s: string, from: number, open: string): number {
  const escapable = open.startsWith('\\') || open === '"' || open === "'";
  let k = s.indexOf(open, from);
  while (k >= 0 && escapable && k > from && s[k - 1] === '\\') k = s.indexOf(open, k + 1);
  return k;
}

/** Redact the values of secret-looking keys, whatever the nesting or escaping around them. */
function redactKeyValues(s: string): string {
  let out = '';
  let last = 0;
  SECRET_KEY.lastIndex = 0;
  for (let m = SECRET_KEY.exec(s); m !== null; m = SECRET_KEY.exec(s)) {
    const key = m.groups?.key ?? '';
    const open = m.groups?.open;
    const from = m.index + m[0].length;
    if (from < last || NOT_A_SECRET_VALUE.test(key)) continue;
    let to: number;
    if (open) {
      const k = closingQuote(s, from, open);
      to = k < 0 || k - from > MAX_SECRET ? Math.min(s.length, from + MAX_SECRET) : k;
    } else {
      // A nested object or array: its own keys are looked at as the scan goes on.
      if (s[from] === '{' || s[from] === '[') continue;
      to = from + (UNQUOTED_VALUE.exec(s.slice(from, from + MAX_SECRET))?.[0].length ?? 0);
    }
    if (to <= from) continue;
    out += `${s.slice(last, from)}${REDACTED}`;
    last = to;
    SECRET_KEY.lastIndex = to;
  }
  return out + s.slice(last);
}

/** Remove secrets from a text (also inside escaped or URL-encoded JSON). `extra`: provider secret shapes. */
export function redactSecrets(s: string, extra: readonly RegExp[] = secretPatterns(pseudonymPatterns())): string {
  let out = decodePercent(s);
  // Shapes first: `Authorization: Bearer <token>` must lose the token, not only the word after the key.
  for (const re of [...SECRET_SHAPES, ...extra]) out = out.replace(re, REDACTED);
  return redactKeyValues(out);
}

function secretPatterns(patterns: readonly PseudonymPattern[]): RegExp[] {
  return patterns.filter((p) => p.kind === 'secret').map((p) => p.pattern);
}

// ---------------------------------------------------------------------------------------------------------------
// generic identifier shapes (provider-neutral)

const UUID = /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g;
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g;
const IPV6 = /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}:?[0-9a-fA-F]{0,4}(?![\w:])/g;
const EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b/g;
const IS_EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Pseudonyms as they appear in the model's text (for mapping back). */
const PSEUDONYM = new RegExp(
  String.raw`\buser-\d+@example\.invalid\b|(?<![A-Za-z0-9_])(?:${Object.values(PREFIX)
    .filter((p) => p !== PREFIX.email)
    .join('|')})\d+(?![A-Za-z0-9_])`,
  'g',
);

function isIpv6(s: string): boolean {
  const colons = (s.match(/:/g) ?? []).length;
  return colons >= 3 || s.includes('::') ? /[a-fA-F]|::/.test(s) || colons >= 4 : false;
}

/** A letter or digit (a learnt name only matches between characters that are not). */
function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return /[\p{L}\p{N}]/u.test(String.fromCharCode(c));
}

/** Text being pseudonymized: parts already decided (a pseudonym, a kept value) are not looked at again. */
interface Segment {
  text: string;
  done: boolean;
}

function replaceIn(segs: Segment[], re: RegExp, f: (m: RegExpExecArray) => string | undefined): Segment[] {
  const out: Segment[] = [];
  for (const seg of segs) {
    if (seg.done) {
      out.push(seg);
      continue;
    }
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(seg.text); m !== null; m = re.exec(seg.text)) {
      if (m[0] === '') {
        re.lastIndex++;
        continue;
      }
      const r = f(m);
      if (r === undefined) continue;
      if (m.index > last) out.push({ text: seg.text.slice(last, m.index), done: false });
      out.push({ text: r, done: true });
      last = m.index + m[0].length;
    }
    if (last < seg.text.length) out.push({ text: seg.text.slice(last), done: false });
  }
  return out;
}

/** Entity kinds (the `entities` table, threat entities, context) and the pseudonym kind of a value of that kind. */
const KIND_OF: Record<string, PseudoKind | undefined> = {
  principal: 'principal',
  role: 'principal',
  session: 'principal',
  user: 'principal',
  access_key: 'key',
  key: 'key',
  principal_id: 'principal_id',
  ip: 'ip',
  account: 'account',
  host: 'host',
  resource: 'resource',
  instance: 'resource',
  user_agent: undefined, // not identifying, and the analysis needs it (attack-tool markers)
};

/** Names shorter than this are not replaced as free words (too many false hits); patterns still catch them. */
const MIN_NAME = 3;

/** A reversible, per-run pseudonymizer. */
export class Pseudonymizer {
  private readonly forward = new Map<string, string>();
  private readonly reverse = new Map<string, string>();
  private readonly counters = new Map<PseudoKind, number>();
  /** Learnt values replaced as whole words wherever they appear: lower-cased value -> pseudonym. */
  private readonly words = new Map<string, string>();
  private readonly wordLengths = new Set<number>();
  private maxWord = 0;
  private readonly patterns: ReadonlyArray<PseudonymPattern & { re: RegExp }>;
  private readonly secrets: readonly RegExp[];

  /** @param patterns provider identifier shapes; default: every registered provider's. */
  constructor(patterns: readonly PseudonymPattern[] = pseudonymPatterns()) {
    // `d`: group indices, so a structured pattern keeps everything but its account and name groups.
    this.patterns = patterns
      .filter((p) => p.kind !== 'secret')
      .map((p) => ({ ...p, re: new RegExp(p.pattern.source, [...new Set(`${p.pattern.flags}gd`)].join('')) }));
    this.secrets = secretPatterns(patterns);
  }

  /** The pseudonym of a value (created on first use). */
  pseudo(kind: PseudoKind, value: string): string {
    const existing = this.forward.get(`${kind}\u0000${value}`);
    if (existing) return existing;
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const p = kind === 'email' ? `${PREFIX.email}${n}@example.invalid` : `${PREFIX[kind]}${n}`;
    this.forward.set(`${kind}\u0000${value}`, p);
    this.reverse.set(p, value);
    return p;
  }

  /** Pseudonymize a value and replace it as a whole word wherever it appears later. */
  private word(kind: PseudoKind, value: string): string {
    const p = this.pseudo(kind, value);
    const key = value.toLowerCase();
    if (value.length >= MIN_NAME && /[\p{L}\p{N}]/u.test(value) && !this.words.has(key)) {
      this.words.set(key, p);
      this.wordLengths.add(key.length);
      this.maxWord = Math.max(this.maxWord, key.length);
    }
    return p;
  }

  /**
   * Learn the identifiers of the case before anything is sent: each value gets its pseudonym now and is replaced
   * wherever it appears from then on. Values a provider calls public or a service of its own are not learnt.
   */
  learn(entities: Iterable<{ kind: string; value: string | null | undefined }>): void {
    for (const { kind, value } of entities) {
      const k = KIND_OF[kind] ?? (kind in KIND_OF ? undefined : 'resource');
      const v = value?.trim();
      if (k === undefined || !v || isServicePrincipal(v) || this.isPublic(v)) continue;
      if (k === 'ip' || k === 'account') {
        this.word(k, v);
        continue;
      }
      // Structured values (ARNs) teach their names through the patterns; anything else is learnt as it is.
      if (this.text(v) === v) this.word(IS_EMAIL.test(v) ? 'email' : k, v.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''));
      // Other forms a resource takes in events (a secret's name without its random suffix), as whole words.
      if (k === 'resource') for (const f of jewelForms(v)) if (f !== v) this.word('resource', f);
    }
  }

  private isPublic(v: string): boolean {
    return this.patterns.some((p) => {
      if (p.kind !== 'public') return false;
      p.re.lastIndex = 0;
      const m = p.re.exec(v);
      return m !== null && m.index === 0 && m[0].length === v.length;
    });
  }

  /** The pseudonym text of one provider-pattern match (structured when the pattern has named groups). */
  private patternMatch(p: PseudonymPattern, m: RegExpExecArray): string {
    if (p.kind === 'public' || p.kind === 'secret') return m[0];
    const kind: PseudoKind = p.kind;
    const idx = m.indices?.groups;
    if (!m.groups || !idx) return this.pseudo(kind, m[0]);
    const parts: Array<{ at: [number, number]; text: string }> = [];
    const acct = idx.account;
    if (acct && m.groups.account) parts.push({ at: acct, text: this.word('account', m.groups.account) });
    const name = idx.name;
    if (name && m.groups.name) {
      // Punctuation that ends a sentence or a list is not part of the name (`user/alice, user/bob.`).
      const value = m.groups.name.replace(/[.,;=+@]+$/, '');
      // Each part of a path (`role/path/name`, `bucket/key`) that has a letter gets its own pseudonym; dates,
      // numbers and wildcards between them are kept.
      const text = value
        .split(/([/:])/)
        .map((part, i) => (i % 2 === 1 || !/\p{L}/u.test(part) ? part : this.word(kind, part)))
        .join('');
      parts.push({ at: [name[0], name[0] + value.length], text });
    }
    parts.sort((a, b) => a.at[0] - b.at[0]);
    let out = '';
    let at = m.index;
    for (const part of parts) {
      out += m.input.slice(at, part.at[0]) + part.text;
      at = part.at[1];
    }
    return out + m.input.slice(at, m.index + m[0].length);
  }

  /** Replace learnt words (longest first, case-insensitive) between non-word characters. */
  private replaceWords(segs: Segment[]): Segment[] {
    if (this.words.size === 0) return segs;
    const out: Segment[] = [];
    for (const seg of segs) {
      if (seg.done) {
        out.push(seg);
        continue;
      }
      const s = seg.text;
      const lower = s.toLowerCase();
      let last = 0;
      for (let i = 0; i < s.length; i++) {
        if ((i > 0 && isWordChar(s.charCodeAt(i - 1))) || !isWordChar(s.charCodeAt(i))) continue;
        for (let j = Math.min(s.length, i + this.maxWord); j > i; j--) {
          if (!this.wordLengths.has(j - i) || (j < s.length && isWordChar(s.charCodeAt(j)))) continue;
          const p = this.words.get(lower.slice(i, j));
          if (p === undefined) continue;
          if (i > last) out.push({ text: s.slice(last, i), done: false });
          out.push({ text: p, done: true });
          last = j;
          i = j - 1;
          break;
        }
      }
      if (last < s.length) out.push({ text: s.slice(last), done: false });
    }
    return out;
  }

  /** Pseudonymize and redact one text. */
  text(s: string): string {
    let segs: Segment[] = [{ text: redactSecrets(s, this.secrets), done: false }];
    // Evidence ids are kept (they are random), and nothing inside them is replaced.
    segs = replaceIn(segs, UUID, (m) => m[0]);
    for (const p of this.patterns) segs = replaceIn(segs, p.re, (m) => this.patternMatch(p, m));
    segs = replaceIn(segs, EMAIL, (m) => this.word('email', m[0]));
    segs = this.replaceWords(segs);
    segs = replaceIn(segs, IPV4, (m) => this.word('ip', m[0]));
    segs = replaceIn(segs, IPV6, (m) => (isIpv6(m[0]) ? this.word('ip', m[0]) : undefined));
    return segs.map((x) => x.text).join('');
  }

  /** Pseudonymize every string (values and object keys) in a JSON value. */
  value<T>(v: T): T {
    return mapStrings(v, (s) => this.text(s)) as T;
  }

  /** Map pseudonyms in a text back to the real values. */
  restoreText(s: string): string {
    if (this.reverse.size === 0) return s;
    return s.replace(PSEUDONYM, (m) => this.reverse.get(m) ?? m);
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

/** Map every string of a JSON value, object keys included. */
export function mapStrings(v: unknown, f: (s: string) => string): unknown {
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
