import type { Pool } from './pool';
import {
  ACTIVE_SEND_STATES,
  ENDED_SEND_STATES,
  REOPENABLE_SEND_STATES,
  RETRYABLE_FAILURE_KINDS,
  RUNNING_SEND_STATES,
  WAITING_DELIVERY_STATES,
  type SendStatus,
} from './states';

/** Pauses a send that has not ended. Returns the previous status, or undefined when it could not be paused. */
export async function markPaused(pool: Pool, sendId: number, reason: string): Promise<SendStatus | undefined> {
  const { rows } = await pool.query<{ previous: SendStatus }>(
    `UPDATE sends s SET status = 'paused', status_reason = $2, updated_at = now()
     FROM (SELECT id, status AS previous FROM sends WHERE id = $1 FOR UPDATE) old
     WHERE s.id = old.id AND old.previous = ANY($3::text[])
     RETURNING old.previous`,
    [sendId, reason, ACTIVE_SEND_STATES],
  );
  return rows[0]?.previous;
}

/**
 * Puts a paused send back to where it was: waiting for its fan-out, fanning out, or sending.
 * Returns the new status, or undefined when the send was not paused.
 */
export async function markResumed(pool: Pool, sendId: number): Promise<SendStatus | undefined> {
  const { rows } = await pool.query<{ status: SendStatus }>(
    `UPDATE sends SET
       status = CASE WHEN fanned_out_at IS NOT NULL THEN 'sending' WHEN started_at IS NULL THEN 'queued' ELSE 'fanning_out' END,
       status_reason = NULL, policy_failure_streak = 0, signals_since = now(), updated_at = now()
     WHERE id = $1 AND status = 'paused'
     RETURNING status`,
    [sendId],
  );
  return rows[0]?.status;
}

/** Cancels a send and every delivery of it that has not gone out. In-flight messages still record their result. */
export async function markCancelled(pool: Pool, sendId: number): Promise<{ cancelled: boolean; deliveries: number }> {
  const send = await pool.query(
    `UPDATE sends SET status = 'cancelled', finished_at = now(), updated_at = now()
     WHERE id = $1 AND status <> ALL($2::text[])`,
    [sendId, ENDED_SEND_STATES],
  );
  const deliveries = await pool.query(
    `UPDATE deliveries SET status = 'cancelled', updated_at = now()
     WHERE send_id = $1 AND status = ANY($2::text[])`,
    [sendId, WAITING_DELIVERY_STATES],
  );
  return { cancelled: (send.rowCount ?? 0) > 0, deliveries: deliveries.rowCount ?? 0 };
}

/**
 * Puts the failed deliveries of a send back in the queue: those that ran out of attempts and those refused
 * for a sender-side reason (5.7.x). Addresses the server refused (5.1.x and other 5xx) stay failed.
 */
export async function markFailedForRetry(pool: Pool, sendId: number): Promise<number> {
  const result = await pool.query(
    // A fresh retry schedule: the attempts that ran out are not held against the operator's retry.
    `UPDATE deliveries SET status = 'queued', failure_kind = NULL, attempts = 0, throttles = 0, next_attempt_at = NULL, updated_at = now()
     WHERE send_id = $1 AND status = 'failed' AND failure_kind = ANY($2::text[])`,
    [sendId, RETRYABLE_FAILURE_KINDS],
  );
  const count = result.rowCount ?? 0;
  if (count > 0) {
    await pool.query(
      `UPDATE sends SET status = 'sending', finished_at = NULL, status_reason = NULL, updated_at = now()
       WHERE id = $1 AND status = ANY($2::text[])`,
      [sendId, REOPENABLE_SEND_STATES],
    );
  }
  return count;
}

/**
 * Deliveries a worker may take: waiting, waiting to retry (with the time their retry is due), or claimed by a
 * worker whose lock expired.
 */
export async function claimableDeliveries(pool: Pool, sendId: number, afterId: number, limit: number): Promise<Array<{ id: number; due: Date | null }>> {
  const { rows } = await pool.query<{ id: number; due: Date | null }>(
    `SELECT id, CASE WHEN status = 'retrying' THEN next_attempt_at END AS due FROM deliveries
     WHERE send_id = $1 AND id > $2
       AND (status = ANY($4::text[]) OR (status = 'sending' AND locked_until < now()))
     ORDER BY id
     LIMIT $3`,
    [sendId, afterId, limit, WAITING_DELIVERY_STATES],
  );
  return rows;
}

export async function countClaimable(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n
     FROM deliveries d JOIN sends s ON s.id = d.send_id
     WHERE s.status = ANY($1::text[])
       AND (d.status = ANY($2::text[]) OR (d.status = 'sending' AND d.locked_until < now()))`,
    [RUNNING_SEND_STATES, WAITING_DELIVERY_STATES],
  );
  return rows[0].n;
}

export interface ActiveSend {
  id: number;
  status: SendStatus;
  scheduledAt: Date | null;
}

/** Sends that need a worker's attention: due or future scheduled ones, waiting for or in their fan-out, sending. */
export async function activeSends(pool: Pool): Promise<ActiveSend[]> {
  const { rows } = await pool.query<ActiveSend>(
    `SELECT id, status, scheduled_at AS "scheduledAt" FROM sends
     WHERE status = ANY($1::text[])
     ORDER BY id`,
    [ACTIVE_SEND_STATES],
  );
  return rows;
}
