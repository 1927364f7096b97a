import { Worker } from 'bullmq';
import type { Services } from '../src/app/services';
import type { Mailer } from '../src/mail/mailer';
import { createRedis, DELIVER_QUEUE, FANOUT_QUEUE, type DeliverJobData, type FanoutJobData } from '../src/queue/queues';
import { DeliverProcessor } from './deliver';
import { createFanoutProcessor } from './fanout';

export interface RunningWorkers {
  /** Stops taking jobs, lets the jobs in flight finish, then closes the SMTP pool and the connections. */
  close(): Promise<void>;
}

/**
 * Starts the fan-out and deliver workers of this process. Each worker has its own Redis connection
 * (BullMQ blocks on it); the SMTP transport is one pool shared by all deliver jobs of the process.
 */
export function startWorkers(services: Services, mailer: Mailer, options: { concurrency: number }): RunningWorkers {
  const { config, log } = services;
  const fanoutConnection = createRedis(config.redisUrl);
  const deliverConnection = createRedis(config.redisUrl);
  const fanout = new Worker<FanoutJobData>(FANOUT_QUEUE, createFanoutProcessor(services), {
    connection: fanoutConnection,
    prefix: config.queuePrefix,
    concurrency: 2,
  });
  const deliverProcessor = new DeliverProcessor(services, mailer);
  const deliver = new Worker<DeliverJobData>(DELIVER_QUEUE, deliverProcessor.process, {
    connection: deliverConnection,
    prefix: config.queuePrefix,
    concurrency: options.concurrency,
  });
  for (const worker of [fanout, deliver]) {
    worker.on('error', (err) => log.error({ event: 'worker.error', queue: worker.name, err }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (err.name !== 'TemporaryDeliveryError') log.error({ event: 'job.failed', queue: worker.name, jobId: job?.id, err }, 'job failed');
    });
  }
  log.info({ event: 'worker.started', concurrency: options.concurrency, prefix: config.queuePrefix }, 'workers started');
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        await Promise.all([fanout.close(), deliver.close()]);
        await mailer.close();
        fanoutConnection.disconnect();
        deliverConnection.disconnect();
        log.info({ event: 'worker.stopped' }, 'workers stopped');
      })();
      return closing;
    },
  };
}
