/**
 * bench/stats: one send of 1,000,000 deliveries with 400,000 events (opens, machine opens, clicks, bounces,
 * complaints, unsubscribes) in a fresh database, then the time of `getSendStats` (what `tidings stats` and
 * GET /api/sends/:id/stats run). Target: under 200 ms.
 *
 *   npm run bench:stats [-- --deliveries 1000000]
 */
import { randomBytes } from 'node:crypto';
import { createPool, dropDatabase, ensureDatabase } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { getSendStats } from '../src/stats/send-stats';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const n = arg('deliveries', 1_000_000);
// --keep leaves the database (named tidings_bench_stats_keep) for EXPLAIN ANALYZE afterwards.
const keep = process.argv.includes('--keep');
const databaseUrl = `${process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432'}/${keep ? 'tidings_bench_stats_keep' : `tidings_bench_stats_${process.pid}_${randomBytes(3).toString('hex')}`}`;

if (keep) await dropDatabase(databaseUrl);
await ensureDatabase(databaseUrl);
const pool = createPool(databaseUrl, 8);
try {
  await migrate(pool);
  const t0 = Date.now();
  await pool.query(`INSERT INTO lists (slug, name) VALUES ('big', 'Big')`);
  await pool.query(`INSERT INTO issues (slug, subject, template, source, source_hash, html, text) VALUES ('big', 'Big', 'default', 'x', 'x', 'x', 'x')`);
  await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) SELECT 1, g, 'https://example.com/' || g FROM generate_series(1, 12) g`);
  await pool.query(`INSERT INTO sends (issue_id, list_id, status, started_at) VALUES (1, 1, 'finished', now() - interval '3 days')`);
  // A smaller earlier send, so the index ranges are not the whole table.
  await pool.query(`INSERT INTO sends (issue_id, list_id, status, started_at) VALUES (1, 1, 'finished', now() - interval '10 days')`);
  await pool.query(`INSERT INTO subscribers (email) SELECT 'reader' || g || '@example.com' FROM generate_series(1, $1) g`, [n]);
  await pool.query(
    `INSERT INTO deliveries (send_id, subscriber_id, status, sent_at)
     SELECT 1, g, CASE WHEN g % 100 = 0 THEN 'failed' WHEN g % 250 = 1 THEN 'suppressed' ELSE 'sent' END, now() - interval '3 days'
     FROM generate_series(1, $1) g`,
    [n],
  );
  await pool.query(`INSERT INTO deliveries (send_id, subscriber_id, status) SELECT 2, g, 'sent' FROM generate_series(1, $1 / 10) g`, [n]);
  const opens = Math.round(n * 0.35);
  await pool.query(
    `INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, flags)
     SELECT 'open', 1 + (g::bigint * 7919) % $2, 1 + (g::bigint * 7919) % $2, 1, 1, now() - interval '3 days' + (random() ^ 3) * interval '72 hours',
            CASE WHEN g % 5 = 0 THEN ARRAY['apple_mpp'] ELSE '{}'::text[] END
     FROM generate_series(1, $1) g`,
    [opens, n],
  );
  await pool.query(
    `INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data, flags)
     SELECT 'click', 1 + (g::bigint * 104729) % $2, 1, 1, 1, now() - interval '3 days' + (random() ^ 3) * interval '72 hours',
            jsonb_build_object('linkId', 1 + g % 12), CASE WHEN g % 20 = 0 THEN ARRAY['scanner_agent'] ELSE '{}'::text[] END
     FROM generate_series(1, $1) g`,
    [Math.round(n * 0.05), n],
  );
  await pool.query(
    `INSERT INTO events (type, delivery_id, send_id, data)
     SELECT 'bounce', g * 100, 1, jsonb_build_object('kind', CASE WHEN g % 3 = 0 THEN 'soft' ELSE 'hard' END) FROM generate_series(1, $1 / 100) g`,
    [n],
  );
  await pool.query(`INSERT INTO events (type, delivery_id, send_id) SELECT 'complaint', g * 2000 + 7, 1 FROM generate_series(1, $1 / 2000) g`, [n]);
  await pool.query(`INSERT INTO events (type, delivery_id, send_id) SELECT 'unsubscribe', g * 500 + 3, 1 FROM generate_series(1, $1 / 500) g`, [n]);
  await pool.query('VACUUM ANALYZE');
  const seeded = (Date.now() - t0) / 1000;

  const times: number[] = [];
  let stats;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    stats = await getSendStats(pool, 1);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  // The same send while it is running: delivery counts are live (not stored), the events still rolled up.
  await pool.query(`UPDATE sends SET status = 'sending', updated_at = now() WHERE id = 1`);
  const running: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await getSendStats(pool, 1);
    running.push(performance.now() - t);
  }
  running.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      deliveries: stats!.deliveries.total,
      events: (await pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n,
      opensUnique: stats!.opens.unique,
      clicksTotal: stats!.clicks.total,
      timelinePoints: stats!.timeline.points.length,
      seedSeconds: Math.round(seeded),
      statsMsMedian: Math.round(times[3]),
      statsMsMin: Math.round(times[0]),
      statsMsMax: Math.round(times[6]),
      runningSendMsMedian: Math.round(running[2]),
      runningSendMsMin: Math.round(running[0]),
    }),
  );
} finally {
  await pool.end();
  if (!keep) await dropDatabase(databaseUrl);
}
