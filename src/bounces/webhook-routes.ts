import express, { Router, type Request, type Response } from 'express';
import type { Services } from '../app/services';
import { applyBounceReports, applyDeliveryReports } from './apply';
import { basicAuthMatches } from './providers/postmark';
import { postmarkReports } from './providers/postmark';
import { mailgunReports, mailgunSignatureValid } from './providers/mailgun';
import { SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, sendgridPublicKey, sendgridReports, sendgridSignatureValid } from './providers/sendgrid';
import { sesReports } from './providers/ses';
import { parseSnsMessage, SnsVerifier } from './providers/sns';
import type { BounceReport, DeliveryReport } from './report';

/**
 * POST /webhooks/{ses,postmark,sendgrid,mailgun}: bounce and complaint reports from sending providers.
 * The signature (or basic auth) is checked on the raw body before anything is parsed or stored: a bad one gets
 * 401 and changes nothing. A provider whose secret is not configured answers 404.
 */
export function webhookRoutes(services: Pick<Services, 'config' | 'pool' | 'log'>): Router {
  const router = Router();
  const { webhooks } = services.config;
  const raw = express.raw({ type: () => true, limit: '5mb' });
  const sns = new SnsVerifier(webhooks.snsCertUrlPattern);
  const sendgridKey = webhooks.sendgridPublicKey ? sendgridPublicKey(webhooks.sendgridPublicKey) : undefined;
  const log = services.log.child({ component: 'webhooks' });

  const apply = async (res: Response, provider: string, reports: { bounces: BounceReport[]; deliveries: DeliveryReport[] }) => {
    const results = await applyBounceReports(services, reports.bounces);
    const deliveries = await applyDeliveryReports(services, reports.deliveries);
    log.info({ event: 'webhook.received', provider, reports: results.length, applied: results.filter((r) => r.applied).length }, 'webhook applied');
    res.json({ received: results.length + reports.deliveries.length, applied: results.filter((r) => r.applied).length + deliveries, results });
  };
  const unauthorized = (res: Response, provider: string, why: string) => {
    log.warn({ event: 'webhook.unauthorized', provider, why }, 'webhook refused');
    res.status(401).json({ error: { code: 'UNAUTHORIZED', message: `${provider} webhook: ${why}` } });
  };
  const json = (req: Request): unknown => {
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    return JSON.parse(body);
  };
  const badRequest = (res: Response, message: string) => res.status(400).json({ error: { code: 'INVALID_INPUT', message } });

  router.post('/webhooks/ses', raw, async (req, res) => {
    let message;
    try {
      message = parseSnsMessage(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    } catch (err) {
      return badRequest(res, (err as Error).message);
    }
    if (!(await sns.verify(message))) return unauthorized(res, 'ses', 'SNS signature does not verify');
    if (webhooks.sesTopicArns.length && !webhooks.sesTopicArns.includes(message.TopicArn)) {
      return unauthorized(res, 'ses', `topic ${message.TopicArn} is not in SES_TOPIC_ARNS`);
    }
    if (message.Type === 'SubscriptionConfirmation') {
      if (!message.SubscribeURL || !sns.allows(message.SubscribeURL)) return badRequest(res, 'SubscribeURL is missing or not an SNS URL');
      const confirm = await fetch(message.SubscribeURL, { signal: AbortSignal.timeout(10_000) });
      log.info({ event: 'webhook.sns_subscribed', topicArn: message.TopicArn, status: confirm.status }, 'SNS subscription confirmed');
      return res.status(confirm.ok ? 200 : 502).json({ confirmed: confirm.ok });
    }
    if (message.Type === 'UnsubscribeConfirmation') return res.json({ received: 0, applied: 0 });
    let reports;
    try {
      reports = sesReports(message.Message, message.MessageId);
    } catch {
      return badRequest(res, 'the SNS Message is not an SES notification (JSON)');
    }
    await apply(res, 'ses', reports);
  });

  router.post('/webhooks/postmark', raw, async (req, res) => {
    const credentials = webhooks.postmark;
    if (!credentials) return res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Postmark webhook is not configured' } });
    if (!basicAuthMatches(req.get('authorization'), credentials.user, credentials.password)) return unauthorized(res, 'postmark', 'basic auth does not match');
    let body;
    try {
      body = json(req);
    } catch {
      return badRequest(res, 'body is not JSON');
    }
    await apply(res, 'postmark', postmarkReports(body, (req.body as Buffer).toString('utf8')));
  });

  router.post('/webhooks/sendgrid', raw, async (req, res) => {
    if (!sendgridKey) return res.status(404).json({ error: { code: 'NOT_FOUND', message: 'SendGrid webhook is not configured' } });
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!sendgridSignatureValid(sendgridKey, rawBody, req.get(SENDGRID_SIGNATURE_HEADER), req.get(SENDGRID_TIMESTAMP_HEADER))) {
      return unauthorized(res, 'sendgrid', 'event webhook signature does not verify');
    }
    let body;
    try {
      body = json(req);
    } catch {
      return badRequest(res, 'body is not JSON');
    }
    await apply(res, 'sendgrid', sendgridReports(body));
  });

  router.post('/webhooks/mailgun', raw, async (req, res) => {
    const key = webhooks.mailgunSigningKey;
    if (!key) return res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Mailgun webhook is not configured' } });
    let body;
    try {
      body = json(req);
    } catch {
      return unauthorized(res, 'mailgun', 'body is not JSON, so it carries no signature');
    }
    if (!mailgunSignatureValid(body, key)) return unauthorized(res, 'mailgun', 'HMAC signature does not match');
    await apply(res, 'mailgun', mailgunReports(body));
  });

  return router;
}
