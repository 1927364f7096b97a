import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signatures of outgoing webhooks, in Stripe's shape: the `Tidings-Signature` header is
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>`. A receiver recomputes
 * v1 over the raw body, compares in constant time and refuses a `t` older than a few minutes (a replay).
 */
export const SIGNATURE_HEADER = 'Tidings-Signature';

/** The endpoint's signing secret: derived from SECRET_KEY and the endpoint's salt, so it is never stored. */
export function webhookSecret(secretKey: string, endpointId: number, salt: string): string {
  return 'whsec_' + createHmac('sha256', secretKey).update(`webhook-endpoint:${endpointId}:${salt}`).digest('base64url');
}

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** Checks a Tidings-Signature header as a receiver should; false when forged, malformed or too old. */
export function verifySignature(secret: string, header: string | undefined, body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const parts = new Map((header ?? '').split(',').map((kv) => kv.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = signatureHeader(secret, body, t).split('v1=')[1];
  return timingSafeEqual(Buffer.from(v1, 'hex'), Buffer.from(expected, 'hex'));
}
