import { createServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { PreparedMessage } from '../src/mail/message-template';
import { SmtpPool } from '../src/mail/smtp-pool';

interface Received {
  to: string;
  raw: Buffer;
  session: string;
}

/** A real SMTP server (smtp-server) that records what arrives, over which session, and can refuse recipients. */
async function startServer(options: { refuse?: RegExp; auth?: { user: string; pass: string }; no8BitMime?: boolean } = {}) {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const sessions = new Set<string>();
  const server = new SMTPServer({
    logger: false,
    hide8BITMIME: options.no8BitMime === true,
    disabledCommands: options.auth ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) return callback(null, { user: auth.username });
      callback(new Error('Invalid username or password'));
    },
    onConnect(session, callback) {
      sessions.add(session.id);
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (options.refuse?.test(address.address)) {
        const err = new Error('5.1.1 no such user') as Error & { responseCode: number };
        err.responseCode = 550;
        return callback(err);
      }
      callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo[0].address, raw: Buffer.concat(chunks), session: session.id });
        callback();
      });
    },
  });
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    sessions,
    /** Cuts every open connection, as a server does with sessions it considers idle. */
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const prepared = (text: string): PreparedMessage => {
  const chunks = text.match(/[\s\S]{1,7}/g)!.map((part) => Buffer.from(part));
  return { chunks, size: Buffer.byteLength(text) };
};
const message = (n: number) =>
  `From: a@example.com\r\nTo: r${n}@example.com\r\nSubject: m${n}\r\nMIME-Version: 1.0\r\n\r\nbody of ${n}\r\nsecond line\r\n`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('SmtpPool (nodemailer SMTP connections, prepared messages written as they are)', () => {
  it('delivers prepared messages byte for byte and normalises anything else (bare LF, leading dots)', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    const pool = new SmtpPool(`smtp://127.0.0.1:${server.port}`, { size: 2 });
    cleanups.push(() => pool.close());

    const reply = await pool.send('a@example.com', 'r1@example.com', prepared(message(1)));
    expect(reply).toMatch(/^250/);
    await pool.send('a@example.com', 'r2@example.com', Buffer.from('Subject: raw\n\n.leading dot\nbare LF\n'));

    expect(server.received[0].raw.toString()).toBe(message(1));
    // Written as it is: a bare LF (which MessageTemplate never produces) shows no normalising pass ran over it.
    await pool.send('a@example.com', 'r3@example.com', prepared('Subject: as is\r\n\r\nbare\nLF\r\n'));
    expect(server.received[2].raw.toString()).toBe('Subject: as is\r\n\r\nbare\nLF\r\n');
    // nodemailer's data stream stuffed the dot (the server removed it again) and made every line end CRLF.
    expect(server.received[1].raw.toString()).toBe('Subject: raw\r\n\r\n.leading dot\r\nbare LF\r\n');
  });

  it('reuses its connections, up to the pool size, and replaces one after maxMessages', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    const pool = new SmtpPool(`smtp://127.0.0.1:${server.port}`, { size: 3, maxMessages: 10 });
    cleanups.push(() => pool.close());

    await Promise.all(Array.from({ length: 60 }, (_, i) => pool.send('a@example.com', `r${i}@example.com`, prepared(message(i)))));

    expect(server.received).toHaveLength(60);
    const perSession = new Map<string, number>();
    for (const r of server.received) perSession.set(r.session, (perSession.get(r.session) ?? 0) + 1);
    expect(Math.max(...perSession.values())).toBeLessThanOrEqual(10);
    // 60 messages at most 10 per connection: at least 6 connections, never more than 3 at a time.
    expect(perSession.size).toBeGreaterThanOrEqual(6);
    expect(new Set(server.received.map((r) => r.to)).size).toBe(60);
  });

  it('rejects a refused recipient with the reply and keeps using the same connection', async () => {
    const server = await startServer({ refuse: /^nobody@/ });
    cleanups.push(server.close);
    const pool = new SmtpPool(`smtp://127.0.0.1:${server.port}`, { size: 1 });
    cleanups.push(() => pool.close());

    await pool.send('a@example.com', 'r1@example.com', prepared(message(1)));
    const refusal = await pool.send('a@example.com', 'nobody@example.com', prepared(message(2))).catch((err) => err);
    expect(refusal).toMatchObject({ responseCode: 550 });
    expect(String(refusal.response)).toContain('5.1.1 no such user');
    await pool.send('a@example.com', 'r3@example.com', prepared(message(3)));

    expect(server.received.map((r) => r.to)).toEqual(['r1@example.com', 'r3@example.com']);
    expect(server.sessions.size).toBe(1);
  });

  it('sends over a fresh connection when the server has closed the idle one, without failing the message', async () => {
    const server = await startServer();
    cleanups.push(server.close);
    const pool = new SmtpPool(`smtp://127.0.0.1:${server.port}`, { size: 1 });
    cleanups.push(() => pool.close());

    await pool.send('a@example.com', 'r1@example.com', prepared(message(1)));
    server.dropConnections();
    await pool.send('a@example.com', 'r2@example.com', prepared(message(2)));

    expect(server.received.map((r) => r.to)).toEqual(['r1@example.com', 'r2@example.com']);
    expect(server.sessions.size).toBe(2);
  });

  it('fails every waiting message, without hanging, when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const pool = new SmtpPool(`smtp://127.0.0.1:${deadPort}`, { size: 2 });
    cleanups.push(() => pool.close());

    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => pool.send('a@example.com', `r${i}@example.com`, prepared(message(i)))));

    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ESOCKET' });
  });

  it('sends 8bit messages with BODY=8BITMIME, and their base64 form to a server without 8BITMIME', async () => {
    const { MessageTemplate } = await import('../src/mail/message-template');
    const template = new MessageTemplate({
      sendId: 1, listId: 1, issueId: 1, from: { name: '数据生活', address: 'news@example.com' }, subject: '你好', list: { name: 'L', slug: 'l' },
      sendingDomain: 'example.com', html: '<p>%%tidings:name%%，你好</p>', text: '%%tidings:name%%，你好', encoding: '8bit',
    });
    const recipient = { deliveryId: 7, email: 'r@example.com', name: '张伟', unsubscribeUrl: 'https://x.example/u/t', openPixelUrl: 'https://x.example/o/t' };
    for (const no8BitMime of [false, true]) {
      const server = await startServer({ no8BitMime });
      cleanups.push(server.close);
      const pool = new SmtpPool(`smtp://127.0.0.1:${server.port}`, { size: 1 });
      cleanups.push(() => pool.close());
      const message = template.prepare(recipient);
      expect(message.eightBit).toBe(true);
      await pool.send('news@example.com', 'r@example.com', message);
      const raw = server.received[0].raw.toString('latin1');
      expect(raw.match(/Content-Transfer-Encoding: (\S+)/g)).toEqual(Array(2).fill(`Content-Transfer-Encoding: ${no8BitMime ? 'base64' : '8bit'}`));
      expect(server.received[0].raw.includes(Buffer.from('张伟，你好'))).toBe(!no8BitMime);
    }
  });

  it('logs in with the credentials in the URL, and reports a refused login', async () => {
    const server = await startServer({ auth: { user: 'sender', pass: 's3cret' } });
    cleanups.push(server.close);
    const pool = new SmtpPool(`smtp://sender:s3cret@127.0.0.1:${server.port}`, { size: 1 });
    const wrong = new SmtpPool(`smtp://sender:nope@127.0.0.1:${server.port}`, { size: 1 });
    cleanups.push(() => pool.close(), () => wrong.close());

    await pool.send('a@example.com', 'r1@example.com', prepared(message(1)));
    const refused = await wrong.send('a@example.com', 'r2@example.com', prepared(message(2))).catch((err) => err);

    expect(server.received.map((r) => r.to)).toEqual(['r1@example.com']);
    expect(refused).toMatchObject({ code: 'EAUTH', responseCode: 535 });
  });
});
