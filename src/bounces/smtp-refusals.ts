import type { SmtpError } from '../mail/mailer';
import { bounceKindOf } from './classify';
import type { BounceReport } from './report';

/**
 * A permanent refusal during our own SMTP conversation, as a bounce report: it then goes through the same
 * policy as a DSN or a provider webhook (applyBounceReports): a hard refusal suppresses the address on every
 * list, a soft one counts towards the soft-bounce streak, a policy one suppresses nobody and tells the operator.
 * The delivery id is the event id, so recording the same refusal twice (a retried batch) applies it once.
 * Temporary and throttled failures are not reports: they are retried.
 */
export function refusalReport(
  delivery: { id: number; email: string; messageId: string },
  failure: SmtpError,
  at = new Date(),
): BounceReport | undefined {
  if (!failure.permanent) return undefined;
  const { verdict, rule, status } = failure.classification;
  if (verdict === 'temporary' || verdict === 'throttled') return undefined;
  return {
    source: 'smtp',
    eventId: `delivery:${delivery.id}`,
    kind: bounceKindOf(verdict),
    email: delivery.email,
    messageId: delivery.messageId,
    status,
    diagnostic: failure.response,
    occurredAt: at,
    details: { rule: rule.name, route: failure.route },
  };
}
