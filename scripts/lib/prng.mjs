// Deterministic randomness for the fixture generators (mulberry32): the same seed gives the same files, byte for byte.
// Usage: const { rnd, pick, hex, uuid } = prng(0x5eed1e55);

/** A seeded generator and the helpers the generators use on it. */
export function prng(initial) {
  let seed = initial;
  const rnd = () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const hex = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  return { rnd, pick, hex, uuid };
}
