import { inTransaction, type Pool } from './pool';
import { ENDED_SEND_STATES } from './states';

/**
 * The partitions of deliveries (by send id) and events (by month), and what retention does to them (migration
 * 0140 explains the layout). Dropping a partition takes a short ACCESS EXCLUSIVE lock on its parent: it waits
 * at most LOCK_TIMEOUT for the statements in flight, else nothing changes and the next run tries again.
 */
const LOCK_TIMEOUT = '5s';

export interface DeliveryPartition {
  name: string;
  /** The first send id it holds. */
  fromSend: number;
  /** The send id after the last it holds. */
  toSend: number;
}

export interface EventPartition {
  name: string;
  from: Date;
  to: Date;
}

export async function deliveryPartitions(pool: Pool): Promise<DeliveryPartition[]> {
  const { rows } = await pool.query<DeliveryPartition>(
    `SELECT name, lo::bigint::int AS "fromSend", hi::bigint::int AS "toSend" FROM tidings_partitions('deliveries')
     WHERE NOT is_default ORDER BY lo::bigint`,
  );
  return rows;
}

/** The monthly partitions of events, oldest first (the default partition is not among them). */
export async function eventPartitions(pool: Pool): Promise<EventPartition[]> {
  const { rows } = await pool.query<EventPartition>(
    `SELECT name, lo::timestamptz AS "from", hi::timestamptz AS "to" FROM tidings_partitions('events')
     WHERE NOT is_default ORDER BY lo::timestamptz`,
  );
  return rows;
}

/**
 * Creates the events partitions of this month and the next `monthsAhead`, and of every month that has rows in
 * the default partition (moving them in), except months that end before `keepFrom` (retention deletes those
 * rows instead). Returns the names of the partitions created.
 */
export async function ensureEventPartitions(pool: Pool, now: Date, monthsAhead: number, keepFrom: Date | null = null): Promise<string[]> {
  const before = new Set((await eventPartitions(pool)).map((p) => p.name));
  const { rows: months } = await pool.query<{ m: Date }>(
    `SELECT m FROM (
       SELECT date_trunc('month', $1::timestamptz, 'UTC') + n * interval '1 month' AS m FROM generate_series(0, $2::int) n
       UNION SELECT DISTINCT date_trunc('month', occurred_at, 'UTC') FROM events_default
     ) months WHERE $3::timestamptz IS NULL OR m + interval '1 month' > $3
     ORDER BY 1`,
    [now, monthsAhead, keepFrom],
  );
  // One month per statement (and transaction): moving one month's rows never holds up the next.
  for (const { m } of months) await pool.query('SELECT events_ensure_partition($1)', [m]);
  return (await eventPartitions(pool)).map((p) => p.name).filter((name) => !before.has(name));
}

/**
 * The deliveries partitions whose sends have all ended (finished, cancelled, failed) before `cutoff`, and past
 * which later sends exist (so no new send can land in them).
 */
export async function retirableDeliveryPartitions(pool: Pool, cutoff: Date): Promise<DeliveryPartition[]> {
  const { rows } = await pool.query<DeliveryPartition>(
    `SELECT p.name, p.lo::bigint::int AS "fromSend", p.hi::bigint::int AS "toSend"
     FROM tidings_partitions('deliveries') p
     WHERE NOT p.is_default
       AND EXISTS (SELECT 1 FROM sends WHERE id >= p.hi::bigint)
       AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.id >= p.lo::bigint AND s.id < p.hi::bigint
                       AND (s.status <> ALL ($2::text[]) OR coalesce(s.finished_at, s.updated_at) >= $1))
     ORDER BY p.lo::bigint`,
    [cutoff, ENDED_SEND_STATES],
  );
  return rows;
}

export interface RetiredPartition {
  name: string;
  sends: number;
  deliveries: number;
}

/**
 * Rolls a deliveries partition's counts (per send and status) into send_retired_deliveries, forgets which of
 * its deliveries had an event (event_firsts: no new event can be counted for them), and drops it, in one
 * transaction. The sends are locked and checked again first, so one resumed meanwhile keeps its deliveries.
 * Returns undefined when the partition is no longer retirable.
 */
export async function retireDeliveryPartition(pool: Pool, partition: DeliveryPartition, cutoff: Date): Promise<RetiredPartition | undefined> {
  return inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const { rows: sends } = await client.query<{ id: number; ended: boolean }>(
      `SELECT id, status = ANY ($4::text[]) AND coalesce(finished_at, updated_at) < $3 AS ended
       FROM sends WHERE id >= $1 AND id < $2 FOR SHARE`,
      [partition.fromSend, partition.toSend, cutoff, ENDED_SEND_STATES],
    );
    if (sends.some((s) => !s.ended)) return undefined;
    const table = quoteIdent(partition.name);
    await client.query(
      `INSERT INTO send_retired_deliveries (send_id, status, n)
       SELECT send_id, status, count(*) FROM ${table} WHERE send_id IN (SELECT id FROM sends) GROUP BY 1, 2
       ON CONFLICT (send_id, status) DO UPDATE SET n = send_retired_deliveries.n + EXCLUDED.n, retired_at = now()`,
    );
    const { rows: total } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    await client.query(`DELETE FROM event_firsts WHERE delivery_id IN (SELECT id FROM ${table})`);
    await client.query(`DROP TABLE ${table}`);
    return { name: partition.name, sends: sends.length, deliveries: total[0].n };
  });
}

/** The events partitions that end at or before `cutoff`, oldest first. */
export async function expiredEventPartitions(pool: Pool, cutoff: Date): Promise<EventPartition[]> {
  return (await eventPartitions(pool)).filter((p) => p.to.getTime() <= cutoff.getTime());
}

export async function dropEventPartition(pool: Pool, name: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    await client.query(`DROP TABLE ${quoteIdent(name)}`);
  });
}

/** Deletes the default partition's events older than `cutoff` (those outside every month); returns how many. */
export async function deleteDefaultEventsBefore(pool: Pool, cutoff: Date): Promise<number> {
  const { rowCount } = await pool.query('DELETE FROM events_default WHERE occurred_at < $1', [cutoff]);
  return rowCount ?? 0;
}

/**
 * SQL for "the sent deliveries of send `send`" (a column expression such as `s.id`) that also counts those
 * retention removed: the queries that ask whether, or how often, a send went out use these, so an old send
 * still counts as sent after DELIVERY_RETENTION_DAYS.
 */
export const sentDeliveriesCount = (send: string) =>
  `((SELECT count(*) FROM deliveries d WHERE d.send_id = ${send} AND d.status = 'sent')
    + coalesce((SELECT r.n FROM send_retired_deliveries r WHERE r.send_id = ${send} AND r.status = 'sent'), 0))`;
export const anySentDelivery = (send: string) =>
  `(EXISTS (SELECT 1 FROM deliveries d WHERE d.send_id = ${send} AND d.status = 'sent')
    OR EXISTS (SELECT 1 FROM send_retired_deliveries r WHERE r.send_id = ${send} AND r.status = 'sent' AND r.n > 0))`;

/** Only one retention run at a time, whichever process starts it: false when another holds the lock. */
export async function withRetentionLock<T>(pool: Pool, run: () => Promise<T>): Promise<T | undefined> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_LOCK_KEY]);
    if (!rows[0].ok) return undefined;
    try {
      return await run();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

const RETENTION_LOCK_KEY = 7_460_912_342;

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
