import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { insertTrackedEvents } from '../src/db/events';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate';
import { withRetentionLock } from '../src/db/partitions';
import { findEarlierSends } from '../src/db/send-history';
import { countDeliveries } from '../src/db/sends';
import { createPool, dropDatabase, ensureDatabase, type Pool } from '../src/db/pool';
import { runRetention } from '../src/retention/run';
import { startSend } from '../src/send/control';
import { getSendStats } from '../src/stats/send-stats';
import { pino } from 'pino';
import { isolatedEnv, seedSend, startStack, waitFor, type TestStack } from './helpers';

// Issue 15: deliveries and events partitioned (migration 0140), converted from a populated database.

const PARTITIONING = '0140_partition_deliveries_events.sql';
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A migrations folder holding the real migrations before `upTo` and, optionally, more files of the test's own. */
async function migrationsBefore(upTo: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidings-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  for (const file of await readdir(MIGRATIONS_DIR)) if (file < upTo) await copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file));
  for (const [file, sql] of Object.entries(extra)) await writeFile(path.join(dir, file), sql);
  return dir;
}

async function addRealMigrations(dir: string): Promise<void> {
  for (const file of await readdir(MIGRATIONS_DIR)) await copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file));
}

// What another migration between 0130 and 0139 might add: columns (one with a default, one generated), an
// index and a check. The conversion reads them from the catalogue, so they must come through.
const OTHER_ENGINEERS_MIGRATION = `
ALTER TABLE deliveries ADD COLUMN campaign_tag text CHECK (campaign_tag <> '');
ALTER TABLE deliveries ADD COLUMN priority integer NOT NULL DEFAULT 3;
CREATE INDEX deliveries_campaign_tag_idx ON deliveries (campaign_tag) WHERE campaign_tag IS NOT NULL;
ALTER TABLE events ADD COLUMN ip inet;
ALTER TABLE events ADD COLUMN link_number integer GENERATED ALWAYS AS ((data->>'linkId')::int) STORED;
`;

/** Sends over eight months, deliveries of every status, events of every type (flags, data, long ago, now). */
async function seedHistory(pool: Pool): Promise<number[]> {
  await pool.query(`INSERT INTO lists (slug, name) VALUES ('history', 'History')`);
  await pool.query(`INSERT INTO issues (slug, subject, template, source, source_hash, html, text) VALUES ('old', 'Old issue', 'default', 'x', 'x', '<p>x</p>', 'x')`);
  await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) SELECT 1, g, 'https://example.com/' || g FROM generate_series(1, 4) g`);
  await pool.query(`INSERT INTO subscribers (email, name) SELECT 'reader' || g || '@example.com', '读者 ' || g FROM generate_series(1, 300) g`);
  await pool.query(`INSERT INTO subscriptions (list_id, subscriber_id, status) SELECT 1, id, 'confirmed' FROM subscribers`);
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO sends (issue_id, list_id, status, started_at, finished_at, created_at, updated_at)
     SELECT 1, 1, CASE WHEN g = 0 THEN 'paused' ELSE 'finished' END, now() - g * interval '17 days', now() - g * interval '17 days' + interval '1 hour',
            now() - g * interval '17 days', now() - g * interval '17 days' + interval '1 hour'
     FROM generate_series(14, 0, -1) g RETURNING id`,
  );
  await pool.query(
    `INSERT INTO deliveries (send_id, subscriber_id, status, attempts, smtp_response, message_id, sent_at, failure_kind, smtp_route, campaign_tag, priority)
     SELECT s.id, sub.id,
            (ARRAY['sent', 'sent', 'sent', 'failed', 'suppressed', 'retrying', 'queued', 'cancelled'])[1 + (sub.id + s.id) % 8],
            (sub.id % 3)::int, '250 2.0.0 Ok: queued as ' || sub.id, '<' || s.id || '.' || sub.id || '@tidings.test>', s.started_at + sub.id * interval '1 second',
            CASE WHEN (sub.id + s.id) % 8 = 3 THEN 'recipient' END, 'smtp://relay' || (sub.id % 2), CASE WHEN sub.id % 5 = 0 THEN 'tag-' || s.id END, sub.id % 7
     FROM sends s, subscribers sub WHERE s.id % 3 <> 0 OR sub.id <= 200`,
  );
  // Opens (some by Apple's proxy), clicks with link ids, bounces with kinds, complaints, unsubscribes; in
  // batches, so the rollups are kept the way the tracking endpoints keep them.
  await pool.query(
    `INSERT INTO events (type, delivery_id, subscriber_id, list_id, occurred_at, data, flags, ip)
     SELECT (ARRAY['open', 'open', 'open', 'click', 'click', 'bounce', 'complaint', 'unsubscribe'])[1 + d.id % 8], d.id, d.subscriber_id, 1,
            d.sent_at + (d.id % 97) * interval '1 hour',
            CASE d.id % 8 WHEN 3 THEN jsonb_build_object('linkId', 1 + d.id % 4) WHEN 4 THEN jsonb_build_object('linkId', 1 + d.id % 3)
                          WHEN 5 THEN jsonb_build_object('kind', CASE WHEN d.id % 2 = 0 THEN 'hard' ELSE 'soft' END) ELSE '{}'::jsonb END,
            CASE WHEN d.id % 10 = 1 THEN ARRAY['apple_mpp'] ELSE '{}'::text[] END, ('10.0.' || (d.id % 250) || '.1')::inet
     FROM deliveries d WHERE d.status = 'sent' AND d.id % 2 = 0`,
  );
  await pool.query(`INSERT INTO events (type, delivery_id, occurred_at) SELECT 'open', id, sent_at + interval '5 minutes' FROM deliveries WHERE status = 'sent' AND id % 6 = 1`);
  // An event from long ago (a provider's timestamp), one without a delivery, one in the future.
  await pool.query(`INSERT INTO events (type, subscriber_id, list_id, occurred_at) VALUES ('unsubscribe', 7, 1, '2019-03-04T05:06:07Z'), ('complaint', 8, null, now()), ('open', null, 1, now() + interval '10 years')`);
  await pool.query(`INSERT INTO sender_alerts (kind, source, delivery_id, send_id) VALUES ('policy', 'dsn', (SELECT min(id) FROM deliveries), 1)`);
  return rows.map((r) => r.id);
}

interface Snapshot {
  counts: Record<string, number>;
  digests: Record<string, string>;
  /** Per send: deliveries by status. */
  perSend: Record<string, Record<string, number>>;
}

async function snapshot(pool: Pool): Promise<Snapshot> {
  const counts: Record<string, number> = {};
  const digests: Record<string, string> = {};
  for (const table of ['deliveries', 'events', 'send_event_counts', 'send_event_buckets', 'event_firsts', 'sender_alerts']) {
    counts[table] = (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  }
  // Every column of every row, in id order: the row's text form names them all, in the table's order.
  for (const table of ['deliveries', 'events']) {
    digests[table] = (await pool.query(`SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) AS d FROM ${table} t`)).rows[0].d;
  }
  digests.rollups = (await pool.query(
    `SELECT md5(string_agg(c::text, E'\\n' ORDER BY c.send_id, c.type, c.machine, c.detail)) AS d FROM send_event_counts c`,
  )).rows[0].d;
  const perSend: Record<string, Record<string, number>> = {};
  for (const r of (await pool.query<{ sendId: number; status: string; n: number }>(
    'SELECT send_id AS "sendId", status, count(*)::int AS n FROM deliveries GROUP BY 1, 2',
  )).rows) (perSend[r.sendId] ??= {})[r.status] = r.n;
  return { counts, digests, perSend };
}

describe('partitioning deliveries and events (migration 0140)', () => {
  it('converts a populated database without losing a row, keeping columns other migrations added; sending works after', async () => {
    const env = isolatedEnv();
    await ensureDatabase(env.DATABASE_URL);
    const pool = createPool(env.DATABASE_URL, 4);
    let stack: TestStack | undefined;
    cleanups.push(async () => {
      await pool.end().catch(() => {});
      if (stack) await stack.close();
      else await dropDatabase(env.DATABASE_URL);
    });
    const dir = await migrationsBefore(PARTITIONING, { '0139_test_other_columns.sql': OTHER_ENGINEERS_MIGRATION });
    await migrate(pool, dir);
    const sendIds = await seedHistory(pool);
    const before = await snapshot(pool);
    expect(before.counts.deliveries).toBeGreaterThan(3000);
    expect(before.counts.events).toBeGreaterThan(500);
    const lastDelivery = (await pool.query<{ id: number }>('SELECT max(id)::int AS id FROM deliveries')).rows[0].id;

    await addRealMigrations(dir);
    expect((await migrate(pool, dir)).applied).toContain(PARTITIONING);

    const after = await snapshot(pool);
    expect(after.counts).toEqual(before.counts);
    expect(after.digests).toEqual(before.digests);
    expect(after.perSend).toEqual(before.perSend);
    // Statistics read the same rows: deliveries by status, and the events' rollups (digest above).
    for (const id of sendIds) {
      const stats = await getSendStats(pool, id);
      expect(stats.deliveries).toMatchObject(before.perSend[id]);
      expect(stats.deliveries.total).toBe(Object.values(before.perSend[id]).reduce((a, b) => a + b, 0));
    }
    const { rows: kinds } = await pool.query<{ relname: string; relkind: string }>(
      `SELECT relname, relkind FROM pg_class WHERE relname IN ('deliveries', 'events') ORDER BY relname`,
    );
    expect(kinds).toEqual([{ relname: 'deliveries', relkind: 'p' }, { relname: 'events', relkind: 'p' }]);
    // Sends of about a month share a partition; every send has one; events by month, and a default.
    const { rows: parts } = await pool.query<{ name: string; lo: string; hi: string }>(`SELECT name, lo, hi FROM tidings_partitions('deliveries') ORDER BY lo::bigint`);
    expect(parts.length).toBeGreaterThan(1);
    for (const id of sendIds) expect(parts.some((p) => id >= Number(p.lo) && id < Number(p.hi))).toBe(true);
    const { rows: eventParts } = await pool.query<{ name: string }>(`SELECT name FROM tidings_partitions('events') ORDER BY name`);
    expect(eventParts.map((p) => p.name)).toContain('events_2019_03');
    expect(eventParts.map((p) => p.name)).toContain('events_default');
    // The other migration's index and check came along.
    const { rows: indexes } = await pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries' ORDER BY 1`);
    expect(indexes.map((i) => i.indexname)).toEqual(expect.arrayContaining(['deliveries_campaign_tag_idx', 'deliveries_pkey', 'deliveries_send_id_subscriber_id_key', 'deliveries_pending_idx']));
    await expect(pool.query(`UPDATE deliveries SET campaign_tag = '' WHERE id = $1`, [lastDelivery])).rejects.toThrow(/check constraint/);
    // The unique (send, subscriber) still holds, and ids go on after the old ones.
    await expect(pool.query(`INSERT INTO deliveries (send_id, subscriber_id) SELECT send_id, subscriber_id FROM deliveries WHERE id = $1`, [lastDelivery])).rejects.toThrow(/duplicate key/);
    const { rows: fresh } = await pool.query<{ id: number }>(`INSERT INTO deliveries (send_id, subscriber_id) VALUES ($1, 300) RETURNING id`, [sendIds[2]]);
    expect(fresh[0].id).toBeGreaterThan(lastDelivery);
    await pool.query('DELETE FROM deliveries WHERE id = $1', [fresh[0].id]);
    const { rows: waiting } = await pool.query<{ part: string }>(
      `INSERT INTO events (type, list_id, occurred_at) VALUES ('open', 1, now() + interval '12 years') RETURNING tableoid::regclass::text AS part`,
    );
    expect(waiting[0].part).toBe('events_default');
    await pool.end();

    // Sending on the converted database: a new send gets its partition, fans out, sends, counts.
    stack = await startStack({ workers: true, env: { DATABASE_URL: env.DATABASE_URL } });
    // The worker's daily retention job runs once as it starts: the far-future event leaves the default partition.
    const moved = await waitFor(async () => {
      const { rows } = await stack!.services.pool.query<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM events WHERE occurred_at > now() + interval '11 years'`);
      return rows[0]?.part !== 'events_default' && rows[0]?.part;
    });
    expect(moved).toMatch(/^events_20\d\d_\d\d$/);
    const { issueId } = await seedSend(stack, 'after', 25);
    const started = await startSend(stack.services, issueId, 'after');
    const outcome = await waitForSend(stack.services, started.send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 25, sent: 25 });
    expect(stack.smtp.messages).toHaveLength(25);
    const stats = await getSendStats(stack.services.pool, started.send.id);
    expect(stats.deliveries).toMatchObject({ total: 25, sent: 25 });
  }, 60_000);
});

const DAY = 86_400_000;
const silent = pino({ level: 'silent' });

/** A fresh stack (no workers) with list 1, issue 1 and `subscribers` subscribers r1@… (ids 1…n). */
async function freshDatabase(subscribers: number): Promise<{ pool: Pool; stack: TestStack }> {
  const stack = await startStack();
  cleanups.push(() => stack.close());
  const { pool } = stack.services;
  await pool.query(`INSERT INTO lists (slug, name) VALUES ('kept', 'Kept')`);
  await pool.query(`INSERT INTO issues (slug, subject, template, source, source_hash, html, text) VALUES ('i', 'Issue', 'default', 'x', 'x', '<p>x</p>', 'x')`);
  await pool.query(`INSERT INTO subscribers (email) SELECT 'r' || g || '@example.com' FROM generate_series(1, $1::int) g`, [subscribers]);
  return { pool, stack };
}

describe('retention (EVENT_RETENTION_DAYS, DELIVERY_RETENTION_DAYS)', () => {
  it('drops old partitions after rolling up their counts: statistics of old sends stay the same; recent and running sends keep their rows', async () => {
    const { pool } = await freshDatabase(40);
    await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) VALUES (1, 1, 'https://example.com/a'), (1, 2, 'https://example.com/b')`);
    // Sends 1-8 ended 400 days ago (one partition), 9-11 ended 10 days ago, 12 is still sending.
    await pool.query(
      `INSERT INTO sends (issue_id, list_id, status, created_at, started_at, finished_at, updated_at)
       SELECT 1, 1, CASE WHEN g = 12 THEN 'sending' WHEN g = 5 THEN 'cancelled' ELSE 'finished' END, t, t, CASE WHEN g < 12 THEN t + interval '2 hours' END, t + interval '2 hours'
       FROM generate_series(1, 12) g, LATERAL (SELECT now() - CASE WHEN g <= 8 THEN interval '400 days' WHEN g < 12 THEN interval '10 days' ELSE interval '1 hour' END AS t) x`,
    );
    await pool.query(
      `INSERT INTO deliveries (send_id, subscriber_id, status, sent_at)
       SELECT s.id, sub.id, CASE WHEN s.id = 12 AND sub.id > 30 THEN 'queued' WHEN sub.id % 10 = 0 THEN 'failed' WHEN sub.id % 13 = 0 THEN 'suppressed' ELSE 'sent' END, s.started_at
       FROM sends s, subscribers sub`,
    );
    await pool.query(
      `INSERT INTO events (type, delivery_id, subscriber_id, list_id, occurred_at, data, flags)
       SELECT (ARRAY['open', 'open', 'click', 'bounce', 'complaint', 'unsubscribe', 'open'])[1 + d.id % 7], d.id, d.subscriber_id, 1, d.sent_at + (d.id % 50) * interval '1 hour',
              CASE d.id % 7 WHEN 2 THEN jsonb_build_object('linkId', 1 + d.id % 2) WHEN 3 THEN jsonb_build_object('kind', 'hard') ELSE '{}'::jsonb END,
              CASE WHEN d.id % 11 = 0 THEN ARRAY['apple_mpp'] ELSE '{}'::text[] END
       FROM deliveries d WHERE d.status = 'sent'`,
    );
    // One event outside every month partition, long ago: it waits in the default partition until retention.
    await pool.query(`INSERT INTO events (type, subscriber_id, occurred_at) VALUES ('unsubscribe', 1, '2019-01-02T03:04:05Z')`);
    const now = new Date();
    const before = [];
    for (let id = 1; id <= 12; id++) before.push(await getSendStats(pool, id, now));
    const liveBefore = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries WHERE send_id > 8')).rows[0].n;
    const recentEvents = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE occurred_at > now() - interval '90 days'`)).rows[0].n;

    const oldEvents = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE occurred_at < now() - interval '90 days'`)).rows[0].n;
    expect(oldEvents).toBeGreaterThan(50);

    const retention = { deliveryDays: 180, eventDays: 90 };
    const report = await runRetention({ pool, config: { retention }, log: silent }, now);
    expect(report.ran).toBe(true);
    expect(report.retiredDeliveryPartitions).toEqual([{ name: 'deliveries_sends_1_8', sends: 8, deliveries: 320 }]);
    // The old events were in the default partition (this database has months from its creation on): deleted there.
    expect(report.deletedDefaultEvents).toBe(oldEvents);

    // What is gone is gone; what is recent or running is all there.
    expect((await pool.query('SELECT count(*)::int AS n FROM deliveries WHERE send_id <= 8')).rows[0].n).toBe(0);
    expect((await pool.query('SELECT count(*)::int AS n FROM deliveries WHERE send_id > 8')).rows[0].n).toBe(liveBefore);
    expect((await pool.query(`SELECT count(*)::int AS n FROM events WHERE occurred_at < now() - interval '90 days'`)).rows[0].n).toBe(0);
    expect((await pool.query(`SELECT count(*)::int AS n FROM events WHERE occurred_at > now() - interval '90 days'`)).rows[0].n).toBe(recentEvents);
    // Every send's statistics, old and new, as before.
    for (let id = 1; id <= 12; id++) expect(await getSendStats(pool, id, now)).toEqual(before[id - 1]);
    expect(before[0].deliveries).toMatchObject({ total: 40, sent: 33, failed: 4, suppressed: 3 });
    expect(before[0].opens.unique).toBeGreaterThan(0);
    // `tidings status`, the API and the "already sent" guard count retired deliveries too: send 5 was cancelled
    // after it sent, and still counts as sent.
    expect(await countDeliveries(pool, 3)).toEqual(before[2].deliveries);
    const earlier = await findEarlierSends(pool, 1, 1);
    expect(earlier.find((e) => e.id === 5)).toMatchObject({ status: 'cancelled', sent: 33 });

    // 200 days on: the recent events' month partitions are past 90 days and dropped; the partition of sends 9-16
    // is kept (send 12 is still sending, and it is the newest); statistics still as before.
    const later = await runRetention({ pool, config: { retention }, log: silent }, new Date(now.getTime() + 200 * DAY));
    expect(later.droppedEventPartitions.length).toBeGreaterThan(0);
    expect(later.retiredDeliveryPartitions).toEqual([]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM events`)).rows[0].n).toBe(0);
    for (let id = 1; id <= 12; id++) expect(await getSendStats(pool, id, now)).toEqual(before[id - 1]);

    // A click on an email whose delivery was retired is skipped, not an error; a second pass has nothing to do.
    const { rows: old } = await pool.query<{ id: number }>(`SELECT delivery_id AS id FROM events WHERE send_id = 1 LIMIT 1`);
    expect(old).toEqual([]);
    await expect(insertTrackedEvents(pool, [{ type: 'click', deliveryId: 1, occurredAt: new Date(), flags: [], data: { linkId: 1 } }])).resolves.toBe(0);
    const again = await runRetention({ pool, config: { retention }, log: silent }, now);
    expect(again).toMatchObject({ ran: true, retiredDeliveryPartitions: [], droppedEventPartitions: [], deletedDefaultEvents: 0 });
    // Unset retention keeps everything.
    const none = await runRetention({ pool, config: { retention: { deliveryDays: undefined, eventDays: undefined } }, log: silent }, new Date(now.getTime() + 3650 * DAY));
    expect(none.retiredDeliveryPartitions).toEqual([]);
    expect(none.droppedEventPartitions).toEqual([]);
  });

  it('no insert misses its partition: sends get theirs as they are created, events of a month not made yet wait in the default one and move in', async () => {
    const { pool, stack } = await freshDatabase(1);
    // Sends created one by one and many at once (statements in parallel, each its own transaction).
    await Promise.all(Array.from({ length: 12 }, () => pool.query(`INSERT INTO sends (issue_id, list_id) VALUES (1, 1)`)));
    await pool.query(`INSERT INTO sends (issue_id, list_id) SELECT 1, 1 FROM generate_series(1, 30)`);
    await pool.query(`INSERT INTO deliveries (send_id, subscriber_id) SELECT id, 1 FROM sends`);
    const { rows: parts } = await pool.query<{ lo: string; hi: string }>(`SELECT lo, hi FROM tidings_partitions('deliveries') ORDER BY lo::bigint`);
    // Contiguous, no overlap, from send 1 to past the last send.
    expect(Number(parts[0].lo)).toBe(1);
    for (let i = 1; i < parts.length; i++) expect(parts[i].lo).toBe(parts[i - 1].hi);
    expect(Number(parts.at(-1)!.hi)).toBeGreaterThan(42);

    const { rows: ev } = await pool.query<{ part: string }>(
      `INSERT INTO events (type, subscriber_id, occurred_at) VALUES ('open', 1, '2041-05-06T07:08:09Z') RETURNING tableoid::regclass::text AS part`,
    );
    expect(ev[0].part).toBe('events_default');
    const report = await runRetention({ pool, config: { retention: { deliveryDays: undefined, eventDays: undefined } }, log: silent });
    expect(report.createdEventPartitions).toContain('events_2041_05');
    const { rows: moved } = await pool.query<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM events WHERE occurred_at > '2041-01-01'`);
    expect(moved).toEqual([{ part: 'events_2041_05' }]);
    // This month and the next three always exist.
    const names = (await pool.query<{ name: string }>(`SELECT name FROM tidings_partitions('events')`)).rows.map((r) => r.name);
    for (let n = 0; n <= 3; n++) {
      const d = new Date();
      const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
      expect(names).toContain(`events_${m.getUTCFullYear()}_${String(m.getUTCMonth() + 1).padStart(2, '0')}`);
    }
    // `tidings retention run` is the same pass: an event of last year goes with EVENT_RETENTION_DAYS=30.
    await pool.query(`INSERT INTO events (type, subscriber_id, occurred_at) VALUES ('open', 1, now() - interval '400 days')`);
    const { stdout } = await promisify(execFile)(process.execPath, [path.resolve(import.meta.dirname, '../bin/tidings.mjs'), 'retention', 'run', '--json'], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...stack.env, EVENT_RETENTION_DAYS: '30' },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ ran: true, deletedDefaultEvents: 1 });
    // Two passes at once are one.
    const inner = await withRetentionLock(pool, () => runRetention({ pool, config: { retention: { deliveryDays: 1, eventDays: 1 } }, log: silent }));
    expect(inner?.ran).toBe(false);
  });
});
