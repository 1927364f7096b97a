import { DelayedError, type Job } from 'bullmq';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FanoutPage } from '../src/db/deliveries';
import type { FanoutRange } from '../src/db/fanout-ranges';
import type { Send } from '../src/db/sends';
import type { SendStatus } from '../src/db/states';
import type { FanoutJobData } from '../src/queue/queues';
import { createFanoutProcessor, fanoutParts, type FanoutStore } from '../workers/fanout';

// The fan-out's decisions with plain in-memory fakes (no PostgreSQL or Redis); sending-control and
// sending-processes run the same processor against the real services.

const log = pino({ level: 'silent' });

/** The rules of src/db's fan-out queries over maps: one list of recipients, deliveries unique per subscriber. */
class MemoryFanoutStore implements FanoutStore {
  send: Send;
  readonly recipients: number[];
  /** subscriber id → delivery */
  readonly deliveries = new Map<number, { id: number; status: string }>();
  readonly ranges: FanoutRange[] = [];
  private nextId = 100;

  constructor(recipients: number[], status: SendStatus = 'queued', scheduledAt: Date | null = null) {
    this.recipients = [...recipients].sort((a, b) => a - b);
    const now = new Date();
    this.send = { id: 1, issueId: 1, listId: 1, status, statusReason: null, total: 0, fanoutCursor: 0, scheduledAt, fannedOutAt: null, startedAt: null, finishedAt: null, createdAt: now, segment: null, segmentId: null };
  }

  async getSend() {
    return { ...this.send };
  }
  async getSendStatus() {
    return this.send.status;
  }
  async countRecipients() {
    return this.recipients.length;
  }
  async setSendTotal(_: number, total: number) {
    this.send.total = total;
  }
  async transitionSend(_: number, from: readonly SendStatus[], to: SendStatus) {
    if (!from.includes(this.send.status)) return false;
    this.send.status = to;
    return true;
  }
  async createDeliveryPage(_s: number, _l: number, after: number, pageSize: number, _segment: unknown, until = Infinity): Promise<FanoutPage> {
    // A round trip's worth of waiting: the previous page's jobs are going to Redis meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    const page = this.recipients.filter((id) => id > after && id <= until).slice(0, pageSize);
    if (page.length === 0) return { lastSubscriberId: null, queuedDeliveryIds: [] };
    for (const subscriberId of page) if (!this.deliveries.has(subscriberId)) this.deliveries.set(subscriberId, { id: this.nextId++, status: 'queued' });
    return {
      lastSubscriberId: page[page.length - 1],
      queuedDeliveryIds: page.map((s) => this.deliveries.get(s)!).filter((d) => d.status === 'queued').map((d) => d.id),
      recipients: page.length,
    };
  }
  async setFanoutCursor(_: number, cursor: number) {
    this.send.fanoutCursor = cursor;
  }
  /** As planFanoutRanges: cuts at percentile_disc of the recipients' ids. */
  async planFanoutRanges(_s: number, _l: number, parts: number) {
    if (this.ranges.length || parts < 2 || this.send.fanoutCursor > 0) return this.ranges.map((r) => ({ ...r }));
    const n = this.recipients.length;
    const cuts = [...new Set(Array.from({ length: parts - 1 }, (_, i) => this.recipients[Math.ceil(((i + 1) / parts) * n) - 1]))];
    const bounds = [0, ...cuts, Number.MAX_SAFE_INTEGER];
    for (let i = 1; i < bounds.length; i++) this.ranges.push({ rangeNo: i - 1, afterSubscriberId: bounds[i - 1], lastSubscriberId: bounds[i], cursor: bounds[i - 1], done: false });
    return this.ranges.map((r) => ({ ...r }));
  }
  async getFanoutRange(_s: number, rangeNo: number) {
    const range = this.ranges.find((r) => r.rangeNo === rangeNo);
    return range ? { ...range } : null;
  }
  async setFanoutRangeCursor(_s: number, rangeNo: number, cursor: number) {
    this.ranges.find((r) => r.rangeNo === rangeNo)!.cursor = cursor;
  }
  async finishFanoutRange(_s: number, rangeNo: number) {
    this.ranges.find((r) => r.rangeNo === rangeNo)!.done = true;
    return this.ranges.every((r) => r.done);
  }
  async markFannedOut() {
    this.send.total = this.deliveries.size;
    this.send.fannedOutAt = new Date();
  }
  async finishSendsIfDone(ids: number[]) {
    const left = [...this.deliveries.values()].some((d) => ['queued', 'sending', 'retrying'].includes(d.status));
    if (this.send.status !== 'sending' || left) return [];
    this.send.status = 'finished';
    return ids;
  }
}

function fanoutJob(range?: number) {
  const delayedUntil: number[] = [];
  const progress: unknown[] = [];
  const j = {
    data: range === undefined ? { sendId: 1 } : { sendId: 1, range },
    moveToDelayed: async (at: number) => void delayedUntil.push(at),
    updateProgress: async (p: unknown) => void progress.push(p),
  };
  return { job: j as unknown as Job<FanoutJobData>, delayedUntil, progress };
}

function setup(store: MemoryFanoutStore, onEnqueue: (ids: number[]) => void = () => {}, fanoutJobs = 1) {
  const queued: number[] = [];
  /** Range jobs the fan-out asked for, in order. */
  const rangeJobs: number[] = [];
  const fanout = createFanoutProcessor({
    store,
    queue: {
      enqueueDeliveries: async (ids) => {
        onEnqueue(ids);
        queued.push(...ids);
      },
      backlog: async () => 0,
      enqueueRanges: async (_sendId, ranges) => void rangeJobs.push(...ranges),
    },
    log,
    // FANOUT_AHEAD off: pages of two, never waiting for the senders.
    config: { fanoutAhead: 0, fanoutJobs },
    maxPageSize: 2,
  });
  return { fanout, queued, rangeJobs };
}

describe('the fan-out processor, with in-memory fakes', () => {
  it('creates and queues one delivery per recipient, page by page, then the send is sending', async () => {
    const store = new MemoryFanoutStore([3, 1, 9, 4, 7]);
    const { fanout, queued } = setup(store);
    await expect(fanout(fanoutJob().job)).resolves.toEqual({ queued: 5 });
    expect(store.deliveries.size).toBe(5);
    expect(new Set(queued).size).toBe(5);
    expect(queued).toHaveLength(5);
    expect(store.send).toMatchObject({ status: 'sending', total: 5, fanoutCursor: 9 });
    expect(store.send.fannedOutAt).toBeInstanceOf(Date);
  });

  it('finishes a send to an empty list at once', async () => {
    const store = new MemoryFanoutStore([]);
    const { fanout, queued } = setup(store);
    await expect(fanout(fanoutJob().job)).resolves.toEqual({ queued: 0 });
    expect(queued).toEqual([]);
    expect(store.send.status).toBe('finished');
  });

  it('waits for a scheduled send whose time has not come', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const store = new MemoryFanoutStore([1, 2], 'scheduled', at);
    const { fanout, queued } = setup(store);
    const { job, delayedUntil } = fanoutJob();
    await expect(fanout(job)).rejects.toBeInstanceOf(DelayedError);
    expect(delayedUntil).toEqual([at.getTime()]);
    expect(store.send.status).toBe('scheduled');
    expect(queued).toEqual([]);
  });

  it('does nothing for a send that was cancelled before its fan-out ran', async () => {
    const store = new MemoryFanoutStore([1, 2], 'cancelled');
    const { fanout, queued } = setup(store);
    await expect(fanout(fanoutJob().job)).resolves.toEqual({ queued: 0 });
    expect(queued).toEqual([]);
    expect(store.deliveries.size).toBe(0);
  });

  it('stops when the send is paused mid-way, and on resume continues from its cursor without queuing anyone twice', async () => {
    const store = new MemoryFanoutStore([1, 2, 3, 4, 5, 6]);
    let pages = 0;
    const { fanout, queued } = setup(store, () => {
      if (++pages === 2) store.send.status = 'paused';
    });
    const first = await fanout(fanoutJob().job);
    expect(store.send.status).toBe('paused');
    expect(first.queued).toBeLessThan(6);
    expect(store.send.fanoutCursor).toBe(4);
    // Resume puts it back to fanning_out (markResumed); the job runs again.
    store.send.status = 'fanning_out';
    await fanout(fanoutJob().job);
    expect([...queued].sort((a, b) => a - b)).toEqual([...store.deliveries.values()].map((d) => d.id).sort((a, b) => a - b));
    expect(queued).toHaveLength(6);
    expect(store.send.status).toBe('sending');
  });

  it('after dying between creating a page and queuing it, creates no delivery twice', async () => {
    const store = new MemoryFanoutStore([1, 2, 3, 4, 5]);
    let calls = 0;
    const { fanout, queued } = setup(store, () => {
      if (++calls === 2) throw new Error('Redis went away');
    });
    await expect(fanout(fanoutJob().job)).rejects.toThrow('Redis went away');
    // The page whose jobs did not go out is not behind the cursor: the retry does it again.
    expect(store.send.fanoutCursor).toBe(2);
    await fanout(fanoutJob().job);
    expect(store.deliveries.size).toBe(5);
    expect(new Set(queued)).toEqual(new Set([...store.deliveries.values()].map((d) => d.id)));
    expect(store.send).toMatchObject({ status: 'sending', total: 5 });
  });
});

describe('a large send fanned out as several range jobs, with in-memory fakes', () => {
  const recipients = Array.from({ length: 12 }, (_, i) => 10 + i * 3);

  it('the send\'s job plans the ranges, queues the others and walks the first; the last range to end starts the sending', async () => {
    const store = new MemoryFanoutStore(recipients);
    const { fanout, queued, rangeJobs } = setup(store, () => {}, 3);
    await fanout(fanoutJob().job);
    expect(store.ranges.map((r) => [r.afterSubscriberId, r.lastSubscriberId])).toEqual([[0, 19], [19, 31], [31, Number.MAX_SAFE_INTEGER]]);
    expect(rangeJobs).toEqual([1, 2]);
    expect(queued).toHaveLength(4);
    expect(store.send.status).toBe('fanning_out');
    // The ranges run in any order; only the one that ends last moves the send on.
    await fanout(fanoutJob(2).job);
    expect(store.send.status).toBe('fanning_out');
    await fanout(fanoutJob(1).job);
    expect(store.send).toMatchObject({ status: 'sending', total: 12 });
    expect(queued).toHaveLength(12);
    expect(new Set(queued)).toEqual(new Set([...store.deliveries.values()].map((d) => d.id)));
    expect(store.ranges.map((r) => r.cursor)).toEqual([19, 31, 43]);
  });

  it('a range that dies resumes from its own cursor; running the send\'s job again re-queues only the ranges not done', async () => {
    const store = new MemoryFanoutStore(recipients);
    let calls = 0;
    const { fanout, queued, rangeJobs } = setup(store, () => {
      // Pages 1-2 are range 0's, 3-4 range 2's; the second page of range 1 (subscribers 28, 31) fails on its way to Redis.
      if (++calls === 6) throw new Error('Redis went away');
    }, 3);
    await fanout(fanoutJob().job);
    await fanout(fanoutJob(2).job);
    await expect(fanout(fanoutJob(1).job)).rejects.toThrow('Redis went away');
    expect(store.ranges.map((r) => [r.cursor, r.done])).toEqual([[19, true], [25, false], [43, true]]);
    expect(store.send.status).toBe('fanning_out');
    // The reconciler adds the send's job again (after a Redis wipe, say): it asks only for range 1.
    rangeJobs.length = 0;
    await fanout(fanoutJob().job);
    expect(rangeJobs).toEqual([1]);
    await fanout(fanoutJob(1).job);
    expect(store.send).toMatchObject({ status: 'sending', total: 12 });
    expect(store.deliveries.size).toBe(12);
    expect(new Set(queued)).toEqual(new Set([...store.deliveries.values()].map((d) => d.id)));
    // A range job run once more after the end changes nothing and queues nothing.
    const before = queued.length;
    await expect(fanout(fanoutJob(0).job)).resolves.toEqual({ queued: 0 });
    expect(queued).toHaveLength(before);
  });

  it('ranges running at once stay within FANOUT_AHEAD together, and each ends without waiting once its last page is queued', async () => {
    const store = new MemoryFanoutStore(Array.from({ length: 60 }, (_, i) => i + 1));
    const ahead = 12;
    let waiting = 0;
    let peak = 0;
    const rangeJobs: number[] = [];
    const fanout = createFanoutProcessor({
      store,
      queue: {
        enqueueDeliveries: async (ids) => {
          waiting += ids.length;
          peak = Math.max(peak, waiting);
        },
        backlog: async () => waiting,
        enqueueRanges: async (_sendId, ranges) => void rangeJobs.push(...ranges),
      },
      log,
      config: { fanoutAhead: ahead, fanoutJobs: 3 },
      maxPageSize: 4,
    });
    // A sender taking one job every millisecond.
    const sender = setInterval(() => (waiting = Math.max(0, waiting - 1)), 1);
    try {
      await fanout(fanoutJob().job);
      expect(rangeJobs).toEqual([1, 2]);
      await Promise.all(rangeJobs.map((r) => fanout(fanoutJob(r).job)));
    } finally {
      clearInterval(sender);
    }
    expect(store.send).toMatchObject({ status: 'sending', total: 60 });
    expect(store.deliveries.size).toBe(60);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(ahead);
  });

  it('a list smaller than a page per job stays one job, its cursor on the send', async () => {
    const store = new MemoryFanoutStore([1, 2, 3]);
    const { fanout, rangeJobs } = setup(store, () => {}, 4);
    await fanout(fanoutJob().job);
    expect(rangeJobs).toEqual([]);
    expect(store.ranges).toEqual([]);
    expect(store.send).toMatchObject({ status: 'sending', fanoutCursor: 3 });
  });

  it('splits into no more jobs than pages, and each range keeps two pages within its share of FANOUT_AHEAD', () => {
    expect(fanoutParts(1_000_000, 4, 5000, 50_000)).toBe(4);
    expect(fanoutParts(20_000, 4, 5000, 50_000)).toBe(4);
    expect(fanoutParts(12_000, 4, 5000, 50_000)).toBe(2);
    expect(fanoutParts(400, 4, 5000, 50_000)).toBe(1);
    expect(fanoutParts(1_000_000, 8, 5000, 6)).toBe(3);
    expect(fanoutParts(1_000_000, 4, 5000, 0)).toBe(4);
  });
});
