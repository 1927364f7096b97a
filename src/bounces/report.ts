import type { BounceKind } from './classify';

/**
 * One verdict about one recipient, whatever it came from (a provider webhook, an inbound DSN or ARF report).
 * Parsers produce these; `applyBounceReports` turns them into events and suppressions.
 */
export interface BounceReport {
  /** ses, postmark, sendgrid, mailgun, dsn, arf. */
  source: string;
  /** The provider's id for this event: applied once, whatever number of times it is delivered. */
  eventId?: string;
  kind: BounceKind;
  email: string;
  /** The delivery that bounced, when the report came to its VERP address (decides before any Message-ID). */
  deliveryId?: number;
  /** The Message-ID of the email that bounced, with angle brackets, when the report carries it. */
  messageId?: string;
  status?: string;
  diagnostic?: string;
  occurredAt?: Date;
  /** Provider details worth keeping with the event (bounce type, feedback type, user agent…). */
  details?: Record<string, unknown>;
}

/** Provider reports of a successful delivery: they end a soft-bounce streak. */
export interface DeliveryReport {
  source: string;
  eventId?: string;
  email: string;
}

/** `<tidings.<send>.<delivery>@domain>` → the delivery id, or undefined for any other Message-ID. */
export function deliveryIdFromMessageId(messageId: string | undefined): number | undefined {
  const match = messageId ? /^<?tidings\.(\d+)\.(\d+)@[^>\s]+>?$/.exec(messageId.trim()) : null;
  return match ? Number(match[2]) : undefined;
}

/** A Message-ID with its angle brackets, however the provider spelled it. */
export function bracketed(messageId: string | undefined): string | undefined {
  const trimmed = messageId?.trim();
  if (!trimmed) return undefined;
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
}
