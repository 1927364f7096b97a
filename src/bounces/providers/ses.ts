import { enhancedStatus, classifyBounce, type BounceKind } from '../classify';
import { bracketed, type BounceReport, type DeliveryReport } from '../report';

/** An SES notification (the JSON inside an SNS Notification's Message), as SES documents it. */
interface SesNotification {
  notificationType?: string;
  eventType?: string;
  mail?: { messageId?: string; headers?: Array<{ name: string; value: string }>; commonHeaders?: { messageId?: string } };
  bounce?: {
    bounceType?: string;
    bounceSubType?: string;
    feedbackId?: string;
    timestamp?: string;
    bouncedRecipients?: Array<{ emailAddress: string; status?: string; diagnosticCode?: string; action?: string }>;
  };
  complaint?: {
    feedbackId?: string;
    timestamp?: string;
    complaintFeedbackType?: string;
    userAgent?: string;
    complainedRecipients?: Array<{ emailAddress: string }>;
  };
  delivery?: { recipients?: string[] };
}

function ourMessageId(mail: SesNotification['mail']): string | undefined {
  const header = mail?.headers?.find((h) => h.name.toLowerCase() === 'message-id')?.value;
  return bracketed(header ?? mail?.commonHeaders?.messageId);
}

/** Turns one SES notification into reports; `snsMessageId` makes each recipient's event id. */
export function sesReports(messageJson: string, snsMessageId: string): { bounces: BounceReport[]; deliveries: DeliveryReport[] } {
  const n = JSON.parse(messageJson) as SesNotification;
  const type = (n.notificationType ?? n.eventType ?? '').toLowerCase();
  const messageId = ourMessageId(n.mail);
  if (type === 'bounce' && n.bounce) {
    const b = n.bounce;
    const providerKind: BounceKind = b.bounceType === 'Permanent' ? 'hard' : 'soft';
    return {
      bounces: (b.bouncedRecipients ?? []).map((r) => {
        const status = enhancedStatus(r.status) ?? enhancedStatus(r.diagnosticCode);
        return {
          source: 'ses',
          eventId: `${snsMessageId}:${r.emailAddress.toLowerCase()}`,
          kind: classifyBounce({ providerKind, status, diagnostic: r.diagnosticCode }),
          email: r.emailAddress,
          messageId,
          status,
          diagnostic: r.diagnosticCode,
          occurredAt: b.timestamp ? new Date(b.timestamp) : undefined,
          details: { bounceType: b.bounceType, bounceSubType: b.bounceSubType, feedbackId: b.feedbackId },
        };
      }),
      deliveries: [],
    };
  }
  if (type === 'complaint' && n.complaint) {
    const c = n.complaint;
    // A complaint with feedback type not-spam is a reader taking a report back: not a complaint.
    const kind: BounceKind = c.complaintFeedbackType === 'not-spam' ? 'ignore' : 'complaint';
    return {
      bounces: (c.complainedRecipients ?? []).map((r) => ({
        source: 'ses',
        eventId: `${snsMessageId}:${r.emailAddress.toLowerCase()}`,
        kind,
        email: r.emailAddress,
        messageId,
        occurredAt: c.timestamp ? new Date(c.timestamp) : undefined,
        details: { feedbackType: c.complaintFeedbackType, userAgent: c.userAgent, feedbackId: c.feedbackId },
      })),
      deliveries: [],
    };
  }
  if (type === 'delivery' && n.delivery) {
    return {
      bounces: [],
      deliveries: (n.delivery.recipients ?? []).map((email) => ({ source: 'ses', eventId: `${snsMessageId}:${email.toLowerCase()}`, email })),
    };
  }
  return { bounces: [], deliveries: [] };
}
