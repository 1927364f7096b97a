import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { CaptureServer, type CapturedMessage } from '../src/mail/capture-server';
import { DkimSigner } from '../src/mail/dkim';
import { dkimTxtRecord } from '../src/security/dkim-keys';
import { MAX_LINE } from '../src/mail/eight-bit-template';
import { createSmtpMailer, type RoutedMailer } from '../src/mail/mailer';
import { loadContentFile } from '../src/render/content';
import { renderIssue } from '../src/render/render-issue';
import { Links } from '../src/security/links';
import { extractLinks, rewriteLinks } from '../src/security/tracked-links';
import { TokenCodec } from '../src/security/tokens';
import { buildSendTemplate } from '../src/send/send-template';
import { verifyDkim } from './dkim-helpers';
import { startHarakaRelay, type HarakaRelay } from './haraka-relay';
import { TEST_SECRET } from './helpers';

// Messages go Tidings' SMTP pool → Haraka (stock settings, a real relay) → an SMTP server, and the DKIM
// signature is checked on what arrives: what a receiving server behind a relay would see.
const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const signer = new DkimSigner([{ domain: 'lifewithdata.test', selector: 'relay', privateKey: key }]);
const records = { 'relay._domainkey.lifewithdata.test': dkimTxtRecord(key) };
const links = new Links('https://news.example.com', new TokenCodec(TEST_SECRET));

let capture: CaptureServer;
let relay: HarakaRelay;
let mailer: RoutedMailer;
const waiting = new Map<string, (message: CapturedMessage) => void>();

/** Sends through the relay and resolves with the message as the server behind it received it. */
async function relayed(to: string, message: Parameters<RoutedMailer['send']>[1]): Promise<Buffer> {
  const arrived = new Promise<CapturedMessage>((resolve) => waiting.set(to, resolve));
  await mailer.send({ from: 'news@lifewithdata.test', to }, message);
  return (await arrived).raw;
}

const bodyOf = (raw: Buffer) => raw.subarray(raw.indexOf('\r\n\r\n') + 4);

beforeAll(async () => {
  capture = new CaptureServer();
  capture.onMessage((message) => waiting.get(message.to[0])?.(message));
  await capture.listen();
  relay = await startHarakaRelay('example.org', capture.port);
  mailer = createSmtpMailer({ url: relay.url, poolSize: 1 });
}, 60_000);

afterAll(async () => {
  await mailer?.close();
  await relay?.stop();
  await capture?.close();
});

describe('DKIM through a real relay (Haraka)', () => {
  it('the relay is real: an 8bit line of 997 bytes is re-wrapped on the way and its signature no longer verifies', async () => {
    const head = [
      'From: news@lifewithdata.test',
      'To: control@example.org',
      'Subject: long line',
      'Message-ID: <control@lifewithdata.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ].join('\r\n');
    const body = Buffer.from(`<p>${'数'.repeat(330)}</p>\r\n`);
    expect(body.length - 2).toBe(997);
    const raw = Buffer.concat([Buffer.from(`${signer.sign(head, [body])}\r\n${head}\r\n\r\n`), body]);
    expect((await verifyDkim(raw, records))[0].status.result).toBe('pass');
    const received = await relayed('control@example.org', raw);
    expect(bodyOf(received).toString()).toContain('\r\n ');
    expect((await verifyDkim(received, records))[0].status.result).not.toBe('pass');
  });

  for (const encoding of ['8bit', 'base64'] as const) {
    it(`the tracked sample issue, signed and sent as ${encoding}, arrives with its body intact and its signature verifying`, async () => {
      const { content } = await loadContentFile('content/ml-utd-32.yaml');
      const compiled = await renderIssue(content, { assetBaseUrl: 'https://assets.example.com/' });
      const urls = extractLinks(compiled.html);
      const html = rewriteLinks(compiled.html, new Map(urls.map((url, i) => [url, i + 1])));
      const { template } = buildSendTemplate({
        config: loadConfig({ MAIL_FROM: '数据生活 LifeWithData <news@lifewithdata.test>', SECRET_KEY: TEST_SECRET, MESSAGE_ENCODING: encoding }),
        links, dkim: signer, sendId: 9, issue: { id: 5, slug: content.slug, subject: compiled.subject, text: compiled.text },
        list: { id: 7, name: 'ML UTD 周刊', slug: 'weekly' }, html,
      });
      const to = `reader.${encoding}@example.org`;
      const recipient = {
        deliveryId: 4242, email: to, name: '王小明', unsubscribeUrl: links.unsubscribe(11, 7, 4242),
        openPixelUrl: links.openPixel(4242), clickBase: links.clickBase(4242),
      };
      const now = new Date();
      // What goes into DATA (dot-stuffed), and the message itself, as the recipient should get it.
      const message = template.prepare(recipient, now);
      const sent = template.render(recipient, now);
      const encodings = sent.toString('latin1').match(/Content-Transfer-Encoding: \S+/g);
      // The sample's tracked HTML travels as 8bit (its text part has a 972-byte line, which stays base64).
      expect(encodings).toEqual(['base64', encoding].map((e) => `Content-Transfer-Encoding: ${e}`));
      const lines = bodyOf(sent).toString().split('\r\n').map((line) => Buffer.byteLength(line));
      expect(Math.max(...lines)).toBeLessThanOrEqual(MAX_LINE);
      if (encoding === '8bit') {
        // Lines are kept to 78 characters where HTML allows a break; most of what is longer is Chinese text.
        expect(lines.filter((n) => n <= 78).length / lines.length).toBeGreaterThan(0.75);
        // Every tracked link starts its line: a long URL does not push its neighbours past the limit.
        expect(bodyOf(sent).toString()).toMatch(/\r\nhref="https:\/\/news\.example\.com\/c\/[^"]+\/1"/);
      }

      const received = await relayed(to, message);
      expect(bodyOf(received).equals(bodyOf(sent))).toBe(true);
      const results = await verifyDkim(received, records);
      expect(results.map((r) => [r.status.header.s, r.status.result])).toEqual([['relay', 'pass']]);
    }, 60_000);
  }
});
