/**
 * The states of sends, deliveries and subscriptions, and the sets of them that rules are written in. Each set
 * is defined here once and passed to SQL as a parameter (`status = ANY($n::text[])`), never retyped in a query.
 */
export type SendStatus = 'scheduled' | 'queued' | 'fanning_out' | 'sending' | 'paused' | 'finished' | 'cancelled' | 'failed';
export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'retrying' | 'failed' | 'suppressed' | 'cancelled';
export type SubscriptionStatus = 'unconfirmed' | 'confirmed' | 'unsubscribed';
export type FailureKind = 'recipient' | 'sender' | 'exhausted';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['queued', 'sending', 'sent', 'retrying', 'failed', 'suppressed', 'cancelled'];

/** A send whose deliveries may go out now. */
export const RUNNING_SEND_STATES: readonly SendStatus[] = ['fanning_out', 'sending'];
/** A send that has not ended and is not paused: it needs a worker's attention (now or at its scheduled time). */
export const ACTIVE_SEND_STATES: readonly SendStatus[] = ['scheduled', 'queued', 'fanning_out', 'sending'];
/** A send that has ended; nothing moves it on except a retry of its failed deliveries. */
export const ENDED_SEND_STATES: readonly SendStatus[] = ['finished', 'cancelled', 'failed'];
/** An ended send that a retry of its failed deliveries may reopen. */
export const REOPENABLE_SEND_STATES: readonly SendStatus[] = ['finished', 'failed'];

/** A delivery waiting for a worker (a `sending` one whose lock expired also may be taken). */
export const WAITING_DELIVERY_STATES: readonly DeliveryStatus[] = ['queued', 'retrying'];
/** A delivery without its final result: its send is not finished while one is left. */
export const UNFINISHED_DELIVERY_STATES: readonly DeliveryStatus[] = ['queued', 'sending', 'retrying'];
/**
 * A set written into a statement as SQL literals, for the one case a parameter cannot serve: the planner uses a
 * partial index only when the query's condition matches the index's predicate as written, and
 * deliveries_pending_idx (migration 0001) is `WHERE status IN ('queued', 'sending', 'retrying')`. The literals
 * come from the set here, never retyped (the states are fixed words; a quote would be doubled all the same).
 */
export function sqlStates(states: readonly string[]): string {
  return states.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ');
}

/** A delivery that reached an SMTP server's answer (a later bounce report may be about it). */
export const ANSWERED_DELIVERY_STATES: readonly DeliveryStatus[] = ['sent', 'failed'];

/** Failed deliveries that `send retry` puts back: out of attempts, or refused for a sender-side reason (5.7.x). */
export const RETRYABLE_FAILURE_KINDS: readonly FailureKind[] = ['exhausted', 'sender'];
