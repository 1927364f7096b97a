import type { Pool } from './pool';

export interface DayCounts {
  day: string;
  subscribed: number;
  confirmed: number;
  unsubscribed: number;
}

/** New, confirmed and unsubscribed subscriptions per day over the last `days` days (every day present, zeros included). */
export async function subscriptionsPerDay(pool: Pool, days: number): Promise<DayCounts[]> {
  const { rows } = await pool.query<DayCounts>(
    `WITH days AS (SELECT generate_series(current_date - ($1::int - 1), current_date, interval '1 day')::date AS day)
     SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
       (SELECT count(*)::int FROM subscriptions s WHERE s.created_at >= d.day AND s.created_at < d.day + 1) AS subscribed,
       (SELECT count(*)::int FROM subscriptions s WHERE s.confirmed_at >= d.day AND s.confirmed_at < d.day + 1) AS confirmed,
       (SELECT count(*)::int FROM subscriptions s WHERE s.unsubscribed_at >= d.day AND s.unsubscribed_at < d.day + 1) AS unsubscribed
     FROM days d ORDER BY d.day`,
    [days],
  );
  return rows;
}

export interface Reputation {
  sent: number;
  bounces: number;
  complaints: number;
}

/**
 * Messages accepted and the bounces and complaints they drew over the last `days` days, from the per-send
 * rollups (send_event_counts), so it stays a small read however many events there are.
 */
export async function reputation(pool: Pool, days: number): Promise<Reputation> {
  const { rows } = await pool.query<Reputation>(
    `WITH recent AS (SELECT id FROM sends WHERE coalesce(started_at, created_at) > now() - make_interval(days => $1))
     SELECT
       (SELECT count(*)::int FROM deliveries d WHERE d.send_id IN (SELECT id FROM recent) AND d.status = 'sent') AS sent,
       coalesce((SELECT sum(uniq)::int FROM send_event_counts c WHERE c.send_id IN (SELECT id FROM recent) AND c.type = 'bounce' AND c.detail = ''), 0) AS bounces,
       coalesce((SELECT sum(uniq)::int FROM send_event_counts c WHERE c.send_id IN (SELECT id FROM recent) AND c.type = 'complaint' AND c.detail = ''), 0) AS complaints`,
    [days],
  );
  return rows[0];
}

export interface Totals {
  subscribers: number;
  confirmed: number;
  lists: number;
  suppressed: number;
}

export async function totals(pool: Pool): Promise<Totals> {
  const { rows } = await pool.query<Totals>(
    `SELECT (SELECT count(*)::int FROM subscribers) AS subscribers,
            (SELECT count(DISTINCT subscriber_id)::int FROM subscriptions WHERE status = 'confirmed') AS confirmed,
            (SELECT count(*)::int FROM lists) AS lists,
            (SELECT count(*)::int FROM suppressions) AS suppressed`,
  );
  return rows[0];
}
