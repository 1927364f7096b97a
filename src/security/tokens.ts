import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type Cipher, type Decipher, type KeyObject } from 'node:crypto';

/**
 * What a token may be used for. A token made for one purpose never verifies for another:
 * each purpose has its own keys, and the purpose is also bound as authenticated data.
 */
export type TokenPurpose = 'unsubscribe' | 'open' | 'click' | 'confirm' | 'preferences' | 'bounce';

interface PurposeKeys {
  // KeyObjects, imported once: a raw key would be imported again on every token (a few µs each, per email).
  readonly encrypt: KeyObject;
  readonly iv: KeyObject;
  readonly aad: Buffer;
  /** The one-block form's AES-256 under its own key, kept open (see COMPACT_PURPOSES). */
  readonly block: { readonly cipher: Cipher; readonly decipher: Decipher };
}

/**
 * Purposes whose token carries one id, which get the one-block form: the id (6 bytes), a byte naming the
 * purpose and 9 zero bytes, as one AES-256 block (encode-then-encipher). AES is a pseudorandom permutation,
 * so the id cannot be read, and a changed or made-up token decrypts to 80 fixed bits only by a 2^-80 chance:
 * as unforgeable in practice as the GCM form's tag, at a tenth of its cost (one block through a cipher kept
 * open, against an HMAC, a new GCM context and a tag per token), and 22 characters instead of 39. A message
 * carries two of them (the open pixel and the click base), so this is per-email work. Tokens of the GCM form
 * (every link sent before) still decode.
 */
const COMPACT_PURPOSES: Partial<Record<TokenPurpose, number>> = { open: 1, click: 2, bounce: 3 };
/** Ids that fit the block's 6 bytes; a larger one (never seen in practice) gets the GCM form. */
const COMPACT_MAX_ID = 2 ** 48 - 1;
const COMPACT_LENGTH = 22;
const BLOCK = 16;

/**
 * Tokens in links and headers: a few ids, encrypted and authenticated with AES-256-GCM under keys derived
 * from SECRET_KEY. The ids are not readable or guessable from the token, and changing any character makes
 * it invalid. The IV is derived from the content (as in SIV), so the same ids always give the same token:
 * a delivery's unsubscribe link is stable, which keeps the per-message work to one small encryption.
 */
export class TokenCodec {
  private readonly keys = new Map<TokenPurpose, PurposeKeys>();

  constructor(private readonly secretKey: string) {}

  encode(purpose: TokenPurpose, ids: readonly number[]): string {
    const keys = this.keysFor(purpose);
    const tag = COMPACT_PURPOSES[purpose];
    if (tag !== undefined && ids.length === 1 && Number.isSafeInteger(ids[0]) && ids[0] >= 0 && ids[0] <= COMPACT_MAX_ID) {
      const block = Buffer.alloc(BLOCK);
      block[0] = tag;
      block.writeUIntBE(ids[0], 1, 6);
      return keys.block.cipher.update(block).toString('base64url');
    }
    const payload = encodeIds(ids);
    const iv = createHmac('sha256', keys.iv).update(payload).digest().subarray(0, 12);
    const cipher = createCipheriv('aes-256-gcm', keys.encrypt, iv);
    cipher.setAAD(keys.aad);
    const body = Buffer.concat([cipher.update(payload), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The ids the token was made with, or null for a malformed, tampered or cross-purpose token. */
  decode(purpose: TokenPurpose, token: string): number[] | null {
    if (typeof token === 'string' && token.length === COMPACT_LENGTH) return this.decodeCompact(purpose, token);
    if (typeof token !== 'string' || token.length < 39 || token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 12 + 1 + 16) return null;
    const keys = this.keysFor(purpose);
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.encrypt, raw.subarray(0, 12));
      decipher.setAAD(keys.aad);
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const payload = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      return decodeIds(payload);
    } catch {
      return null;
    }
  }

  /** The one-block form: exactly 22 base64url characters, in their one canonical spelling. */
  private decodeCompact(purpose: TokenPurpose, token: string): number[] | null {
    const tag = COMPACT_PURPOSES[purpose];
    if (tag === undefined || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    // The last character holds 2 spare bits a decoder ignores: only the spelling encode gives is accepted.
    if (raw.length !== BLOCK || raw.toString('base64url') !== token) return null;
    const plain = this.keysFor(purpose).block.decipher.update(raw);
    if (plain.length !== BLOCK || plain[0] !== tag) return null;
    for (let i = 7; i < BLOCK; i++) if (plain[i] !== 0) return null;
    return [plain.readUIntBE(1, 6)];
  }

  private keysFor(purpose: TokenPurpose): PurposeKeys {
    let keys = this.keys.get(purpose);
    if (!keys) {
      const derive = (label: string) => createSecretKey(Buffer.from(hkdfSync('sha256', this.secretKey, 'tidings-token', `${label}:${purpose}`, 32)));
      const blockKey = derive('block');
      // ECB over exactly one block at a time, without padding, never finalised: each update is one block in,
      // one block out, so one cipher (and one decipher) serves every token of this purpose.
      const cipher = createCipheriv('aes-256-ecb', blockKey, null).setAutoPadding(false);
      const decipher = createDecipheriv('aes-256-ecb', blockKey, null).setAutoPadding(false);
      keys = { encrypt: derive('encrypt'), iv: derive('iv'), aad: Buffer.from(`tidings:${purpose}`), block: { cipher, decipher } };
      this.keys.set(purpose, keys);
    }
    return keys;
  }
}

/** Unsigned LEB128: small ids take one or two bytes, which keeps tokens short. */
function encodeIds(ids: readonly number[]): Buffer {
  const bytes: number[] = [];
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`token ids must be non-negative integers, got ${id}`);
    let rest = id;
    do {
      const low = rest % 128;
      rest = Math.floor(rest / 128);
      bytes.push(rest > 0 ? low | 128 : low);
    } while (rest > 0);
  }
  return Buffer.from(bytes);
}

function decodeIds(payload: Buffer): number[] | null {
  const ids: number[] = [];
  let value = 0;
  let scale = 1;
  for (const byte of payload) {
    value += (byte & 127) * scale;
    if (byte & 128) {
      scale *= 128;
      if (scale > 2 ** 56) return null;
    } else {
      ids.push(value);
      value = 0;
      scale = 1;
    }
  }
  return scale === 1 ? ids : null;
}
