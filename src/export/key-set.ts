/**
 * Compact sets for cross-checking the members of a bundle (every event's raw record is there, every raw record's
 * event and input are there) without a JavaScript string per record: keys are 52-bit integers (the first 13 hex
 * digits of a SHA-256, or a hash of an id) kept in typed arrays, 12 bytes a slot against some 60 bytes an entry for
 * a `Set<string>`. Two different ids share a key with odds of 2^-52 per pair; the checks are consistency checks of
 * what the signer wrote (a forger who can re-sign can write anything), so that is no weakness.
 */

const HEX13 = /^[0-9a-f]{13}/;

/** Key of a lower-case hex digest: its first 13 digits as a number, plus one (0 marks an empty slot); 0 if not hex. */
export function hexKey(hex: string): number {
  return HEX13.test(hex) ? Number.parseInt(hex.slice(0, 13), 16) + 1 : 0;
}

/** Key of a string (FNV-1a and a multiplicative hash over its UTF-16 code units, 52 bits together), never 0. */
export function stringKey(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  return (a >>> 0) * 0x100000 + ((b >>> 12) & 0xfffff) + 1;
}

/** Values are below this; the top bit of a slot's value is its mark. */
export const MAX_VALUE = 0x7fffffff;
const MARK = 0x80000000;

/**
 * A set of non-zero 52-bit keys, each with a value below 2^31 and a mark, by open addressing in typed arrays that
 * double when three quarters full.
 */
export class KeySet {
  private keys: Float64Array;
  private values: Uint32Array;
  private n = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap * 3 < capacity * 4) cap *= 2;
    this.keys = new Float64Array(cap);
    this.values = new Uint32Array(cap);
  }

  /** Number of keys. */
  get size(): number {
    return this.n;
  }

  /**
   * Add `key` with `value` (clamped to {@link MAX_VALUE}); when present, keep the smaller value. False when `key` was
   * present (or is 0).
   */
  add(key: number, value = 0): boolean {
    if (key === 0) return false;
    const v = Math.min(value, MAX_VALUE);
    if ((this.n + 1) * 4 > this.keys.length * 3) this.grow();
    const i = this.slot(key);
    if (this.keys[i] === key) {
      const old = this.values[i] as number;
      if ((old & MAX_VALUE) > v) this.values[i] = (old & MARK) | v;
      return false;
    }
    this.keys[i] = key;
    this.values[i] = v;
    this.n++;
    return true;
  }

  /** Whether `key` is present. */
  has(key: number): boolean {
    return key !== 0 && this.keys[this.slot(key)] === key;
  }

  /** Mark `key`; false when it is not present. */
  mark(key: number): boolean {
    if (key === 0) return false;
    const i = this.slot(key);
    if (this.keys[i] !== key) return false;
    this.values[i] = ((this.values[i] as number) | MARK) >>> 0;
    return true;
  }

  /** Values of the keys never marked, smallest first, at most `limit` of them, and how many there are. */
  unmarked(limit: number): { values: number[]; total: number } {
    const r = this.select((_k, _v, marked) => !marked, limit);
    return { values: r.entries.map((e) => e[1]), total: r.total };
  }

  /**
   * Entries for which `pick` holds: the `limit` with the smallest values (as `[key, value]`, ascending), and how
   * many there are in all. Memory stays at `limit` entries however many match.
   */
  select(pick: (key: number, value: number, marked: boolean) => boolean, limit: number): { entries: Array<[number, number]>; total: number } {
    const out: Array<[number, number]> = [];
    let total = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i] as number;
      if (k === 0) continue;
      const raw = this.values[i] as number;
      const v = raw & MAX_VALUE;
      if (!pick(k, v, raw >= MARK)) continue;
      total++;
      if (limit <= 0) continue;
      if (out.length === limit) {
        if (v >= (out[limit - 1] as [number, number])[1]) continue;
        out.pop();
      }
      // Insertion into a short sorted list.
      let j = out.length;
      out.push([k, v]);
      while (j > 0 && (out[j - 1] as [number, number])[1] > v) {
        out[j] = out[j - 1] as [number, number];
        j--;
      }
      out[j] = [k, v];
    }
    return { entries: out, total };
  }

  /** Every key with its value. */
  *entries(): Generator<[number, number]> {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== 0) yield [this.keys[i] as number, (this.values[i] as number) & MAX_VALUE];
  }

  /** Slot holding `key`, or the empty slot where it would go. */
  private slot(key: number): number {
    const mask = this.keys.length - 1;
    // The low 32 bits of a key are well mixed (a hash, or hex digits of a digest).
    let i = (key >>> 0) & mask;
    for (;;) {
      const k = this.keys[i];
      if (k === key || k === 0) return i;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Uint32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as number;
      if (k === 0) continue;
      const j = this.slot(k);
      this.keys[j] = k;
      this.values[j] = values[i] as number;
    }
  }
}

/** A growable list of numbers in a typed array (what crosses from the checker thread: no object per record). */
export class NumberList {
  private data: Float64Array;
  private n = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.n;
  }

  push(v: number): void {
    if (this.n === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = v;
  }

  /** The numbers pushed so far (a copy of exactly that length, safe to transfer), emptying the list. */
  take(): Float64Array {
    const out = this.data.slice(0, this.n);
    this.n = 0;
    return out;
  }
}
