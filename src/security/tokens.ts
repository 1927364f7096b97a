import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

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
}

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
    const payload = encodeIds(ids);
    const iv = createHmac('sha256', keys.iv).update(payload).digest().subarray(0, 12);
    const cipher = createCipheriv('aes-256-gcm', keys.encrypt, iv);
    cipher.setAAD(keys.aad);
    const body = Buffer.concat([cipher.update(payload), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The ids the token was made with, or null for a malformed, tampered or cross-purpose token. */
  decode(purpose: TokenPurpose, token: string): number[] | null {
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

  private keysFor(purpose: TokenPurpose): PurposeKeys {
    let keys = this.keys.get(purpose);
    if (!keys) {
      const derive = (label: string) => createSecretKey(Buffer.from(hkdfSync('sha256', this.secretKey, 'tidings-token', `${label}:${purpose}`, 32)));
      keys = { encrypt: derive('encrypt'), iv: derive('iv'), aad: Buffer.from(`tidings:${purpose}`) };
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
