import type { Pool, PoolClient } from './pool';

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

export async function recordEvents(db: Pool | PoolClient, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data)
     SELECT type, delivery_id, subscriber_id, list_id, send_id, coalesce(occurred_at, now()), data
     FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::timestamptz[], $7::jsonb[])
          AS e (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data)`,
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
  const result = await pool.query(
    `INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data, flags)
     SELECT e.type, d.id, d.subscriber_id, s.list_id, d.send_id, e.occurred_at, e.data, string_to_array(e.flags, ',')
     FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::jsonb[], $5::text[]) WITH ORDINALITY
          AS e (type, delivery_id, occurred_at, data, flags, n)
     JOIN deliveries d ON d.id = e.delivery_id
     JOIN sends s ON s.id = d.send_id
     ORDER BY e.n`,
    [
      events.map((e) => e.type),
      events.map((e) => e.deliveryId),
      events.map((e) => e.occurredAt.toISOString()),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => e.flags.join(',')),
    ],
  );
  return result.rowCount ?? 0;
}
