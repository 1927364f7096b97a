import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, deliverJobId, DELIVER_JOB_OPTIONS, enqueueDeliveries, type Queues } from '../src/queue/queues';
import { removeQueueKeys } from './helpers';

// enqueueDeliveries on the real Redis: jobs due now go through BullMQ's addJobs from their stored form (no Job
// objects), and must be stored exactly as Queue.addBulk would store them.

describe('enqueueDeliveries (Redis)', () => {
  const prefix = `tidings-test-enqueue-${process.pid}-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let queues: Queues;
  beforeAll(async () => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    queues = createQueues(redis, prefix);
    // Nothing takes the jobs: they stay as stored.
    await queues.deliver.pause();
  });
  afterAll(async () => {
    await queues?.close();
    redis?.disconnect();
    await removeQueueKeys(prefix);
  });

  const stored = (deliveryId: number) => redis.hgetall(`${prefix}:deliver:${deliverJobId(deliveryId)}`);

  it('stores a job due now as Queue.addBulk stores it, and queuing it again adds nothing', async () => {
    await queues.deliver.addBulk([{ name: 'd', data: { deliveryId: 1 }, opts: { ...DELIVER_JOB_OPTIONS, jobId: deliverJobId(1) } }]);
    await enqueueDeliveries(queues, [2, 3]);
    const [byAddBulk, ours] = await Promise.all([stored(1), stored(2)]);
    const withoutTime = ({ timestamp, ...rest }: Record<string, string>) => (expect(Number(timestamp)).toBeGreaterThan(0), rest);
    expect(withoutTime(ours)).toEqual({ ...withoutTime(byAddBulk), data: JSON.stringify({ deliveryId: 2 }), opts: byAddBulk.opts.replace(deliverJobId(1), deliverJobId(2)) });
    const job = await queues.deliver.getJob(deliverJobId(3));
    expect(job?.data).toEqual({ deliveryId: 3 });
    expect(job?.opts).toMatchObject({ jobId: deliverJobId(3), attempts: 0 });

    await enqueueDeliveries(queues, [2, 3]);
    expect(await queues.deliver.getWaitingCount()).toBe(3);
  });

  it('a delivery whose retry is due later waits as a delayed job; one due already is waiting now', async () => {
    const later = new Date(Date.now() + 60_000);
    await enqueueDeliveries(queues, [10, 11, 12], new Map([[10, later], [11, new Date(Date.now() - 1000)]]));
    expect(await queues.deliver.getJobState(deliverJobId(10))).toBe('delayed');
    expect(await queues.deliver.getJobState(deliverJobId(11))).toBe('waiting');
    expect(await queues.deliver.getJobState(deliverJobId(12))).toBe('waiting');
    const delayed = await queues.deliver.getJob(deliverJobId(10));
    expect(delayed!.timestamp + delayed!.delay).toBeGreaterThanOrEqual(later.getTime() - 100);
  });

  it('queues a page of thousands in chunks, each job once', async () => {
    const ids = Array.from({ length: 2_345 }, (_, i) => 1_000 + i);
    const before = await queues.deliver.getWaitingCount();
    await enqueueDeliveries(queues, ids);
    expect((await queues.deliver.getWaitingCount()) - before).toBe(ids.length);
    const waiting = await queues.deliver.getWaiting(0, -1);
    expect(new Set(waiting.map((j) => j.id)).size).toBe(waiting.length);
  });
});
