import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';

/** Queue names. With QUEUE_PREFIX, keys are `<prefix>:<name>:…`; `{tidings}` keeps them in one cluster slot. */
export const FANOUT_QUEUE = 'fanout';
export const DELIVER_QUEUE = 'deliver';

/** Job data holds ids only: job data sits in Redis in clear text, and the delivery row has everything else. */
export interface FanoutJobData {
  sendId: number;
}
export interface DeliverJobData {
  deliveryId: number;
}

/** The job id of a delivery: BullMQ ignores a second add with the same id, so a delivery is queued once. */
export const deliverJobId = (deliveryId: number) => `d${deliveryId}`;
export const fanoutJobId = (sendId: number) => `s${sendId}`;

export const DELIVER_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  // PostgreSQL is the record of every delivery; Redis keeps no finished jobs.
  removeOnComplete: true,
  removeOnFail: true,
};

export const FANOUT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: 100,
};

/** A Redis connection as BullMQ wants it for workers (blocking commands must not time out). */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
  redis.on('error', () => {});
  return redis;
}

export interface Queues {
  fanout: Queue<FanoutJobData>;
  deliver: Queue<DeliverJobData>;
  close(): Promise<void>;
}

export function createQueues(redis: Redis, prefix: string): Queues {
  const fanout = new Queue<FanoutJobData>(FANOUT_QUEUE, { connection: redis, prefix });
  const deliver = new Queue<DeliverJobData>(DELIVER_QUEUE, { connection: redis, prefix });
  fanout.on('error', () => {});
  deliver.on('error', () => {});
  return {
    fanout,
    deliver,
    async close() {
      await Promise.all([fanout.close(), deliver.close()]);
    },
  };
}

export async function enqueueDeliveries(queues: Queues, deliveryIds: number[]): Promise<void> {
  if (deliveryIds.length === 0) return;
  await queues.deliver.addBulk(
    deliveryIds.map((deliveryId) => ({
      name: 'deliver',
      data: { deliveryId },
      opts: { ...DELIVER_JOB_OPTIONS, jobId: deliverJobId(deliveryId) },
    })),
  );
}
