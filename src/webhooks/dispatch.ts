import type { Queue } from 'bullmq';
import type { Pool } from '../db/pool';
import { pendingWebhookLanes, pruneWebhookOutbox } from '../db/webhooks';
import type { Logger } from '../log';
import { webhookJobId, type WebhookJobData } from './pump';

/** Failures are kept this long for the failure view. */
const KEEP_FAILURE_DAYS = 30;
/** Outbox rows every lane has passed are dropped once per this many looks. */
const PRUNE_EVERY = 60;

/**
 * Drains the outbox: every WEBHOOK_POLL_SECONDS each worker process looks (one query) for endpoint lanes with
 * events waiting and adds their pump job. The job id is the lane's, so a lane already waiting, running or
 * waiting for a retry is not added twice, however many workers look.
 */
export function startWebhookDispatch(deps: { pool: Pool; queue: Queue<WebhookJobData>; log: Logger; pollMs: number }): { close(): void } {
  let ticks = 0;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const lanes = await pendingWebhookLanes(deps.pool);
      if (lanes.length) {
        await deps.queue.addBulk(lanes.map((l) => ({
          name: 'lane',
          data: l,
          opts: { jobId: webhookJobId(l.endpointId, l.lane), removeOnComplete: true, removeOnFail: true },
        })));
      }
      if (++ticks % PRUNE_EVERY === 0) await pruneWebhookOutbox(deps.pool, KEEP_FAILURE_DAYS);
    } catch (err) {
      deps.log.error({ event: 'webhook.dispatch_failed', err }, 'could not look for webhook events to send');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), deps.pollMs);
  timer.unref();
  void tick();
  return { close: () => clearInterval(timer) };
}
