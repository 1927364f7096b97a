import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { applyBounceReports } from '../src/bounces/apply';
import { parseReportMessage } from '../src/bounces/report-message';
import { findSuppression } from '../src/db/suppressions';
import { startStack, type TestStack } from './helpers';
import { seedSend } from './ops-seed';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/bounce-families/${name}`, import.meta.url));
const log = pino({ level: 'silent' });

describe('feedback types and plain-text bounces applied to PostgreSQL', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('opt-out unsubscribes from the list, auth-failure alerts the operator, abuse suppresses, a plain-text bounce applies once', async () => {
    const { pool } = stack.services;
    const seeded = await seedSend(pool, [
      { email: 'leaver@example.org', messageId: '<tidings.7.1104@lifewithdata.test>', status: 'sent' },
      { email: 'dmarcuser@example.com', messageId: '<tidings.7.1105@lifewithdata.test>', status: 'sent' },
      { email: 'complainer@aol.com', messageId: '<tidings.7.1101@lifewithdata.test>', status: 'sent' },
      { email: 'hans.weg@example.de', messageId: '<tidings.7.1001@lifewithdata.test>', status: 'sent' },
      { email: 'happy@example.com', status: 'sent' },
    ]);
    const apply = async (file: string) => applyBounceReports({ pool, log, config: stack.config }, (await parseReportMessage(fixture(file))).reports);
    for (const file of ['arf-opt-out.eml', 'arf-auth-failure.eml', 'arf-abuse-aol.eml', 'postfix-plain-user-unknown.eml', 'dsn-delivered.eml']) await apply(file);
    // Applying the same message again changes nothing (its Message-ID is the event id).
    const again = await apply('postfix-plain-user-unknown.eml');
    expect(again).toEqual([expect.objectContaining({ applied: false })]);

    const subscription = async (email: string) =>
      (await pool.query(
        `SELECT sub.status, s.status AS subscriber FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
         WHERE s.email = $1 AND sub.list_id = $2`,
        [email, seeded.listId],
      )).rows[0];
    expect(await subscription('leaver@example.org')).toEqual({ status: 'unsubscribed', subscriber: 'active' });
    expect(await findSuppression(pool, 'leaver@example.org')).toBeUndefined();
    expect(await subscription('dmarcuser@example.com')).toEqual({ status: 'confirmed', subscriber: 'active' });
    expect((await pool.query("SELECT email, source FROM sender_alerts WHERE email = 'dmarcuser@example.com'")).rows).toEqual([{ email: 'dmarcuser@example.com', source: 'arf' }]);
    expect(await findSuppression(pool, 'complainer@aol.com')).toMatchObject({ reason: 'complaint' });
    expect(await findSuppression(pool, 'hans.weg@example.de')).toMatchObject({ reason: 'hard_bounce', source: 'bounce' });
    expect(await subscription('happy@example.com')).toEqual({ status: 'confirmed', subscriber: 'active' });
    const events = await pool.query<{ type: string; n: number }>(
      'SELECT type, count(*)::int AS n FROM events WHERE send_id = $1 GROUP BY type ORDER BY type',
      [seeded.sendId],
    );
    expect(events.rows).toEqual([{ type: 'bounce', n: 2 }, { type: 'complaint', n: 1 }, { type: 'unsubscribe', n: 1 }]);
  });
});
