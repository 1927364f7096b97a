import type { Pool, PoolClient } from './pool';
import { ANY_WEBHOOK_ENDPOINT, outboxCte } from './webhook-outbox';

// The one place rows are written to `events`: reader actions (unsubscribe), bounce and complaint reports,
// and the HTTP server's batched opens and clicks.

export type EventType = 'open' | 'click' | 'unsubscribe' | 'bounce' | 'complaint';

export interface NewEvent {
  type: EventType;
  deliveryId: number | null;
  subscriberId: number | null;
  listId: number | null;
  sendId?: number | null;
  /** When it happened (a bounce report's own time); now when unset. */
  occurredAt?: Date;
  data?: Record<string, unknown>;
}

/** Events written with `events` (ins) as webhook outbox rows: the event's own type, its subscriber's address. */
const EVENT_OUTBOX = `outbox_source AS (
     SELECT i.type, i.subscriber_id, i.id AS ord,
            jsonb_build_object('eventId', i.id, 'deliveryId', i.delivery_id, 'sendId', i.send_id, 'listId', i.list_id,
                               'subscriberId', i.subscriber_id, 'email', s.email, 'occurredAt', i.occurred_at,
                               'flags', to_jsonb(coalesce(i.flags, '{}')), 'details', i.data) AS data
     FROM ins i LEFT JOIN subscribers s ON s.id = i.subscriber_id
     WHERE ${ANY_WEBHOOK_ENDPOINT}
   ), ${outboxCte('outbox_source')}`;

/** Writes events (and, in the same statement, their webhook outbox rows). */
export async function recordEvents(db: Pool | PoolClient, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `WITH ins AS (
       INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data)
       SELECT type, delivery_id, subscriber_id, list_id, send_id, coalesce(occurred_at, now()), data
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::timestamptz[], $7::jsonb[])
            AS e (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data)
       RETURNING id, type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data, flags
     ), ${EVENT_OUTBOX}
     SELECT count(*) FROM ins`,
    [
      events.map((e) => e.type),
      events.map((e) => e.deliveryId),
      events.map((e) => e.subscriberId),
      events.map((e) => e.listId),
      events.map((e) => e.sendId ?? null),
      events.map((e) => e.occurredAt?.toISOString() ?? null),
      events.map((e) => JSON.stringify(e.data ?? {})),
    ],
  );
}

export async function countEvents(pool: Pool, type: EventType, deliveryId: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM events WHERE type = $1 AND delivery_id = $2',
    [type, deliveryId],
  );
  return rows[0].n;
}

/** An open or click of one delivery, as seen by the HTTP server. */
export interface TrackedEvent {
  type: 'open' | 'click';
  deliveryId: number;
  occurredAt: Date;
  flags: readonly string[];
  data: Record<string, unknown>;
}

/**
 * One INSERT for a batch of opens and clicks. Events of a delivery that no longer exists are skipped
 * (its token was valid, but the delivery was deleted with its subscriber, or retired by
 * DELIVERY_RETENTION_DAYS). Ids follow arrival order. The send is written here, from the join, so the
 * row trigger that fills it need not look each delivery up again across the partitions.
 */
export async function insertTrackedEvents(pool: Pool, events: readonly TrackedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const { rows } = await pool.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data, flags)
       SELECT e.type, d.id, d.subscriber_id, s.list_id, d.send_id, e.occurred_at, e.data, string_to_array(e.flags, ',')
       FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::jsonb[], $5::text[]) WITH ORDINALITY
            AS e (type, delivery_id, occurred_at, data, flags, n)
       JOIN deliveries d ON d.id = e.delivery_id
       JOIN sends s ON s.id = d.send_id
       ORDER BY e.n
       RETURNING id, type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data, flags
     ), ${EVENT_OUTBOX}
     SELECT count(*)::int AS n FROM ins`,
    [
      events.map((e) => e.type),
      events.map((e) => e.deliveryId),
      events.map((e) => e.occurredAt.toISOString()),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => e.flags.join(',')),
    ],
  );
  return rows[0].n;
}
