import type { SuppressionReason } from '../db/suppressions';

/**
 * What an imported row becomes, whatever service it came from. Statuses are kept, never upgraded: someone who
 * unsubscribed stays unsubscribed (with the time they left), an address that bounced, complained or was
 * blocklisted is suppressed for every list, a disabled one is not mailable, and an import never subscribes
 * again someone who left (that rule is the database write's, for subscriptions that already exist).
 */
export type ImportedStatus = 'confirmed' | 'unconfirmed' | 'unsubscribed' | 'suppressed' | 'disabled';
export const IMPORTED_STATUSES: readonly ImportedStatus[] = ['confirmed', 'unconfirmed', 'unsubscribed', 'suppressed', 'disabled'];

export interface RowStatus {
  status: ImportedStatus;
  /** The list subscription written, or null when nothing but the suppression is kept (a deletion request). */
  subscription: 'confirmed' | 'unconfirmed' | 'unsubscribed' | null;
  /** Suppressed rows: why, as the suppression list records it. */
  suppression?: SuppressionReason;
  /** The status word as the source wrote it, kept with the suppression. */
  sourceStatus?: string;
}

/** The subscription status rows without any status of their own get (`--status`, default confirmed). */
export type DefaultStatus = 'confirmed' | 'unconfirmed';

const subscribed = (subscription: DefaultStatus): RowStatus => ({ status: subscription, subscription });
const UNSUBSCRIBED: RowStatus = { status: 'unsubscribed', subscription: 'unsubscribed' };
const DISABLED = (subscription: DefaultStatus): RowStatus => ({ status: 'disabled', subscription });
const suppressed = (suppression: SuppressionReason, subscription: RowStatus['subscription']): RowStatus => ({ status: 'suppressed', subscription, suppression });

/**
 * Status words of the services people leave, and of Tidings' own export, lower-cased with spaces and dashes
 * as underscores. `default` stands for the import's default subscription status: a word that says "on the
 * list" without saying whether they confirmed.
 */
const WORDS: Record<string, (fallback: DefaultStatus) => RowStatus> = {
  // On the list.
  confirmed: () => subscribed('confirmed'),
  subscribed: () => subscribed('confirmed'),
  active: (d) => subscribed(d),
  enabled: (d) => subscribed(d),
  regular: () => subscribed('confirmed'),
  premium: () => subscribed('confirmed'),
  trialed: () => subscribed('confirmed'),
  unpaid: () => subscribed('confirmed'),
  gifted: () => subscribed('confirmed'),
  churning: () => subscribed('confirmed'),
  past_due: () => subscribed('confirmed'),
  paused: () => subscribed('confirmed'),
  cold: () => subscribed('confirmed'),
  free: () => subscribed('confirmed'),
  paid: () => subscribed('confirmed'),
  comped: () => subscribed('confirmed'),
  // Never confirmed.
  unconfirmed: () => subscribed('unconfirmed'),
  pending: () => subscribed('unconfirmed'),
  unactivated: () => subscribed('unconfirmed'),
  validating: () => subscribed('unconfirmed'),
  inactive_unconfirmed: () => subscribed('unconfirmed'),
  nonsubscribed: () => subscribed('unconfirmed'),
  non_subscribed: () => subscribed('unconfirmed'),
  transactional: () => subscribed('unconfirmed'),
  // Left.
  unsubscribed: () => UNSUBSCRIBED,
  inactive: () => UNSUBSCRIBED,
  cancelled: () => UNSUBSCRIBED,
  canceled: () => UNSUBSCRIBED,
  opted_out: () => UNSUBSCRIBED,
  // Bounced: suppressed, the subscription kept (removing the suppression makes them mailable again).
  cleaned: () => suppressed('hard_bounce', 'confirmed'),
  bounced: () => suppressed('hard_bounce', 'confirmed'),
  hard_bounce: () => suppressed('hard_bounce', 'confirmed'),
  undeliverable: () => suppressed('hard_bounce', 'confirmed'),
  invalid: () => suppressed('hard_bounce', 'confirmed'),
  soft_bounce: () => suppressed('soft_bounce', 'confirmed'),
  // Complained: suppressed and unsubscribed (a complaint is at least an unsubscribe).
  complained: () => suppressed('complaint', 'unsubscribed'),
  complaint: () => suppressed('complaint', 'unsubscribed'),
  spam_complaint: () => suppressed('complaint', 'unsubscribed'),
  // Blocked by the sender or the service.
  blocklisted: () => suppressed('manual', 'unsubscribed'),
  blacklisted: () => suppressed('manual', 'unsubscribed'),
  blocked: () => suppressed('manual', 'unsubscribed'),
  spammy: () => suppressed('manual', 'unsubscribed'),
  // Asked to be forgotten: only the suppression (the address) is kept, so that no one mails them again.
  deletion_requested: () => suppressed('manual', null),
  deleted: () => suppressed('manual', null),
  archived: () => suppressed('manual', null),
  // Switched off without leaving: not mailable until an operator turns them back on.
  disabled: (d) => DISABLED(d),
  removed: (d) => DISABLED(d),
  needs_attention: (d) => DISABLED(d),
};

const normalise = (word: string) => word.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** The resulting status of a source's status word, or undefined for a word no rule knows (the row is rejected). */
export function statusFromWord(word: string, fallback: DefaultStatus): RowStatus | undefined {
  const rule = WORDS[normalise(word)];
  return rule ? { ...rule(fallback), sourceStatus: word.trim() } : undefined;
}

export function defaultRowStatus(fallback: DefaultStatus): RowStatus {
  return subscribed(fallback);
}

/** The words `statusFromWord` knows, for error messages. */
export const KNOWN_STATUS_WORDS = Object.keys(WORDS);

/** Counts of rows per resulting status, all zero. */
export function emptyStatusCounts(): Record<ImportedStatus, number> {
  return { confirmed: 0, unconfirmed: 0, unsubscribed: 0, suppressed: 0, disabled: 0 };
}
