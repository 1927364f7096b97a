import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSendStats } from '../src/stats/format';
import { getSendStats, percent, timelineBucket } from '../src/stats/send-stats';
import { startStack, type TestStack } from './helpers';
import { seedSend } from './ops-seed';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('per-send statistics', () => {
  it('counts deliveries, bounces, complaints, unsubscribes, opens (machine apart) and clicks per link', async () => {
    const { pool } = stack.services;
    const people = Array.from({ length: 10 }, (_, i) => ({ email: `reader${i}@example.com`, status: i < 8 ? 'sent' : i === 8 ? 'failed' : 'suppressed' }));
    const seeded = await seedSend(pool, people);
    const { rows: sendRows } = await pool.query<{ issue_id: number }>('SELECT issue_id FROM sends WHERE id = $1', [seeded.sendId]);
    await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) VALUES ($1, 1, 'https://example.com/a'), ($1, 2, 'https://example.com/b')`, [sendRows[0].issue_id]);
    const started = new Date(Date.now() - 2 * 3_600_000);
    await pool.query('UPDATE sends SET started_at = $2 WHERE id = $1', [seeded.sendId, started]);
    const d = (i: number) => seeded.deliveryIds.get(`reader${i}@example.com`)!;
    const ev = (type: string, i: number, extra: { flags?: string[]; data?: object; minutes?: number } = {}) =>
      pool.query(
        `INSERT INTO events (type, delivery_id, subscriber_id, list_id, occurred_at, data, flags)
         VALUES ($1, $2, (SELECT subscriber_id FROM deliveries WHERE id = $2), $3, $4, $5::jsonb, $6)`,
        [type, d(i), seeded.listId, new Date(started.getTime() + (extra.minutes ?? 10) * 60_000), JSON.stringify(extra.data ?? {}), extra.flags ?? []],
      );
    // Reader 0 opens three times, reader 1 once, reader 2 only through Apple's proxy.
    await ev('open', 0);
    await ev('open', 0, { minutes: 20 });
    await ev('open', 0, { minutes: 70 });
    await ev('open', 1);
    await ev('open', 2, { flags: ['apple_mpp'] });
    await ev('click', 0, { data: { linkId: 1 } });
    await ev('click', 0, { data: { linkId: 1 } });
    await ev('click', 1, { data: { linkId: 2 } });
    await ev('click', 3, { data: { linkId: 2 }, flags: ['scanner_agent'] });
    await ev('unsubscribe', 4);
    await ev('bounce', 5, { data: { kind: 'hard' } });
    await ev('bounce', 6, { data: { kind: 'soft' } });
    await ev('complaint', 7);

    const stats = await getSendStats(pool, seeded.sendId);
    expect(stats.deliveries).toMatchObject({ total: 10, sent: 8, failed: 1, suppressed: 1 });
    expect(stats.bounced).toEqual({ total: 2, hard: 1, soft: 1, policy: 0 });
    expect(stats.complaints).toBe(1);
    expect(stats.unsubscribes).toBe(1);
    expect(stats.opens).toEqual({ total: 4, unique: 2, machine: { total: 1, unique: 1 } });
    expect(stats.clicks).toMatchObject({ total: 3, unique: 2, machine: { total: 1, unique: 1 } });
    expect(stats.clicks.links).toEqual([
      { linkId: 1, url: 'https://example.com/a', total: 2, unique: 1, machine: 0 },
      { linkId: 2, url: 'https://example.com/b', total: 1, unique: 1, machine: 1 },
    ]);
    expect(stats.rates).toEqual({ open: 25, click: 25, bounce: 25, complaint: 12.5, unsubscribe: 12.5 });
    expect(stats.timeline.bucket).toBe('5 minutes');
    const totalOpens = stats.timeline.points.reduce((n, p) => n + p.opens, 0);
    expect(totalOpens).toBe(4);
    expect(stats.timeline.points.reduce((n, p) => n + p.machineOpens, 0)).toBe(1);
    expect(stats.timeline.points[0].at.getTime()).toBe(Math.floor((started.getTime() + 10 * 60_000) / 300_000) * 300_000);

    const table = formatSendStats(stats).join('\n');
    expect(table).toMatch(/^opens\s+2 unique, 4 total · 25%$/m);
    expect(table).toContain('https://example.com/a');
  });

  it('events recorded without a send (through a delivery) are attributed to the delivery’s send', async () => {
    const { pool } = stack.services;
    const seeded = await seedSend(pool, [{ email: 'solo@example.com' }]);
    await pool.query(`INSERT INTO events (type, delivery_id) VALUES ('open', $1)`, [seeded.deliveryIds.get('solo@example.com')]);
    expect((await getSendStats(pool, seeded.sendId)).opens.unique).toBe(1);
  });

  it('the rollups agree with counting the events themselves, for batched inserts with repeats', async () => {
    const { pool } = stack.services;
    const seeded = await seedSend(pool, Array.from({ length: 30 }, (_, i) => ({ email: `batch${i}@example.com` })));
    for (let round = 0; round < 3; round++) {
      await pool.query(
        `INSERT INTO events (type, delivery_id, occurred_at, data, flags)
         SELECT (ARRAY['open', 'open', 'click', 'bounce', 'complaint'])[1 + (g * 7 + $2) % 5], d.id, now() - (g || ' minutes')::interval,
                CASE (g * 7 + $2) % 5 WHEN 2 THEN jsonb_build_object('linkId', 1 + g % 3) WHEN 3 THEN jsonb_build_object('kind', (ARRAY['hard', 'soft'])[1 + g % 2]) ELSE '{}'::jsonb END,
                CASE WHEN g % 4 = 0 THEN ARRAY['apple_mpp'] ELSE '{}'::text[] END
         FROM generate_series(1, 150) g JOIN deliveries d ON d.send_id = $1
          AND d.subscriber_id = (SELECT min(subscriber_id) FROM deliveries WHERE send_id = $1) + (g * 13 + $2) % 30`,
        [seeded.sendId, round],
      );
    }
    const stats = await getSendStats(pool, seeded.sendId);
    const direct = async (where: string) =>
      (await pool.query<{ total: number; uniq: number }>(`SELECT count(*)::int AS total, count(DISTINCT delivery_id)::int AS uniq FROM events WHERE send_id = $1 AND ${where}`, [seeded.sendId])).rows[0];
    const humanOpens = await direct(`type = 'open' AND NOT machine`);
    expect(stats.opens).toMatchObject({ total: humanOpens.total, unique: humanOpens.uniq, machine: { total: (await direct(`type = 'open' AND machine`)).total, unique: (await direct(`type = 'open' AND machine`)).uniq } });
    expect(stats.clicks).toMatchObject({ total: (await direct(`type = 'click' AND NOT machine`)).total, unique: (await direct(`type = 'click' AND NOT machine`)).uniq });
    expect(stats.bounced.total).toBe((await direct(`type = 'bounce' AND NOT machine`)).uniq);
    // Bounces are never flagged machine in real data; here some are, and those count under machine rows.
    expect(stats.bounced.hard).toBe((await direct(`type = 'bounce' AND data->>'kind' = 'hard' AND NOT machine`)).uniq);
    expect(stats.complaints).toBe((await direct(`type = 'complaint' AND NOT machine`)).uniq);
    const link1 = stats.clicks.links.find((l) => l.linkId === 1)!;
    expect(link1).toMatchObject({ total: (await direct(`type = 'click' AND NOT machine AND data->>'linkId' = '1'`)).total, unique: (await direct(`type = 'click' AND NOT machine AND data->>'linkId' = '1'`)).uniq });
    expect(stats.timeline.points.reduce((n, p) => n + p.opens + p.machineOpens + p.clicks + p.machineClicks, 0)).toBe((await direct(`type IN ('open', 'click')`)).total);
  });

  it('stores the delivery counts of an ended send, and counts again once the send changes', async () => {
    const { pool } = stack.services;
    const seeded = await seedSend(pool, [{ email: 'ended1@example.com' }, { email: 'ended2@example.com', status: 'failed' }]);
    expect((await getSendStats(pool, seeded.sendId)).deliveries).toMatchObject({ sent: 1, failed: 1 });
    expect((await pool.query('SELECT count(*)::int AS n FROM send_delivery_counts WHERE send_id = $1', [seeded.sendId])).rows[0].n).toBe(1);
    // Changing rows behind the send's back is not seen while the send itself is unchanged (the stored counts are read)…
    await pool.query(`UPDATE deliveries SET status = 'sent' WHERE send_id = $1`, [seeded.sendId]);
    expect((await getSendStats(pool, seeded.sendId)).deliveries).toMatchObject({ sent: 1, failed: 1 });
    // …and as soon as the send changes (retry-failed, a new status), they are counted again.
    await pool.query(`UPDATE sends SET updated_at = now() + interval '1 second' WHERE id = $1`, [seeded.sendId]);
    expect((await getSendStats(pool, seeded.sendId)).deliveries).toMatchObject({ sent: 2, failed: 0 });
  });

  it('an unknown send is NOT_FOUND', async () => {
    await expect(getSendStats(stack.services.pool, 999_999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('buckets and rates', () => {
    const t = new Date('2026-11-01T00:00:00Z');
    expect(timelineBucket(t, new Date('2026-11-01T02:00:00Z'))).toBe('5 minutes');
    expect(timelineBucket(t, new Date('2026-11-02T00:00:00Z'))).toBe('1 hour');
    expect(timelineBucket(t, new Date('2026-11-20T00:00:00Z'))).toBe('6 hours');
    expect(timelineBucket(t, new Date('2027-01-01T00:00:00Z'))).toBe('1 day');
    expect(percent(1, 3)).toBe(33.3);
    expect(percent(5, 0)).toBe(0);
  });
});

describe('tidings stats and tidings bounces ingest', () => {
  it('print a table, and JSON with --json', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const path = await import('node:path');
    const run = promisify(execFile);
    const bin = path.resolve(__dirname, '../bin/tidings.mjs');
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...stack.env };
    const seeded = await seedSend(stack.services.pool, [{ email: 'reader.gone@gmail.com', messageId: '<tidings.3.101@lifewithdata.test>' }, { email: 'fine@example.com' }]);
    const ingest = await run(process.execPath, [bin, 'bounces', 'ingest', path.resolve(__dirname, 'fixtures/bounces/gmail-hard-5.1.1.eml')], { env });
    expect(ingest.stdout).toContain('gmail-hard-5.1.1.eml: dsn: reader.gone@gmail.com hard → suppressed');
    const table = await run(process.execPath, [bin, 'stats', String(seeded.sendId)], { env });
    expect(table.stdout).toMatch(/^sent\s+2$/m);
    expect(table.stdout).toMatch(/^bounced\s+1 \(hard 1, soft 0, policy 0\) · 50%$/m);
    const json = await run(process.execPath, [bin, 'stats', String(seeded.sendId), '--json'], { env });
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1)!)).toMatchObject({ id: seeded.sendId, bounced: { hard: 1 }, deliveries: { sent: 2 } });
    const list = await run(process.execPath, [bin, 'suppressions', 'list'], { env });
    expect(list.stdout).toMatch(/hard_bounce\s+dsn\s+reader\.gone@gmail\.com/);
  }, 30_000);
});
