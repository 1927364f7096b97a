import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { Config } from '../config';

/**
 * DKIM signing (RFC 6376, and RFC 8463 for Ed25519) of a finished message, done here rather than by
 * nodemailer because the message is prebuilt raw bytes, because the signed header list must include the
 * list headers nodemailer's default misses, and because nodemailer 10 silently sends unsigned mail when
 * given an Ed25519 key.
 *
 * Canonicalization is relaxed for headers (long List-Unsubscribe URLs may be re-folded on the way) and
 * simple for the body (base64 lines have no trailing space to normalise, and the body hash is then the
 * SHA-256 of the body bytes as sent).
 */
export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: KeyObject;
}

/**
 * The headers every signature covers. A name listed once more than it occurs (from, subject, the
 * unsubscribe headers) is "over-signed": a header of that name added later breaks the signature.
 */
export const SIGNED_HEADERS = [
  'from',
  'to',
  'subject',
  'date',
  'message-id',
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'feedback-id',
  'precedence',
  'mime-version',
  'content-type',
  'from',
  'subject',
  'list-unsubscribe',
  'list-unsubscribe-post',
] as const;

type Algorithm = 'rsa-sha256' | 'ed25519-sha256';

interface PreparedKey extends DkimKey {
  algorithm: Algorithm;
}

/** Header fields of a header block, in order, as [lowercase name, the whole raw field]. */
function splitFields(head: string): [string, string][] {
  const fields: [string, string][] = [];
  for (const field of head.split(/\r\n(?![ \t])/)) {
    if (!field) continue;
    const colon = field.indexOf(':');
    if (colon > 0) fields.push([field.slice(0, colon).trim().toLowerCase(), field]);
  }
  return fields;
}

/** RFC 6376 3.4.2 relaxed header canonicalization of one field, without the trailing CRLF. */
export function relaxedHeader(field: string): string {
  const colon = field.indexOf(':');
  const name = field.slice(0, colon).trim().toLowerCase();
  const value = field
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}`;
}

/** Folds `tag=value` pieces of a DKIM-Signature into lines of at most 78 characters. */
function foldTags(tags: string[]): string {
  let out = 'DKIM-Signature:';
  let line = out.length;
  for (const tag of tags) {
    if (line + 1 + tag.length > 78 && line > 16) {
      out += '\r\n ' + tag;
      line = 1 + tag.length;
    } else {
      out += ' ' + tag;
      line += 1 + tag.length;
    }
  }
  return out;
}

/** Cuts `h=a:b:c;` after colons into pieces of at most `size` characters (FWS is allowed around colons only). */
function foldList(value: string, size: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const part of value.split(/(?<=:)/)) {
    if (current && current.length + part.length > size) {
      pieces.push(current);
      current = '';
    }
    current += part;
  }
  if (current) pieces.push(current);
  return pieces;
}

export class DkimSigner {
  private readonly keys: PreparedKey[];

  constructor(keys: DkimKey[]) {
    this.keys = keys.map((k) => ({ ...k, algorithm: k.privateKey.asymmetricKeyType === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256' }));
  }

  /**
   * The DKIM-Signature fields (one per key, CRLF-joined, no trailing CRLF) to put in front of `head`
   * (the message's header block without the blank line) whose body is `body`.
   */
  sign(head: string, body: readonly Buffer[]): string {
    if (this.keys.length === 0) return '';
    const bodyHash = simpleBodyHash(body);
    const fields = splitFields(head);
    // For a name listed n times, the n-th listing signs the n-th field from the bottom (RFC 6376 5.4.2);
    // past the last one, the empty string.
    const used = new Map<string, number>();
    let signedHeaders = '';
    for (const name of SIGNED_HEADERS) {
      const instances = fields.filter(([n]) => n === name);
      const k = used.get(name) ?? 0;
      used.set(name, k + 1);
      const field = instances[instances.length - 1 - k];
      if (field) signedHeaders += relaxedHeader(field[1]) + '\r\n';
    }
    const timestamp = Math.floor(Date.now() / 1000);
    return this.keys
      .map((key) => {
        const hList = SIGNED_HEADERS.join(':');
        const tags = [
          'v=1;',
          `a=${key.algorithm};`,
          'c=relaxed/simple;',
          `d=${key.domain};`,
          `s=${key.selector};`,
          `t=${timestamp};`,
          ...foldList(`h=${hList};`, 70),
          `bh=${bodyHash};`,
          'b=',
        ];
        const unsigned = foldTags(tags);
        // UTF-8: headers are ASCII, except an internationalised address (RFC 6532), which goes out as UTF-8.
        const data = Buffer.from(signedHeaders + relaxedHeader(unsigned), 'utf8');
        const signature =
          key.algorithm === 'ed25519-sha256'
            ? sign(null, createHash('sha256').update(data).digest(), key.privateKey)
            : sign('sha256', data, key.privateKey);
        return foldSignature(unsigned, signature.toString('base64'));
      })
      .join('\r\n');
  }
}

/** Appends the b= value, folding it so no line passes 78 characters (whitespace inside b= is ignored). */
function foldSignature(unsigned: string, b64: string): string {
  const lastLine = unsigned.length - unsigned.lastIndexOf('\r\n') - 2;
  const first = Math.max(0, 78 - lastLine);
  let out = unsigned + b64.slice(0, first);
  for (let i = first; i < b64.length; i += 76) out += '\r\n ' + b64.slice(i, i + 76);
  return out;
}

/**
 * The simple-canonicalized body hash: the bytes as sent, with trailing empty lines removed and the body
 * ending in exactly one CRLF.
 */
export function simpleBodyHash(body: readonly Buffer[]): string {
  const last = body.length ? body[body.length - 1] : Buffer.alloc(0);
  const endsWithBlankLine = (b: Buffer) => b.length >= 4 && b[b.length - 1] === 10 && b[b.length - 2] === 13 && b[b.length - 3] === 10 && b[b.length - 4] === 13;
  // The common case (a prebuilt message ends with its closing boundary line): hash the chunks as they are.
  if (last.length >= 4 && last[last.length - 1] === 10 && last[last.length - 2] === 13 && !endsWithBlankLine(last)) {
    const hash = createHash('sha256');
    for (const chunk of body) hash.update(chunk);
    return hash.digest('base64');
  }
  const all = Buffer.concat(body);
  let end = all.length;
  while (end >= 4 && endsWithBlankLine(all.subarray(0, end))) end -= 2;
  const hash = createHash('sha256').update(all.subarray(0, end));
  if (end < 2 || all[end - 1] !== 10 || all[end - 2] !== 13) hash.update('\r\n');
  return hash.digest('base64');
}

/** The DKIM signer of this process, keys parsed once; undefined when DKIM is not configured. */
export function dkimSignerFor(config: Config): DkimSigner | undefined {
  if (!config.dkim) return undefined;
  const keys: DkimKey[] = [{ domain: config.dkim.domain, selector: config.dkim.selector, privateKey: createPrivateKey(config.dkim.privateKey) }];
  if (config.dkim.ed25519) {
    keys.push({ domain: config.dkim.domain, selector: config.dkim.ed25519.selector, privateKey: createPrivateKey(config.dkim.ed25519.privateKey) });
  }
  return new DkimSigner(keys);
}
