import type { Pool, PoolClient } from './pool';
import { ANSWERED_DELIVERY_STATES } from './states';

/**
 * Marks a provider's event id as applied. Returns false when it was applied before: the caller then changes
 * nothing, so a webhook delivered twice changes state once.
 */
export async function claimProviderEvent(db: Pool | PoolClient, provider: string, eventId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'INSERT INTO provider_events (provider, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [provider, eventId],
  );
  return (rowCount ?? 0) > 0;
}

export interface BouncedDelivery {
  deliveryId: number;
  sendId: number;
  listId: number;
  subscriberId: number;
  email: string;
}

const DELIVERY_SELECT = `SELECT d.id AS "deliveryId", d.send_id AS "sendId", snd.list_id AS "listId",
  d.subscriber_id AS "subscriberId", s.email
  FROM deliveries d JOIN sends snd ON snd.id = d.send_id JOIN subscribers s ON s.id = d.subscriber_id`;

export async function findDeliveryById(db: Pool | PoolClient, id: number): Promise<BouncedDelivery | undefined> {
  const { rows } = await db.query<BouncedDelivery>(`${DELIVERY_SELECT} WHERE d.id = $1`, [id]);
  return rows[0];
}

export async function findDeliveryByMessageId(db: Pool | PoolClient, messageId: string): Promise<BouncedDelivery | undefined> {
  const { rows } = await db.query<BouncedDelivery>(`${DELIVERY_SELECT} WHERE d.message_id = $1`, [messageId]);
  return rows[0];
}

/** The latest delivery that went out to an address: what a report that names only the address is about. */
export async function findLatestDeliveryByEmail(db: Pool | PoolClient, email: string): Promise<BouncedDelivery | undefined> {
  const { rows } = await db.query<BouncedDelivery>(
    `${DELIVERY_SELECT} WHERE lower(s.email) = lower($1) AND d.status = ANY($2::text[]) ORDER BY d.id DESC LIMIT 1`,
    [email, ANSWERED_DELIVERY_STATES],
  );
  return rows[0];
}

export async function findSubscriberIdByEmail(db: Pool | PoolClient, email: string): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM subscribers WHERE lower(email) = lower($1)', [email]);
  return rows[0]?.id;
}

export interface SoftBounceStreak {
  sends: number;
  firstAt: Date;
  lastAt: Date;
}

/**
 * Counts a soft bounce into the subscriber's streak of consecutive soft-bounced sends. A bounce of the delivery
 * already counted does not count twice; a delivery of the subscriber that was sent in between without bouncing
 * (a successful delivery) starts the streak again from this bounce.
 */
export async function recordSoftBounce(
  db: PoolClient,
  subscriberId: number,
  deliveryId: number | null,
  at: Date,
): Promise<SoftBounceStreak> {
  const { rows: current } = await db.query<{ lastDeliveryId: number | null }>(
    'SELECT last_delivery_id AS "lastDeliveryId" FROM soft_bounce_streaks WHERE subscriber_id = $1 FOR UPDATE',
    [subscriberId],
  );
  const previous = current[0];
  let reset = !previous;
  if (previous && deliveryId !== null && previous.lastDeliveryId !== null) {
    if (previous.lastDeliveryId === deliveryId) {
      const { rows } = await db.query<SoftBounceStreak>(
        'SELECT sends, first_at AS "firstAt", last_at AS "lastAt" FROM soft_bounce_streaks WHERE subscriber_id = $1',
        [subscriberId],
      );
      return rows[0];
    }
    const { rows } = await db.query<{ ok: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM deliveries d
         WHERE d.subscriber_id = $1 AND d.id > $2 AND d.id <> $3 AND d.status = 'sent'
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.delivery_id = d.id AND e.type = 'bounce')
       ) AS ok`,
      [subscriberId, previous.lastDeliveryId, deliveryId],
    );
    reset = rows[0].ok;
  }
  const { rows } = await db.query<SoftBounceStreak>(
    `INSERT INTO soft_bounce_streaks (subscriber_id, sends, first_at, last_at, last_delivery_id)
     VALUES ($1, 1, $2, $2, $3)
     ON CONFLICT (subscriber_id) DO UPDATE SET
       sends = CASE WHEN $4 THEN 1 ELSE soft_bounce_streaks.sends + 1 END,
       first_at = CASE WHEN $4 THEN $2 ELSE soft_bounce_streaks.first_at END,
       last_at = $2,
       last_delivery_id = $3
     RETURNING sends, first_at AS "firstAt", last_at AS "lastAt"`,
    [subscriberId, at, deliveryId, reset],
  );
  return rows[0];
}

/** A successful delivery reported by a provider ends the subscriber's soft-bounce streak. */
export async function resetSoftBounces(db: Pool | PoolClient, email: string): Promise<void> {
  await db.query(
    'DELETE FROM soft_bounce_streaks WHERE subscriber_id IN (SELECT id FROM subscribers WHERE lower(email) = lower($1))',
    [email],
  );
}

export interface SenderAlert {
  id: number;
  kind: string;
  email: string | null;
  statusCode: string | null;
  diagnostic: string | null;
  source: string;
  deliveryId: number | null;
  sendId: number | null;
  createdAt: Date;
}

export async function addSenderAlert(db: Pool | PoolClient, alert: Omit<SenderAlert, 'id' | 'createdAt'>): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO sender_alerts (kind, email, status_code, diagnostic, source, delivery_id, send_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [alert.kind, alert.email, alert.statusCode, alert.diagnostic, alert.source, alert.deliveryId, alert.sendId],
  );
  return rows[0].id;
}

export async function listSenderAlerts(pool: Pool, limit: number): Promise<SenderAlert[]> {
  const { rows } = await pool.query<SenderAlert>(
    `SELECT id, kind, email, status_code AS "statusCode", diagnostic, source, delivery_id AS "deliveryId",
            send_id AS "sendId", created_at AS "createdAt"
     FROM sender_alerts ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return rows;
}

/** An opt-out report: unsubscribes the subscriber from one list, or from every list when `listId` is null. */
export async function unsubscribeFromLists(db: Pool | PoolClient, subscriberId: number, listId: number | null): Promise<number[]> {
  const { rows } = await db.query<{ listId: number }>(
    `UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = now()
     WHERE subscriber_id = $1 AND ($2::bigint IS NULL OR list_id = $2) AND status <> 'unsubscribed'
     RETURNING list_id AS "listId"`,
    [subscriberId, listId],
  );
  return rows.map((r) => r.listId);
}
