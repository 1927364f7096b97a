import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startInbound } from '../src/bounces/inbound-runner';
import { MailboxPoller, parseMailboxUrl } from '../src/bounces/mailbox-poller';
import { loadConfig } from '../src/config';
import { findSuppression } from '../src/db/suppressions';
import { startDovecot, type Dovecot } from './dovecot';
import { startStack, waitFor, type TestStack } from './helpers';
import { seedSend } from './ops-seed';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/bounce-families/${name}`, import.meta.url));
const log = pino({ level: 'silent' });

describe('BOUNCE_MAILBOX: bounces read from a real IMAP server (Dovecot)', () => {
  let stack: TestStack;
  let dovecot: Dovecot;
  let imap: ImapFlow;
  const deps = () => ({ pool: stack.services.pool, log, ownAddresses: ['news@lifewithdata.test'], config: stack.config });
  const count = async (folder: string) => (await imap.status(folder, { messages: true })).messages;
  const events = async () => (await stack.services.pool.query("SELECT count(*)::int AS n FROM events WHERE type IN ('bounce', 'complaint')")).rows[0].n;

  beforeAll(async () => {
    [stack, dovecot] = await Promise.all([startStack(), startDovecot()]);
    await seedSend(stack.services.pool, [
      { email: 'hans.weg@example.de', messageId: '<tidings.7.1001@lifewithdata.test>' },
      { email: 'old.friend@example.co.uk', messageId: '<tidings.7.1003@lifewithdata.test>' },
      { email: 'complainer@aol.com', messageId: '<tidings.7.1101@lifewithdata.test>' },
      { email: 'pieter@example.nl', messageId: '<tidings.7.1008@lifewithdata.test>' },
      { email: 'graduated@example.edu', messageId: '<tidings.7.1006@lifewithdata.test>' },
    ]);
    imap = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
    await imap.connect();
  }, 60_000);
  afterAll(async () => {
    await imap?.logout().catch(() => {});
    await dovecot?.stop();
    await stack?.close();
  });

  it('applies new messages and moves them to the processed or unrecognised folder', async () => {
    for (const file of ['postfix-plain-user-unknown.eml', 'arf-abuse-aol.eml', 'exim-user-unknown.eml', 'reader-reply.eml']) {
      await imap.append('INBOX', fixture(file));
    }
    const poller = new MailboxPoller(deps(), parseMailboxUrl(dovecot.url()), 60_000);
    expect(await poller.pollOnce()).toEqual({ processed: 3, unrecognised: 1, duplicates: 0 });
    expect(await count('INBOX')).toBe(0);
    expect(await count('Processed')).toBe(3);
    expect(await count('Unrecognised')).toBe(1);
    const { pool } = stack.services;
    expect(await findSuppression(pool, 'hans.weg@example.de')).toMatchObject({ reason: 'hard_bounce' });
    expect(await findSuppression(pool, 'old.friend@example.co.uk')).toMatchObject({ reason: 'hard_bounce' });
    expect(await findSuppression(pool, 'complainer@aol.com')).toMatchObject({ reason: 'complaint' });
    expect(await events()).toBe(3);
    const stored = await pool.query("SELECT channel, outcome FROM inbound_messages ORDER BY id");
    expect(stored.rows.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied', 'unrecognised']);
    expect(new Set(stored.rows.map((r) => r.channel))).toEqual(new Set(['imap']));
    // Nothing new: nothing happens.
    expect(await poller.pollOnce()).toEqual({ processed: 0, unrecognised: 0, duplicates: 0 });
  });

  it('after a restart, goes on with what is left and never applies a message twice', async () => {
    // A crash after applying but before moving leaves a message in INBOX: here, one already applied above.
    await imap.append('INBOX', fixture('postfix-plain-user-unknown.eml'));
    await imap.append('INBOX', fixture('qmail-no-mailbox.eml'));
    await imap.append('INBOX', fixture('sendmail-user-unknown.eml'));
    const before = await events();
    // `tidings inbound` with BOUNCE_MAILBOX polls by itself.
    const config = loadConfig({ ...stack.env, BOUNCE_MAILBOX: dovecot.url(), BOUNCE_MAILBOX_POLL_SECONDS: '0.2' });
    const running = await startInbound({ config, log, pool: stack.services.pool, links: stack.services.links });
    try {
      await waitFor(async () => (await count('INBOX')) === 0 && (await count('Processed')) === 6);
    } finally {
      await running.close();
    }
    expect(await events()).toBe(before + 2);
    expect(await findSuppression(stack.services.pool, 'pieter@example.nl')).toMatchObject({ reason: 'hard_bounce' });
    expect(await findSuppression(stack.services.pool, 'graduated@example.edu')).toMatchObject({ reason: 'hard_bounce' });
  });

  it('names what is wrong with BOUNCE_MAILBOX', () => {
    expect(() => parseMailboxUrl('https://x@host/INBOX')).toThrow(/imaps:\/\//);
    expect(() => loadConfig({ ...stack.env, BOUNCE_MAILBOX: 'imap.example.com' })).toThrow(/BOUNCE_MAILBOX/);
    expect(parseMailboxUrl('imaps://me%40example.com:p%40ss@imap.example.com/Bounces?processed=Done')).toMatchObject({
      host: 'imap.example.com', port: 993, secure: true, user: 'me@example.com', pass: 'p@ss', folder: 'Bounces', processedFolder: 'Done', unrecognisedFolder: 'Unrecognised',
    });
  });
});
