import type { Pool } from './pool';
import type { SubscriptionStatus } from './states';

/** Unsubscribes from every list; returns the ids of the lists that changed. */
export async function unsubscribeAll(pool: Pool, subscriberId: number): Promise<number[]> {
  const { rows } = await pool.query<{ listId: number }>(
    `UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = now()
     WHERE subscriber_id = $1 AND status <> 'unsubscribed'
     RETURNING list_id AS "listId"`,
    [subscriberId],
  );
  return rows.map((r) => r.listId);
}

export interface ReaderSubscription {
  listId: number;
  slug: string;
  name: string;
  /** The list's language: the preferences page speaks it. */
  language: string;
  status: SubscriptionStatus;
  createdAt: Date;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
}

export interface ReaderData {
  subscriber: { id: number; email: string; name: string; attributes: Record<string, unknown>; createdAt: Date };
  subscriptions: ReaderSubscription[];
  events: { type: string; occurredAt: Date; listId: number | null }[];
}

/** Everything stored about a subscriber (the GDPR download), or undefined when there is no such subscriber. */
export async function readerData(pool: Pool, subscriberId: number): Promise<ReaderData | undefined> {
  const { rows } = await pool.query<ReaderData['subscriber']>(
    'SELECT id, email, name, attributes, created_at AS "createdAt" FROM subscribers WHERE id = $1',
    [subscriberId],
  );
  if (!rows[0]) return undefined;
  const [subscriptions, events] = await Promise.all([
    pool.query<ReaderSubscription>(
      `SELECT l.id AS "listId", l.slug, l.name, l.language, s.status, s.created_at AS "createdAt", s.confirmed_at AS "confirmedAt",
              s.unsubscribed_at AS "unsubscribedAt"
       FROM subscriptions s JOIN lists l ON l.id = s.list_id WHERE s.subscriber_id = $1 ORDER BY l.name`,
      [subscriberId],
    ),
    pool.query<ReaderData['events'][number]>(
      'SELECT type, occurred_at AS "occurredAt", list_id AS "listId" FROM events WHERE subscriber_id = $1 ORDER BY occurred_at',
      [subscriberId],
    ),
  ]);
  return { subscriber: rows[0], subscriptions: subscriptions.rows, events: events.rows };
}

/**
 * The preferences form: the lists in `keep` are (re)confirmed, the subscriber's other lists unsubscribed.
 * Only lists the subscriber already has a subscription on can change.
 */
export async function setReaderLists(pool: Pool, subscriberId: number, keep: readonly number[]): Promise<void> {
  await pool.query(
    `UPDATE subscriptions SET
       status = CASE WHEN list_id = ANY($2::bigint[]) THEN 'confirmed' ELSE 'unsubscribed' END,
       confirmed_at = CASE WHEN list_id = ANY($2::bigint[]) AND status <> 'confirmed' THEN now() ELSE confirmed_at END,
       unsubscribed_at = CASE WHEN list_id = ANY($2::bigint[]) THEN NULL WHEN status <> 'unsubscribed' THEN now() ELSE unsubscribed_at END
     WHERE subscriber_id = $1
       AND status <> CASE WHEN list_id = ANY($2::bigint[]) THEN 'confirmed' ELSE 'unsubscribed' END`,
    [subscriberId, keep],
  );
}

/** Who a reader email may go to: an address that is stored, not blocked and not suppressed. */
export interface ReaderContact {
  id: number;
  email: string;
  name: string;
  /** Blocked, or on the suppression list (bounced, complained, removed by an operator): nothing goes to it. */
  unreachable: boolean;
  subscriptions: { listId: number; name: string; language: string; status: SubscriptionStatus }[];
}

/** A reader by id or by address (any case), with their subscriptions, for the emails the reader pages send. */
export async function findReaderContact(pool: Pool, by: { id: number } | { email: string }): Promise<ReaderContact | undefined> {
  const { rows } = await pool.query<ReaderContact>(
    `SELECT p.id, p.email, p.name,
            (p.status <> 'active' OR EXISTS (SELECT 1 FROM suppressions x WHERE lower(x.email) = lower(p.email))) AS unreachable,
            coalesce((SELECT json_agg(json_build_object('listId', l.id, 'name', l.name, 'language', l.language, 'status', s.status) ORDER BY l.name)
                      FROM subscriptions s JOIN lists l ON l.id = s.list_id WHERE s.subscriber_id = p.id), '[]') AS subscriptions
     FROM subscribers p WHERE ${'id' in by ? 'p.id = $1::bigint' : 'lower(p.email) = lower($1)'}`,
    ['id' in by ? String(by.id) : by.email],
  );
  return rows[0];
}

/**
 * Where a reader stands on one list, for the pages that would (re)start a subscription: no such
 * subscription, already confirmed, an address nothing may go to, or open to confirming.
 */
export async function subscriptionStanding(
  pool: Pool,
  listId: number,
  subscriberId: number,
): Promise<{ kind: 'unknown' } | { kind: 'confirmed' } | { kind: 'unreachable' } | { kind: 'open'; reader: ReaderContact }> {
  const reader = await findReaderContact(pool, { id: subscriberId });
  const status = reader?.subscriptions.find((s) => s.listId === listId)?.status;
  if (!reader || !status) return { kind: 'unknown' };
  if (status === 'confirmed') return { kind: 'confirmed' };
  if (reader.unreachable) return { kind: 'unreachable' };
  return { kind: 'open', reader };
}
