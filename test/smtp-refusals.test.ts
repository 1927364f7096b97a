import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { applyBounceReports } from '../src/bounces/apply';
import { parseReportMessage } from '../src/bounces/report-message';
import { waitForSend } from '../src/cli/progress';
import { findSuppression } from '../src/db/suppressions';
import { startSend } from '../src/send/control';
import { failedDsn } from './report-messages';
import { seedSend, startStack, type TestStack } from './helpers';

/** Replies the SMTP server gives n1…n4 during the conversation; n5…n8 get the same reply in a DSN instead. */
const REPLIES: Record<number, { code: number; message: string }> = {
  1: { code: 550, message: '5.1.1 <n1@example.com>: Recipient address rejected: User unknown' },
  2: { code: 552, message: '5.2.2 Mailbox full' },
  3: { code: 550, message: '5.7.1 Message rejected as spam' },
  4: { code: 554, message: 'delivery error: dd This user doesn\'t have a yahoo.com account' },
};

describe('a refusal during the SMTP conversation goes through the bounce policy', () => {
  let stack: TestStack;
  let sendId: number;
  beforeAll(async () => {
    stack = await startStack({
      workers: true,
      smtp: { reply: (m) => REPLIES[Number(/^n(\d+)@/.exec(m.to[0])![1])] },
    });
    const { issueId } = await seedSend(stack, 'refusals', 8);
    // A second list with the same addresses: a hard refusal on one list must suppress the address on every list.
    const { upsertSubscribers } = await import('../src/db/subscribers');
    const { createList } = await import('../src/db/lists');
    const other = (await createList(stack.services.pool, { slug: 'other', name: 'Other' })).id;
    await upsertSubscribers(stack.services.pool, other, [{ email: 'n1@example.com', name: 'N1', attributes: {} }], 'confirmed');
    const { send } = await startSend(stack.services, issueId, 'refusals');
    sendId = send.id;
    await waitForSend(stack.services, sendId, { bar: false });
    const log = pino({ level: 'silent' });
    for (const [n, reply] of Object.entries(REPLIES)) {
      const parsed = await parseReportMessage(failedDsn(`n${Number(n) + 4}@example.com`, `${reply.code} ${reply.message}`));
      await applyBounceReports({ pool: stack.services.pool, log, config: stack.config }, parsed.reports);
    }
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  const state = async (email: string) => {
    const { pool } = stack.services;
    const { rows } = await pool.query<{ status: string; streak: number | null; alerts: number; bounces: string[] }>(
      `SELECT s.status, b.sends AS streak,
              (SELECT count(*)::int FROM sender_alerts a WHERE a.email = s.email) AS alerts,
              (SELECT coalesce(array_agg(e.data->>'kind'), '{}') FROM events e WHERE e.subscriber_id = s.id AND e.type = 'bounce') AS bounces
       FROM subscribers s LEFT JOIN soft_bounce_streaks b ON b.subscriber_id = s.id WHERE s.email = $1`,
      [email],
    );
    return { ...rows[0], suppression: (await findSuppression(pool, email))?.reason ?? null };
  };

  it('records the refusals as failed deliveries, each with its bounce event', async () => {
    const { rows } = await stack.services.pool.query(
      `SELECT s.email, d.failure_kind FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
       WHERE d.send_id = $1 AND d.status = 'failed' ORDER BY s.email`,
      [sendId],
    );
    expect(rows).toEqual([
      { email: 'n1@example.com', failure_kind: 'recipient' },
      { email: 'n2@example.com', failure_kind: 'recipient' },
      { email: 'n3@example.com', failure_kind: 'sender' },
      { email: 'n4@example.com', failure_kind: 'recipient' },
    ]);
  });

  it.each([
    [1, { suppression: 'hard_bounce', status: 'blocked', streak: null, alerts: 0, bounces: ['hard'] }],
    [2, { suppression: null, status: 'active', streak: 1, alerts: 0, bounces: ['soft'] }],
    [3, { suppression: null, status: 'active', streak: null, alerts: 1, bounces: ['policy'] }],
    [4, { suppression: 'hard_bounce', status: 'blocked', streak: null, alerts: 0, bounces: ['hard'] }],
  ])('reply %i: the same outcome refused in the conversation as reported in a DSN', async (n, expected) => {
    const viaSmtp = await state(`n${n}@example.com`);
    const viaDsn = await state(`n${n + 4}@example.com`);
    expect(viaSmtp).toEqual(expected);
    expect(viaDsn).toEqual(expected);
  });

  it('a hard refusal blocks the address for every list (the subscriber, not one subscription)', async () => {
    const { rows } = await stack.services.pool.query(
      `SELECT count(*)::int AS n FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id WHERE s.email = 'n1@example.com'`,
    );
    expect(rows[0].n).toBe(2);
    expect((await state('n1@example.com')).status).toBe('blocked');
  });
});
