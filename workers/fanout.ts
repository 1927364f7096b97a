import { DelayedError, type Job } from 'bullmq';
import type { Services } from '../src/app/services';
import { countRecipients, createDeliveryPage } from '../src/db/deliveries';
import { inTransaction } from '../src/db/pool';
import { finishSendsIfDone, getSend, getSendStatus, markFannedOut, setFanoutCursor, setSendTotal, transitionSend } from '../src/db/sends';
import { deliverBacklog, enqueueDeliveries, type FanoutJobData } from '../src/queue/queues';
import { fanoutPageSize, waitForRoom, type FanoutRoom } from '../src/send/fanout-backpressure';

export const FANOUT_PAGE_SIZE = 5_000;

/**
 * The fan-out job of a send: walks the list's recipients in keyset pages, creates their deliveries and
 * queues one deliver job each. The cursor is saved after each page is queued, so a fan-out that dies, or is
 * paused, continues from its last page; a page done twice creates and queues nothing twice. It stays at
 * most FANOUT_AHEAD jobs ahead of the senders (see fanout-backpressure.ts).
 */
export function createFanoutProcessor(services: Services) {
  return async function fanout(job: Job<FanoutJobData>, token?: string, signal?: AbortSignal): Promise<{ queued: number }> {
    const { pool, queues } = services;
    const log = services.log.child({ sendId: job.data.sendId });
    let send = await getSend(pool, job.data.sendId);
    if (send.status === 'scheduled' && send.scheduledAt && send.scheduledAt.getTime() > Date.now() + 1000) {
      // Too early (e.g. re-added by the reconciler without its delay): wait until the scheduled time.
      await job.moveToDelayed(send.scheduledAt.getTime(), token);
      throw new DelayedError();
    }
    if (send.status === 'scheduled' || send.status === 'queued') {
      const total = await countRecipients(pool, send.listId);
      await setSendTotal(pool, send.id, total);
      if (await transitionSend(pool, send.id, ['scheduled', 'queued'], 'fanning_out')) log.info({ event: 'send.started', total }, 'send started');
      send = await getSend(pool, send.id);
    }
    if (send.status !== 'fanning_out') {
      log.info({ event: 'fanout.skipped', status: send.status }, 'fan-out not needed');
      return { queued: 0 };
    }

    // Pages are pipelined: while one page's jobs go to Redis, the next page's deliveries are created in
    // PostgreSQL. The cursor only moves past a page once its jobs are queued.
    let cursor = send.fanoutCursor;
    let queued = 0;
    let inFlight: { done: Promise<void>; cursor: number; count: number } | undefined;
    const ahead = services.config.fanoutAhead;
    const pageSize = fanoutPageSize(ahead, FANOUT_PAGE_SIZE);
    const room: FanoutRoom = {
      backlog: () => deliverBacklog(queues),
      stillFanningOut: async () => (await getSendStatus(pool, send.id)) === 'fanning_out',
      signal,
    };
    const settle = async () => {
      if (!inFlight) return;
      await inFlight.done;
      queued += inFlight.count;
      await setFanoutCursor(pool, send.id, inFlight.cursor, 0);
      inFlight = undefined;
    };
    for (;;) {
      if ((await waitForRoom(room, ahead, inFlight?.count ?? 0, pageSize)) === 'stopped') {
        await settle();
        log.info({ event: 'fanout.stopped', cursor }, 'fan-out stopped while waiting for the senders');
        return { queued };
      }
      const page = await inTransaction(pool, (client) => createDeliveryPage(client, send.id, send.listId, cursor, pageSize));
      await settle();
      if (page.lastSubscriberId === null) break;
      // Paused or cancelled meanwhile: stop here; resume continues from the cursor.
      const status = await getSendStatus(pool, send.id);
      if (status !== 'fanning_out') {
        log.info({ event: 'fanout.stopped', status, cursor }, 'fan-out stopped');
        return { queued };
      }
      inFlight = { done: enqueueDeliveries(queues, page.queuedDeliveryIds), cursor: page.lastSubscriberId, count: page.queuedDeliveryIds.length };
      cursor = page.lastSubscriberId;
      await job.updateProgress({ queued });
    }
    await markFannedOut(pool, send.id);
    await transitionSend(pool, send.id, ['fanning_out'], 'sending');
    // An empty list, or one whose deliveries all finished during the fan-out, is done now.
    const finished = await finishSendsIfDone(pool, [send.id]);
    log.info({ event: 'fanout.finished', queued, finished: finished.length > 0 }, 'fan-out finished');
    return { queued };
  };
}
