import { NotFoundError } from '../errors';
import type { SegmentDefinition } from '../segments/definition';
import type { Pool, PoolClient } from './pool';
import { DELIVERY_STATUSES, ENDED_SEND_STATES, sqlStates, UNFINISHED_DELIVERY_STATES, type DeliveryStatus, type SendStatus } from './states';

export interface Send {
  id: number;
  issueId: number;
  listId: number;
  status: SendStatus;
  statusReason: string | null;
  total: number;
  fanoutCursor: number;
  scheduledAt: Date | null;
  fannedOutAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  /** The segment definition the send was started with (a copy), or null for the whole list. */
  segment: SegmentDefinition | null;
  segmentId: number | null;
}

const SEND_COLUMNS = `id, issue_id AS "issueId", list_id AS "listId", status, status_reason AS "statusReason", total,
  fanout_cursor AS "fanoutCursor", scheduled_at AS "scheduledAt", fanned_out_at AS "fannedOutAt", started_at AS "startedAt", finished_at AS "finishedAt", created_at AS "createdAt",
  segment, segment_id AS "segmentId"`;

/**
 * A new send: `queued` for its fan-out now, or `scheduled` when `scheduledAt` is in the future.
 * `skipPreviousRecipients`: the fan-out leaves out subscribers an earlier send of the issue reached.
 * `segment`: only the list's subscribers matching it (a copy of its definition is kept on the send).
 */
export async function createSend(
  db: Pool | PoolClient,
  issueId: number,
  listId: number,
  scheduledAt: Date | null = null,
  skipPreviousRecipients = false,
  segment: { id: number; definition: SegmentDefinition } | null = null,
): Promise<Send> {
  const { rows } = await db.query<Send>(
    `INSERT INTO sends (issue_id, list_id, scheduled_at, status, skip_previous_recipients, segment_id, segment)
     VALUES ($1, $2, $3, CASE WHEN $3::timestamptz > now() THEN 'scheduled' ELSE 'queued' END, $4, $5, $6::jsonb)
     RETURNING ${SEND_COLUMNS}`,
    [issueId, listId, scheduledAt, skipPreviousRecipients, segment?.id ?? null, segment ? JSON.stringify(segment.definition) : null],
  );
  return rows[0];
}

export async function getSend(pool: Pool, id: number): Promise<Send> {
  if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError('send', String(id));
  const { rows } = await pool.query<Send>(`SELECT ${SEND_COLUMNS} FROM sends WHERE id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('send', id);
  return rows[0];
}

/** Moves a send from one of `from` to `to`; returns false when it was in another state. */
export async function transitionSend(pool: Pool, id: number, from: readonly SendStatus[], to: SendStatus, reason: string | null = null): Promise<boolean> {
  const result = await pool.query(
    `UPDATE sends SET status = $3, status_reason = $4, updated_at = now(),
       started_at = CASE WHEN $3 = 'fanning_out' THEN coalesce(started_at, now()) ELSE started_at END,
       finished_at = CASE WHEN $3 = ANY($5::text[]) THEN now() ELSE finished_at END
     WHERE id = $1 AND status = ANY($2::text[])`,
    [id, from, to, reason, ENDED_SEND_STATES],
  );
  return (result.rowCount ?? 0) > 0;
}

/** The number of recipients a send will reach, counted when its fan-out starts. */
export async function setSendTotal(pool: Pool, id: number, total: number): Promise<void> {
  await pool.query('UPDATE sends SET total = $2 WHERE id = $1', [id, total]);
}

/** A send's status now (the fan-out checks it between pages: paused or cancelled meanwhile?). */
export async function getSendStatus(pool: Pool, id: number): Promise<SendStatus> {
  const { rows } = await pool.query<{ status: SendStatus }>('SELECT status FROM sends WHERE id = $1', [id]);
  if (!rows[0]) throw new NotFoundError('send', id);
  return rows[0].status;
}

/**
 * Records the end of a send's fan-out. The true total is the number of deliveries, whatever changed on the
 * list during the fan-out.
 */
export async function markFannedOut(pool: Pool, id: number): Promise<void> {
  await pool.query(
    `UPDATE sends SET total = (SELECT count(*) FROM deliveries WHERE send_id = $1), fanned_out_at = now() WHERE id = $1`,
    [id],
  );
}

export async function setFanoutCursor(db: Pool | PoolClient, id: number, cursor: number, added: number): Promise<void> {
  await db.query('UPDATE sends SET fanout_cursor = $2, total = total + $3, updated_at = now() WHERE id = $1', [id, cursor, added]);
}

export type DeliveryCounts = Record<DeliveryStatus, number> & { total: number };

export async function countDeliveries(pool: Pool, sendId: number): Promise<DeliveryCounts> {
  const { rows } = await pool.query<{ status: DeliveryStatus; n: number }>(
    // Live rows, plus those DELIVERY_RETENTION_DAYS removed (rolled up per status when their partition went).
    `SELECT status, sum(n)::int AS n FROM (
       SELECT status, count(*) AS n FROM deliveries WHERE send_id = $1 GROUP BY status
       UNION ALL SELECT status, n FROM send_retired_deliveries WHERE send_id = $1
     ) c GROUP BY status`,
    [sendId],
  );
  const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as DeliveryCounts;
  counts.total = 0;
  for (const row of rows) {
    counts[row.status] = row.n;
    counts.total += row.n;
  }
  return counts;
}

/**
 * Marks finished every send among `sendIds` that is `sending` and has no unfinished delivery left,
 * storing its final counts. Called after each batch of results, so it runs per batch, not per email.
 */
export async function finishSendsIfDone(pool: Pool, sendIds: number[]): Promise<number[]> {
  const { rows } = await pool.query<{ id: number }>({
    // Workers ask this every FINISH_CHECK_MS while a send runs, so it must not grow with the send. "Any
    // unfinished delivery?" answered by status = ANY($n) read the (send_id, status) index's entries of every
    // delivery already sent (their old versions stay in the index until vacuum): 38 ms per check at 600,000
    // sent of 1,000,000, a third of a core with two workers. The newest unfinished delivery, read backwards
    // through deliveries_pending_idx, is found at once: deliveries are sent in about the order they were made,
    // so the newest ones are the last to finish (0.1 ms at any size).
    name: 'finish-sends-if-done',
    text: `UPDATE sends SET status = 'finished', finished_at = now(), updated_at = now(),
       sent_count = (SELECT count(*) FROM deliveries d WHERE d.send_id = sends.id AND d.status = 'sent'),
       failed_count = (SELECT count(*) FROM deliveries d WHERE d.send_id = sends.id AND d.status = 'failed')
     WHERE id = ANY($1::bigint[]) AND status = 'sending'
       AND NOT EXISTS (
         SELECT 1 FROM (
           SELECT d.id FROM deliveries d
           WHERE d.send_id = sends.id AND d.status IN (${sqlStates(UNFINISHED_DELIVERY_STATES)})
           ORDER BY d.id DESC LIMIT 1) newest_unfinished)
     RETURNING id`,
    values: [sendIds],
  });
  return rows.map((r) => r.id);
}

export interface PolicyStreakUpdate {
  sendId: number;
  /** True when a message of the send went out after its last 5.7.x refusal in this batch. */
  reset: boolean;
  /** 5.7.x refusals to add (after the last success when `reset`). */
  failures: number;
}

/**
 * Tracks 5.7.x refusals in a row per send and returns the sends that reached `limit`: a server refusing
 * everything for policy or authentication reasons must not burn through the whole list.
 */
export async function updatePolicyStreaks(pool: Pool, updates: PolicyStreakUpdate[], limit: number): Promise<number[]> {
  if (updates.length === 0) return [];
  const { rows } = await pool.query<{ id: number }>(
    `UPDATE sends s
     SET policy_failure_streak = CASE WHEN u.reset THEN u.failures ELSE s.policy_failure_streak + u.failures END
     FROM unnest($1::bigint[], $2::boolean[], $3::int[]) AS u (send_id, reset, failures)
     WHERE s.id = u.send_id
       -- The sends row is shared by every worker: only write (and lock) it when the streak changes.
       AND s.policy_failure_streak IS DISTINCT FROM (CASE WHEN u.reset THEN u.failures ELSE s.policy_failure_streak + u.failures END)
     RETURNING s.id, s.policy_failure_streak >= $4 AS over`,
    [updates.map((u) => u.sendId), updates.map((u) => u.reset), updates.map((u) => u.failures), limit],
  );
  return rows.filter((r) => (r as unknown as { over: boolean }).over).map((r) => r.id);
}
