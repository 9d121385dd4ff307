/**
 * Text normalization and decoding for what log data may hide: the injection scanner reads every value through
 * these (a payload can be URL-encoded, HTML-escaped, in markup comments, base64, ROT13, spelled with look-alike
 * letters from other scripts, fullwidth, or interleaved with invisible characters), and the pseudonymizer decodes
 * percent-encoding before it looks for secrets and identifiers. Pure: no I/O.
 */

/** Zero-width and formatting characters, bidi controls, Unicode tag characters, Hangul fillers, C0/C1 controls (not \t\n\r). */
// eslint-disable-next-line no-control-regex
export const INVISIBLE_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|\u034F|\u17B4|\u17B5|\u180B|\u180C|\u180D|\u180F|\uDB40[\uDC00-\uDC7F]/g;
/** Variation selectors (VS1-VS16, VS17-VS256): invisible modifiers of the character before them. */
export const VARIATION_RE = /[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF]/g;

/** Decode percent-encoded runs (up to three layers: `%2522` is an encoded `%22`); malformed runs are left as they are. */
export function decodePercent(s: string): string {
  let out = s;
  for (let i = 0; i < 3 && /%[0-9A-Fa-f]{2}/.test(out); i++) {
    const next = out.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', colon: ':', lpar: '(', rpar: ')', equals: '=', num: '#', excl: '!', period: '.', comma: ',' };

function fromCodePoint(n: number): string | undefined {
  return Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : undefined;
}

/** Decode HTML character references (`&#105;`, `&#x69;`, `&quot;`), twice (`&amp;#105;`). */
export function decodeHtmlEntities(s: string): string {
  let out = s;
  for (let i = 0; i < 2 && out.includes('&'); i++) {
    out = out.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));?/g, (m, dec?: string, hex?: string, name?: string) => {
      if (dec !== undefined) return fromCodePoint(Number(dec)) ?? m;
      if (hex !== undefined) return fromCodePoint(parseInt(hex, 16)) ?? m;
      return NAMED_ENTITIES[(name ?? '').toLowerCase()] ?? m;
    });
  }
  return out;
}

/** Decode backslash escapes of JSON and source code (`\u0069`, `\x69`, `\u{69}`, `\n`, `\"`), at any depth. */
export function decodeEscapes(s: string): string {
  let out = s;
  for (let i = 0; i < 3 && out.includes('\\'); i++) {
    const next = out.replace(/\\+(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([nrt"'\\/]))/g, (m, brace?: string, u4?: string, x2?: string, ch?: string) => {
      const hex = brace ?? u4 ?? x2;
      if (hex !== undefined) return fromCodePoint(parseInt(hex, 16)) ?? m;
      return ch === 'n' || ch === 'r' || ch === 't' ? ' ' : (ch ?? m);
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * Readings of markup: the text with comments and tags removed (a tag may split a word, or separate two), and
 * what comments and CDATA sections hold (HTML/XML `<!-- -->`, C-style block comments).
 */
export function markupReadings(s: string): string[] {
  const comments = [...s.matchAll(/<!--([\s\S]*?)(?:-->|$)|<!\[CDATA\[([\s\S]*?)(?:\]\]>|$)|\/\*([\s\S]*?)(?:\*\/|$)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  const noComments = s.replace(/<!--[\s\S]*?(?:-->|$)|\/\*[\s\S]*?(?:\*\/|$)/g, '');
  const TAG = /<\/?[a-zA-Z!?][^<>]{0,200}>/g;
  return [noComments.replace(TAG, ''), s.replace(/<!--|-->|<!\[CDATA\[|\]\]>|\/\*|\*\//g, ' ').replace(TAG, ' '), comments.join(' ')].filter((x) => x.trim() !== '');
}

const B64_RE = /[A-Za-z0-9+/_-]{16,}={0,2}/g;

/** Base64 (and base64url) runs of a text that decode to readable UTF-8 text (any script). */
export function decodedBase64Runs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(B64_RE)) {
    const decoded = Buffer.from(m[0].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    if (decoded.length < 8 || decoded.includes('\uFFFD')) continue;
    // Random bytes are almost never all readable: 12 random bytes are printable ASCII with odds of about 1 in 150,000.
    const readable = (decoded.match(/[\p{L}\p{N}\p{P}\p{S}\p{Zs}\n\t]/gu) ?? []).length / [...decoded].length;
    if (readable > 0.95) out.push(decoded);
  }
  return out;
}

/**
 * Text hidden in invisible characters: Unicode tag characters (U+E0020..U+E007E mirror ASCII) and runs of
 * variation selectors used as bytes (VS1-16 = 0..15, VS17-256 = 16..255).
 */
export function invisibleSmuggled(s: string): string[] {
  const out: string[] = [];
  const tags = [...s.matchAll(/(?:\uDB40[\uDC20-\uDC7E]){4,}/g)].map((m) => [...m[0]].map((c) => String.fromCharCode((c.codePointAt(0) ?? 0) - 0xe0000)).join(''));
  out.push(...tags);
  for (const m of s.matchAll(/(?:[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF]){4,}/g)) {
    const bytes = [...m[0]].map((c) => {
      const cp = c.codePointAt(0) ?? 0;
      return cp <= 0xfe0f ? cp - 0xfe00 : cp - 0xe0100 + 16;
    });
    const text = Buffer.from(bytes).toString('utf8');
    if (!text.includes('\uFFFD')) out.push(text);
  }
  return out;
}

/** ROT13 of the ASCII letters. */
export function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/** Letters spelled out one by one (`i g n o r e`, `i.g.n.o.r.e`) joined back into words. */
export function collapseSpacedLetters(s: string): string {
  return s.replace(/(?<![\p{L}\p{N}])(?:[\p{L}][ ._*\-~]){1,}[\p{L}](?![\p{L}\p{N}])/gu, (m) => m.replace(/[ ._*\-~]/g, ''));
}

// Confusable letters of other scripts and Latin look-alikes mapped to the Latin letter they imitate: the part of
// the Unicode TR39 skeleton (confusables.txt) an attacker uses to write English with Cyrillic or Greek letters.
// Pairs: look-alike, Latin letter.
const TO_LATIN_PAIRS =
  // Cyrillic
  'аaАAвbВBсcСCԁdеeЕEёeһhНHнhіiІIїiјjЈJкkКKӏlӀlмmМMпnоoОOрpРPԛqгrѕsЅSтtТTуyУYхxХXүyҮYьbԝwԜW' +
  // Greek
  'αaΑAβbΒBγyεeΕEζzΖZηnΗHιiΙIκkΚKμuΜMνvΝNοoΟOρpΡPσoτtΤTυuΥYχxΧXωw' +
  // Latin small capitals, IPA and dotless letters, Armenian
  'ıiȷjɑaɡgɩiɪiɴnʀrᴀaʙbᴄcᴅdᴇeɢgʜhᴊjᴋkʟlᴍmᴏoᴘpꜱsᴛtᴜuᴠvᴡwʏyᴢzօoոnսuհhցgſs';
const TO_LATIN = new Map<string, string>();
for (let i = 0; i + 1 < TO_LATIN_PAIRS.length; i += 2) TO_LATIN.set(TO_LATIN_PAIRS[i] as string, TO_LATIN_PAIRS[i + 1] as string);
const TO_LATIN_RE = new RegExp(`[${[...TO_LATIN.keys()].filter((k) => !/[a-zA-Z]/.test(k)).join('')}]`, 'g');
// Latin letters that imitate Cyrillic ones, for words written mostly in Cyrillic (`игнopируй`).
const TO_CYRILLIC = new Map(Object.entries({ a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', y: 'у', x: 'х', k: 'к', m: 'м', t: 'т', h: 'н', b: 'в', n: 'п', u: 'и', r: 'г' }));
const FOLD: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', þ: 'th' };

/** Strip invisible characters and variation selectors; NFKC (fullwidth, mathematical and circled letters, ligatures). */
export function unicodeBase(s: string): string {
  return s.replace(INVISIBLE_RE, '').replace(VARIATION_RE, '').normalize('NFKC');
}

/** Remove diacritics (combining marks), keeping precomposed letters of scripts that need them only when asked. */
function foldMarks(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '').normalize('NFC');
}

/**
 * The Latin skeleton of a text, lower-cased, as the patterns for Latin-script languages read it: invisible
 * characters and variation selectors removed, NFKC, confusables mapped to Latin, diacritics removed, whitespace
 * collapsed. Destroys text in other scripts (see {@link nativeView}).
 */
export function latinView(s: string, base = unicodeBase(s)): string {
  return foldMarks(base.replace(TO_LATIN_RE, (c) => TO_LATIN.get(c) ?? c).toLowerCase())
    .replace(/[ßæœøđłþ]/g, (c) => FOLD[c] ?? c)
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The text as the patterns for Cyrillic, Chinese and Japanese read it: invisible characters removed, NFKC, lower
 * case, stray combining marks removed (precomposed letters such as `й` kept), `ё` as `е`, and Latin look-alikes
 * inside Cyrillic words mapped to Cyrillic.
 */
export function nativeView(s: string, base = unicodeBase(s)): string {
  return base
    .toLowerCase()
    .normalize('NFC')
    .replace(/\p{M}+/gu, '')
    .replace(/ё/g, 'е')
    .replace(/[\p{L}]+/gu, (w) => (/\p{Script=Cyrillic}/u.test(w) && /[a-z]/.test(w) ? w.replace(/[a-z]/g, (c) => TO_CYRILLIC.get(c) ?? c) : w))
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when a text has letters of scripts the native patterns are for. */
export function hasNativeScript(s: string): boolean {
  return /[\u0400-\u04FF\u3040-\u30FF\u3400-\u9FFF\uF900-\uFAFF]/.test(s);
}
