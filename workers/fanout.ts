import { DelayedError, type Job } from 'bullmq';
import type { Config } from '../src/config';
import type { FanoutPage } from '../src/db/deliveries';
import type { FanoutRange } from '../src/db/fanout-ranges';
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
  /** Creates the deliveries of the next page of recipients after the cursor (up to `until`), in one transaction. */
  createDeliveryPage(sendId: number, listId: number, afterSubscriberId: number, pageSize: number, segment: SegmentDefinition | null, until?: number): Promise<FanoutPage>;
  setFanoutCursor(sendId: number, cursor: number): Promise<void>;
  /** The send's fan-out ranges, made on the first call ([] when it stays one job). */
  planFanoutRanges(sendId: number, listId: number, parts: number): Promise<FanoutRange[]>;
  getFanoutRange(sendId: number, rangeNo: number): Promise<FanoutRange | null>;
  setFanoutRangeCursor(sendId: number, rangeNo: number, cursor: number): Promise<void>;
  /** Marks a range done; true when none of the send is left. */
  finishFanoutRange(sendId: number, rangeNo: number): Promise<boolean>;
  markFannedOut(sendId: number): Promise<void>;
  finishSendsIfDone(sendIds: number[]): Promise<number[]>;
}

/** The deliver queue as the fan-out uses it. */
export interface FanoutQueue {
  /** Queues one deliver job per delivery id (enqueueDeliveries). */
  enqueueDeliveries(deliveryIds: number[]): Promise<void>;
  /** Deliver jobs waiting for a sender now (deliverBacklog). */
  backlog(): Promise<number>;
  /** Adds the fan-out jobs of these ranges of a send, unless they are in Redis already (enqueueFanoutRanges). */
  enqueueRanges(sendId: number, ranges: number[]): Promise<void>;
}

/** What the fan-out works with: given, never taken from a services object. */
export interface FanoutDeps {
  store: FanoutStore;
  queue: FanoutQueue;
  log: Logger;
  config: Pick<Config, 'fanoutAhead'> & Partial<Pick<Config, 'fanoutJobs'>>;
  /** The largest page (FANOUT_PAGE_SIZE); FANOUT_AHEAD may make pages smaller. */
  maxPageSize?: number;
}

/**
 * How many ranges a send of `total` recipients is split into: FANOUT_JOBS, but no range smaller than a page,
 * and each range's share of FANOUT_AHEAD must hold two pages of at least one job.
 */
export function fanoutParts(total: number, jobs: number, maxPage: number, ahead: number): number {
  let parts = Math.min(jobs, Math.floor(total / maxPage));
  if (ahead > 0) parts = Math.min(parts, Math.floor(ahead / 2));
  return Math.max(1, parts);
}

/**
 * The fan-out job of a send: walks the list's recipients in keyset pages, creates their deliveries and
 * queues one deliver job each. The cursor is saved after each page is queued, so a fan-out that dies, or is
 * paused, continues from its last page; a page done twice creates and queues nothing twice. It stays at
 * most FANOUT_AHEAD jobs ahead of the senders (see fanout-backpressure.ts).
 *
 * A large list is split into FANOUT_JOBS ranges of subscriber ids (src/db/fanout-ranges.ts), each its own
 * job with its own cursor, so the workers fan it out side by side: the send's own job plans the ranges,
 * queues the jobs of the others and walks the first; whichever range ends last ends the fan-out. Each range
 * keeps within its share of FANOUT_AHEAD, so together they stay within it.
 */
export function createFanoutProcessor(deps: FanoutDeps) {
  const { store, queue } = deps;
  const maxPage = deps.maxPageSize ?? FANOUT_PAGE_SIZE;
  return async function fanout(job: Job<FanoutJobData>, token?: string, signal?: AbortSignal): Promise<{ queued: number }> {
    const log = deps.log.child({ sendId: job.data.sendId, ...(job.data.range === undefined ? {} : { range: job.data.range }) });
    let send = await store.getSend(job.data.sendId);
    if (job.data.range === undefined) {
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
    }
    if (send.status !== 'fanning_out') {
      log.info({ event: 'fanout.skipped', status: send.status }, 'fan-out not needed');
      return { queued: 0 };
    }
    const ahead = deps.config.fanoutAhead;
    const parts = fanoutParts(send.total, deps.config.fanoutJobs ?? 1, maxPage, ahead);

    let range: FanoutRange | null;
    if (job.data.range === undefined) {
      const ranges = await store.planFanoutRanges(send.id, send.listId, parts);
      if (ranges.length === 0) {
        // One job for the whole list, its cursor on the send.
        const walked = await walk(send, job, signal, log, ahead, fanoutPageSize(ahead, maxPage), { after: send.fanoutCursor, until: undefined, save: (c) => store.setFanoutCursor(send.id, c) });
        if (walked.finished) await endFanout(send.id, walked.queued, log);
        return { queued: walked.queued };
      }
      const others = ranges.filter((r) => r.rangeNo !== 0 && !r.done).map((r) => r.rangeNo);
      if (others.length) await queue.enqueueRanges(send.id, others);
      range = ranges.find((r) => r.rangeNo === 0) ?? null;
      if (!range || range.done) return { queued: 0 };
    } else {
      range = await store.getFanoutRange(send.id, job.data.range);
      if (!range) return { queued: 0 };
      if (range.done) {
        // Done, but the fan-out may not have been ended (a crash right after): ending it again is harmless.
        if (await store.finishFanoutRange(send.id, range.rangeNo)) await endFanout(send.id, 0, log);
        return { queued: 0 };
      }
    }
    const rangeNo = range.rangeNo;
    // Each range walks with pages that fit its share of FANOUT_AHEAD, and waits as if the other ranges each had
    // two pages on their way to Redis (the most a range has unseen), so together they never pass FANOUT_AHEAD.
    const pageSize = fanoutPageSize(Math.floor(ahead / parts), maxPage);
    const room = ahead > 0 ? ahead - (parts - 1) * 2 * pageSize : 0;
    const walked = await walk(send, job, signal, log, room, pageSize, {
      after: range.cursor,
      until: range.lastSubscriberId,
      save: (c) => store.setFanoutRangeCursor(send.id, rangeNo, c),
    });
    if (walked.finished && (await store.finishFanoutRange(send.id, rangeNo))) await endFanout(send.id, walked.queued, log);
    return { queued: walked.queued };
  };

  /** The list (or one range of it) is fanned out: the send moves on to sending, or finishes if nothing is left. */
  async function endFanout(sendId: number, queued: number, log: Logger): Promise<void> {
    await store.markFannedOut(sendId);
    await store.transitionSend(sendId, ['fanning_out'], 'sending');
    // An empty list, or one whose deliveries all finished during the fan-out, is done now.
    const finished = await store.finishSendsIfDone([sendId]);
    log.info({ event: 'fanout.finished', queued, finished: finished.length > 0 }, 'fan-out finished');
  }

  /**
   * Walks recipients after `after` (up to `until`) page by page. Pages are pipelined: while one page's jobs go
   * to Redis, the next page's deliveries are created in PostgreSQL. The cursor only moves past a page once
   * its jobs are queued. `finished`: it reached the end (false when it stopped for a pause or a shutdown).
   */
  async function walk(
    send: Send,
    job: Job<FanoutJobData>,
    signal: AbortSignal | undefined,
    log: Logger,
    ahead: number,
    pageSize: number,
    bounds: { after: number; until: number | undefined; save: (cursor: number) => Promise<void> },
  ): Promise<{ queued: number; finished: boolean }> {
    let cursor = bounds.after;
    let queued = 0;
    let inFlight: { done: Promise<void>; cursor: number; count: number } | undefined;
    const room: FanoutRoom = {
      backlog: () => queue.backlog(),
      stillFanningOut: async () => (await store.getSendStatus(send.id)) === 'fanning_out',
      signal,
    };
    const settle = async () => {
      if (!inFlight) return;
      await inFlight.done;
      queued += inFlight.count;
      await bounds.save(inFlight.cursor);
      inFlight = undefined;
    };
    for (;;) {
      if ((await waitForRoom(room, ahead, inFlight?.count ?? 0, pageSize)) === 'stopped') {
        await settle();
        log.info({ event: 'fanout.stopped', cursor }, 'fan-out stopped while waiting for the senders');
        return { queued, finished: false };
      }
      const page = await store.createDeliveryPage(send.id, send.listId, cursor, pageSize, send.segment, bounds.until);
      await settle();
      if (page.lastSubscriberId === null) return { queued, finished: true };
      // Paused or cancelled meanwhile: stop here; resume continues from the cursor.
      const status = await store.getSendStatus(send.id);
      if (status !== 'fanning_out') {
        log.info({ event: 'fanout.stopped', status, cursor }, 'fan-out stopped');
        return { queued, finished: false };
      }
      const done = queue.enqueueDeliveries(page.queuedDeliveryIds);
      // Awaited in the next settle(), after the next page's round trip: until then a failure must not count
      // as an unhandled rejection (which ends the process).
      done.catch(() => {});
      inFlight = { done, cursor: page.lastSubscriberId, count: page.queuedDeliveryIds.length };
      cursor = page.lastSubscriberId;
      // A short page, or one that reached the end of the range, was the last: no need to wait for room only
      // to be told so (a range waiting for the senders would hold up the end of the fan-out).
      if ((page.recipients !== undefined && page.recipients < pageSize) || (bounds.until !== undefined && cursor >= bounds.until)) {
        await settle();
        return { queued, finished: true };
      }
      await job.updateProgress({ queued });
    }
  }
}
