import { NotFoundError } from '../errors';
import { inTransaction, type Pool } from './pool';
import { subscriberMatchSql } from './subscriber-search';

/** What the subscribers page filters by; every part optional. */
export interface SubscriberFilter {
  /** Any part of the address or the name (a trigram index makes this fast at a million rows). */
  q?: string;
  list?: string;
  /** Subscription status on `list` (or on any list without one). */
  subscription?: 'confirmed' | 'unconfirmed' | 'unsubscribed';
  state?: 'active' | 'blocked';
  attribute?: { key: string; value: string };
}

const like = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filter as SQL over `s` (subscribers), parameters numbered from `first`. */
export function filterSql(f: SubscriberFilter, first: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  const parts: string[] = [];
  if (f.q) {
    const q = p(like(f.q.toLowerCase()));
    parts.push(subscriberMatchSql(q, f.q, { name: true }));
  }
  if (f.state) parts.push(`s.status = ${p(f.state)}`);
  if (f.attribute) parts.push(`s.attributes ->> ${p(f.attribute.key)} = ${p(f.attribute.value)}`);
  if (f.list || f.subscription) {
    const conds = ['sub.subscriber_id = s.id'];
    if (f.list) conds.push(`sub.list_id = (SELECT id FROM lists WHERE slug = ${p(f.list)})`);
    if (f.subscription) conds.push(`sub.status = ${p(f.subscription)}`);
    parts.push(`EXISTS (SELECT 1 FROM subscriptions sub WHERE ${conds.join(' AND ')})`);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', params };
}

export interface SubscriberRow {
  id: number;
  email: string;
  name: string;
  status: 'active' | 'blocked';
  createdAt: Date;
  lists: Array<{ list: string; status: string }>;
}

/** A page of subscribers matching the filter, newest first (keyset on id). */
export async function browseSubscribers(pool: Pool, filter: SubscriberFilter, page: { before?: number; limit: number }): Promise<SubscriberRow[]> {
  const where = filterSql(filter, 3);
  const { rows } = await pool.query<SubscriberRow>(
    `SELECT s.id, s.email, s.name, s.status, s.created_at AS "createdAt",
       coalesce((SELECT json_agg(json_build_object('list', l.slug, 'status', sub.status) ORDER BY l.slug)
                 FROM subscriptions sub JOIN lists l ON l.id = sub.list_id WHERE sub.subscriber_id = s.id), '[]'::json) AS lists
     FROM subscribers s
     WHERE ($1::bigint IS NULL OR s.id < $1) AND ${where.sql}
     ORDER BY s.id DESC LIMIT $2`,
    [page.before ?? null, page.limit, ...where.params],
  );
  return rows;
}

export interface SubscriberActivity {
  deliveries: Array<{ id: number; sendId: number; subject: string; list: string; status: string; attempts: number; smtpResponse: string | null; failureKind: string | null; sentAt: Date | null; queuedAt: Date }>;
  events: Array<{ id: number; type: string; list: string | null; occurredAt: Date; data: Record<string, unknown>; machine: boolean }>;
  suppression: { reason: string; source: string; createdAt: Date } | null;
}

/** Everything that happened to one subscriber: their deliveries (newest 200), events (newest 200) and suppression. */
export async function subscriberActivity(pool: Pool, id: number): Promise<SubscriberActivity> {
  const [deliveries, events, suppression] = await Promise.all([
    pool.query(
      `SELECT d.id, d.send_id AS "sendId", i.subject, l.slug AS list, d.status, d.attempts, d.smtp_response AS "smtpResponse",
              d.failure_kind AS "failureKind", d.sent_at AS "sentAt", d.queued_at AS "queuedAt"
       FROM deliveries d JOIN sends se ON se.id = d.send_id JOIN issues i ON i.id = se.issue_id JOIN lists l ON l.id = se.list_id
       WHERE d.subscriber_id = $1 ORDER BY d.id DESC LIMIT 200`,
      [id],
    ),
    pool.query(
      `SELECT e.id, e.type, l.slug AS list, e.occurred_at AS "occurredAt", e.data, e.machine
       FROM events e LEFT JOIN lists l ON l.id = e.list_id WHERE e.subscriber_id = $1 ORDER BY e.id DESC LIMIT 200`,
      [id],
    ),
    pool.query(
      `SELECT p.reason, p.source, p.created_at AS "createdAt" FROM suppressions p JOIN subscribers s ON lower(s.email) = lower(p.email) WHERE s.id = $1`,
      [id],
    ),
  ]);
  return { deliveries: deliveries.rows, events: events.rows, suppression: suppression.rows[0] ?? null } as SubscriberActivity;
}

/** Everything stored about a subscriber, for a data-access request (GDPR art. 15). */
export async function subscriberDataExport(pool: Pool, id: number): Promise<Record<string, unknown>> {
  const { rows } = await pool.query(
    `SELECT s.id, s.email, s.name, s.status, s.attributes, s.created_at AS "createdAt", s.updated_at AS "updatedAt",
       coalesce((SELECT json_agg(json_build_object('list', l.slug, 'status', sub.status, 'createdAt', sub.created_at, 'confirmedAt', sub.confirmed_at, 'unsubscribedAt', sub.unsubscribed_at))
                 FROM subscriptions sub JOIN lists l ON l.id = sub.list_id WHERE sub.subscriber_id = s.id), '[]'::json) AS subscriptions
     FROM subscribers s WHERE s.id = $1`,
    [id],
  );
  if (!rows[0]) throw new NotFoundError('subscriber', id);
  const activity = await subscriberActivity(pool, id);
  return { subscriber: rows[0], deliveries: activity.deliveries, events: activity.events, suppression: activity.suppression };
}

export type BulkAction = 'block' | 'unblock' | 'unsubscribe' | 'subscribe' | 'delete';

/**
 * One action on many subscribers at once: the ids given, or every subscriber matching a filter. Blocking
 * adds manual suppressions (so every send skips the address, as a suppression added any other way);
 * unblocking removes them. Returns how many subscribers were affected.
 */
export async function bulkSubscribers(pool: Pool, selection: { ids?: number[]; filter?: SubscriberFilter }, action: BulkAction, listSlug?: string): Promise<number> {
  const where = selection.ids ? { sql: 's.id = ANY($1::bigint[])', params: [selection.ids] } : filterSql(selection.filter ?? {}, 1);
  const chosen = `SELECT s.id, s.email FROM subscribers s WHERE ${where.sql}`;
  const n = where.params.length;
  return inTransaction(pool, async (client) => {
    switch (action) {
      case 'block': {
        await client.query(
          `INSERT INTO suppressions (email, reason, source, details) SELECT email, 'manual', 'app', '{}'::jsonb FROM (${chosen}) c ON CONFLICT ((lower(email))) DO NOTHING`,
          where.params,
        );
        return (await client.query(`UPDATE subscribers SET status = 'blocked', updated_at = now() WHERE id IN (SELECT id FROM (${chosen}) c) AND status <> 'blocked'`, where.params)).rowCount ?? 0;
      }
      case 'unblock': {
        await client.query(`DELETE FROM suppressions WHERE lower(email) IN (SELECT lower(email) FROM (${chosen}) c)`, where.params);
        return (await client.query(`UPDATE subscribers SET status = 'active', updated_at = now() WHERE id IN (SELECT id FROM (${chosen}) c) AND status <> 'active'`, where.params)).rowCount ?? 0;
      }
      case 'unsubscribe':
        return (
          (await client.query(
            `UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = now()
             WHERE list_id = (SELECT id FROM lists WHERE slug = $${n + 1}) AND status <> 'unsubscribed' AND subscriber_id IN (SELECT id FROM (${chosen}) c)`,
            [...where.params, listSlug],
          )).rowCount ?? 0
        );
      case 'subscribe':
        return (
          (await client.query(
            `INSERT INTO subscriptions (list_id, subscriber_id, status, confirmed_at)
             SELECT (SELECT id FROM lists WHERE slug = $${n + 1}), id, 'confirmed', now() FROM (${chosen}) c
             ON CONFLICT (list_id, subscriber_id) DO UPDATE SET status = 'confirmed', confirmed_at = now(), unsubscribed_at = NULL WHERE subscriptions.status <> 'confirmed'`,
            [...where.params, listSlug],
          )).rowCount ?? 0
        );
      case 'delete':
        return (await client.query(`DELETE FROM subscribers WHERE id IN (SELECT id FROM (${chosen}) c)`, where.params)).rowCount ?? 0;
    }
  });
}
