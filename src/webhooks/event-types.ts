/** The events an endpoint may listen to (the words of the glossary: delivery, open, click, …). */
export const WEBHOOK_EVENT_TYPES = [
  'delivery.sent',
  'delivery.failed',
  'open',
  'click',
  'unsubscribe',
  'bounce',
  'complaint',
  'subscriber.created',
  'subscriber.confirmed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const isWebhookEventType = (value: string): value is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
