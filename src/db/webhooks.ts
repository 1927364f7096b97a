import type { Pool } from './pool';
import { WEBHOOK_LANES } from './webhook-outbox';

// Webhook endpoints, their lanes through the outbox, and their failures (migration 0131).

export interface WebhookEndpoint {
  id: number;
  url: string;
  events: string[];
  description: string;
  secretSalt: string;
  createdAt: Date;
}

export interface EndpointHealth {
  delivered: number;
  failedAttempts: number;
  consecutiveFailures: number;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastError: string | null;
  /** Events waiting for this endpoint (not yet sent, not given up on). */
  pending: number;
}

const ENDPOINT_COLUMNS = `e.id::int AS id, e.url, e.events, e.description, e.secret_salt AS "secretSalt", e.created_at AS "createdAt"`;
const HEALTH_COLUMNS = `e.delivered_count::int AS delivered, e.failed_count::int AS "failedAttempts", e.consecutive_failures AS "consecutiveFailures",
  e.last_success_at AS "lastSuccessAt", e.last_failure_at AS "lastFailureAt", e.last_error AS "lastError",
  (SELECT count(*)::int FROM webhook_lanes l JOIN webhook_events w ON w.lane = l.lane AND w.id > l.cursor
   WHERE l.endpoint_id = e.id AND w.type = ANY (e.events)) AS pending`;

/** A new endpoint, with its lanes starting after the newest outbox row: it receives what happens from now on. */
export async function createWebhookEndpoint(pool: Pool, input: { url: string; events: string[]; description: string; secretSalt: string }): Promise<WebhookEndpoint> {
  const { rows } = await pool.query<WebhookEndpoint>(
    `WITH e AS (
       INSERT INTO webhook_endpoints (url, events, description, secret_salt) VALUES ($1, $2, $3, $4) RETURNING *
     ), lanes AS (
       INSERT INTO webhook_lanes (endpoint_id, lane, cursor)
       SELECT e.id, lane, (SELECT coalesce(max(id), 0) FROM webhook_events) FROM e, generate_series(0, $5 - 1) AS lane
     )
     SELECT ${ENDPOINT_COLUMNS} FROM e`,
    [input.url, input.events, input.description, input.secretSalt, WEBHOOK_LANES],
  );
  return rows[0];
}

export async function listWebhookEndpoints(pool: Pool): Promise<(WebhookEndpoint & { health: EndpointHealth })[]> {
  const { rows } = await pool.query<WebhookEndpoint & EndpointHealth>(`SELECT ${ENDPOINT_COLUMNS}, ${HEALTH_COLUMNS} FROM webhook_endpoints e ORDER BY e.id`);
  return rows.map(({ delivered, failedAttempts, consecutiveFailures, lastSuccessAt, lastFailureAt, lastError, pending, ...endpoint }) => ({
    ...endpoint,
    health: { delivered, failedAttempts, consecutiveFailures, lastSuccessAt, lastFailureAt, lastError, pending },
  }));
}

export async function deleteWebhookEndpoint(pool: Pool, id: number): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

export interface WebhookFailure {
  id: number;
  eventId: number;
  eventType: string;
  attempt: number;
  statusCode: number | null;
  error: string;
  gaveUp: boolean;
  createdAt: Date;
}

export async function listWebhookFailures(pool: Pool, endpointId: number, limit: number): Promise<WebhookFailure[]> {
  const { rows } = await pool.query<WebhookFailure>(
    `SELECT id::int AS id, event_id::int AS "eventId", event_type AS "eventType", attempt, status_code AS "statusCode", error,
            gave_up AS "gaveUp", created_at AS "createdAt"
     FROM webhook_failures WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2`,
    [endpointId, limit],
  );
  return rows;
}

/**
 * An outbox row the lanes may read: written by a transaction older than every transaction still running.
 * Outbox ids are taken when a row is inserted but seen when its transaction commits, so a lane reading in id
 * order could pass a lower id still uncommitted (an import, a bounce report's transaction) and never see it;
 * waiting until every older writer has ended closes that gap (a few milliseconds for the single statements).
 */
const SETTLED = 'age(w.xmin) > age(pg_snapshot_xmin(pg_current_snapshot())::xid)';

/** Lanes of endpoints with events waiting: the ones that need a pump job. */
export async function pendingWebhookLanes(pool: Pool): Promise<{ endpointId: number; lane: number }[]> {
  const { rows } = await pool.query<{ endpointId: number; lane: number }>(
    `SELECT l.endpoint_id::int AS "endpointId", l.lane
     FROM webhook_lanes l JOIN webhook_endpoints e ON e.id = l.endpoint_id
     WHERE EXISTS (SELECT 1 FROM webhook_events w WHERE w.lane = l.lane AND w.id > l.cursor AND w.type = ANY (e.events) AND ${SETTLED})`,
  );
  return rows;
}

export interface OutboxEvent {
  id: number;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}

export interface LaneBatch {
  endpoint: Pick<WebhookEndpoint, 'id' | 'url' | 'secretSalt'>;
  /** Failed attempts on the first event of the batch so far. */
  failures: number;
  events: OutboxEvent[];
}

/** The next events of one endpoint's lane, oldest first; undefined when the endpoint was removed. */
export async function nextLaneBatch(pool: Pool, endpointId: number, lane: number, limit: number): Promise<LaneBatch | undefined> {
  const { rows } = await pool.query<{ id: number; url: string; secretSalt: string; failures: number; events: OutboxEvent[] | null }>(
    `SELECT e.id::int AS id, e.url, e.secret_salt AS "secretSalt", l.failures,
            (SELECT json_agg(json_build_object('id', w.id, 'type', w.type, 'occurredAt', w.occurred_at, 'data', w.data) ORDER BY w.id)
             FROM (SELECT w.* FROM webhook_events w WHERE w.lane = l.lane AND w.id > l.cursor AND w.type = ANY (e.events) AND ${SETTLED}
                   ORDER BY w.id LIMIT $3) w) AS events
     FROM webhook_lanes l JOIN webhook_endpoints e ON e.id = l.endpoint_id
     WHERE l.endpoint_id = $1 AND l.lane = $2`,
    [endpointId, lane, limit],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    endpoint: { id: row.id, url: row.url, secretSalt: row.secretSalt },
    failures: row.failures,
    events: (row.events ?? []).map((e) => ({ ...e, occurredAt: new Date(e.occurredAt) })),
  };
}

/** `count` events of the lane were sent, up to `cursor`: the lane moves on, the endpoint is healthy. */
export async function recordLaneDelivered(pool: Pool, endpointId: number, lane: number, cursor: number, count: number): Promise<void> {
  await pool.query(
    `WITH l AS (UPDATE webhook_lanes SET cursor = greatest(cursor, $3::bigint), failures = 0 WHERE endpoint_id = $1::bigint AND lane = $2::smallint)
     UPDATE webhook_endpoints SET delivered_count = delivered_count + $4::int, consecutive_failures = 0, last_success_at = now() WHERE id = $1::bigint`,
    [endpointId, lane, cursor, count],
  );
}

/**
 * An attempt at the event after `cursor` failed: the failure is kept for the failure view and the endpoint's
 * health. `gaveUp`: its attempts ran out, and the lane moves past it.
 */
export async function recordLaneFailure(
  pool: Pool,
  failure: { endpointId: number; lane: number; cursor: number; event: OutboxEvent; attempt: number; statusCode: number | null; error: string; gaveUp: boolean },
): Promise<void> {
  await pool.query(
    `WITH l AS (
       UPDATE webhook_lanes SET cursor = greatest(cursor, CASE WHEN $7::boolean THEN $4::bigint ELSE $3::bigint END),
         failures = CASE WHEN $7::boolean THEN 0 ELSE $5::int END
       WHERE endpoint_id = $1::bigint AND lane = $2::smallint
     ), f AS (
       INSERT INTO webhook_failures (endpoint_id, event_id, event_type, attempt, status_code, error, gave_up)
       VALUES ($1::bigint, $4::bigint, $8::text, $5::int, $6::int, $9::text, $7::boolean)
     )
     UPDATE webhook_endpoints SET failed_count = failed_count + 1, consecutive_failures = consecutive_failures + 1,
       last_failure_at = now(), last_error = $9::text
     WHERE id = $1::bigint`,
    [failure.endpointId, failure.lane, failure.cursor, failure.event.id, failure.attempt, failure.statusCode, failure.gaveUp, failure.event.type, failure.error.slice(0, 500)],
  );
}

/**
 * Drops outbox rows every endpoint's lane has passed (all of them when no endpoint listens) and failures
 * older than `keepFailureDays`.
 */
export async function pruneWebhookOutbox(pool: Pool, keepFailureDays: number): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM webhook_events w
     WHERE w.id <= coalesce((SELECT min(cursor) FROM webhook_lanes l WHERE l.lane = w.lane), (SELECT max(id) FROM webhook_events))`,
  );
  await pool.query(`DELETE FROM webhook_failures WHERE created_at < now() - make_interval(days => $1)`, [keepFailureDays]);
  return rowCount ?? 0;
}
