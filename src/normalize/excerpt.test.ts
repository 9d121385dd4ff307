import { describe, expect, it } from 'vitest';
import { labelledExcerpt, untrustedExcerpt } from './excerpt.js';

describe('untrustedExcerpt', () => {
  it('removes terminal escapes, controls, bidi overrides and invisible characters, collapses whitespace', () => {
    const s = '\u001b[1;31mred\u001b[0m \u001b]0;title\u0007 a\u202eb\u200bc\r\n\t d\u0000e';
    expect(untrustedExcerpt(s)).toBe('red abc de');
  });

  it('cuts at the limit in code points without splitting a surrogate pair, and reads only the start of huge text', () => {
    const emoji = '\u{1F600}'.repeat(10);
    expect(untrustedExcerpt(emoji, 5)).toBe('\u{1F600}'.repeat(4) + '…');
    const huge = 'x'.repeat(200_000);
    expect(untrustedExcerpt(huge, 10)).toBe('xxxxxxxxx…');
    // A lone surrogate (a pair cut by the read limit) is dropped.
    expect(untrustedExcerpt('a\uD83Db')).toBe('ab');
  });

  it('keeps markup as text (renderers escape it) and quotes each labelled part as a JSON string', () => {
    expect(labelledExcerpt([['prompt', 'say "hi" <b>now</b>'], ['output', undefined], ['tool', '   ']])).toBe('prompt "say \\"hi\\" <b>now</b>"');
    expect(labelledExcerpt([['prompt', '']])).toBeUndefined();
  });
});
