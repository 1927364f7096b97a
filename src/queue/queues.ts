import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from './redis';

/** Queue names. With QUEUE_PREFIX, keys are `<prefix>:<name>:…`; `{tidings}` keeps them in one cluster slot. */
export const FANOUT_QUEUE = 'fanout';
export const DELIVER_QUEUE = 'deliver';

/** Job data holds ids only: job data sits in Redis in clear text, and the delivery row has everything else. */
export interface FanoutJobData {
  sendId: number;
  /** A large send's fan-out runs as several jobs, one per range of subscribers (src/db/fanout-ranges.ts); absent: the send's own job, which plans them. */
  range?: number;
}
export interface DeliverJobData {
  deliveryId: number;
}

/** The job id of a delivery: BullMQ ignores a second add with the same id, so a delivery is queued once. */
export const deliverJobId = (deliveryId: number) => `d${deliveryId}`;
export const fanoutJobId = (sendId: number, range?: number) => (range === undefined ? `s${sendId}` : `s${sendId}r${range}`);

/**
 * A deliver job carries nothing but its id and data: attempts are counted on the delivery row and the
 * retry delay is chosen by the worker (src/send/retry-schedule.ts), and the workers remove finished jobs. Every byte
 * here is multiplied by the size of the list while it waits in Redis.
 */
export const DELIVER_JOB_OPTIONS: JobsOptions = {};

export const FANOUT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: 100,
};

export interface Queues {
  fanout: Queue<FanoutJobData>;
  /** Where every deliver job is added; with DOMAIN_LIMITS also the queue of the `*` group. */
  deliver: Queue<DeliverJobData>;
  /** With DOMAIN_LIMITS: the queue of each named domain group, by queue name (`deliver-gmail.com`). */
  domainDeliver: ReadonlyMap<string, Queue<DeliverJobData>>;
  /** With DOMAIN_LIMITS: the queue name of each delivery, from its recipient's domain (one query per page). */
  routeDeliveries?: DeliveryRouter;
  close(): Promise<void>;
}

export type DeliveryRouter = (deliveryIds: number[]) => Promise<Map<number, string>>;

/** Every queue deliver jobs wait in: the main one and the domain groups'. */
export const deliverQueues = (queues: Queues): Queue<DeliverJobData>[] => [queues.deliver, ...queues.domainDeliver.values()];

export function createQueues(
  redis: RedisClient,
  prefix: string,
  domains?: { queueNames: readonly string[]; route: DeliveryRouter },
): Queues {
  // The events stream is capped low: nothing reads it but dashboards, and its default of 10,000 entries
  // costs more memory than the jobs of a small list.
  const streams = { events: { maxLen: 1000 } };
  const fanout = new Queue<FanoutJobData>(FANOUT_QUEUE, { connection: redis, prefix, streams });
  const deliver = new Queue<DeliverJobData>(DELIVER_QUEUE, { connection: redis, prefix, streams });
  const domainDeliver = new Map((domains?.queueNames ?? []).map((name) => [name, new Queue<DeliverJobData>(name, { connection: redis, prefix, streams })]));
  for (const queue of [fanout, deliver, ...domainDeliver.values()]) queue.on('error', () => {});
  return {
    fanout,
    deliver,
    domainDeliver,
    routeDeliveries: domains?.route,
    async close() {
      await Promise.all([fanout.close(), deliver.close(), ...[...domainDeliver.values()].map((q) => q.close())]);
    },
  };
}

/**
 * Adds the fan-out job of a send unless one is already in Redis; `at` delays it (scheduled sends).
 * Returns true when a job was added.
 */
export async function enqueueFanout(queues: Queues, sendId: number, at: Date | null = null): Promise<boolean> {
  return addFanoutJob(queues, { sendId }, at ? Math.max(0, at.getTime() - Date.now()) : 0);
}

/** Adds the job of each of these fan-out ranges of a send that is not already in Redis (waiting or running). */
export async function enqueueFanoutRanges(queues: Queues, sendId: number, ranges: readonly number[]): Promise<void> {
  await Promise.all(ranges.map((range) => addFanoutJob(queues, { sendId, range }, 0)));
}

async function addFanoutJob(queues: Queues, data: FanoutJobData, delay: number): Promise<boolean> {
  const jobId = fanoutJobId(data.sendId, data.range);
  const existing = await queues.fanout.getJob(jobId);
  if (existing && !(await existing.isCompleted()) && !(await existing.isFailed())) return false;
  // A finished or failed job of that id would make BullMQ ignore the new one.
  if (existing) await existing.remove().catch(() => {});
  await queues.fanout.add('fanout', data, { ...FANOUT_JOB_OPTIONS, jobId, delay });
  return true;
}

/**
 * Queues deliveries, each on its domain group's queue when DOMAIN_LIMITS routes them. `due`: when a delivery
 * waiting to be retried is due (its job waits until then); absent or past: now.
 */
export async function enqueueDeliveries(queues: Queues, deliveryIds: number[], due?: ReadonlyMap<number, Date>): Promise<void> {
  if (deliveryIds.length === 0) return;
  const routes = queues.routeDeliveries ? await queues.routeDeliveries(deliveryIds) : undefined;
  const byQueue = new Map<Queue<DeliverJobData>, number[]>();
  for (const id of deliveryIds) {
    const queue = queues.domainDeliver.get(routes?.get(id) ?? '') ?? queues.deliver;
    let ids = byQueue.get(queue);
    if (!ids) byQueue.set(queue, (ids = []));
    ids.push(id);
  }
  const now = Date.now();
  const job = (deliveryId: number) => {
    const delay = Math.max(0, (due?.get(deliveryId)?.getTime() ?? 0) - now);
    return { name: 'd', data: { deliveryId }, opts: { ...DELIVER_JOB_OPTIONS, jobId: deliverJobId(deliveryId), ...(delay ? { delay } : {}) } };
  };
  await Promise.all([...byQueue].map(([queue, ids]) => addInChunks(queue, ids, job)));
}

/**
 * Jobs per addBulk call, and calls in flight at once. BullMQ's addBulk builds one pipeline of one script call
 * per job; the objects of a 5,000-job pipeline all live until its reply comes back, so the garbage collector
 * copies them again and again (measured: 33 µs of worker CPU per job in chunks of 5,000, 22 µs in chunks of
 * 500), while two chunks in flight keep Redis busy during each round trip.
 */
const ADD_CHUNK = 500;
const ADDS_IN_FLIGHT = 2;

async function addInChunks(queue: Queue<DeliverJobData>, ids: number[], job: (deliveryId: number) => { name: string; data: DeliverJobData; opts: JobsOptions }): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const chunk = ids.slice(next, (next += ADD_CHUNK));
      await queue.addBulk(chunk.map(job));
    }
  };
  await Promise.all(Array.from({ length: Math.min(ADDS_IN_FLIGHT, Math.ceil(ids.length / ADD_CHUNK)) }, lane));
}

/** Kept here too for callers that build a connection next to the queues. */
export { createRedis } from './redis';

/**
 * Deliver jobs ready for a sender and not yet taken: waiting (also while the queue is paused) or
 * prioritized. Delayed retries are not ahead of anyone.
 */
export async function deliverBacklog(queues: Queues): Promise<number> {
  // With DOMAIN_LIMITS the domain groups' queues count too: Redis memory is bounded whatever the domains.
  const counts = await Promise.all(deliverQueues(queues).map((q) => q.getJobCounts('waiting', 'prioritized')));
  return counts.reduce((sum, c) => sum + (c.waiting ?? 0) + (c.prioritized ?? 0), 0);
}
