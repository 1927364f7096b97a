import { compileSegment } from './segment-filter';
import type { SegmentDefinition } from '../segments/definition';
import { RUNNING_SEND_STATES, WAITING_DELIVERY_STATES, type DeliveryStatus, type FailureKind } from './states';
import type { Pool, PoolClient } from './pool';
import { ANY_WEBHOOK_ENDPOINT, outboxCte } from './webhook-outbox';

/** Counts the subscribers a send to this list (and segment) will reach: confirmed, and the address not blocked. */
/**
 * Whether the subscriber `subscriber` received issue `issue` (or is about to) from a send other than `except`:
 * what a repeated send (--again without --include-previous) leaves out. One rule for the fan-out and the count.
 */
function receivedIssue(subscriber: string, issue: string, except: string): string {
  return `EXISTS (
           SELECT 1 FROM deliveries d
           WHERE d.subscriber_id = ${subscriber} AND d.status IN ('sent', 'queued', 'sending', 'retrying')
             AND d.send_id IN (SELECT p.id FROM sends p WHERE p.id <> ${except} AND p.issue_id = ${issue}))`;
}

/**
 * How many a send to the list (and segment) would reach now. With `skipReceivedOf` (an issue id), those who
 * received that issue already are left out, as a repeated send does; `received` counts them.
 */
export async function countRecipients(db: Pool | PoolClient, listId: number, segment?: SegmentDefinition | null): Promise<number>;
export async function countRecipients(db: Pool | PoolClient, listId: number, segment: SegmentDefinition | null | undefined, skipReceivedOf: number): Promise<{ count: number; received: number }>;
export async function countRecipients(db: Pool | PoolClient, listId: number, segment?: SegmentDefinition | null, skipReceivedOf?: number): Promise<number | { count: number; received: number }> {
  const params: unknown[] = [listId];
  let received = '0';
  if (skipReceivedOf !== undefined) {
    params.push(skipReceivedOf);
    received = `count(*) FILTER (WHERE ${receivedIssue('sub.subscriber_id', '$2', '0')})::int`;
  }
  const where = segment ? compileSegment(segment, params.length + 1) : { sql: 'true', params: [] };
  const { rows } = await db.query<{ n: number; received: number }>(
    `SELECT count(*)::int AS n, ${received} AS received
     FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
     WHERE sub.list_id = $1 AND sub.status = 'confirmed' AND s.status = 'active' AND (${where.sql})`,
    [...params, ...where.params],
  );
  if (skipReceivedOf === undefined) return rows[0].n;
  return { count: rows[0].n - rows[0].received, received: rows[0].received };
}

export interface FanoutPage {
  /** Highest subscriber id in the page, or null when the list has no more recipients after the cursor. */
  lastSubscriberId: number | null;
  /** Ids of the page's deliveries that still wait to be sent (new ones and any left by an interrupted fan-out). */
  queuedDeliveryIds: number[];
  /** Recipients in the page: fewer than asked for means there are no more (the fan-out need not ask again). */
  recipients?: number;
}

/** Above every subscriber id: the bound of a fan-out over the whole list. */
export const LAST_SUBSCRIBER_ID = Number.MAX_SAFE_INTEGER;

/**
 * Turns the next page of recipients after `afterSubscriberId` (and up to `untilSubscriberId`, the end of a
 * fan-out range) into deliveries (keyset pagination: the list is never read whole). The unique
 * (send_id, subscriber_id) constraint makes a re-run after a crash harmless.
 */
export async function createDeliveryPage(
  client: PoolClient,
  sendId: number,
  listId: number,
  afterSubscriberId: number,
  pageSize: number,
  segment?: SegmentDefinition | null,
  untilSubscriberId: number = LAST_SUBSCRIBER_ID,
): Promise<FanoutPage> {
  // A segment is one more condition on the same keyset page (its parameters follow the page's five).
  const where = segment ? compileSegment(segment, 6) : { sql: 'true', params: [] };
  const { rows } = await client.query<{ last: number | null; pageCount: number; ids: string | null }>(
    `WITH page AS (
       SELECT sub.subscriber_id
       FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
       WHERE sub.list_id = $2 AND sub.status = 'confirmed' AND s.status = 'active' AND sub.subscriber_id > $3 AND sub.subscriber_id <= $5 AND (${where.sql})
         -- A repeated send (--again) skips whoever received the issue, or is about to, from an earlier send.
         AND NOT ((SELECT skip_previous_recipients FROM sends WHERE id = $1) AND ${receivedIssue('sub.subscriber_id', '(SELECT issue_id FROM sends WHERE id = $1)', '$1')})
       ORDER BY sub.subscriber_id
       LIMIT $4
     ), inserted AS (
       INSERT INTO deliveries (send_id, subscriber_id)
       SELECT $1, subscriber_id FROM page
       ON CONFLICT (send_id, subscriber_id) DO NOTHING
       RETURNING id, subscriber_id
     )
     SELECT (SELECT max(subscriber_id) FROM page) AS last, (SELECT count(*)::int FROM page) AS "pageCount",
            (SELECT string_agg(id::text, ',' ORDER BY subscriber_id) FROM inserted) AS ids`,
    [sendId, listId, afterSubscriberId, pageSize, untilSubscriberId, ...where.params],
  );
  const { last, pageCount, ids } = rows[0];
  if (last === null) return { lastSubscriberId: null, queuedDeliveryIds: [] };
  // Every delivery of the page is new (the usual case): its ids came back from the INSERT, all queued.
  const inserted = ids ? ids.split(',').map(Number) : [];
  if (inserted.length === pageCount) return { lastSubscriberId: last, queuedDeliveryIds: inserted, recipients: pageCount };
  // A page done again (after a crash or a pause): some deliveries existed, perhaps already sent; queue those
  // still queued. Reading them back costs a second statement, so only this path pays it.
  const queued = await client.query<{ id: number }>(
    `SELECT id FROM deliveries
     WHERE send_id = $1 AND subscriber_id > $2 AND subscriber_id <= $3 AND status = 'queued'
     ORDER BY subscriber_id`,
    [sendId, afterSubscriberId, last],
  );
  return { lastSubscriberId: last, queuedDeliveryIds: queued.rows.map((r) => r.id), recipients: pageCount };
}

export interface ClaimedDelivery {
  id: number;
  sendId: number;
  subscriberId: number;
  /** 'sending' when this worker may send it now; 'suppressed' when the subscriber left or is blocked. */
  status: 'sending' | 'suppressed';
  attempts: number;
  /** Throttling replies met since the last attempt that counted. */
  throttles: number;
  email: string;
  name: string;
}

/**
 * Claims a batch of deliveries in one statement. A delivery is claimable when it is queued or retrying,
 * or `sending` with an expired lock (its worker died). The subscription is re-checked at this moment, so
 * someone who unsubscribed after the fan-out is marked `suppressed` instead of being sent to. Deliveries
 * of a send that is not running (paused, cancelled), already claimed, or finished are not returned.
 */
export async function claimDeliveries(pool: Pool, ids: number[], lockSeconds: number): Promise<ClaimedDelivery[]> {
  const { rows } = await pool.query<ClaimedDelivery>({
    // Named: PostgreSQL plans this statement once per connection instead of on every batch (planning it
    // cost more than running it for a batch of ten).
    name: 'claim-deliveries',
    text: `WITH candidate AS (
       SELECT d.id, d.send_id, coalesce(sub.status = 'confirmed' AND s.status = 'active', false) AS allowed
       FROM deliveries d
       JOIN sends snd ON snd.id = d.send_id
       JOIN subscribers s ON s.id = d.subscriber_id
       LEFT JOIN subscriptions sub ON sub.list_id = snd.list_id AND sub.subscriber_id = d.subscriber_id
       WHERE d.id = ANY($1::bigint[])
         AND snd.status = ANY($3::text[])
         AND (d.status = ANY($4::text[]) OR (d.status = 'sending' AND d.locked_until < now()))
       FOR UPDATE OF d SKIP LOCKED
     )
     UPDATE deliveries d
     SET status = CASE WHEN c.allowed THEN 'sending' ELSE 'suppressed' END,
         attempts = d.attempts + c.allowed::int,
         locked_until = CASE WHEN c.allowed THEN now() + make_interval(secs => $2) END,
         updated_at = now()
     FROM candidate c, subscribers s
     -- The whole key (id, send_id) of the partitioned table: joined on the id alone, the planner does not
     -- know one row matches each, and at a million deliveries in the partition chose to hash all of them
     -- (seconds per claim) instead of looking each one up.
     WHERE d.id = c.id AND d.send_id = c.send_id AND s.id = d.subscriber_id
     RETURNING d.id, d.send_id AS "sendId", d.subscriber_id AS "subscriberId", d.status, d.attempts, d.throttles, s.email, s.name`,
    values: [ids, lockSeconds, RUNNING_SEND_STATES, WAITING_DELIVERY_STATES],
  });
  return rows;
}

export interface DeliveryResult {
  id: number;
  /** The delivery's send: with the id, the whole key of the partitioned table (see recordDeliveryResults). */
  sendId: number;
  /** `queued` puts back a delivery the server asked us to hold (throttling) without failing it. */
  status: Extract<DeliveryStatus, 'sent' | 'retrying' | 'failed' | 'queued'>;
  smtpResponse: string | null;
  messageId: string | null;
  failureKind: FailureKind | null;
  route: string | null;
  /** `retrying`: when the next attempt is due. */
  nextAttemptAt?: Date | null;
  /** `queued` by the warm-up (no route has room today): no throttle is counted either. */
  held?: boolean;
}

/**
 * Records a batch of outcomes in one statement. Only deliveries still `sending` change. The same statement
 * writes the `delivery.sent` / `delivery.failed` webhook events of the batch (src/db/webhook-outbox.ts).
 */
export async function recordDeliveryResults(pool: Pool, results: DeliveryResult[]): Promise<void> {
  await pool.query({
    name: 'record-delivery-results',
    text: `WITH updated AS (
     UPDATE deliveries d
     SET status = r.status,
         smtp_response = r.smtp_response,
         message_id = coalesce(r.message_id, d.message_id),
         failure_kind = r.failure_kind,
         -- A delivery put back because the server asked us to slow down did not use up an attempt.
         attempts = CASE WHEN r.status = 'queued' THEN greatest(d.attempts - 1, 0) ELSE d.attempts END,
         -- Throttles are counted until an attempt is spent (bounded by THROTTLES_PER_ATTEMPT in the worker).
         throttles = CASE WHEN r.held THEN d.throttles WHEN r.status = 'queued' THEN d.throttles + 1 ELSE 0 END,
         next_attempt_at = r.next_attempt_at,
         smtp_route = coalesce(r.route, d.smtp_route),
         sent_at = CASE WHEN r.status = 'sent' THEN now() ELSE d.sent_at END,
         locked_until = NULL,
         updated_at = now()
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::boolean[], $9::bigint[])
          AS r (id, status, smtp_response, message_id, failure_kind, route, next_attempt_at, held, send_id)
     -- The whole key (id, send_id), as in claimDeliveries: on the id alone the planner scanned the partition's
     -- index of deliveries in 'sending' once per result (38-97 ms per batch of 200 at 30,000 deliveries).
     WHERE d.id = r.id AND d.send_id = r.send_id AND d.status = 'sending'
     RETURNING d.id, d.send_id, d.subscriber_id, d.status, d.smtp_response, d.failure_kind, d.smtp_route, d.attempts, d.message_id
   ), outbox_source AS (
     SELECT 'delivery.' || u.status AS type, u.subscriber_id, u.id AS ord,
            jsonb_build_object('deliveryId', u.id, 'sendId', u.send_id, 'subscriberId', u.subscriber_id, 'email', s.email,
                               'status', u.status, 'smtpResponse', u.smtp_response, 'failureKind', u.failure_kind,
                               'route', u.smtp_route, 'attempts', u.attempts, 'messageId', u.message_id) AS data
     FROM updated u JOIN subscribers s ON s.id = u.subscriber_id
     WHERE u.status IN ('sent', 'failed') AND ${ANY_WEBHOOK_ENDPOINT}
   ), ${outboxCte('outbox_source')}
   SELECT count(*) FROM updated`,
    values: [
      results.map((r) => r.id),
      results.map((r) => r.status),
      results.map((r) => r.smtpResponse),
      results.map((r) => r.messageId),
      results.map((r) => r.failureKind),
      results.map((r) => r.route),
      results.map((r) => r.nextAttemptAt ?? null),
      results.map((r) => r.held ?? false),
      results.map((r) => r.sendId),
    ],
  });
}

export interface DeliveryContext {
  deliveryId: number;
  sendId: number;
  listId: number;
  issueId: number;
  subscriberId: number;
}

/** What a tracking token points at, for the open pixel and the unsubscribe page. */
export async function findDeliveryContext(pool: Pool, deliveryId: number): Promise<DeliveryContext | undefined> {
  const { rows } = await pool.query<DeliveryContext>(
    `SELECT d.id AS "deliveryId", d.send_id AS "sendId", snd.list_id AS "listId", snd.issue_id AS "issueId",
            d.subscriber_id AS "subscriberId"
     FROM deliveries d JOIN sends snd ON snd.id = d.send_id
     WHERE d.id = $1`,
    [deliveryId],
  );
  return rows[0];
}

/** The first delivery of a send that went out (the demo prints its links to try). */
export async function firstSentDelivery(pool: Pool, sendId: number): Promise<{ id: number; subscriberId: number } | undefined> {
  const { rows } = await pool.query<{ id: number; subscriberId: number }>(
    `SELECT id, subscriber_id AS "subscriberId" FROM deliveries WHERE send_id = $1 AND status = 'sent' ORDER BY id LIMIT 1`,
    [sendId],
  );
  return rows[0];
}

/** How many of a send's deliveries wait to be retried, and when the first of them is due. */
export async function retryingSummary(pool: Pool, sendId: number): Promise<{ retrying: number; nextAttemptAt: Date | null }> {
  const { rows } = await pool.query<{ retrying: number; nextAttemptAt: Date | null }>(
    `SELECT count(*)::int AS retrying, min(next_attempt_at) AS "nextAttemptAt"
     FROM deliveries WHERE send_id = $1 AND status = 'retrying'`,
    [sendId],
  );
  return rows[0];
}

/** The recipient domain of each delivery (lower-cased), for routing it to its domain group's queue. */
export async function deliveryDomains(pool: Pool, ids: number[]): Promise<Map<number, string>> {
  const { rows } = await pool.query<{ id: number; domain: string }>({
    name: 'delivery-domains',
    text: `SELECT d.id, lower(substring(s.email from '[^@]*$')) AS domain
     FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
     WHERE d.id = ANY($1::bigint[])`,
    values: [ids],
  });
  return new Map(rows.map((r) => [Number(r.id), r.domain]));
}
