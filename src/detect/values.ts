/**
 * Sigma value matching: wildcards, modifiers and case rules (Sigma specification 2.0, "Value modifiers"), compiled to
 * plain predicates. Pure.
 *
 * - Strings match case-insensitively unless `|cased`; `re` is case-sensitive unless `|re|i` (as the spec says).
 * - `*` matches any run of characters, `?` one character; `\*`, `\?` and `\\` escape them; any other backslash is literal.
 * - A list of values is OR; with `|all` it is AND. `null` matches a missing or null field.
 * - A field holding a list matches when any element matches; a field holding an object is matched as its JSON text.
 */
import { expandIpv6 } from './fields.js';

/** A compiled test of one field: its values (absent field = `[]`), plus a getter for `fieldref`. */
export type ValuesTest = (values: unknown[], ref: (field: string) => unknown[]) => boolean;

/** Modifiers this engine implements. */
export const SUPPORTED_MODIFIERS = [
  'contains',
  'startswith',
  'endswith',
  'all',
  'cased',
  're',
  'i',
  'm',
  's',
  'cidr',
  'exists',
  'windash',
  'base64',
  'base64offset',
  'utf16le',
  'utf16be',
  'utf16',
  'wide',
  'gt',
  'gte',
  'lt',
  'lte',
  'fieldref',
] as const;

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_MODIFIERS);

/** Modifiers Sigma defines that this engine rejects, with the reason shown to the rule author. */
const REJECTED: Record<string, string> = {
  expand: 'needs placeholder values (%name%) that irctl has no configuration for',
  minute: 'time-part modifiers are not supported',
  hour: 'time-part modifiers are not supported',
  day: 'time-part modifiers are not supported',
  week: 'time-part modifiers are not supported',
  month: 'time-part modifiers are not supported',
  year: 'time-part modifiers are not supported',
};

/** Result of compiling a field condition. */
/**
 * A compiled field condition. `single`, when given, is `test` specialised to a field with exactly one non-null value
 * (every normalized-event column): same answer as `test([x])`, without the array walk. It is absent for `all` and
 * `fieldref`.
 */
export type CompiledValues = { ok: true; test: ValuesTest; single?: ((x: unknown) => boolean) | undefined } | { ok: false; error: string };

type StrTest = (s: string) => boolean;

/** A Sigma string with wildcards split into literal text and wildcard tokens. */
type Token = { lit: string } | { wild: '*' | '?' };

/** Parse Sigma escapes and wildcards. */
export function parseWildcards(s: string): Token[] {
  const out: Token[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += c;
    } else if (c === '*' || c === '?') {
      if (lit) out.push({ lit });
      lit = '';
      out.push({ wild: c });
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Compile wildcard tokens to a string test; `cased` false lower-cases both sides. */
function tokensTest(tokens: Token[], cased: boolean): StrTest {
  const norm = (s: string): string => (cased ? s : lower(s));
  const wilds = tokens.filter((t) => 'wild' in t);
  const lits = tokens.filter((t): t is { lit: string } => 'lit' in t).map((t) => norm(t.lit));
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (wilds.length === 0) {
    const p = lits.join('');
    return (s) => norm(s) === p;
  }
  const star = (t: Token | undefined): boolean => t !== undefined && 'wild' in t && t.wild === '*';
  const onlyStars = wilds.every((t) => t.wild === '*');
  if (onlyStars && lits.length === 1 && tokens.length === 2 && star(last)) {
    const p = lits[0] ?? '';
    return (s) => norm(s).startsWith(p);
  }
  if (onlyStars && lits.length === 1 && tokens.length === 2 && star(first)) {
    const p = lits[0] ?? '';
    return (s) => norm(s).endsWith(p);
  }
  if (onlyStars && lits.length === 1 && tokens.length === 3 && star(first) && star(last)) {
    const p = lits[0] ?? '';
    return (s) => norm(s).includes(p);
  }
  if (onlyStars && lits.length === 0) return () => true;
  const src = tokens.map((t) => ('wild' in t ? (t.wild === '*' ? '.*' : '.') : reEscape(norm(t.lit)))).join('');
  const re = new RegExp(`^${src}$`, 's');
  return (s) => re.test(norm(s));
}

const lowerMemo = new Map<string, string>();

/** Lower-case with a bounded memo: the same short values (actions, actor types, user agents) repeat on every event. */
export function lower(s: string): string {
  if (s.length > 80) return s.toLowerCase();
  let l = lowerMemo.get(s);
  if (l === undefined) {
    l = s.toLowerCase();
    if (lowerMemo.size >= 100_000) lowerMemo.clear();
    lowerMemo.set(s, l);
  }
  return l;
}

/** String form of a field value for string matching (undefined for null: only `null` patterns match it). */
function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return undefined;
  return JSON.stringify(v);
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** `windash`: every combination of dash-like characters where `-` or `/` starts an option (as pySigma does). */
export function windashVariants(s: string): string[] {
  const positions: number[] = [];
  const re = /(?<!\w)[-/](?=\w)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) positions.push(m.index);
  if (positions.length === 0) return [s];
  if (positions.length > 4) {
    // 5^n grows fast: use one dash kind throughout beyond four options.
    return DASHES.map((d) => {
      const chars = [...s];
      for (const p of positions) chars[p] = d;
      return chars.join('');
    });
  }
  let out = [s];
  for (const p of positions) {
    const next: string[] = [];
    for (const v of out) for (const d of DASHES) next.push(v.slice(0, p) + d + v.slice(p + 1));
    out = next;
  }
  return [...new Set(out)];
}

function encodeUtf(s: string, enc: string | undefined): Buffer {
  if (enc === 'utf16le' || enc === 'wide') return Buffer.from(s, 'utf16le');
  if (enc === 'utf16be') return Buffer.from(s, 'utf16le').swap16();
  if (enc === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
  return Buffer.from(s, 'utf8');
}

/** `base64offset`: the three encodings of `s` at each byte offset, trimmed to the stable part (pySigma's algorithm). */
export function base64OffsetVariants(bytes: Buffer): string[] {
  const starts = [0, 2, 3];
  const ends = [undefined, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    const end = ends[(bytes.length + i) % 3];
    out.push(enc.slice(starts[i], end));
  }
  return out;
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return (((b[0] ?? 0) << 24) >>> 0) + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0);
}

function ipv6ToBig(ip: string): bigint | undefined {
  const g = expandIpv6(ip);
  if (!g) return undefined;
  return g.reduce((acc, h) => (acc << 16n) + BigInt(parseInt(h, 16)), 0n);
}

/** A test for membership in any of several (valid) CIDRs that parses the address once. */
function cidrSet(cidrs: readonly string[]): StrTest {
  const v4: Array<{ mask: number; net: number }> = [];
  const v6: Array<{ shift: bigint; net: bigint }> = [];
  for (const c of cidrs) {
    const [addr = '', bitsText] = c.split('/');
    const a4 = ipv4ToInt(addr);
    if (a4 !== undefined) {
      const bits = bitsText === undefined ? 32 : Number(bitsText);
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      v4.push({ mask, net: (a4 & mask) >>> 0 });
      continue;
    }
    const a6 = ipv6ToBig(addr);
    if (a6 !== undefined) {
      const shift = BigInt(128 - (bitsText === undefined ? 128 : Number(bitsText)));
      v6.push({ shift, net: a6 >> shift });
    }
  }
  const test = (s: string): boolean => {
    if (s.includes('.') && !s.includes(':')) {
      const x = ipv4ToInt(s);
      return x !== undefined && v4.some((n) => ((x & n.mask) >>> 0) === n.net);
    }
    if (v6.length === 0) return false;
    const x = ipv6ToBig(s);
    return x !== undefined && v6.some((n) => x >> n.shift === n.net);
  };
  // Source addresses repeat a lot: remember recent answers (bounded).
  const memo = new Map<string, boolean>();
  return (s) => {
    let r = memo.get(s);
    if (r === undefined) {
      r = test(s);
      if (memo.size >= 50_000) memo.clear();
      memo.set(s, r);
    }
    return r;
  };
}

/** Compile a CIDR (`10.0.0.0/8`, `2001:db8::/32`) to an IP-string test, or an error. */
export function cidrTest(cidr: string): StrTest | string {
  const [addr, bitsText] = cidr.split('/');
  if (addr === undefined) return `'${cidr}' is not a CIDR`;
  const v4 = ipv4ToInt(addr);
  if (v4 !== undefined) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) return `'${cidr}' has an invalid prefix length`;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    const net = (v4 & mask) >>> 0;
    return (s) => {
      const x = ipv4ToInt(s);
      return x !== undefined && ((x & mask) >>> 0) === net;
    };
  }
  const v6 = ipv6ToBig(addr);
  if (v6 !== undefined) {
    const bits = bitsText === undefined ? 128 : Number(bitsText);
    if (!Number.isInteger(bits) || bits < 0 || bits > 128) return `'${cidr}' has an invalid prefix length`;
    const shift = BigInt(128 - bits);
    const net = v6 >> shift;
    return (s) => {
      const x = ipv6ToBig(s);
      return x !== undefined && x >> shift === net;
    };
  }
  return `'${cidr}' is not an IPv4 or IPv6 CIDR`;
}

/**
 * Compile one Sigma field condition (`field|mod1|mod2: value-or-list`) to a test over the field's values.
 * `values` are the YAML values (strings, numbers, booleans, null).
 */
export function compileValues(modifiers: readonly string[], values: readonly unknown[]): CompiledValues {
  for (const m of modifiers) {
    if (Object.hasOwn(REJECTED, m)) return { ok: false, error: `modifier '${m}' is not supported: ${REJECTED[m] ?? ''}` };
    if (!SUPPORTED.has(m)) return { ok: false, error: `unknown modifier '${m}'` };
  }
  const has = (m: string): boolean => modifiers.includes(m);
  const all = has('all');
  const cased = has('cased');
  const matchKinds = ['contains', 'startswith', 'endswith', 're', 'cidr', 'exists', 'gt', 'gte', 'lt', 'lte', 'fieldref'].filter(has);
  if (matchKinds.length > 1) return { ok: false, error: `modifiers ${matchKinds.join(' and ')} cannot be combined` };
  const kind = matchKinds[0];
  const encoders = ['base64', 'base64offset'].filter(has);
  const utf = ['utf16le', 'utf16be', 'utf16', 'wide'].filter(has);
  if (encoders.length > 1) return { ok: false, error: 'base64 and base64offset cannot be combined' };
  if (utf.length > 1) return { ok: false, error: `modifiers ${utf.join(' and ')} cannot be combined` };
  if (utf.length && !encoders.length) return { ok: false, error: `modifier '${utf[0] ?? ''}' is only supported before base64/base64offset` };
  for (const f of ['i', 'm', 's']) if (has(f) && kind !== 're') return { ok: false, error: `modifier '${f}' is only valid after 're'` };
  if ((kind === 're' || kind === 'cidr' || kind === 'exists' || kind === 'fieldref' || kind?.startsWith('g') || kind?.startsWith('l')) && (encoders.length || has('windash'))) {
    return { ok: false, error: `modifier '${kind ?? ''}' cannot be combined with encoding modifiers` };
  }
  if (values.length === 0) return { ok: false, error: 'empty value list' };

  if (kind === 'exists') {
    const v = values[0];
    if (values.length !== 1 || typeof v !== 'boolean') return { ok: false, error: "'exists' takes true or false" };
    return { ok: true, test: (vals) => (vals.length > 0) === v, single: () => v };
  }

  if (kind === 'cidr') {
    // One parse of the field value for the whole list of networks.
    const nets: StrTest[] = [];
    for (const v of values) {
      if (typeof v !== 'string') return { ok: false, error: `'cidr' needs network strings, got ${JSON.stringify(v)}` };
      const t = cidrTest(v);
      if (typeof t === 'string') return { ok: false, error: t };
      nets.push(t);
    }
    if (all) return { ok: false, error: "'cidr' cannot be combined with 'all' (an address is in one network)" };
    const parsed = cidrSet(values as string[]);
    const one = (x: unknown): boolean => {
      const t = asText(x);
      return t !== undefined && parsed(t);
    };
    return { ok: true, test: (vals) => vals.some(one), single: one };
  }
  const tests: Array<ValuesTest> = [];
  // Per-value form of each entry of `tests` (undefined for fieldref, which needs the other field).
  const singles: Array<((x: unknown) => boolean) | undefined> = [];
  // Plain values without wildcards are looked up in one set (one lower-casing of the field value for the whole list).
  const exact = new Set<string>();
  const plain = kind === undefined && !encoders.length && !has('windash') && !all;
  for (const v of values) {
    if (plain && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
      const toks = parseWildcards(String(v));
      if (toks.every((t) => 'lit' in t)) {
        const lit = toks.map((t) => ('lit' in t ? t.lit : '')).join('');
        exact.add(cased ? lit : lit.toLowerCase());
        continue;
      }
    }
    if (v === null) {
      if (kind !== undefined || encoders.length) return { ok: false, error: `null cannot be used with modifier '${kind ?? encoders[0] ?? ''}'` };
      tests.push((vals) => vals.length === 0 || vals.some((x) => x === null));
      singles.push((x) => x === null);
      continue;
    }
    if (typeof v === 'object') return { ok: false, error: 'a value must be a string, number, boolean or null (not a map or list)' };
    const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
    let one: StrTest | undefined;
    if (kind === 're') {
      const flags = `${has('i') ? 'i' : ''}${has('m') ? 'm' : ''}${has('s') ? 's' : ''}`;
      try {
        const re = new RegExp(text, flags);
        one = (s) => re.test(s);
      } catch (err) {
        return { ok: false, error: `regular expression '${text}' is not valid in JavaScript: ${(err as Error).message}` };
      }
    } else if (kind === 'gt' || kind === 'gte' || kind === 'lt' || kind === 'lte') {
      const n = Number(text);
      if (!Number.isFinite(n)) return { ok: false, error: `'${kind}' needs a number, got '${text}'` };
      const cmp = { gt: (x: number) => x > n, gte: (x: number) => x >= n, lt: (x: number) => x < n, lte: (x: number) => x <= n }[kind];
      one = (s) => {
        const x = Number(s);
        return s.trim() !== '' && Number.isFinite(x) && cmp(x);
      };
    } else if (kind === 'fieldref') {
      const other = text;
      tests.push((vals, ref) => {
        const theirs = ref(other)
          .map(asText)
          .filter((x): x is string => x !== undefined)
          .map((x) => (cased ? x : x.toLowerCase()));
        return vals.some((x) => {
          const t = asText(x);
          return t !== undefined && theirs.includes(cased ? t : t.toLowerCase());
        });
      });
      singles.push(undefined);
      continue;
    } else {
      // Plain, contains, startswith, endswith, with optional windash / base64 transformations.
      let variants: string[] = has('windash') ? windashVariants(text) : [text];
      let tokensOf = (s: string): Token[] => parseWildcards(s);
      let caseSensitive = cased;
      if (encoders.length) {
        if (parseWildcards(text).some((t) => 'wild' in t)) return { ok: false, error: `wildcards cannot be used with '${encoders[0] ?? ''}'` };
        const enc = utf[0];
        variants = variants.flatMap((s) => {
          const lit = parseWildcards(s)
            .map((t) => ('lit' in t ? t.lit : ''))
            .join('');
          const bytes = encodeUtf(lit, enc);
          return encoders[0] === 'base64offset' ? base64OffsetVariants(bytes) : [bytes.toString('base64')];
        });
        tokensOf = (s) => [{ lit: s }];
        caseSensitive = true; // base64 text is case-sensitive
      }
      const fns = variants.map((s) => {
        let toks = tokensOf(s);
        const starTok: Token = { wild: '*' };
        const isStar = (t: Token | undefined): boolean => t !== undefined && 'wild' in t && t.wild === '*';
        if (kind === 'contains' || (encoders[0] === 'base64offset' && kind === undefined)) {
          if (!isStar(toks[0])) toks = [starTok, ...toks];
          if (!isStar(toks[toks.length - 1])) toks = [...toks, starTok];
        } else if (kind === 'startswith') {
          if (!isStar(toks[toks.length - 1])) toks = [...toks, starTok];
        } else if (kind === 'endswith') {
          if (!isStar(toks[0])) toks = [starTok, ...toks];
        }
        return tokensTest(toks, caseSensitive);
      });
      one = fns.length === 1 ? fns[0] : (s) => fns.some((f) => f(s));
    }
    const strTest = one;
    if (!strTest) return { ok: false, error: 'internal: no matcher' };
    const oneStr = (x: unknown): boolean => {
      const t = asText(x);
      return t !== undefined && strTest(t);
    };
    tests.push((vals) => vals.some(oneStr));
    singles.push(oneStr);
  }
  if (exact.size > 0) {
    // Lower-casing keeps the length of these values, so a length check rejects most non-matches cheaply.
    const lengths = new Set([...exact].map((e) => e.length));
    const safe = [...exact].every((e) => /^[\x20-\x7e]*$/.test(e));
    const oneExact = (x: unknown): boolean => {
      const t = asText(x);
      if (t === undefined || (safe && !lengths.has(t.length))) return false;
      return exact.has(cased ? t : lower(t));
    };
    tests.unshift((vals) => vals.some(oneExact));
    singles.unshift(oneExact);
  }
  const ones = all || singles.some((f) => f === undefined) ? undefined : (singles as Array<(x: unknown) => boolean>);
  const single = ones === undefined ? undefined : ones.length === 1 ? ones[0] : (x: unknown) => ones.some((f) => f(x));
  if (tests.length === 1) {
    const t = tests[0];
    if (t) return { ok: true, test: t, single };
  }
  return {
    ok: true,
    test: all ? (vals, ref) => tests.every((t) => t(vals, ref)) : (vals, ref) => tests.some((t) => t(vals, ref)),
    single,
  };
}

/** Keyword search: true when some string leaf contains the keyword (wildcards allowed, case-insensitive). */
export function keywordTest(keyword: string): StrTest {
  let toks = parseWildcards(keyword);
  const isStar = (t: Token | undefined): boolean => t !== undefined && 'wild' in t && t.wild === '*';
  if (!isStar(toks[0])) toks = [{ wild: '*' }, ...toks];
  if (!isStar(toks[toks.length - 1])) toks = [...toks, { wild: '*' }];
  return tokensTest(toks, false);
}
