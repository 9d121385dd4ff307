import { describe, expect, it } from 'vitest';
import { base64OffsetVariants, cidrTest, compileValues, parseWildcards, windashVariants } from './values.js';

/** Compile and run one field condition against a field's values. */
function m(mods: string[], values: unknown[], fieldValues: unknown[], ref: Record<string, unknown[]> = {}): boolean {
  const c = compileValues(mods, values);
  if (!c.ok) throw new Error(c.error);
  return c.test(fieldValues, (f) => ref[f] ?? []);
}

function err(mods: string[], values: unknown[]): string {
  const c = compileValues(mods, values);
  return c.ok ? '' : c.error;
}

describe('Sigma value matching', () => {
  it('matches plain strings case-insensitively and exactly', () => {
    // GIVEN / WHEN / THEN
    expect(m([], ['StopLogging'], ['stoplogging'])).toBe(true);
    expect(m([], ['StopLogging'], ['StopLoggingX'])).toBe(false);
    expect(m(['cased'], ['StopLogging'], ['stoplogging'])).toBe(false);
  });

  it('treats * and ? as wildcards and honours escapes', () => {
    expect(m([], ['Delete*'], ['DeleteTrail'])).toBe(true);
    expect(m([], ['Get?'], ['GetX'])).toBe(true);
    expect(m([], ['Get?'], ['GetXY'])).toBe(false);
    expect(m([], ['*'], ['anything'])).toBe(true);
    expect(m([], ['\\*'], ['anything'])).toBe(false);
    expect(m([], ['\\*'], ['*'])).toBe(true);
    expect(m([], ['a\\?b'], ['a?b'])).toBe(true);
    expect(m([], ['a\\?b'], ['axb'])).toBe(false);
    expect(m([], ['C:\\Windows'], ['c:\\windows'])).toBe(true);
    expect(parseWildcards('x\\\\*')).toEqual([{ lit: 'x\\' }, { wild: '*' }]);
  });

  it('implements contains / startswith / endswith and |all', () => {
    expect(m(['contains'], ['admin'], ['MyAdminRole'])).toBe(true);
    expect(m(['startswith'], ['arn:aws:iam'], ['ARN:AWS:IAM::1:role/x'])).toBe(true);
    expect(m(['endswith'], ['/AdministratorAccess'], ['arn:aws:iam::aws:policy/AdministratorAccess'])).toBe(true);
    expect(m(['contains', 'all'], ['iam', 'policy'], ['arn:aws:iam::aws:policy/x'])).toBe(true);
    expect(m(['contains', 'all'], ['iam', 'nope'], ['arn:aws:iam::aws:policy/x'])).toBe(false);
    expect(m(['contains'], ['iam', 'nope'], ['arn:aws:iam::aws:policy/x'])).toBe(true);
  });

  it('matches any element of a list field and the JSON text of an object', () => {
    expect(m([], ['b'], [['a', 'b']].flat())).toBe(true);
    expect(m(['contains'], ['"Effect":"Allow"'], [{ Effect: 'Allow' }])).toBe(true);
  });

  it('handles null (missing or null field) and empty string', () => {
    expect(m([], [null], [])).toBe(true);
    expect(m([], [null], [null])).toBe(true);
    expect(m([], [null], ['x'])).toBe(false);
    expect(m([], [''], [''])).toBe(true);
    expect(m([], [''], [])).toBe(false);
    expect(m([], ['x'], [null])).toBe(false);
  });

  it('compares numbers and booleans by their text', () => {
    expect(m([], [false], [false])).toBe(true);
    expect(m([], [false], ['false'])).toBe(true);
    expect(m([], [22], ['22'])).toBe(true);
    expect(m(['gte'], [10], [12])).toBe(true);
    expect(m(['lt'], [10], ['12'])).toBe(false);
  });

  it('implements re (case-sensitive unless |i), cidr, exists and fieldref', () => {
    expect(m(['re'], ['^i-[0-9a-f]+$'], ['i-0abc'])).toBe(true);
    expect(m(['re'], ['^I-'], ['i-0abc'])).toBe(false);
    expect(m(['re', 'i'], ['^I-'], ['i-0abc'])).toBe(true);
    expect(m(['cidr'], ['10.0.0.0/8', '192.168.0.0/16'], ['10.1.2.3'])).toBe(true);
    expect(m(['cidr'], ['10.0.0.0/8'], ['11.1.2.3'])).toBe(false);
    expect(m(['cidr'], ['2001:db8::/32'], ['2001:db8:1::5'])).toBe(true);
    expect(m(['cidr'], ['2001:db8::/32'], ['2001:db9::5'])).toBe(false);
    expect(m(['exists'], [true], ['x'])).toBe(true);
    expect(m(['exists'], [true], [])).toBe(false);
    expect(m(['exists'], [false], [])).toBe(true);
    expect(m(['fieldref'], ['requestParameters.userName'], ['Alice'], { 'requestParameters.userName': ['alice'] })).toBe(true);
    expect(m(['fieldref'], ['requestParameters.userName'], ['bob'], { 'requestParameters.userName': ['alice'] })).toBe(false);
    expect(typeof cidrTest('10.0.0.0/33')).toBe('string');
  });

  it('implements windash, base64 and base64offset', () => {
    expect(windashVariants('cmd -enc')).toContain('cmd /enc');
    expect(m(['contains', 'windash'], [' -enc '], ['powershell /enc x'])).toBe(true);
    expect(m(['base64'], ['secret'], [Buffer.from('secret').toString('base64')])).toBe(true);
    const b64 = Buffer.from('xx: malicious payload').toString('base64');
    expect(m(['base64offset', 'contains'], ['malicious'], [b64])).toBe(true);
    expect(base64OffsetVariants(Buffer.from('ab'))).toHaveLength(3);
  });

  it('rejects unknown and unsupported modifiers with a reason', () => {
    expect(err(['nope'], ['x'])).toMatch(/unknown modifier 'nope'/);
    expect(err(['expand'], ['%x%'])).toMatch(/expand.*not supported/);
    expect(err(['contains', 'startswith'], ['x'])).toMatch(/cannot be combined/);
    expect(err(['re'], ['(?i)x'])).toMatch(/not valid in JavaScript/);
    expect(err(['i'], ['x'])).toMatch(/only valid after 're'/);
    expect(err(['base64'], ['a*'])).toMatch(/wildcards cannot be used/);
    expect(err(['exists'], ['yes'])).toMatch(/true or false/);
  });
});

describe('the single-value form of a field condition', () => {
  it('answers exactly as the list form does for one value, for every kind of condition', () => {
    const conditions: Array<[string[], unknown[]]> = [
      [[], ['StopLogging', 'DeleteTrail']],
      [[], ['Get*', 'List?uckets', 0, true]],
      [[], [null, 'x']],
      [['contains'], ['AccessDenied', 'Forbidden']],
      [['startswith'], ['aws-cli/', 'Boto3/']],
      [['endswith', 'cased'], ['.amazonaws.com']],
      [['re'], ['^i-[0-9a-f]{8,17}$']],
      [['re', 'i'], ['^ROOT$']],
      [['cidr'], ['10.0.0.0/8', '192.168.0.0/16', 'fc00::/7']],
      [['exists'], [true]],
      [['exists'], [false]],
      [['gte'], [5]],
      [['contains', 'windash'], ['-enc']],
      [['base64offset', 'contains'], ['secret']],
    ];
    const samples: unknown[] = ['StopLogging', 'stoplogging', 'GetObject', 'ListBuckets', 'ListXuckets', '0', 0, true, 'true', 'x', 'AccessDeniedException',
      'aws-cli/2.15 Python', 'boto3/1.34', 'sts.amazonaws.com', 'STS.AMAZONAWS.COM', 'i-0abc12345678', 'root', '10.1.2.3', '192.168.9.9', '203.0.113.7',
      'fd00::1', '2001:db8::1', 7, '4', '/enc', 'c2VjcmV0', '', 'a-very-long-value-'.repeat(10)];
    for (const [mods, values] of conditions) {
      const c = compileValues(mods, values);
      if (!c.ok) throw new Error(c.error);
      expect(c.single, `${mods.join('|')} has a single-value form`).toBeDefined();
      for (const x of samples) expect(c.single?.(x), `${mods.join('|')} ${JSON.stringify(values)} on ${JSON.stringify(x)}`).toBe(c.test([x], () => []));
    }
  });

  it('is absent where one value is not the whole story (all, fieldref)', () => {
    const all = compileValues(['contains', 'all'], ['a', 'b']);
    const ref = compileValues(['fieldref'], ['other']);
    expect(all.ok && all.single).toBeFalsy();
    expect(ref.ok && ref.single).toBeFalsy();
  });
});
