/**
 * bench/stats: years of history in a fresh database, then the time of `getSendStats` (what `tidings stats`
 * and GET /api/sends/:id/stats run) for a finished send and for a running one. By default 10 weekly sends of
 * 1,000,000 deliveries each (10M deliveries, in the partitions migration 0140 makes) and 30M events over them
 * (opens, machine opens, clicks per link, bounces, complaints, unsubscribes, by month partition), seeded with
 * generate_series in chunks; the seeding backend is reniced. Target: under 200 ms for either.
 *
 *   nice -n 10 npm run bench:stats [-- --sends 10 --deliveries 10000000 --events 30000000 --keep]
 */
import { randomBytes } from 'node:crypto';
import { startBigHistory } from './big-history';
import { createPool, dropDatabase, ensureDatabase } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { getSendStats } from '../src/stats/send-stats';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const sends = arg('sends', 10);
const total = arg('deliveries', 10_000_000);
const eventsTotal = arg('events', total * 3);
const perSend = Math.floor(total / sends);
const CHUNK = 1_000_000;
// --keep leaves the database (named tidings_bench_stats_keep) for EXPLAIN ANALYZE afterwards; --reuse measures
// a database kept before without seeding it again.
const keep = process.argv.includes('--keep') || process.argv.includes('--reuse');
const reuse = process.argv.includes('--reuse');
const databaseUrl = `${process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432'}/${keep ? 'tidings_bench_stats_keep' : `tidings_bench_stats_${process.pid}_${randomBytes(3).toString('hex')}`}`;

if (keep && !reuse) await dropDatabase(databaseUrl);
await ensureDatabase(databaseUrl);
const pool = createPool(databaseUrl, 8);
const t0 = Date.now();
const step = (what: string) => process.stderr.write(`${Math.round((Date.now() - t0) / 1000)} s: ${what}\n`);
try {
  if (!reuse) await seed();
  const seeded = (Date.now() - t0) / 1000;
  // The last finished send (its delivery counts get stored at the first call, then read back) and the same
  // send while running (counted live on its partition's (send_id, status) index, every time).
  const target = sends - 1;
  const finished = await timed(7, () => getSendStats(pool, target));
  await pool.query(`UPDATE sends SET status = 'sending', updated_at = now() WHERE id = $1`, [target]);
  const running = await timed(7, () => getSendStats(pool, target));
  await pool.query(`UPDATE sends SET status = 'finished', updated_at = now() WHERE id = $1`, [target]);
  const stats = finished.last;
  const count = async (table: string) => (await pool.query(`SELECT count(*)::bigint AS n FROM ${table}`)).rows[0].n;
  console.log(
    JSON.stringify({
      deliveriesInDatabase: Number(await count('deliveries')),
      eventsInDatabase: Number(await count('events')),
      deliveryPartitions: Number((await pool.query(`SELECT count(*) AS n FROM tidings_partitions('deliveries')`)).rows[0].n),
      eventPartitions: Number((await pool.query(`SELECT count(*) AS n FROM tidings_partitions('events')`)).rows[0].n),
      send: { deliveries: stats.deliveries.total, opensUnique: stats.opens.unique, clicksTotal: stats.clicks.total, timelinePoints: stats.timeline.points.length },
      seedSeconds: Math.round(seeded),
      finishedSendMs: finished.summary,
      runningSendMs: running.summary,
      databaseSize: (await pool.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`)).rows[0].s,
    }),
  );
} finally {
  await pool.end();
  if (!keep) await dropDatabase(databaseUrl);
}

async function timed<T>(runs: number, work: () => Promise<T>): Promise<{ last: T; summary: { median: number; min: number; max: number } }> {
  const times: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = await work();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 10) / 10;
  return { last, summary: { median: ms(times[Math.floor(runs / 2)]), min: ms(times[0]), max: ms(times[runs - 1]) } };
}

async function seed(): Promise<void> {
  await migrate(pool);
  const client = await pool.connect();
  try {
    await startBigHistory(client);
    await client.query(`INSERT INTO issue_links (issue_id, link_id, url) SELECT 1, g, 'https://example.com/' || g FROM generate_series(1, 12) g`);
    // One send a week, the oldest first; each is created (and gets its deliveries partition) on its day.
    for (let s = 1; s <= sends; s++) {
      await client.query(
        `INSERT INTO sends (issue_id, list_id, status, created_at, started_at, finished_at, updated_at)
         SELECT 1, 1, 'finished', t, t, t + interval '3 hours', t + interval '3 hours' FROM (SELECT now() - $1 * interval '7 days' AS t) x`,
        [sends - s + 1],
      );
    }
    // The months the events fall in, created before the events arrive (as the retention pass does ahead).
    await client.query(
      `SELECT events_ensure_partition(m) FROM generate_series(date_trunc('month', now() - $1 * interval '7 days', 'UTC'), now(), interval '1 month') m`,
      [sends + 1],
    );
    step('schema and sends');
    await client.query(`INSERT INTO subscribers (email) SELECT 'reader' || g || '@example.com' FROM generate_series(1, $1) g`, [perSend]);
    step(`${perSend} subscribers`);
    for (let s = 1; s <= sends; s++) {
      for (let from = 1; from <= perSend; from += CHUNK) {
        await client.query(
          `INSERT INTO deliveries (send_id, subscriber_id, status, sent_at, message_id)
           SELECT $1, g, CASE WHEN g % 100 = 0 THEN 'failed' WHEN g % 250 = 1 THEN 'suppressed' ELSE 'sent' END,
                  (SELECT started_at FROM sends WHERE id = $1) + (g % 10800) * interval '1 second', '<' || $1 || '.' || g || '@big.example>'
           FROM generate_series($2::int, $3::int) g`,
          [s, from, Math.min(perSend, from + CHUNK - 1)],
        );
      }
      step(`deliveries of send ${s}`);
    }
    // Events: per send, a third of them opens (a fifth of those machine), clicks, a few bounces, complaints and
    // unsubscribes; spread over the week after the send. Delivery ids of send s are (s-1)*perSend + subscriber.
    const eventsPerSend = Math.floor(eventsTotal / sends);
    for (let s = 1; s <= sends; s++) {
      const base = (s - 1) * perSend;
      for (let from = 1; from <= eventsPerSend; from += CHUNK) {
        await client.query(
          `INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data, flags)
           SELECT CASE WHEN g % 1000 = 7 THEN 'bounce' WHEN g % 5000 = 9 THEN 'complaint' WHEN g % 2000 = 3 THEN 'unsubscribe'
                       WHEN g % 4 = 0 THEN 'click' ELSE 'open' END,
                  $2 + sub, sub, 1, $1, st + (random() ^ 3) * interval '7 days',
                  CASE WHEN g % 1000 = 7 THEN jsonb_build_object('kind', CASE WHEN g % 3 = 0 THEN 'soft' ELSE 'hard' END)
                       WHEN g % 4 = 0 THEN jsonb_build_object('linkId', 1 + g % 12) ELSE '{}'::jsonb END,
                  CASE WHEN g % 15 = 0 THEN ARRAY['apple_mpp'] ELSE '{}'::text[] END
           FROM generate_series($3::int, $4::int) g,
                LATERAL (SELECT 1 + (g::bigint * 7919) % $5 AS sub) k,
                (SELECT started_at AS st FROM sends WHERE id = $1) x`,
          [s, base, from, Math.min(eventsPerSend, from + CHUNK - 1), perSend],
        );
      }
      step(`events of send ${s}`);
    }
    await client.query('VACUUM ANALYZE');
    step('vacuum analyze');
  } finally {
    client.release();
  }
}
