import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: session ids, CSRF tokens, set-password tokens, API tokens. */
export function randomToken(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** What is stored instead of a token: its SHA-256 (the token itself has 256 bits of entropy, so no salt or stretching is needed). */
export function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A password a person can type: 20 characters from an alphabet without look-alikes (about 115 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
