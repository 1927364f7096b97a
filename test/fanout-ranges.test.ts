import { Worker, type Job } from 'bullmq';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFanoutStore } from '../src/db/fanout-store';
import { finishFanoutRange, planFanoutRanges } from '../src/db/fanout-ranges';
import { createRedis, deliverBacklog, enqueueDeliveries, enqueueFanout, enqueueFanoutRanges, FANOUT_QUEUE, type FanoutJobData } from '../src/queue/queues';
import { startSend } from '../src/send/control';
import { createFanoutProcessor } from '../workers/fanout';
import { deliveryStates, seedSend, sendStatus, startStack, waitFor, type TestStack } from './helpers';

// A send split into range jobs, on the real PostgreSQL and Redis: the processor of workers/fanout.ts with
// pages of 4 (a real worker's pages are 5,000, so only lists of 10,000 and more are split there).

describe('fan-out ranges (PostgreSQL and Redis)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => stack?.close());

  function processor() {
    const { services } = stack;
    return createFanoutProcessor({
      store: createFanoutStore(services.pool),
      queue: {
        enqueueDeliveries: (ids) => enqueueDeliveries(services.queues, ids),
        backlog: () => deliverBacklog(services.queues),
        enqueueRanges: (sendId, ranges) => enqueueFanoutRanges(services.queues, sendId, ranges),
      },
      log: pino({ level: 'silent' }),
      config: { fanoutAhead: 0, fanoutJobs: 3 },
      maxPageSize: 4,
    });
  }

  function fanoutWorker() {
    const { services } = stack;
    const connection = createRedis(services.config);
    const worker = new Worker<FanoutJobData>(FANOUT_QUEUE, processor(), { connection, prefix: services.config.queuePrefix, concurrency: 3 });
    return { worker, close: async () => { await worker.close(); connection.disconnect(); } };
  }

  it('cuts the list into ranges that cover every recipient once, and only the last range to finish says so', async () => {
    const { pool } = stack.services;
    const { listId, issueId } = await seedSend(stack, 'cuts', 30);
    const { rows } = await pool.query<{ id: number }>("INSERT INTO sends (issue_id, list_id, status) VALUES ($1, $2, 'fanning_out') RETURNING id", [issueId, listId]);
    const sendId = rows[0].id;
    const ranges = await planFanoutRanges(pool, sendId, listId, 3);
    expect(ranges).toHaveLength(3);
    // Planned once: a second call (another worker, a restart) gets the same ranges.
    expect(await planFanoutRanges(pool, sendId, listId, 5)).toEqual(ranges);
    const ids = (await pool.query<{ id: number }>('SELECT subscriber_id AS id FROM subscriptions WHERE list_id = $1 ORDER BY 1', [listId])).rows.map((r) => r.id);
    const per = ranges.map((r) => ids.filter((id) => id > r.afterSubscriberId && id <= r.lastSubscriberId).length);
    expect(per).toEqual([10, 10, 10]);
    expect(await finishFanoutRange(pool, sendId, 0)).toBe(false);
    const last = await Promise.all([finishFanoutRange(pool, sendId, 1), finishFanoutRange(pool, sendId, 2)]);
    expect(last.filter(Boolean)).toHaveLength(1);
  });

  it('a split send queues one deliver job per recipient across its range jobs, and ends its fan-out once', async () => {
    const { services } = stack;
    const { issueId } = await seedSend(stack, 'split', 41);
    // Paused: nothing takes the deliver jobs, so Redis shows exactly what the fan-out queued.
    await services.queues.deliver.pause();
    const { send } = await startSend(services, issueId, 'split');
    const fanout = fanoutWorker();
    try {
      await waitFor(async () => (await sendStatus(stack, send.id)).status === 'sending');
      const ranges = await services.pool.query('SELECT range_no, done FROM fanout_ranges WHERE send_id = $1 ORDER BY range_no', [send.id]);
      expect(ranges.rows).toEqual([0, 1, 2].map((n) => ({ range_no: n, done: true })));
      expect(await deliveryStates(stack, send.id)).toEqual({ queued: 41 });
      const jobs = await services.queues.deliver.getJobs(['waiting']);
      const deliveries = (await services.pool.query<{ id: number }>('SELECT id FROM deliveries WHERE send_id = $1', [send.id])).rows.map((r) => r.id);
      expect(new Set(jobs.map((j) => j.data.deliveryId))).toEqual(new Set(deliveries));
      expect(jobs).toHaveLength(41);
      expect((await services.pool.query('SELECT total, fanned_out_at FROM sends WHERE id = $1', [send.id])).rows[0]).toMatchObject({ total: 41, fanned_out_at: expect.any(Date) });
    } finally {
      await fanout.close();
      await services.queues.deliver.obliterate({ force: true });
      await services.queues.deliver.resume();
    }
  });

  it('after Redis lost every job mid-way, the send\'s job added again resumes each range from its cursor, queuing no one twice', async () => {
    const { services } = stack;
    const { issueId } = await seedSend(stack, 'wiped', 36);
    await services.queues.deliver.pause();
    const { send } = await startSend(services, issueId, 'wiped');
    // The send's own job runs (it plans, queues ranges 1 and 2, walks range 0), then Redis loses everything
    // before the other two ran.
    const ownJob = { data: { sendId: send.id }, updateProgress: async () => {} } as unknown as Job<FanoutJobData>;
    await processor()(ownJob);
    // (The send's own job, added by startSend, waits there too: this test ran its processor by hand.)
    expect((await services.queues.fanout.getJobs(['waiting'])).map((j) => j.data.range).sort()).toEqual([1, 2, undefined]);
    const ranges = (await services.pool.query('SELECT range_no, done FROM fanout_ranges WHERE send_id = $1 ORDER BY range_no', [send.id])).rows;
    expect(ranges.map((r) => r.done)).toEqual([true, false, false]);
    const beforeWipe = (await deliveryStates(stack, send.id)).queued;
    expect(beforeWipe).toBe(12);
    await services.queues.fanout.obliterate({ force: true });
    await services.queues.deliver.obliterate({ force: true });
    // What the reconciler does after a wipe: the send's fan-out job again.
    expect(await enqueueFanout(services.queues, send.id)).toBe(true);
    const second = fanoutWorker();
    try {
      await waitFor(async () => (await sendStatus(stack, send.id)).status === 'sending');
      expect(await deliveryStates(stack, send.id)).toEqual({ queued: 36 });
      expect((await services.pool.query('SELECT count(*)::int AS n FROM fanout_ranges WHERE send_id = $1 AND done', [send.id])).rows[0].n).toBe(3);
      // Ranges 1 and 2 queued their 24 again; range 0's 12 jobs, lost with Redis, are the reconciler's to
      // restore from PostgreSQL (requeueSend), not the fan-out's: it never walks a finished range again.
      expect(await services.queues.deliver.getJobs(['waiting'])).toHaveLength(24);
    } finally {
      await second.close();
      await services.queues.deliver.obliterate({ force: true });
      await services.queues.deliver.resume();
    }
  });
});
