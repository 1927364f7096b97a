import { inTransaction, type Pool } from './pool';

/** What the subscribe form should do next for an address, decided in one transaction. */
export type SubscribeOutcome =
  | { action: 'none'; reason: 'blocked' | 'already_confirmed' }
  | { action: 'subscribed'; subscriberId: number }
  | { action: 'confirm'; subscriberId: number };

/**
 * The subscribe form's database work (done after the response has gone out). A blocked address and an
 * existing confirmed subscription are left alone; a single opt-in list subscribes a new address at once;
 * a double opt-in list, and anyone who had unsubscribed, gets a confirmation email instead (someone else
 * may have typed the address). An existing name is never overwritten by a form.
 */
export async function subscribeFromForm(
  pool: Pool,
  input: { listId: number; email: string; name: string; doubleOptIn: boolean },
): Promise<SubscribeOutcome> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: number; status: string }>(
      `INSERT INTO subscribers (email, name) VALUES ($1, $2)
       ON CONFLICT ((lower(email))) DO UPDATE SET name = CASE WHEN subscribers.name = '' THEN EXCLUDED.name ELSE subscribers.name END
       RETURNING id, status`,
      [input.email, input.name],
    );
    const subscriber = rows[0];
    if (subscriber.status === 'blocked') return { action: 'none', reason: 'blocked' };
    const { rows: existing } = await client.query<{ status: string }>(
      'SELECT status FROM subscriptions WHERE list_id = $1 AND subscriber_id = $2 FOR UPDATE',
      [input.listId, subscriber.id],
    );
    const current = existing[0]?.status;
    if (current === 'confirmed') return { action: 'none', reason: 'already_confirmed' };
    if (!current && !input.doubleOptIn) {
      await client.query(
        `INSERT INTO subscriptions (list_id, subscriber_id, status, confirmed_at, source) VALUES ($1, $2, 'confirmed', now(), 'form')
         ON CONFLICT (list_id, subscriber_id) DO NOTHING`,
        [input.listId, subscriber.id],
      );
      return { action: 'subscribed', subscriberId: subscriber.id };
    }
    if (!current) {
      await client.query(
        `INSERT INTO subscriptions (list_id, subscriber_id, status, source) VALUES ($1, $2, 'unconfirmed', 'form')
         ON CONFLICT (list_id, subscriber_id) DO NOTHING`,
        [input.listId, subscriber.id],
      );
    }
    return { action: 'confirm', subscriberId: subscriber.id };
  });
}

/**
 * Claims the right to send a confirmation email: true at most once per subscription per 24 hours, even
 * when many requests race (one UPDATE decides).
 */
export async function claimConfirmationEmail(pool: Pool, listId: number, subscriberId: number): Promise<boolean> {
  const result = await pool.query(
    `UPDATE subscriptions SET confirmation_sent_at = now()
     WHERE list_id = $1 AND subscriber_id = $2 AND status <> 'confirmed'
       AND (confirmation_sent_at IS NULL OR confirmation_sent_at < now() - interval '24 hours')`,
    [listId, subscriberId],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Confirms a subscription (also one that had been unsubscribed: the owner of the address asked again). */
export async function confirmSubscription(pool: Pool, listId: number, subscriberId: number): Promise<'confirmed' | 'already' | 'missing'> {
  const { rows } = await pool.query<{ was: string }>(
    `UPDATE subscriptions s SET status = 'confirmed', confirmed_at = now(), unsubscribed_at = NULL
     FROM subscriptions old JOIN subscribers p ON p.id = old.subscriber_id
     WHERE s.list_id = $1 AND s.subscriber_id = $2 AND old.list_id = s.list_id AND old.subscriber_id = s.subscriber_id
       AND p.status = 'active'
     RETURNING old.status AS was`,
    [listId, subscriberId],
  );
  if (!rows[0]) return 'missing';
  return rows[0].was === 'confirmed' ? 'already' : 'confirmed';
}
