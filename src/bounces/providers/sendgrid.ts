import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { classifyBounce, enhancedStatus, type BounceKind } from '../classify';
import { bracketed, type BounceReport, type DeliveryReport } from '../report';

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/** SendGrid's verification key, as shown in its settings (base64 DER, ECDSA P-256) or as PEM. */
export function sendgridPublicKey(value: string): KeyObject {
  if (value.includes('-----BEGIN')) return createPublicKey(value);
  return createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
}

/** The signed event webhook: ECDSA over SHA-256 of timestamp + raw body. */
export function sendgridSignatureValid(key: KeyObject, rawBody: Buffer, signature: string | undefined, timestamp: string | undefined): boolean {
  if (!signature || !timestamp) return false;
  try {
    return verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]), { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

interface SendgridEvent {
  email?: string;
  event?: string;
  type?: string;
  status?: string;
  reason?: string;
  sg_event_id?: string;
  timestamp?: number;
  'smtp-id'?: string;
}

/** A SendGrid batch (an array of events) into reports. Deferred and dropped are not bounces. */
export function sendgridReports(body: unknown): { bounces: BounceReport[]; deliveries: DeliveryReport[] } {
  const events = (Array.isArray(body) ? body : [body]) as SendgridEvent[];
  const bounces: BounceReport[] = [];
  const deliveries: DeliveryReport[] = [];
  for (const e of events) {
    if (!e.email) continue;
    if (e.event === 'delivered') {
      deliveries.push({ source: 'sendgrid', eventId: e.sg_event_id, email: e.email });
      continue;
    }
    if (e.event !== 'bounce' && e.event !== 'spamreport') continue;
    const providerKind: BounceKind = e.event === 'spamreport' ? 'complaint' : e.type === 'blocked' ? 'soft' : 'hard';
    const status = enhancedStatus(e.status) ?? enhancedStatus(e.reason);
    bounces.push({
      source: 'sendgrid',
      eventId: e.sg_event_id,
      kind: classifyBounce({ providerKind, status, diagnostic: e.reason }),
      email: e.email,
      messageId: bracketed(e['smtp-id']),
      status,
      diagnostic: e.reason,
      occurredAt: e.timestamp ? new Date(e.timestamp * 1000) : undefined,
      details: { sendgridEvent: e.event, sendgridType: e.type },
    });
  }
  return { bounces, deliveries };
}
