import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startInbound, type RunningInbound } from '../src/bounces/inbound-runner';
import { loadConfig } from '../src/config';
import { findSuppression } from '../src/db/suppressions';
import { failedDsn } from './report-messages';
import { startStack, waitFor, type TestStack } from './helpers';
import { seedSend } from './ops-seed';

const DOMAIN = 'bounces.lifewithdata.test';
const log = pino({ level: 'silent' });

describe('tidings inbound: the bounce mailbox over SMTP', () => {
  let stack: TestStack;
  let inbound: RunningInbound;
  let deliveryIds: Map<string, number>;
  const send = async (to: string, raw: string | Buffer) => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.smtpPort, secure: false, ignoreTLS: true });
    try {
      return await transport.sendMail({ envelope: { from: '', to }, raw });
    } finally {
      transport.close();
    }
  };
  const refusal = (to: string, raw: string) => send(to, raw).then(() => undefined, (err: { responseCode?: number; response?: string }) => err);
  const verp = (email: string) => stack.services.links.bounceAddress(deliveryIds.get(email)!, DOMAIN);

  beforeAll(async () => {
    stack = await startStack({ env: { BOUNCE_DOMAIN: DOMAIN, INBOUND_MAX_BYTES: '20000' } });
    ({ deliveryIds } = await seedSend(stack.services.pool, [
      { email: 'forwarding@example.com', messageId: '<tidings.9.1@lifewithdata.test>' },
      { email: 'full@example.com', messageId: '<tidings.9.2@lifewithdata.test>' },
      { email: 'quiet@example.com', messageId: '<tidings.9.3@lifewithdata.test>' },
    ]));
    inbound = await startInbound({ config: stack.config, log, pool: stack.services.pool, links: stack.services.links }, { port: 0 });
  });
  afterAll(async () => {
    await inbound?.close();
    await stack?.close();
  });

  it('refuses every address but bounce+<our token>@BOUNCE_DOMAIN with 550', async () => {
    const dsn = failedDsn('x@example.com', '550 5.1.1 User unknown');
    for (const to of ['postmaster@' + DOMAIN, 'bounce+AAAAforged@' + DOMAIN, verp('quiet@example.com').replace(DOMAIN, 'elsewhere.test')]) {
      expect(await refusal(to, dsn), to).toMatchObject({ responseCode: 550 });
    }
    const { rows } = await stack.services.pool.query('SELECT count(*)::int AS n FROM inbound_messages');
    expect(rows[0].n).toBe(0);
  });

  it('matches by the VERP token first and applies at once, keeping the raw message', async () => {
    // The report names the address the subscriber forwards to; the VERP address names the delivery.
    const raw = failedDsn('new.address@forwarded.example', '550 5.1.1 <new.address@forwarded.example>: User unknown', 'verp-1');
    const info = await send(verp('forwarding@example.com'), raw);
    expect(info.response).toMatch(/^250/);
    expect(await findSuppression(stack.services.pool, 'forwarding@example.com')).toMatchObject({ reason: 'hard_bounce', source: 'dsn' });
    const { rows } = await stack.services.pool.query(
      'SELECT channel, delivery_id AS "deliveryId", type, outcome, envelope_to AS "to", raw FROM inbound_messages ORDER BY id DESC LIMIT 1',
    );
    expect(rows[0]).toMatchObject({ channel: 'smtp', deliveryId: deliveryIds.get('forwarding@example.com'), type: 'dsn', outcome: 'applied', to: verp('forwarding@example.com') });
    expect(rows[0].raw.toString()).toContain('new.address@forwarded.example');
    const events = await stack.services.pool.query('SELECT delivery_id FROM events WHERE type = $1', ['bounce']);
    expect(events.rows).toEqual([{ delivery_id: deliveryIds.get('forwarding@example.com') }]);

    // The same message again (a resent bounce) changes nothing.
    await send(verp('forwarding@example.com'), raw);
    expect((await stack.services.pool.query("SELECT count(*)::int AS n FROM events WHERE type = 'bounce'")).rows[0].n).toBe(1);
  });

  it('refuses a message over INBOUND_MAX_BYTES with 552, and keeps listening', async () => {
    const big = failedDsn('full@example.com', '552 5.2.2 Mailbox full') + 'x'.repeat(30_000) + '\r\n';
    expect(await refusal(verp('full@example.com'), big)).toMatchObject({ responseCode: 552 });
    const info = await send(verp('full@example.com'), failedDsn('full@example.com', '552 5.2.2 Mailbox full', 'full-1'));
    expect(info.response).toMatch(/^250/);
  });

  it('stores and reports what it cannot read, and keeps listening', async () => {
    const garbage = Buffer.concat([Buffer.from('\x00\xff\xfe garbage\r\n'), Buffer.alloc(200, 0xff), Buffer.from('\r\n')]);
    expect((await send(verp('quiet@example.com'), garbage)).response).toMatch(/^250/);
    const stray = 'From: someone@example.com\r\nSubject: hello\r\n\r\nJust saying hi.\r\n';
    expect((await send(verp('quiet@example.com'), stray)).response).toMatch(/^250/);
    const { rows } = await stack.services.pool.query<{ outcome: string; note: string }>(
      "SELECT outcome, note FROM inbound_messages WHERE delivery_id = $1 ORDER BY id",
      [deliveryIds.get('quiet@example.com')],
    );
    expect(rows.map((r) => r.outcome)).toEqual(['unrecognised', 'unrecognised']);
    expect(rows[1].note).toContain('Subject: hello');
    expect(await findSuppression(stack.services.pool, 'quiet@example.com')).toBeUndefined();
    expect((await send(verp('quiet@example.com'), failedDsn('quiet@example.com', '450 4.2.2 Mailbox full', 'quiet-2'))).response).toMatch(/^250/);
  });

  it('tidings inbound says what it needs when neither BOUNCE_DOMAIN nor BOUNCE_MAILBOX is set', async () => {
    const { execFile } = await import('node:child_process');
    const { BOUNCE_DOMAIN: _, ...env } = stack.env;
    const bin = new URL('../bin/tidings.mjs', import.meta.url).pathname;
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, [bin, 'inbound'], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env } }, (err, _out, stderr) =>
        resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }),
      ),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/BOUNCE_DOMAIN.*BOUNCE_MAILBOX/);
  });

  it('drops raw messages older than INBOUND_KEEP_HOURS', async () => {
    const { pool } = stack.services;
    await pool.query("UPDATE inbound_messages SET received_at = now() - interval '2 hours' WHERE id = (SELECT min(id) FROM inbound_messages)");
    const before = (await pool.query('SELECT count(*)::int AS n FROM inbound_messages')).rows[0].n;
    const config = loadConfig({ ...stack.env, INBOUND_KEEP_HOURS: '1' });
    const sweeper = await startInbound({ config, log, pool, links: stack.services.links }, { port: 0 });
    try {
      await waitFor(async () => (await pool.query('SELECT count(*)::int AS n FROM inbound_messages')).rows[0].n === before - 1);
    } finally {
      await sweeper.close();
    }
  });
});
