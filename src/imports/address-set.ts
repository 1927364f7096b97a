/**
 * The addresses seen so far in one import, kept compactly: a 53-bit hash of the lower-cased address and the line
 * it was first seen on, in open-addressed typed arrays (12 bytes a slot, half full at most: about 24 MB for
 * a million rows, against ~150 MB for a Map of strings). Two different addresses share a hash with odds of about
 * 1 in 18 billion per pair (5 · 10⁻⁵ for a whole million-row file); such a row would be reported as a duplicate,
 * never imported wrongly.
 */
export class AddressSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private lines: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds an address first seen on `line`; returns the earlier line when it was already there, else 0. */
  addOrGetLine(address: string, line: number): number {
    const [h, l] = hash53(address);
    // hi keeps bit 21 set so that 0 means an empty slot.
    const hi = h | 0x200000;
    let slot = (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
    for (;;) {
      const storedHi = this.hi[slot];
      if (storedHi === 0) break;
      if (storedHi === hi && this.lo[slot] === l) return this.lines[slot];
      slot = (slot + 1) & this.mask;
    }
    this.hi[slot] = hi;
    this.lo[slot] = l;
    this.lines[slot] = line;
    this.count++;
    if (this.count * 2 > this.mask) this.grow();
    return 0;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    const capacity = hi.length * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < hi.length; i++) {
      if (hi[i] === 0) continue;
      let slot = (lo[i] ^ Math.imul(hi[i] & 0x1fffff, 0x9e3779b1)) & this.mask;
      while (this.hi[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hi[slot] = hi[i];
      this.lo[slot] = lo[i];
      this.lines[slot] = lines[i];
    }
  }
}

/** cyrb53 (public domain) over the lower-cased string: [high 21 bits, low 32 bits]. */
export function hash53(text: string, seed = 0): [number, number] {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    let ch = text.charCodeAt(i);
    if (ch >= 65 && ch <= 90) ch += 32;
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h2 & 0x1fffff, h1 >>> 0];
}
