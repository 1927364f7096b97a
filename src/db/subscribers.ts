import type { Pool, PoolClient } from './pool';
import type { SubscriptionStatus } from './states';

export interface SubscriberInput {
  email: string;
  name: string;
  attributes: Record<string, unknown>;
}

/**
 * Upserts a batch of subscribers in one statement and returns their ids. An existing subscriber
 * keeps the address spelling it has, gets the new name when one is given, and has its attributes merged.
 */
export async function upsertSubscriberRows(db: Pool | PoolClient, batch: SubscriberInput[]): Promise<number[]> {
  if (batch.length === 0) return [];
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO subscribers (email, name, attributes)
     SELECT email, name, attributes FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS input (email, name, attributes)
     ON CONFLICT ((lower(email))) DO UPDATE
       SET name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE subscribers.name END,
           attributes = subscribers.attributes || EXCLUDED.attributes,
           updated_at = now()
     RETURNING id`,
    [batch.map((s) => s.email), batch.map((s) => s.name), batch.map((s) => JSON.stringify(s.attributes))],
  );
  return rows.map((r) => r.id);
}

/**
 * Upserts a batch of subscribers (see upsertSubscriberRows) and subscribes them to a list, in two statements
 * whatever the batch size. An existing subscription keeps its status: an import never re-subscribes someone
 * who left.
 */
export async function upsertSubscribers(
  db: Pool | PoolClient,
  listId: number,
  batch: SubscriberInput[],
  status: SubscriptionStatus,
): Promise<{ subscriberIds: number[]; newSubscriptions: number }> {
  if (batch.length === 0) return { subscriberIds: [], newSubscriptions: 0 };
  const subscriberIds = await upsertSubscriberRows(db, batch);
  const inserted = await db.query(
    `INSERT INTO subscriptions (list_id, subscriber_id, status, confirmed_at)
     SELECT $1, subscriber_id, $3, CASE WHEN $3 = 'confirmed' THEN now() END
     FROM unnest($2::bigint[]) AS input (subscriber_id)
     ON CONFLICT (list_id, subscriber_id) DO NOTHING`,
    [listId, subscriberIds, status],
  );
  return { subscriberIds, newSubscriptions: inserted.rowCount ?? 0 };
}

export async function countSubscriptions(pool: Pool, listId: number): Promise<Record<SubscriptionStatus, number>> {
  const { rows } = await pool.query<{ status: SubscriptionStatus; n: number }>(
    'SELECT status, count(*)::int AS n FROM subscriptions WHERE list_id = $1 GROUP BY status',
    [listId],
  );
  const counts = { unconfirmed: 0, confirmed: 0, unsubscribed: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

export interface SubscriberSummary {
  id: number;
  email: string;
  name: string;
}

export async function findSubscriberByEmail(pool: Pool, email: string): Promise<SubscriberSummary | undefined> {
  const { rows } = await pool.query<SubscriberSummary>(
    'SELECT id, email, name FROM subscribers WHERE lower(email) = lower($1)',
    [email],
  );
  return rows[0];
}

/**
 * Marks a subscription unsubscribed. Returns false when there was nothing to change (already unsubscribed
 * or no such subscription), so repeating an unsubscribe is harmless.
 */
export async function unsubscribe(pool: Pool, listId: number, subscriberId: number): Promise<boolean> {
  const result = await pool.query(
    `UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = now()
     WHERE list_id = $1 AND subscriber_id = $2 AND status <> 'unsubscribed'`,
    [listId, subscriberId],
  );
  return (result.rowCount ?? 0) > 0;
}

export async function getSubscriptionStatus(pool: Pool, listId: number, subscriberId: number): Promise<SubscriptionStatus | undefined> {
  const { rows } = await pool.query<{ status: SubscriptionStatus }>(
    'SELECT status FROM subscriptions WHERE list_id = $1 AND subscriber_id = $2',
    [listId, subscriberId],
  );
  return rows[0]?.status;
}
