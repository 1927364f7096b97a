import { NotFoundError } from '../errors';
import type { Pool } from './pool';
import { subscriberMatchSql } from './subscriber-search';

export interface SubscriberDetail {
  id: number;
  email: string;
  name: string;
  status: 'active' | 'blocked';
  attributes: Record<string, unknown>;
  createdAt: Date;
  subscriptions: Array<{ list: string; status: string; createdAt: string }>;
}

const SELECT = `SELECT s.id, s.email, s.name, s.status, s.attributes, s.created_at AS "createdAt",
  coalesce((SELECT json_agg(json_build_object('list', l.slug, 'status', sub.status, 'createdAt', sub.created_at) ORDER BY l.slug)
            FROM subscriptions sub JOIN lists l ON l.id = sub.list_id WHERE sub.subscriber_id = s.id), '[]'::json) AS subscriptions
  FROM subscribers s`;

export async function getSubscriber(pool: Pool, id: number): Promise<SubscriberDetail> {
  const { rows } = await pool.query<SubscriberDetail>(`${SELECT} WHERE s.id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('subscriber', id);
  return rows[0];
}

/**
 * Finds subscribers by address (exact, case-insensitive, or a part of it), by attribute value, or by list,
 * a page at a time (keyset on id).
 */
export async function searchSubscribers(
  pool: Pool,
  filter: { email?: string; emailContains?: string; attribute?: { key: string; value: string }; list?: string; afterId: number; limit: number },
): Promise<SubscriberDetail[]> {
  const { rows } = await pool.query<SubscriberDetail>(
    `${SELECT}
     WHERE s.id > $1
       AND ($3::text IS NULL OR lower(s.email) = lower($3))
       AND ($4::text IS NULL OR ${subscriberMatchSql('lower($4)', filter.emailContains ?? '', { name: false })})
       AND ($5::text IS NULL OR s.attributes ->> $5 = $6)
       AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM subscriptions sub JOIN lists l ON l.id = sub.list_id
                                         WHERE sub.subscriber_id = s.id AND l.slug = $7))
     ORDER BY s.id LIMIT $2`,
    [filter.afterId, filter.limit, filter.email ?? null, filter.emailContains ?? null, filter.attribute?.key ?? null, filter.attribute?.value ?? null, filter.list ?? null],
  );
  return rows;
}

/** Changes a subscriber's name and attributes: merged into the stored ones, or replacing them. */
export async function updateSubscriber(
  pool: Pool,
  id: number,
  changes: { name?: string; attributes?: Record<string, unknown>; replaceAttributes?: boolean; status?: 'active' | 'blocked' },
): Promise<void> {
  const { rowCount } = await pool.query(
    `UPDATE subscribers SET name = coalesce($2, name),
       attributes = CASE WHEN $3::jsonb IS NULL THEN attributes WHEN $4 THEN $3::jsonb ELSE attributes || $3::jsonb END,
       status = coalesce($5, status),
       updated_at = now()
     WHERE id = $1`,
    [id, changes.name ?? null, changes.attributes ? JSON.stringify(changes.attributes) : null, changes.replaceAttributes ?? false, changes.status ?? null],
  );
  if (!rowCount) throw new NotFoundError('subscriber', id);
}

/**
 * Deletes a subscriber with their subscriptions and deliveries (GDPR erasure); events stay, no longer linked
 * to them. Returns false when there was no such subscriber.
 */
export async function deleteSubscriber(pool: Pool, id: number): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM subscribers WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
