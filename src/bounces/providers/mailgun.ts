import { createHmac } from 'node:crypto';
import { classifyBounce, enhancedStatus, type BounceKind } from '../classify';
import { bracketed, type BounceReport, type DeliveryReport } from '../report';
import { safeEqual } from './postmark';

interface MailgunBody {
  signature?: { timestamp?: string; token?: string; signature?: string };
  'event-data'?: {
    id?: string;
    event?: string;
    severity?: string;
    reason?: string;
    recipient?: string;
    timestamp?: number;
    message?: { headers?: { 'message-id'?: string } };
    'delivery-status'?: { code?: number; message?: string; description?: string; 'enhanced-code'?: string };
  };
}

/** Mailgun signs webhooks with HMAC-SHA256(signing key, timestamp + token), hex. */
export function mailgunSignatureValid(body: unknown, signingKey: string): boolean {
  const sig = (body as MailgunBody | null)?.signature;
  if (!sig?.timestamp || !sig.token || !sig.signature) return false;
  const expected = createHmac('sha256', signingKey).update(sig.timestamp + sig.token).digest('hex');
  return safeEqual(sig.signature, expected);
}

export function mailgunReports(body: unknown): { bounces: BounceReport[]; deliveries: DeliveryReport[] } {
  const e = (body as MailgunBody)['event-data'];
  if (!e?.recipient) return { bounces: [], deliveries: [] };
  if (e.event === 'delivered') return { bounces: [], deliveries: [{ source: 'mailgun', eventId: e.id, email: e.recipient }] };
  if (e.event !== 'failed' && e.event !== 'complained') return { bounces: [], deliveries: [] };
  const ds = e['delivery-status'] ?? {};
  const diagnostic = [ds.code, ds.message || ds.description].filter(Boolean).join(' ') || undefined;
  const status = enhancedStatus(ds['enhanced-code']) ?? enhancedStatus(ds.message) ?? enhancedStatus(ds.description);
  const providerKind: BounceKind = e.event === 'complained' ? 'complaint' : e.severity === 'permanent' ? 'hard' : 'soft';
  return {
    bounces: [
      {
        source: 'mailgun',
        eventId: e.id,
        kind: classifyBounce({ providerKind, status, diagnostic }),
        email: e.recipient,
        messageId: bracketed(e.message?.headers?.['message-id']),
        status,
        diagnostic,
        occurredAt: e.timestamp ? new Date(e.timestamp * 1000) : undefined,
        details: { mailgunEvent: e.event, severity: e.severity, reason: e.reason },
      },
    ],
    deliveries: [],
  };
}
