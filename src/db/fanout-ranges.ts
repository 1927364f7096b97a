import { LAST_SUBSCRIBER_ID } from './deliveries';
import { inTransaction, type Pool, type PoolClient } from './pool';

/** One fan-out job's share of a send: subscriber ids in (after, last], with its own cursor. */
export interface FanoutRange {
  rangeNo: number;
  afterSubscriberId: number;
  lastSubscriberId: number;
  cursor: number;
  done: boolean;
}

const COLUMNS = `range_no AS "rangeNo", after_subscriber_id AS "afterSubscriberId", last_subscriber_id AS "lastSubscriberId", cursor, done`;

/** The send's row, locked: planning ranges and finishing the last one happen one at a time per send. */
async function lockSend(client: PoolClient, sendId: number): Promise<{ fanoutCursor: number }> {
  const { rows } = await client.query<{ fanoutCursor: number }>('SELECT fanout_cursor AS "fanoutCursor" FROM sends WHERE id = $1 FOR NO KEY UPDATE', [sendId]);
  return rows[0];
}

/**
 * The fan-out ranges of a send, created on the first call: `parts` ranges holding about as many of the list's
 * confirmed subscriptions each (cut at percentiles of the subscriber ids). None (an empty array) when the
 * send's fan-out is one job: `parts` below 2, or a fan-out already under way as one job (its cursor moved).
 */
export async function planFanoutRanges(pool: Pool, sendId: number, listId: number, parts: number): Promise<FanoutRange[]> {
  return inTransaction(pool, async (client) => {
    const send = await lockSend(client, sendId);
    const existing = await client.query<FanoutRange>(`SELECT ${COLUMNS} FROM fanout_ranges WHERE send_id = $1 ORDER BY range_no`, [sendId]);
    if (existing.rows.length > 0 || parts < 2 || send.fanoutCursor > 0) return existing.rows;
    const fractions = Array.from({ length: parts - 1 }, (_, i) => (i + 1) / parts);
    const { rows } = await client.query<{ cuts: number[] | null }>(
      `SELECT percentile_disc($2::float8[]) WITHIN GROUP (ORDER BY subscriber_id) AS cuts
       FROM subscriptions WHERE list_id = $1 AND status = 'confirmed'`,
      [listId, fractions],
    );
    // Distinct, increasing cuts (a tiny list may give the same id twice): n cuts make n + 1 ranges.
    const cuts = [...new Set((rows[0].cuts ?? []).map(Number))].sort((a, b) => a - b);
    if (cuts.length === 0) return [];
    const bounds = [0, ...cuts, LAST_SUBSCRIBER_ID];
    const ranges = bounds.slice(1).map((last, i) => ({ rangeNo: i, afterSubscriberId: bounds[i], lastSubscriberId: last, cursor: bounds[i], done: false }));
    await client.query(
      `INSERT INTO fanout_ranges (send_id, range_no, after_subscriber_id, last_subscriber_id, cursor)
       SELECT $1, r, a, l, a FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS t (r, a, l)`,
      [sendId, ranges.map((r) => r.rangeNo), ranges.map((r) => r.afterSubscriberId), ranges.map((r) => r.lastSubscriberId)],
    );
    return ranges;
  });
}

export async function getFanoutRange(pool: Pool, sendId: number, rangeNo: number): Promise<FanoutRange | null> {
  const { rows } = await pool.query<FanoutRange>(`SELECT ${COLUMNS} FROM fanout_ranges WHERE send_id = $1 AND range_no = $2`, [sendId, rangeNo]);
  return rows[0] ?? null;
}

export async function setFanoutRangeCursor(pool: Pool, sendId: number, rangeNo: number, cursor: number): Promise<void> {
  await pool.query('UPDATE fanout_ranges SET cursor = $3 WHERE send_id = $1 AND range_no = $2', [sendId, rangeNo, cursor]);
}

/**
 * Marks a range done; true when no range of the send is left (then the caller ends the fan-out, which is
 * idempotent: a range done again after a crash ends it again). Under the send's row lock, so of two ranges
 * finishing at once the second sees the first one done.
 */
export async function finishFanoutRange(pool: Pool, sendId: number, rangeNo: number): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    await lockSend(client, sendId);
    await client.query('UPDATE fanout_ranges SET done = true WHERE send_id = $1 AND range_no = $2', [sendId, rangeNo]);
    const left = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM fanout_ranges WHERE send_id = $1 AND NOT done', [sendId]);
    return left.rows[0].n === 0;
  });
}
