import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { applyBounceReports } from '../src/bounces/apply';
import { ingestReportFiles } from '../src/bounces/ingest';
import { claimDeliveries } from '../src/db/deliveries';
import { findSuppression, removeSuppression, suppress } from '../src/db/suppressions';
import { startStack, type TestStack } from './helpers';
import { seedSend } from './ops-seed';

const CORPUS = fileURLToPath(new URL('./fixtures/bounces', import.meta.url));
const log = pino({ level: 'silent' });

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const subscriberStatus = async (email: string) =>
  (await stack.services.pool.query<{ status: string }>('SELECT status FROM subscribers WHERE lower(email) = lower($1)', [email])).rows[0]?.status;
const eventCount = async () => (await stack.services.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n;

describe('tidings bounces ingest on the fixture corpus', () => {
  it('suppresses hard bounces and complaints, counts soft bounces, tells the operator about 5.7.x, ignores the rest', async () => {
    const { pool } = stack.services;
    const seeded = await seedSend(pool, [
      { email: 'reader.gone@gmail.com', messageId: '<tidings.3.101@lifewithdata.test>' },
      { email: 'former.employee@outlook.com', messageId: '<tidings.3.102@lifewithdata.test>' },
      { email: 'nobody@mail.example.org', messageId: '<tidings.3.103@lifewithdata.test>' },
      { email: 'full.box@mail.example.org', messageId: '<tidings.3.104@lifewithdata.test>' },
      { email: 'strict.reader@gmail.com', messageId: '<tidings.3.105@lifewithdata.test>' },
      { email: 'slow.server@mail.example.net', messageId: '<tidings.3.106@lifewithdata.test>' },
      { email: 'annoyed.reader@yahoo.com', messageId: '<tidings.3.107@lifewithdata.test>' },
      { email: 'on.holiday@example.com', messageId: '<tidings.3.108@lifewithdata.test>' },
    ]);
    const files = await ingestReportFiles({ pool, log, config: stack.config }, CORPUS);
    expect(files.map((f) => f.type).sort()).toEqual(['arf', 'auto_reply', 'dsn', 'dsn', 'dsn', 'dsn', 'dsn', 'dsn']);

    for (const email of ['reader.gone@gmail.com', 'former.employee@outlook.com', 'nobody@mail.example.org']) {
      expect(await findSuppression(pool, email)).toMatchObject({ reason: 'hard_bounce', source: 'dsn' });
      expect(await subscriberStatus(email)).toBe('blocked');
    }
    expect(await findSuppression(pool, 'annoyed.reader@yahoo.com')).toMatchObject({ reason: 'complaint', source: 'arf' });
    expect(await subscriberStatus('annoyed.reader@yahoo.com')).toBe('blocked');
    // Soft: counted, not suppressed after one.
    expect(await findSuppression(pool, 'full.box@mail.example.org')).toBeUndefined();
    const streak = await pool.query('SELECT sends FROM soft_bounce_streaks WHERE subscriber_id = $1', [seeded.subscriberIds.get('full.box@mail.example.org')]);
    expect(streak.rows).toEqual([{ sends: 1 }]);
    // 5.7.26: the sender's problem, a visible record, nobody suppressed.
    expect(await findSuppression(pool, 'strict.reader@gmail.com')).toBeUndefined();
    expect(await subscriberStatus('strict.reader@gmail.com')).toBe('active');
    const alerts = await pool.query('SELECT email, status_code, source, send_id FROM sender_alerts');
    expect(alerts.rows).toEqual([{ email: 'strict.reader@gmail.com', status_code: '5.7.26', source: 'dsn', send_id: seeded.sendId }]);
    // Delayed and auto-reply: nothing at all.
    for (const email of ['slow.server@mail.example.net', 'on.holiday@example.com']) {
      expect(await findSuppression(pool, email)).toBeUndefined();
      expect(await subscriberStatus(email)).toBe('active');
    }
    // Events land on their deliveries, and carry the send for statistics.
    const events = await pool.query<{ type: string; delivery_id: number; send_id: number }>(
      'SELECT type, delivery_id, send_id FROM events ORDER BY id',
    );
    expect(events.rows).toHaveLength(6);
    expect(events.rows.every((e) => e.send_id === seeded.sendId)).toBe(true);
    expect(events.rows.find((e) => e.type === 'complaint')?.delivery_id).toBe(seeded.deliveryIds.get('annoyed.reader@yahoo.com'));

    // The same files again change nothing.
    const before = await eventCount();
    const again = await ingestReportFiles({ pool, log, config: stack.config }, CORPUS);
    expect(again.flatMap((f) => f.results).filter((r) => r.applied)).toEqual([]);
    expect(await eventCount()).toBe(before);
  });

  it('a suppressed subscriber is skipped by every send, and removing the suppression lets them receive again', async () => {
    const { pool } = stack.services;
    const seeded = await seedSend(pool, [{ email: 'soon.blocked@example.com', status: 'queued' }], { listSlug: 'other' });
    await pool.query(`UPDATE sends SET status = 'sending' WHERE id = $1`, [seeded.sendId]);
    expect(await suppress(pool, { email: 'Soon.Blocked@example.com', reason: 'manual', source: 'api' })).toBe(true);
    expect(await suppress(pool, { email: 'soon.blocked@example.com', reason: 'hard_bounce', source: 'dsn' })).toBe(false);
    const claimed = await claimDeliveries(pool, [seeded.deliveryIds.get('soon.blocked@example.com')!], 60);
    expect(claimed.map((c) => c.status)).toEqual(['suppressed']);

    expect(await removeSuppression(pool, 'SOON.blocked@example.com')).toBe(true);
    expect(await subscriberStatus('soon.blocked@example.com')).toBe('active');
    expect(await removeSuppression(pool, 'soon.blocked@example.com')).toBe(false);
  });
});

describe('soft bounce policy', () => {
  const day = 86_400_000;
  const soft = (email: string, messageId: string, at: Date, eventId: string) => ({
    source: 'dsn', eventId, kind: 'soft' as const, email, messageId, status: '4.2.2', occurredAt: at,
  });

  it('suppresses after 5 consecutive soft-bounced sends spanning 14 days, not before', async () => {
    const { pool } = stack.services;
    const email = 'often.full@example.com';
    const start = Date.UTC(2026, 9, 1);
    for (let i = 0; i < 5; i++) {
      const seeded = await seedSend(pool, [{ email, messageId: `<tidings.9.${9000 + i}@lifewithdata.test>` }], { listSlug: 'streak' });
      const at = new Date(start + i * 3.5 * day);
      const [result] = await applyBounceReports({ pool, log, config: stack.config }, [soft(email, `<tidings.9.${9000 + i}@lifewithdata.test>`, at, `streak-${i}`)]);
      expect(result.deliveryId).toBe(seeded.deliveryIds.get(email));
      // The same delivery bouncing twice counts once.
      await applyBounceReports({ pool, log, config: stack.config }, [soft(email, `<tidings.9.${9000 + i}@lifewithdata.test>`, at, `streak-${i}-again`)]);
      expect(result.suppressed).toBe(i === 4);
      expect(await subscriberStatus(email)).toBe(i === 4 ? 'blocked' : 'active');
    }
    expect(await findSuppression(pool, email)).toMatchObject({ reason: 'soft_bounce' });
  });

  it('five soft bounces within less than 14 days do not suppress', async () => {
    const { pool } = stack.services;
    const email = 'briefly.full@example.com';
    for (let i = 0; i < 5; i++) {
      await seedSend(pool, [{ email, messageId: `<tidings.8.${8000 + i}@lifewithdata.test>` }], { listSlug: 'streak' });
      await applyBounceReports({ pool, log, config: stack.config }, [soft(email, `<tidings.8.${8000 + i}@lifewithdata.test>`, new Date(Date.UTC(2026, 9, 1) + i * day), `brief-${i}`)]);
    }
    expect(await findSuppression(pool, email)).toBeUndefined();
  });

  it('a successful delivery in between resets the streak', async () => {
    const { pool } = stack.services;
    const email = 'recovers@example.com';
    const start = Date.UTC(2026, 9, 1);
    let n = 0;
    const bounceOnce = async (i: number) => {
      await seedSend(pool, [{ email, messageId: `<tidings.7.${7000 + i}@lifewithdata.test>` }], { listSlug: 'streak' });
      return applyBounceReports({ pool, log, config: stack.config }, [soft(email, `<tidings.7.${7000 + i}@lifewithdata.test>`, new Date(start + i * 4 * day), `reset-${i}`)]);
    };
    for (; n < 4; n++) await bounceOnce(n);
    // This send went out and did not bounce.
    await seedSend(pool, [{ email, messageId: '<tidings.7.7999@lifewithdata.test>' }], { listSlug: 'streak' });
    for (; n < 8; n++) await bounceOnce(n);
    expect(await findSuppression(pool, email)).toBeUndefined();
    const streak = await pool.query('SELECT s.sends FROM soft_bounce_streaks s JOIN subscribers sub ON sub.id = s.subscriber_id WHERE sub.email = $1', [email]);
    expect(streak.rows).toEqual([{ sends: 4 }]);
    await bounceOnce(n);
    expect(await findSuppression(pool, email)).toMatchObject({ reason: 'soft_bounce' });
  });
});
