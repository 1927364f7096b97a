import { timingSafeEqual } from 'node:crypto';
import { classifyBounce, enhancedStatus, type BounceKind } from '../classify';
import { type BounceReport, type DeliveryReport } from '../report';

/** Compares two secrets in constant time (for their common length; a length difference fails). */
export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Checks an `Authorization: Basic …` header against the configured user and password. */
export function basicAuthMatches(header: string | undefined, user: string, password: string): boolean {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both halves are always compared, so the time taken does not tell which one was wrong.
  const userOk = safeEqual(decoded.slice(0, colon), user);
  const passwordOk = safeEqual(decoded.slice(colon + 1), password);
  return userOk && passwordOk;
}

/** Postmark bounce types (https://postmarkapp.com/developer/api/bounce-api#bounce-types) to our kinds. */
const POSTMARK_TYPES: Record<string, BounceKind> = {
  HardBounce: 'hard',
  BadEmailAddress: 'hard',
  SoftBounce: 'soft',
  Transient: 'soft',
  DnsError: 'soft',
  Unknown: 'soft',
  SMTPApiError: 'soft',
  Blocked: 'policy',
  DMARCPolicy: 'policy',
  SpamComplaint: 'complaint',
  AutoResponder: 'ignore',
  SpamNotification: 'ignore',
  VirusNotification: 'ignore',
  ChallengeVerification: 'ignore',
  ManuallyDeactivated: 'ignore',
  Subscribe: 'ignore',
  Unsubscribe: 'ignore',
  OpenRelayTest: 'ignore',
  InboundError: 'ignore',
  TemplateRenderingFailed: 'ignore',
  AddressChange: 'ignore',
};

interface PostmarkRecord {
  RecordType?: string;
  ID?: number | string;
  Type?: string;
  Email?: string;
  Recipient?: string;
  Details?: string;
  Description?: string;
  BouncedAt?: string;
  DeliveredAt?: string;
  MessageID?: string;
  Metadata?: Record<string, string>;
}

/**
 * One Postmark webhook body (a single record) into reports. Postmark's record IDs can exceed 2^53, which
 * JSON.parse rounds; given the raw text, the ID's digits are taken from it, so two records never share an id.
 */
export function postmarkReports(body: unknown, rawText?: string): { bounces: BounceReport[]; deliveries: DeliveryReport[] } {
  const records = (Array.isArray(body) ? body : [body]) as PostmarkRecord[];
  const exactId = !Array.isArray(body) && rawText ? /"ID"\s*:\s*"?(\d+)/.exec(rawText)?.[1] : undefined;
  const bounces: BounceReport[] = [];
  const deliveries: DeliveryReport[] = [];
  for (const r of records) {
    const email = r.Email ?? r.Recipient;
    if (!email) continue;
    if (r.RecordType === 'Delivery') {
      deliveries.push({ source: 'postmark', eventId: r.MessageID ? `delivery:${r.MessageID}:${email.toLowerCase()}` : undefined, email });
      continue;
    }
    if (r.RecordType !== 'Bounce' && r.RecordType !== 'SpamComplaint') continue;
    const providerKind = r.RecordType === 'SpamComplaint' ? 'complaint' : (POSTMARK_TYPES[r.Type ?? ''] ?? 'soft');
    const status = enhancedStatus(r.Details);
    bounces.push({
      source: 'postmark',
      eventId: r.ID !== undefined ? `${r.RecordType}:${exactId ?? r.ID}` : undefined,
      kind: classifyBounce({ providerKind, status, diagnostic: r.Details }),
      email,
      messageId: r.Metadata?.message_id,
      status,
      diagnostic: r.Details ?? r.Description,
      occurredAt: r.BouncedAt ? new Date(r.BouncedAt) : undefined,
      details: { postmarkType: r.Type, postmarkMessageId: r.MessageID },
    });
  }
  return { bounces, deliveries };
}
