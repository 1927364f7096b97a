/**
 * bench/partition-migration: how long migration 0140 takes to convert a populated database. Seeds the schema
 * as it was before 0140 (the migrations before it) with one send a week of `--per-send` deliveries and three
 * events per delivery, with generate_series on a reniced backend, then times `migrate` applying 0140, and
 * checks that every row came through.
 *
 *   nice -n 10 npm run bench:partition-migration [-- --sends 4 --per-send 250000]
 */
import { randomBytes } from 'node:crypto';
import { startBigHistory } from './big-history';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate';
import { createPool, dropDatabase, ensureDatabase, type PoolClient } from '../src/db/pool';

const PARTITIONING = '0140_partition_deliveries_events.sql';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const sends = arg('sends', 4);
const perSend = arg('per-send', 250_000);
const databaseUrl = `${process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432'}/tidings_bench_partition_${process.pid}_${randomBytes(3).toString('hex')}`;

const dir = await mkdtemp(path.join(tmpdir(), 'tidings-migrations-'));
for (const file of await readdir(MIGRATIONS_DIR)) if (file < PARTITIONING) await copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file));
await ensureDatabase(databaseUrl);
const pool = createPool(databaseUrl, 2);
try {
  await migrate(pool, dir);
  const t0 = Date.now();
  const client = await pool.connect();
  try {
    await seedOldSchema(client);
  } finally {
    client.release();
  }
  const seeded = (Date.now() - t0) / 1000;
  const count = async (table: string) => Number((await pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const before = { deliveries: await count('deliveries'), events: await count('events') };

  for (const file of await readdir(MIGRATIONS_DIR)) await copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file));
  const t1 = performance.now();
  const { applied } = await migrate(pool, dir);
  const seconds = (performance.now() - t1) / 1000;
  const after = { deliveries: await count('deliveries'), events: await count('events') };
  console.log(
    JSON.stringify({
      applied,
      before,
      after,
      seedSeconds: Math.round(seeded),
      migrationSeconds: Math.round(seconds * 10) / 10,
      rowsPerSecond: Math.round((before.deliveries + before.events) / seconds),
    }),
  );
  if (after.deliveries !== before.deliveries || after.events !== before.events) process.exitCode = 1;
} finally {
  await pool.end();
  await dropDatabase(databaseUrl);
  await rm(dir, { recursive: true, force: true });
}

async function seedOldSchema(client: PoolClient): Promise<void> {
  await startBigHistory(client);
  await client.query(
    `INSERT INTO sends (issue_id, list_id, status, created_at, started_at, finished_at)
     SELECT 1, 1, 'finished', now() - g * interval '7 days', now() - g * interval '7 days', now() - g * interval '7 days' + interval '3 hours'
     FROM generate_series($1::int, 1, -1) g`,
    [sends],
  );
  await client.query(`INSERT INTO subscribers (email) SELECT 'reader' || g || '@example.com' FROM generate_series(1, $1::int) g`, [perSend]);
  for (let s = 1; s <= sends; s++) {
    await client.query(
      `INSERT INTO deliveries (send_id, subscriber_id, status, sent_at, message_id)
       SELECT $1::bigint, g, CASE WHEN g % 100 = 0 THEN 'failed' ELSE 'sent' END, now(), '<' || $1::bigint || '.' || g || '@big.example>'
       FROM generate_series(1, $2::int) g`,
      [s, perSend],
    );
    // Three events a delivery; delivery ids of send s are (s-1)*perSend + subscriber.
    await client.query(
      `INSERT INTO events (type, delivery_id, subscriber_id, list_id, send_id, occurred_at, data)
       SELECT CASE WHEN g % 4 = 0 THEN 'click' ELSE 'open' END, d, 1 + (d - 1) % $2, 1, $1::bigint,
              (SELECT started_at FROM sends WHERE id = $1::bigint) + (g % 600000) * interval '1 second',
              CASE WHEN g % 4 = 0 THEN jsonb_build_object('linkId', 1 + g % 12) ELSE '{}'::jsonb END
       FROM generate_series(1, 3 * $2::bigint) g, LATERAL (SELECT ($1::bigint - 1) * $2 + 1 + (g * 7919) % $2 AS d) k`,
      [s, perSend],
    );
  }
  await client.query('VACUUM ANALYZE');
}
