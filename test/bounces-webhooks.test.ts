import { execFileSync } from 'node:child_process';
import { createHmac, createSign, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/app/services';
import { startHttp, type HttpServer } from '../src/http/server';
import { snsStringToSign, type SnsMessage } from '../src/bounces/providers/sns';
import { loadConfig } from '../src/config';
import { startStack, type TestStack } from './helpers';
import { seedSend } from './ops-seed';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/bounces/${name}`, import.meta.url), 'utf8');

// SES/SNS: our own certificate and key; the certificate is served from a local HTTP server, which the
// configured pattern allows (in production only https://sns.<region>.amazonaws.com/ is).
const certDir = mkdtempSync(path.join(tmpdir(), 'tidings-sns-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'), '-days', '2', '-subj', '/CN=sns.test'], { stdio: 'ignore' });
const snsKey = readFileSync(path.join(certDir, 'key.pem'), 'utf8');
const snsCert = readFileSync(path.join(certDir, 'cert.pem'), 'utf8');
const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const MAILGUN_KEY = 'key-0123456789abcdef0123456789abcdef';
const POSTMARK = { user: 'postmark-hook', password: 'a-long-postmark-password' };

let stack: TestStack;
let services: Services;
let http: HttpServer;
let certServer: Server;
let certBase: string;
const subscribeHits: string[] = [];

beforeAll(async () => {
  certServer = createServer((req, res) => {
    if (req.url === '/cert.pem') return void res.end(snsCert);
    if (req.url?.startsWith('/subscribe')) {
      subscribeHits.push(req.url);
      return void res.end('<ConfirmSubscriptionResponse/>');
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => certServer.listen(0, '127.0.0.1', resolve));
  certBase = `http://127.0.0.1:${(certServer.address() as { port: number }).port}`;
  stack = await startStack();
  const config = loadConfig({
    ...stack.env,
    SNS_CERT_URL_PATTERN: `^${certBase.replace(/[.]/g, '\\.')}/`,
    SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridKeys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    MAILGUN_SIGNING_KEY: MAILGUN_KEY,
    POSTMARK_WEBHOOK_USER: POSTMARK.user,
    POSTMARK_WEBHOOK_PASSWORD: POSTMARK.password,
  });
  services = createServices(config, pino({ level: 'silent' }));
  http = await startHttp(services, 0);
});
afterAll(async () => {
  await http?.close();
  await services?.close();
  await stack?.close();
  certServer?.close();
  rmSync(certDir, { recursive: true, force: true });
});

const url = (p: string) => `http://127.0.0.1:${http.port}${p}`;
const counts = async () => {
  const { rows } = await services.pool.query<{ events: number; suppressions: number; provider_events: number; alerts: number }>(
    `SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM suppressions) AS suppressions,
            (SELECT count(*)::int FROM provider_events) AS provider_events, (SELECT count(*)::int FROM sender_alerts) AS alerts`,
  );
  return rows[0];
};
const reasonOf = async (email: string) =>
  (await services.pool.query<{ reason: string }>('SELECT reason FROM suppressions WHERE lower(email) = lower($1)', [email])).rows[0]?.reason;

function snsEnvelope(fields: Partial<SnsMessage> & Pick<SnsMessage, 'Type' | 'Message' | 'MessageId'>, certUrl = `${certBase}/cert.pem`): SnsMessage {
  const message = {
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-bounces',
    Timestamp: '2026-11-03T17:12:45.000Z',
    SignatureVersion: '2',
    SigningCertURL: certUrl,
    Signature: '',
    ...fields,
  } as SnsMessage;
  message.Signature = createSign('RSA-SHA256').update(snsStringToSign(message)).sign(snsKey, 'base64');
  return message;
}
const postSns = (message: SnsMessage) =>
  fetch(url('/webhooks/ses'), { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': message.Type }, body: JSON.stringify(message) });

beforeEach(() => {
  subscribeHits.length = 0;
});

describe('SES via SNS', () => {
  it('confirms a subscription by visiting the SubscribeURL', async () => {
    const res = await postSns(snsEnvelope({ Type: 'SubscriptionConfirmation', MessageId: 'sub-1', Message: 'You have chosen to subscribe', Token: 'tok', SubscribeURL: `${certBase}/subscribe?token=tok` }));
    expect(res.status).toBe(200);
    expect(subscribeHits).toEqual(['/subscribe?token=tok']);
  });

  it('applies a signed bounce once, and refuses tampered or foreign-certificate messages with no side effects', async () => {
    await seedSend(services.pool, [
      { email: 'ses.gone@example.com', messageId: '<tidings.3.201@lifewithdata.test>' },
      { email: 'ses.annoyed@example.com', messageId: '<tidings.3.202@lifewithdata.test>' },
    ]);
    const bounce = snsEnvelope({ Type: 'Notification', MessageId: 'sns-bounce-1', Message: fixture('ses-bounce-permanent.json') });
    const before = await counts();
    const tampered = { ...bounce, Message: bounce.Message.replace('ses.gone@', 'someone.else@') };
    expect((await postSns(tampered)).status).toBe(401);
    const foreign = { ...bounce, SigningCertURL: 'http://evil.test/cert.pem' };
    expect((await postSns(foreign)).status).toBe(401);
    expect(await counts()).toEqual(before);

    const first = await postSns(bounce);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ applied: 1 });
    expect(await reasonOf('ses.gone@example.com')).toBe('hard_bounce');
    const after = await counts();
    const again = await postSns(bounce);
    expect(await again.json()).toMatchObject({ applied: 0 });
    expect(await counts()).toEqual(after);

    const complaint = await postSns(snsEnvelope({ Type: 'Notification', MessageId: 'sns-complaint-1', Message: fixture('ses-complaint.json') }));
    expect(complaint.status).toBe(200);
    expect(await reasonOf('ses.annoyed@example.com')).toBe('complaint');
  });

  it('verifies SignatureVersion 1 (SHA1) as well', async () => {
    const message = { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-bounces', Timestamp: '2026-11-03T17:12:45.000Z', SignatureVersion: '1', SigningCertURL: `${certBase}/cert.pem`, Type: 'Notification', MessageId: 'sns-v1', Message: '{"notificationType":"Received"}' } as SnsMessage;
    message.Signature = createSign('RSA-SHA1').update(snsStringToSign(message)).sign(snsKey, 'base64');
    expect((await postSns(message)).status).toBe(200);
  });
});

describe('Postmark (basic auth)', () => {
  const post = (body: string, auth?: string) =>
    fetch(url('/webhooks/postmark'), { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('refuses a wrong or missing password, applies a bounce and a complaint once each', async () => {
    await seedSend(services.pool, [{ email: 'postmark.gone@example.com' }, { email: 'postmark.annoyed@example.com' }]);
    const body = fixture('postmark-hard-bounce.json');
    const before = await counts();
    expect((await post(body)).status).toBe(401);
    expect((await post(body, basic(POSTMARK.user, 'wrong-password-123'))).status).toBe(401);
    expect(await counts()).toEqual(before);

    expect(((await (await post(body, basic(POSTMARK.user, POSTMARK.password))).json()) as { applied: number }).applied).toBe(1);
    expect(((await (await post(body, basic(POSTMARK.user, POSTMARK.password))).json()) as { applied: number }).applied).toBe(0);
    expect(await reasonOf('postmark.gone@example.com')).toBe('hard_bounce');
    await post(fixture('postmark-spam-complaint.json'), basic(POSTMARK.user, POSTMARK.password));
    expect(await reasonOf('postmark.annoyed@example.com')).toBe('complaint');
  });
});

describe('SendGrid (signed event webhook, batched)', () => {
  const post = (body: string, timestamp: string, signature: string) =>
    fetch(url('/webhooks/sendgrid'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp },
      body,
    });
  const signed = (body: string, timestamp: string) => sign('sha256', Buffer.from(timestamp + body), sendgridKeys.privateKey).toString('base64');

  it('refuses a bad signature; applies a batch once: hard → suppressed, 5.7.1 → operator alert, spam report → complaint', async () => {
    await seedSend(services.pool, [
      { email: 'sg.gone@example.com', messageId: '<tidings.3.301@lifewithdata.test>' },
      { email: 'sg.blocked@example.com', messageId: '<tidings.3.302@lifewithdata.test>' },
      { email: 'sg.annoyed@example.com', messageId: '<tidings.3.303@lifewithdata.test>' },
      { email: 'sg.slow@example.com' },
    ]);
    const body = fixture('sendgrid-batch.json');
    const timestamp = '1762190005';
    const before = await counts();
    expect((await post(body, timestamp, signed(body, '1762190006'))).status).toBe(401);
    expect((await post(body.replace('sg.gone', 'sg.other'), timestamp, signed(body, timestamp))).status).toBe(401);
    expect(await counts()).toEqual(before);

    const res = await post(body, timestamp, signed(body, timestamp));
    expect(res.status).toBe(200);
    expect(await reasonOf('sg.gone@example.com')).toBe('hard_bounce');
    expect(await reasonOf('sg.annoyed@example.com')).toBe('complaint');
    expect(await reasonOf('sg.blocked@example.com')).toBeUndefined();
    expect(await reasonOf('sg.slow@example.com')).toBeUndefined();
    const after = await counts();
    expect(after.alerts).toBe(before.alerts + 1);
    expect(after.events).toBe(before.events + 3);
    await post(body, timestamp, signed(body, timestamp));
    expect(await counts()).toEqual(after);
  });
});

describe('Mailgun (HMAC)', () => {
  const signedBody = (name: string, key = MAILGUN_KEY) => {
    const body = JSON.parse(fixture(name));
    body.signature.signature = createHmac('sha256', key).update(body.signature.timestamp + body.signature.token).digest('hex');
    return JSON.stringify(body);
  };
  const post = (body: string) => fetch(url('/webhooks/mailgun'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('refuses a wrong HMAC; applies permanent, temporary and complaint events once', async () => {
    await seedSend(services.pool, [
      { email: 'mg.gone@example.com', messageId: '<tidings.3.401@lifewithdata.test>' },
      { email: 'mg.annoyed@example.com', messageId: '<tidings.3.402@lifewithdata.test>' },
      { email: 'mg.full@example.com', messageId: '<tidings.3.403@lifewithdata.test>' },
    ]);
    const before = await counts();
    expect((await post(signedBody('mailgun-failed-permanent.json', 'key-wrong-wrong-wrong-wrong'))).status).toBe(401);
    expect((await post(fixture('mailgun-failed-permanent.json'))).status).toBe(401);
    expect(await counts()).toEqual(before);

    expect(((await (await post(signedBody('mailgun-failed-permanent.json'))).json()) as { applied: number }).applied).toBe(1);
    expect(((await (await post(signedBody('mailgun-failed-permanent.json'))).json()) as { applied: number }).applied).toBe(0);
    await post(signedBody('mailgun-failed-temporary.json'));
    await post(signedBody('mailgun-complained.json'));
    expect(await reasonOf('mg.gone@example.com')).toBe('hard_bounce');
    expect(await reasonOf('mg.annoyed@example.com')).toBe('complaint');
    expect(await reasonOf('mg.full@example.com')).toBeUndefined();
  });
});
