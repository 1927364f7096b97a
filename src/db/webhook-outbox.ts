/**
 * The outbox of outgoing webhooks, as SQL the producers' own statements include (see webhook_events in
 * migration 0131): a statement that records deliveries' results or events also writes, in the same statement
 * and so the same transaction, one outbox row per thing an endpoint listens to. No extra round trip, and
 * without endpoints the rows are never built (a one-time EXISTS filter).
 *
 * `outboxCte(source)`: a CTE named `webhook_outbox` inserting from `source`, a CTE with columns type,
 * subscriber_id, data and ord (the order the rows get their ids in).
 */
export const WEBHOOK_LANES = 16;

export const ANY_WEBHOOK_ENDPOINT = 'EXISTS (SELECT 1 FROM webhook_endpoints)';

export function outboxCte(source: string): string {
  return `webhook_outbox AS (
       INSERT INTO webhook_events (type, lane, subscriber_id, data)
       SELECT o.type, coalesce(o.subscriber_id, 0) % ${WEBHOOK_LANES}, o.subscriber_id, o.data FROM ${source} o
       WHERE o.type = ANY (SELECT unnest(events) FROM webhook_endpoints)
       ORDER BY o.ord
       RETURNING 1
     )`;
}
