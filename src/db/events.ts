import type { Pool } from './pool';

export type EventType = 'open' | 'click' | 'unsubscribe' | 'bounce' | 'complaint';

export interface NewEvent {
  type: EventType;
  deliveryId: number | null;
  subscriberId: number | null;
  listId: number | null;
  data?: Record<string, unknown>;
}

export async function recordEvents(pool: Pool, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await pool.query(
    `INSERT INTO events (type, delivery_id, subscriber_id, list_id, data)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::jsonb[])`,
    [
      events.map((e) => e.type),
      events.map((e) => e.deliveryId),
      events.map((e) => e.subscriberId),
      events.map((e) => e.listId),
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

/** Records an open of a delivery in one statement; returns false when the delivery does not exist. */
export async function recordOpen(pool: Pool, deliveryId: number, data: Record<string, unknown>): Promise<boolean> {
  const result = await pool.query(
    `INSERT INTO events (type, delivery_id, subscriber_id, list_id, data)
     SELECT 'open', d.id, d.subscriber_id, snd.list_id, $2::jsonb
     FROM deliveries d JOIN sends snd ON snd.id = d.send_id
     WHERE d.id = $1`,
    [deliveryId, JSON.stringify(data)],
  );
  return (result.rowCount ?? 0) > 0;
}
