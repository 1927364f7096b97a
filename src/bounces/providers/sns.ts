import { createVerify } from 'node:crypto';
import { TidingsError } from '../../errors';

/**
 * Amazon SNS message signature verification (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA). The signing
 * certificate is fetched from SigningCertURL only when that URL matches the allowed pattern (in production
 * `https://sns.<region>.amazonaws.com/…`), and cached per URL.
 */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

export const DEFAULT_SNS_CERT_URL_PATTERN = '^https://sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/';

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const SUBSCRIPTION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** The canonical string SNS signs: `Name\nvalue\n` for each present field, in this fixed order. */
export function snsStringToSign(message: SnsMessage): string {
  const fields = message.Type === 'Notification' ? NOTIFICATION_FIELDS : SUBSCRIPTION_FIELDS;
  return fields
    .filter((field) => message[field] !== undefined)
    .map((field) => `${field}\n${message[field]}\n`)
    .join('');
}

export function parseSnsMessage(body: string): SnsMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new TidingsError('INVALID_INPUT', 'SNS message is not JSON');
  }
  const m = parsed as Partial<SnsMessage>;
  for (const field of ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const) {
    if (typeof m[field] !== 'string') throw new TidingsError('INVALID_INPUT', `SNS message has no ${field}`);
  }
  if (!['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'].includes(m.Type!)) {
    throw new TidingsError('INVALID_INPUT', `SNS message Type '${m.Type}' is unknown`);
  }
  return m as SnsMessage;
}

export class SnsVerifier {
  private readonly certs = new Map<string, Promise<string>>();
  private readonly allowed: RegExp;

  constructor(certUrlPattern: string = DEFAULT_SNS_CERT_URL_PATTERN) {
    this.allowed = new RegExp(certUrlPattern);
  }

  /** Whether a URL SNS gave us (certificate, SubscribeURL) points where we allow requests to go. */
  allows(url: string): boolean {
    return this.allowed.test(url);
  }

  async verify(message: SnsMessage): Promise<boolean> {
    if (!this.allows(message.SigningCertURL)) return false;
    const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : message.SignatureVersion === '2' ? 'RSA-SHA256' : undefined;
    if (!algorithm) return false;
    let cert: string;
    try {
      cert = await this.certificate(message.SigningCertURL);
    } catch {
      return false;
    }
    try {
      return createVerify(algorithm).update(snsStringToSign(message), 'utf8').verify(cert, message.Signature, 'base64');
    } catch {
      return false;
    }
  }

  private certificate(url: string): Promise<string> {
    let cert = this.certs.get(url);
    if (!cert) {
      cert = fetch(url, { signal: AbortSignal.timeout(5000) }).then(async (res) => {
        if (!res.ok) throw new Error(`certificate fetch answered ${res.status}`);
        const pem = await res.text();
        if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate');
        return pem;
      });
      // A failed fetch is not cached: the next message tries again.
      cert.catch(() => this.certs.delete(url));
      if (this.certs.size > 100) this.certs.clear();
      this.certs.set(url, cert);
    }
    return cert;
  }
}
