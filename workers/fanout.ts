import { DelayedError, type Job } from 'bullmq';
import type { Config } from '../src/config';
import type { FanoutPage } from '../src/db/deliveries';
import type { Send } from '../src/db/sends';
import type { SendStatus } from '../src/db/states';
import type { Logger } from '../src/log';
import type { SegmentDefinition } from '../src/segments/definition';
import type { FanoutJobData } from '../src/queue/queues';
import { fanoutPageSize, waitForRoom, type FanoutRoom } from '../src/send/fanout-backpressure';

export const FANOUT_PAGE_SIZE = 5_000;

/** The rows the fan-out reads and writes (src/db/fanout-store.ts implements it over PostgreSQL). */
export interface FanoutStore {
  getSend(sendId: number): Promise<Send>;
  getSendStatus(sendId: number): Promise<SendStatus>;
  /** Recipients of the list, or of a segment of it. */
  countRecipients(listId: number, segment: SegmentDefinition | null): Promise<number>;
  setSendTotal(sendId: number, total: number): Promise<void>;
  /** Moves a send from one of `from` to `to`; false when it was in another state. */
  transitionSend(sendId: number, from: readonly SendStatus[], to: SendStatus): Promise<boolean>;
  /** Creates the deliveries of the next page of recipients after the cursor, in one transaction. */
  createDeliveryPage(sendId: number, listId: number, afterSubscriberId: number, pageSize: number, segment: SegmentDefinition | null): Promise<FanoutPage>;
  setFanoutCursor(sendId: number, cursor: number): Promise<void>;
  markFannedOut(sendId: number): Promise<void>;
  finishSendsIfDone(sendIds: number[]): Promise<number[]>;
}

/** The deliver queue as the fan-out uses it. */
export interface FanoutQueue {
  /** Queues one deliver job per delivery id (enqueueDeliveries). */
  enqueueDeliveries(deliveryIds: number[]): Promise<void>;
  /** Deliver jobs waiting for a sender now (deliverBacklog). */
  backlog(): Promise<number>;
}

/** What the fan-out works with: given, never taken from a services object. */
export interface FanoutDeps {
  store: FanoutStore;
  queue: FanoutQueue;
  log: Logger;
  config: Pick<Config, 'fanoutAhead'>;
  /** The largest page (FANOUT_PAGE_SIZE); FANOUT_AHEAD may make pages smaller. */
  maxPageSize?: number;
}

/**
 * The fan-out job of a send: walks the list's recipients in keyset pages, creates their deliveries and
 * queues one deliver job each. The cursor is saved after each page is queued, so a fan-out that dies, or is
 * paused, continues from its last page; a page done twice creates and queues nothing twice. It stays at
 * most FANOUT_AHEAD jobs ahead of the senders (see fanout-backpressure.ts).
 */
export function createFanoutProcessor(deps: FanoutDeps) {
  const { store, queue } = deps;
  return async function fanout(job: Job<FanoutJobData>, token?: string, signal?: AbortSignal): Promise<{ queued: number }> {
    const log = deps.log.child({ sendId: job.data.sendId });
    let send = await store.getSend(job.data.sendId);
    if (send.status === 'scheduled' && send.scheduledAt && send.scheduledAt.getTime() > Date.now() + 1000) {
      // Too early (e.g. re-added by the reconciler without its delay): wait until the scheduled time.
      await job.moveToDelayed(send.scheduledAt.getTime(), token);
      throw new DelayedError();
    }
    if (send.status === 'scheduled' || send.status === 'queued') {
      const total = await store.countRecipients(send.listId, send.segment);
      await store.setSendTotal(send.id, total);
      if (await store.transitionSend(send.id, ['scheduled', 'queued'], 'fanning_out')) log.info({ event: 'send.started', total }, 'send started');
      send = await store.getSend(send.id);
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
    const ahead = deps.config.fanoutAhead;
    const pageSize = fanoutPageSize(ahead, deps.maxPageSize ?? FANOUT_PAGE_SIZE);
    const room: FanoutRoom = {
      backlog: () => queue.backlog(),
      stillFanningOut: async () => (await store.getSendStatus(send.id)) === 'fanning_out',
      signal,
    };
    const settle = async () => {
      if (!inFlight) return;
      await inFlight.done;
      queued += inFlight.count;
      await store.setFanoutCursor(send.id, inFlight.cursor);
      inFlight = undefined;
    };
    for (;;) {
      if ((await waitForRoom(room, ahead, inFlight?.count ?? 0, pageSize)) === 'stopped') {
        await settle();
        log.info({ event: 'fanout.stopped', cursor }, 'fan-out stopped while waiting for the senders');
        return { queued };
      }
      const page = await store.createDeliveryPage(send.id, send.listId, cursor, pageSize, send.segment);
      await settle();
      if (page.lastSubscriberId === null) break;
      // Paused or cancelled meanwhile: stop here; resume continues from the cursor.
      const status = await store.getSendStatus(send.id);
      if (status !== 'fanning_out') {
        log.info({ event: 'fanout.stopped', status, cursor }, 'fan-out stopped');
        return { queued };
      }
      const done = queue.enqueueDeliveries(page.queuedDeliveryIds);
      // Awaited in the next settle(), after the next page's round trip: until then a failure must not count
      // as an unhandled rejection (which ends the process).
      done.catch(() => {});
      inFlight = { done, cursor: page.lastSubscriberId, count: page.queuedDeliveryIds.length };
      cursor = page.lastSubscriberId;
      await job.updateProgress({ queued });
    }
    await store.markFannedOut(send.id);
    await store.transitionSend(send.id, ['fanning_out'], 'sending');
    // An empty list, or one whose deliveries all finished during the fan-out, is done now.
    const finished = await store.finishSendsIfDone([send.id]);
    log.info({ event: 'fanout.finished', queued, finished: finished.length > 0 }, 'fan-out finished');
    return { queued };
  };
}
