import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { ConfigError } from '../src/errors';
import { encodeWords, mailboxHeader, unstructuredHeader } from '../src/mail/headers';
import { MessageTemplate } from '../src/mail/message-template';
import { Base64Template } from '../src/mail/base64-template';
import { classifySmtpError } from '../src/mail/mailer';
import { fillMarkers, fillSlots, marker, splitAtSlots, SUBSCRIBER_SLOTS } from '../src/render/slots';
import { TokenCodec } from '../src/security/tokens';
import { isOneClickBody } from '../src/http/routes/unsubscribe';
import { parse } from './helpers';

describe('tokens', () => {
  const codec = new TokenCodec('a-secret-key-that-is-long-enough-for-tests');

  it('round-trips ids, is stable, and does not show the ids', () => {
    const token = codec.encode('unsubscribe', [42, 7, 123456789]);
    expect(codec.decode('unsubscribe', token)).toEqual([42, 7, 123456789]);
    expect(codec.encode('unsubscribe', [42, 7, 123456789])).toBe(token);
    expect(codec.encode('unsubscribe', [43, 7, 123456789])).not.toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('123456789');
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain('123456789');
  });

  it('rejects tampered, truncated, cross-purpose and foreign tokens', () => {
    const token = codec.encode('open', [99]);
    for (let i = 0; i < token.length; i++) {
      const flipped = token.slice(0, i) + (token[i] === 'x' ? 'y' : 'x') + token.slice(i + 1);
      expect(codec.decode('open', flipped)).toBeNull();
    }
    expect(codec.decode('open', token.slice(0, -1))).toBeNull();
    expect(codec.decode('unsubscribe', token)).toBeNull();
    expect(new TokenCodec('another-secret-key-that-is-long-enough').decode('open', token)).toBeNull();
    expect(codec.decode('open', '')).toBeNull();
  });

  it('gives one-id purposes the one-block form: 22 characters, every character checked, the spare bits too', () => {
    for (const purpose of ['open', 'click', 'bounce'] as const) {
      const token = codec.encode(purpose, [123456789]);
      expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(codec.decode(purpose, token)).toEqual([123456789]);
      expect(codec.encode(purpose, [123456789])).toBe(token);
      // Every other spelling of the last character (it carries 2 unused bits) and every flipped character fails.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      for (const ch of alphabet) if (ch !== token[21]) expect(codec.decode(purpose, token.slice(0, 21) + ch)).toBeNull();
      for (let i = 0; i < 21; i++) expect(codec.decode(purpose, token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1))).toBeNull();
      for (const other of ['open', 'click', 'bounce', 'unsubscribe'] as const) if (other !== purpose) expect(codec.decode(other, token)).toBeNull();
    }
    expect(codec.decode('open', codec.encode('open', [0]))).toEqual([0]);
    expect(codec.decode('open', codec.encode('open', [2 ** 48 - 1]))).toEqual([2 ** 48 - 1]);
    // Past the block's 6 bytes of id the GCM form takes over.
    const big = codec.encode('open', [2 ** 48]);
    expect(big.length).toBeGreaterThan(22);
    expect(codec.decode('open', big)).toEqual([2 ** 48]);
    // 100,000 made-up 22-character tokens: none is accepted.
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) if (codec.decode('click', Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256))).toString('base64url'))) accepted++;
    expect(accepted).toBe(0);
  });

  it('still reads the GCM tokens of links sent before the one-block form', () => {
    // Made by the GCM-only codec of 2026-12-01 (main at 3681a5b) with this secret.
    const old = new TokenCodec('a-test-secret-key-that-is-long-enough-0123');
    expect(old.decode('open', 'd4WDH56WQ3BRaqvEEzF7NJBh7vL1q8zEoeYzl489')).toEqual([4242]);
    expect(old.decode('click', 'o_eemrmIVE02jnMzFCb921XrSrNAS0vfBXMlxCZt')).toEqual([4242]);
    expect(old.decode('bounce', 'wyyxNRNd3cGxNtDtFZDmZ55fyt3l7NCHrVCc4aM')).toEqual([77]);
    expect(old.decode('click', 'd4WDH56WQ3BRaqvEEzF7NJBh7vL1q8zEoeYzl489')).toBeNull();
  });
});

describe('headers', () => {
  it('encodes Chinese subjects in ASCII lines of at most 78 characters that decode exactly', async () => {
    const subject = '[ML UTD 32] 最新的机器学习—数据生活：一个很长很长的标题，用来测试折行是否正确处理 🚀 emoji 和 é';
    const header = unstructuredHeader('Subject', subject);
    for (const line of header.split('\r\n')) {
      expect(line).toMatch(/^[\x20-\x7e]+$/);
      expect(line.length).toBeLessThanOrEqual(78);
    }
    const mail = await parse(Buffer.from(`${header}\r\nFrom: ${'x'}@example.com\r\n\r\nbody`));
    expect(mail.subject).toBe(subject);
  });

  it('keeps a short ASCII subject readable', () => {
    expect(unstructuredHeader('Subject', 'Weekly news')).toBe('Subject: Weekly news');
  });

  it('never cuts a UTF-8 character across encoded-words', () => {
    for (const word of encodeWords('数据'.repeat(40))) {
      const payload = Buffer.from(word.slice(10, -2), 'base64').toString('utf8');
      expect(payload).not.toContain('\ufffd');
    }
  });

  it('quotes or encodes display names', async () => {
    expect(mailboxHeader('To', 'Ada Lovelace', 'ada@example.com')).toBe('To: Ada Lovelace <ada@example.com>');
    expect(mailboxHeader('To', 'Lovelace, Ada', 'ada@example.com')).toBe('To: "Lovelace, Ada" <ada@example.com>');
    const mail = await parse(Buffer.from(`${mailboxHeader('To', 'Zoë 🚀 "Z"', 'z@example.com')}\r\n\r\nx`));
    expect(mail.to).toMatchObject({ value: [{ name: 'Zoë 🚀 "Z"', address: 'z@example.com' }] });
  });
});

describe('slots', () => {
  it('splits at markers and fills them by joining', () => {
    const template = splitAtSlots(`Hi ${marker('name')}! <a href="${marker('unsubscribeUrl')}">x</a>${marker('name')}`, SUBSCRIBER_SLOTS);
    expect(template.slots).toEqual(['name', 'unsubscribeUrl', 'name']);
    expect(fillSlots(template, { name: 'Ada', unsubscribeUrl: 'https://u', openPixelUrl: '', clickBase: '' })).toBe('Hi Ada! <a href="https://u">x</a>Ada');
    expect(fillMarkers(`${marker('listName')} ${marker('name')}`, { listName: 'L' })).toBe(`L ${marker('name')}`);
  });
});

describe('message template', () => {
  const template = new MessageTemplate({
    sendId: 5,
    listId: 2,
    issueId: 3,
    from: { name: '数据生活', address: 'news@example.com' },
    subject: '你好 Subject',
    list: { name: 'Weekly', slug: 'weekly' },
    sendingDomain: 'example.com',
    html: `<p>${marker('name')}</p><a href="${marker('unsubscribeUrl')}">u</a><img src="${marker('openPixelUrl')}">`,
    text: `Hello ${marker('name')}\nUnsubscribe: ${marker('unsubscribeUrl')}`,
  });
  const recipient = { deliveryId: 77, email: 'x@example.com', unsubscribeUrl: 'https://t/u/TOKEN', openPixelUrl: 'https://t/o/P' };

  it('builds a complete message with a deterministic Message-ID', async () => {
    const raw = template.render({ ...recipient, name: 'Ada' });
    const mail = await parse(raw);
    expect(mail.messageId).toBe('<tidings.5.77@example.com>');
    expect(mail.subject).toBe('你好 Subject');
    expect(mail.text).toContain('Hello Ada');
    expect(mail.text).toContain('Unsubscribe: https://t/u/TOKEN');
    expect(mail.html).toContain('<p>Ada</p>');
    expect(raw.toString('latin1')).toContain('List-Id: Weekly <weekly.list-id.example.com>\r\n');
    expect(raw.toString('latin1')).toContain('List-Unsubscribe: <https://t/u/TOKEN>\r\n');
    expect(raw.toString('latin1')).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
  });

  it('escapes a hostile name in HTML and keeps CRLF out of the headers', async () => {
    const raw = template.render({ ...recipient, name: '"><img src=x>\r\nBcc: victim@example.com' });
    const head = raw.toString('latin1').split('\r\n\r\n')[0];
    expect(head).not.toMatch(/^Bcc:/im);
    const mail = await parse(raw);
    expect(mail.html).not.toContain('<img src=x>');
    expect(mail.html).toContain('&quot;&gt;&lt;img src&#61;x&gt;');
    expect(mail.bcc).toBeUndefined();
  });
});

describe('SMTP errors', () => {
  it('tells recipient refusals, sender-side refusals, throttling and temporary failures apart', () => {
    const kind = (e: object) => classifySmtpError(e, 'a@b.c').kind;
    expect(kind({ responseCode: 550, response: '550 5.1.1 no such user' })).toBe('recipient');
    expect(kind({ responseCode: 553, response: '553 mailbox name not allowed' })).toBe('recipient');
    expect(kind({ responseCode: 550, response: '550 5.7.1 message rejected by policy' })).toBe('sender');
    expect(kind({ responseCode: 535, response: '535 authentication failed' })).toBe('sender');
    expect(kind({ responseCode: 451, response: '451 4.3.0 try later' })).toBe('temporary');
    expect(kind({ responseCode: 450, response: '450 mailbox busy' })).toBe('temporary');
    expect(kind({ responseCode: 421, response: '421 4.7.0 too many messages, slow down' })).toBe('throttled');
    expect(kind({ responseCode: 454, response: '454 4.7.1 relay temporarily unavailable' })).toBe('throttled');
    expect(classifySmtpError({ responseCode: 550, response: '550 5.1.1 x' }, 'a@b.c').permanent).toBe(true);
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'connection refused' }, 'a@b.c')).toMatchObject({ kind: 'temporary', permanent: false, response: 'ECONNECTION: connection refused' });
  });
});

describe('one-click bodies', () => {
  it('recognises RFC 8058 bodies, urlencoded and multipart', () => {
    expect(isOneClickBody('List-Unsubscribe=One-Click')).toBe(true);
    expect(isOneClickBody('--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n')).toBe(true);
    expect(isOneClickBody('')).toBe(false);
    expect(isOneClickBody('List-Unsubscribe=Nope')).toBe(false);
  });
});

describe('config', () => {
  it('uses documented defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ databaseUrl: 'postgres://localhost:5432/tidings', redisUrl: 'redis://127.0.0.1:6379', port: 3000, usingDevelopmentSecret: true });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the variable that is missing or malformed', () => {
    const attempt = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return undefined;
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).variable;
      }
    };
    expect(attempt({ NODE_ENV: 'production', SMTP_URL: 'smtp://x' })).toBe('SECRET_KEY');
    expect(attempt({ NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(32) })).toBe('SMTP_URL');
    expect(attempt({ SMTP_URL: 'http://mail' })).toBe('SMTP_URL');
    expect(attempt({ REDIS_URL: 'nonsense' })).toBe('REDIS_URL');
    expect(attempt({ MAIL_FROM: 'not an address' })).toBe('MAIL_FROM');
    expect(attempt({ SECRET_KEY: 'short' })).toBe('SECRET_KEY');
    expect(attempt({ PORT: '-1' })).toBe('PORT');
  });
});

describe('base64 template', () => {
  it('decodes to exactly the filled-in text for any value lengths, in lines of at most 76 characters', () => {
    const literals = ['', 'a', 'ab', 'abc', '数据生活', 'x'.repeat(100), '你好，'.repeat(37) + 'é', '\r\n'];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const parts = Array.from({ length: 1 + random(5) }, () => literals[random(literals.length)]);
      const slots = parts.slice(1).map(() => (random(2) ? 'name' : 'unsubscribeUrl') as 'name' | 'unsubscribeUrl');
      const template = new Base64Template({ literals: parts, slots });
      const values = { name: 'é'.repeat(random(5)) + '王'.repeat(random(3)), unsubscribeUrl: 'h'.repeat(random(90)) };
      const encoded = Buffer.concat(template.render({ name: Buffer.from(values.name), unsubscribeUrl: Buffer.from(values.unsubscribeUrl) })).toString('latin1');
      const expected = fillSlots({ literals: parts, slots }, values);
      expect(Buffer.from(encoded.replace(/\r\n/g, ''), 'base64').toString('utf8')).toBe(expected);
      for (const line of encoded.split('\r\n').slice(0, -1)) {
        expect(line.length).toBeGreaterThan(0);
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      }
      // Padding only at the very end: every line but the last holds whole groups.
      expect(encoded.replace(/\r\n/g, '').slice(0, -4)).not.toContain('=');
    }
  });
});

describe('retry delays and policy streaks', () => {
  it('retries for hours by default: 1, 5, 15, 30 minutes, then hourly for 24 hours, with jitter', async () => {
    const { DEFAULT_RETRY_SCHEDULE, parseSteps, retryDelayMs, retrySchedule } = await import('../src/send/retry-schedule');
    const schedule = retrySchedule(parseSteps(DEFAULT_RETRY_SCHEDULE), 24);
    const minute = 60_000;
    const waits = Array.from({ length: schedule.maxAttempts - 1 }, (_, i) => retryDelayMs(schedule, i + 1, () => 0.5));
    expect(waits.slice(0, 6)).toEqual([1, 5, 15, 30, 60, 60].map((m) => m * minute));
    // 51 minutes, then 23 hourly retries fit in 24 hours: 28 attempts in all.
    expect(schedule.maxAttempts).toBe(28);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(24 * 60 * minute);
    expect(retryDelayMs(schedule, 2, () => 0)).toBe(4 * minute);
    expect(retryDelayMs(schedule, 2, () => 1)).toBe(6 * minute);
    expect(retryDelayMs(schedule, 100, () => 0.5)).toBe(60 * minute);
    expect(retrySchedule(parseSteps('1s'), 0).maxAttempts).toBe(1);
    expect(retrySchedule(parseSteps('50ms'), 0.2 / 3600).maxAttempts).toBe(5);
    expect(() => parseSteps('1m,soon')).toThrow(/'soon' is not a duration/);
  });

  it('names RETRY_SCHEDULE when it cannot be read', async () => {
    const { loadConfig } = await import('../src/config');
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', RETRY_SCHEDULE: '5 minutes' })).toThrow(/RETRY_SCHEDULE/);
    expect(loadConfig({ DATABASE_URL: 'postgres://x/y', RETRY_SCHEDULE: '10s,1m', RETRY_FOR_HOURS: '1' }).retry.maxAttempts).toBe(61);
  });

  it('counts 5.7.x refusals after the last success of each send in a batch', async () => {
    const { policyStreaks } = await import('../workers/deliver');
    const o = (sendId: number, status: 'sent' | 'failed', failureKind: 'sender' | 'recipient' | null = null) =>
      ({ id: 0, sendId, status, failureKind, smtpResponse: null, messageId: null, route: null }) as const;
    expect(policyStreaks([o(1, 'failed', 'sender'), o(1, 'sent'), o(1, 'failed', 'sender'), o(2, 'failed', 'sender'), o(2, 'failed', 'recipient'), o(3, 'failed', 'recipient')])).toEqual([
      { sendId: 1, reset: true, failures: 1 },
      { sendId: 2, reset: false, failures: 1 },
    ]);
  });
});


describe('8bit template', () => {
  it('breaks HTML lines at 78 characters only where a break changes nothing, and before a tracked link', async () => {
    const { wrapHtml, MAX_LINE } = await import('../src/mail/eight-bit-template');
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const html = [
      `<p class="a b c" style="font-family: 'Helvetica Neue', Arial; color: #333">${words}</p>`,
      `<pre>${words}</pre>`,
      `<style>.x { font-family: 'Helvetica Neue', Arial, sans-serif; margin: 0 0 0 0; padding: 0 0 0 0; }</style>`,
      `<!--[if mso | IE]><table role="presentation" border="0" cellpadding="0" cellspacing="0"><tr><td><![endif]-->`,
      `<p>${'数据'.repeat(60)}</p><p>${'数据'.repeat(60)}</p>`,
      `<a style="color: red" href="\u0000/3" target="_blank">link</a> <a href="\u0000/4">two</a>`,
    ].join('\n');
    const wrapped = wrapHtml(html);
    const lines = wrapped.split('\n');
    // Quoted attribute values, <pre> text, CSS strings and conditional comment heads keep their spaces.
    expect(wrapped).toContain(`style="font-family: 'Helvetica Neue', Arial; color: #333"`);
    expect(wrapped).toContain(`>${words}</pre`);
    expect(wrapped).toContain(`'Helvetica Neue'`);
    expect(wrapped).toContain('<!--[if mso | IE]>');
    // Chinese text has no spaces: its line breaks after a tag name, where nothing shows.
    expect(wrapped).toContain(`>${'数据'.repeat(60)}</p\n>`);
    // A line with a slot (a tracked link) is broken right before the attribute that holds it.
    expect(lines).toContain('href="\u0000/3"');
    // Undoing the breaks gives back the HTML: each was a space, or inserted after a tag name.
    expect(wrapped.replace(/\n(?=[/>])/g, '').replace(/\n/g, ' ')).toBe(html.replace(/\n/g, ' '));
    for (const line of lines) {
      const breakable = !line.includes('word39</pre') && !line.includes('数') && !line.includes('\u0000') && !line.includes("'Helvetica Neue'") && !line.startsWith('<!--[if');
      if (breakable) expect(line.length, line).toBeLessThanOrEqual(78);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE);
    }
  });

  it('keeps lines within 998 bytes, dot-stuffs only what goes over the wire, and gives up when it must', async () => {
    const { EightBitTemplate, SLOT_RESERVE } = await import('../src/mail/eight-bit-template');
    const words = Array.from({ length: 400 }, (_, i) => `<b>w${i}</b>`).join(' ');
    const template = EightBitTemplate.build({ literals: [`.top\n${words}\n`, '，你好\n.dot line\n'], slots: ['name'] }, { breakLongLines: true })!;
    const body = template.render({ name: Buffer.from('.Ada') })!;
    const plain = Buffer.concat(body.plain).toString();
    const wire = Buffer.concat(body.wire).toString();
    expect(plain.split('\r\n').every((line) => Buffer.byteLength(line) <= 998)).toBe(true);
    expect(plain.replace(/\r\n/g, ' ')).toBe(`.top ${words} .Ada，你好 .dot line `);
    expect(plain).not.toMatch(/[^\r]\n/);
    // Every line that starts with a dot gets a second one on the wire, and only there.
    expect(wire).toBe(plain.replace(/(^|\r\n)\./g, '$1..'));
    expect(wire.startsWith('..top\r\n')).toBe(true);
    expect(wire).toContain('\r\n..Ada，你好\r\n..dot line\r\n');
    // A value longer than its reserve, or with a line break, makes the caller use base64 for this message.
    expect(template.render({ name: Buffer.from('x'.repeat(SLOT_RESERVE + 1)) })).toBeNull();
    expect(template.render({ name: Buffer.from('a\nb') })).toBeNull();
    // text/plain is never rewrapped: a line too long for SMTP means base64.
    expect(EightBitTemplate.build({ literals: ['长'.repeat(400)], slots: [] }, { breakLongLines: false })).toBeNull();
    expect(EightBitTemplate.build({ literals: ['长'.repeat(300)], slots: [] }, { breakLongLines: false })).not.toBeNull();
  });
});
