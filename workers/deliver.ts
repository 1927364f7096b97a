import type { Job } from 'bullmq';
import type { Services } from '../src/app/services';
import { claimDeliveries, recordDeliveryResults, type ClaimedDelivery, type DeliveryResult } from '../src/db/deliveries';
import { finishSendsIfDone } from '../src/db/sends';
import type { Mailer } from '../src/mail/mailer';
import { SmtpError } from '../src/mail/mailer';
import { SendMessageCache } from './send-message-cache';
import { Batcher } from '../src/util/batcher';
import { DELIVER_JOB_OPTIONS, type DeliverJobData } from '../src/queue/queues';
import { singleLine } from '../src/render/slots';

/** Claims and results are written in batches of up to 200, each waiting at most 3 ms to fill. */
const BATCHING = { maxSize: 200, maxWaitMs: 3 };

export class TemporaryDeliveryError extends Error {
  constructor(readonly deliveryId: number, readonly reason: string) {
    super(`delivery ${deliveryId} will be retried: ${reason}`);
    this.name = 'TemporaryDeliveryError';
  }
}

/**
 * Sends one delivery per job: claim it (batched with the other jobs in flight), build the message from the
 * send's prebuilt template, send it raw over the pooled transport, record the outcome (batched again).
 * PostgreSQL is updated before the job completes, so Redis losing the job loses no record.
 */
export class DeliverProcessor {
  private readonly claims: Batcher<number, ClaimedDelivery | undefined>;
  private readonly results: Batcher<DeliveryResult & { sendId: number }, undefined>;
  private readonly messages: SendMessageCache;

  constructor(
    private readonly services: Services,
    private readonly mailer: Mailer,
  ) {
    this.messages = new SendMessageCache(services);
    this.claims = new Batcher(async (ids) => {
      const claimed = new Map((await claimDeliveries(services.pool, ids)).map((d) => [d.id, d]));
      return ids.map((id) => claimed.get(id));
    }, BATCHING);
    this.results = new Batcher(async (results) => {
      await recordDeliveryResults(services.pool, results);
      const sendIds = [...new Set(results.map((r) => r.sendId))];
      const finished = await finishSendsIfDone(services.pool, sendIds);
      for (const sendId of finished) services.log.info({ event: 'send.finished', sendId }, 'send finished');
      return results.map(() => undefined);
    }, BATCHING);
  }

  readonly process = async (job: Job<DeliverJobData>): Promise<string> => {
    const delivery = await this.claims.add(job.data.deliveryId);
    if (!delivery) return 'skipped';
    if (delivery.status === 'suppressed') {
      this.services.log.info({ event: 'delivery.suppressed', deliveryId: delivery.id, sendId: delivery.sendId }, 'subscriber left before sending');
      await finishSendsIfDone(this.services.pool, [delivery.sendId]);
      return 'suppressed';
    }
    const message = await this.messages.get(delivery.sendId);
    const raw = message.template.render({
      deliveryId: delivery.id,
      email: delivery.email,
      name: singleLine(delivery.name) || message.defaultName,
      unsubscribeUrl: this.services.links.unsubscribe(delivery.subscriberId, message.listId, delivery.id),
      openPixelUrl: this.services.links.openPixel(delivery.id),
    });
    const messageId = message.template.messageId(delivery.id);
    try {
      const result = await this.mailer.send({ from: message.envelopeFrom, to: delivery.email }, raw);
      await this.results.add({ id: delivery.id, sendId: delivery.sendId, status: 'sent', smtpResponse: result.response, messageId });
      return 'sent';
    } catch (err) {
      const smtp = err instanceof SmtpError ? err : undefined;
      const response = smtp?.response ?? (err as Error).message;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? DELIVER_JOB_OPTIONS.attempts ?? 1);
      const status = smtp?.permanent || lastAttempt ? 'failed' : 'retrying';
      await this.results.add({ id: delivery.id, sendId: delivery.sendId, status, smtpResponse: response, messageId });
      const log = { deliveryId: delivery.id, sendId: delivery.sendId, attempt: job.attemptsMade + 1, response };
      if (status === 'failed') {
        this.services.log.warn({ event: 'delivery.failed', ...log }, 'delivery failed');
        return 'failed';
      }
      this.services.log.info({ event: 'delivery.retrying', ...log }, 'delivery will be retried');
      throw new TemporaryDeliveryError(delivery.id, response);
    }
  };
}
