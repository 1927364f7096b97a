import { DelayedError, type Job } from 'bullmq';
import type { Logger } from '../log';
import type { LaneBatch, OutboxEvent } from '../db/webhooks';
import { retryDelayMs, type RetrySchedule } from '../send/retry-schedule';
import { SIGNATURE_HEADER, signatureHeader, webhookSecret } from './signature';

export const WEBHOOK_QUEUE = 'webhooks';

/** One job per endpoint and lane (its id says which), so a lane is sent by one worker at a time, in order. */
export interface WebhookJobData {
  endpointId: number;
  lane: number;
}

export const webhookJobId = (endpointId: number, lane: number) => `wh-${endpointId}-${lane}`;

/** What the pump reads and writes (src/db/webhooks.ts implements it over PostgreSQL). */
export interface WebhookStore {
  nextLaneBatch(endpointId: number, lane: number, limit: number): Promise<LaneBatch | undefined>;
  recordLaneDelivered(endpointId: number, lane: number, cursor: number, count: number): Promise<void>;
  recordLaneFailure(failure: { endpointId: number; lane: number; cursor: number; event: OutboxEvent; attempt: number; statusCode: number | null; error: string; gaveUp: boolean }): Promise<void>;
}

export interface WebhookPumpDeps {
  store: WebhookStore;
  secretKey: string;
  /** When a failed event is tried again, and how many attempts it gets (WEBHOOK_RETRY_SCHEDULE, WEBHOOK_RETRY_FOR_HOURS). */
  retry: RetrySchedule;
  timeoutMs: number;
  log: Logger;
  fetch?: typeof fetch;
}

/** The JSON body of one event as POSTed: `id` is stable across retries, for the receiver's de-duplication. */
export function webhookBody(event: OutboxEvent): string {
  return JSON.stringify({ id: `evt_${event.id}`, type: event.type, created: event.occurredAt.toISOString(), data: event.data });
}

const BATCH = 100;

/**
 * Sends one lane of one endpoint: its events in order, one POST each, signed; the lane's position is written
 * once per batch, so a crash re-sends at most a batch (at least once: receivers de-duplicate on `id`). A
 * failed POST stops the lane (the subscriber's later events wait behind it, so they stay in order), is
 * recorded for the failure view, and the job waits on BullMQ's delayed set for the retry schedule's next
 * step; when the attempts run out the event is given up on and the lane goes on.
 */
export class WebhookPump {
  private readonly fetch: typeof fetch;

  constructor(private readonly deps: WebhookPumpDeps) {
    this.fetch = deps.fetch ?? fetch;
  }

  readonly process = async (job: Job<WebhookJobData>, token?: string): Promise<string> => {
    const { endpointId, lane } = job.data; 
    const { store } = this.deps;
    let sent = 0;
    for (;;) {
      const batch = await store.nextLaneBatch(endpointId, lane, BATCH);
      if (!batch || batch.events.length === 0) return batch ? `sent ${sent}` : 'endpoint removed';
      const secret = webhookSecret(this.deps.secretKey, batch.endpoint.id, batch.endpoint.secretSalt);
      let cursor = 0;
      let done = 0;
      for (const event of batch.events) {
        const failure = await this.post(batch.endpoint.url, secret, event);
        if (!failure) {
          cursor = event.id;
          done++;
          continue;
        }
        const attempt = (done > 0 ? 0 : batch.failures) + 1;
        if (done > 0) await store.recordLaneDelivered(endpointId, lane, cursor, done);
        sent += done;
        done = 0;
        const gaveUp = attempt >= this.deps.retry.maxAttempts;
        await store.recordLaneFailure({ endpointId, lane, cursor, event, attempt, ...failure, gaveUp });
        this.deps.log.warn({ event: 'webhook.failed', endpointId, lane, eventId: event.id, attempt, gaveUp, ...failure }, gaveUp ? 'webhook given up after its last attempt' : 'webhook failed; will retry');
        if (gaveUp) break;
        await job.moveToDelayed(Date.now() + retryDelayMs(this.deps.retry, attempt), token);
        throw new DelayedError();
      }
      if (done > 0 && cursor > 0) await store.recordLaneDelivered(endpointId, lane, cursor, done);
      sent += done;
    }
  };

  /** POSTs one event; undefined when the endpoint answered 2xx, else what went wrong. */
  private async post(url: string, secret: string, event: OutboxEvent): Promise<{ statusCode: number | null; error: string } | undefined> {
    const body = webhookBody(event);
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tidings-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
          'Tidings-Event-Id': `evt_${event.id}`,
          'Tidings-Event-Type': event.type,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return undefined;
      return { statusCode: res.status, error: `HTTP ${res.status} ${res.statusText}`.trim() };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      return { statusCode: null, error: e.cause?.code ? `${e.cause.code}: ${e.cause.message ?? e.message}` : `${e.name}: ${e.message}` };
    }
  }
}
