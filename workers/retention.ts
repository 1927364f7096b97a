import { Queue, Worker } from 'bullmq';
import type { Services } from '../src/app/services';
import { createRedis } from '../src/queue/redis';
import { runRetention } from '../src/retention/run';

export const RETENTION_QUEUE = 'retention';
const DAY_MS = 86_400_000;

/**
 * The daily retention pass (src/retention/run.ts) as a BullMQ job scheduler: however many worker processes
 * run, the scheduler adds one job a day and one of them runs it. The first runs as the scheduler is created,
 * so a fresh worker also makes the events partitions ahead at once.
 */
export async function startRetentionJob(services: Services): Promise<{ close(): Promise<void> }> {
  const { config, log } = services;
  const queueConnection = createRedis(config);
  const workerConnection = createRedis(config);
  const queue = new Queue(RETENTION_QUEUE, { connection: queueConnection, prefix: config.queuePrefix });
  queue.on('error', () => {});
  await queue.upsertJobScheduler('daily', { every: DAY_MS }, { name: 'retention', opts: { removeOnComplete: true, removeOnFail: 10 } });
  const worker = new Worker(RETENTION_QUEUE, async () => runRetention(services), {
    connection: workerConnection,
    prefix: config.queuePrefix,
    concurrency: 1,
  });
  worker.on('failed', (_job, err) => log.error({ event: 'retention.failed', err }, 'retention pass failed (it runs again tomorrow, or run `tidings retention run`)'));
  worker.on('error', (err) => log.error({ event: 'worker.error', queue: RETENTION_QUEUE, err }, 'worker error'));
  return {
    async close() {
      await worker.close();
      await queue.close();
      queueConnection.disconnect();
      workerConnection.disconnect();
    },
  };
}
