import { Queue, Worker } from 'bullmq';
import type { Services } from '../src/app/services';
import { applyBounceReports } from '../src/bounces/apply';
import { createDeliverStore } from '../src/db/deliver-store';
import { createFanoutStore } from '../src/db/fanout-store';
import { TidingsError } from '../src/errors';
import type { Mailer } from '../src/mail/mailer';
import { DELIVER_QUEUE, deliverBacklog, enqueueDeliveries, enqueueFanoutRanges, FANOUT_QUEUE, type DeliverJobData, type FanoutJobData } from '../src/queue/queues';
import { createRedis, masters, type RedisClient } from '../src/queue/redis';
import { RouteHealthPublisher } from '../src/queue/route-health';
import { WarmupGate } from '../src/queue/warmup-gate';
import { reconcile } from '../src/send/reconcile';
import { startWebhookDispatch } from '../src/webhooks/dispatch';
import { WEBHOOK_QUEUE, WebhookPump, type WebhookJobData } from '../src/webhooks/pump';
import { nextLaneBatch, recordLaneDelivered, recordLaneFailure } from '../src/db/webhooks';
import { DeliverProcessor } from './deliver';
import { DomainWorkers } from './domain-workers';
import { createFanoutProcessor } from './fanout';
import { startRetentionJob } from './retention';
import { SendMessageCache } from './send-message-cache';

/** The limiter's ceiling when SEND_RATE is unset. */
const UNLIMITED_PER_SECOND = 1_000_000;

export interface RunningWorkers {
  /** Stops taking jobs, lets the jobs in flight finish, then closes the SMTP pool and the connections. */
  close(): Promise<void>;
}

/**
 * Refuses to run against a Redis that may evict keys: an evicted job is a delivery nobody sends until the
 * reconciler notices. Managed Redis services that forbid CONFIG are let through with a warning.
 */
export async function checkRedisEvictionPolicy(redis: RedisClient, services: Pick<Services, 'log'>): Promise<void> {
  // On a cluster every master is asked: the queue's slot may move to any of them. The ping waits until the
  // client knows the cluster's nodes.
  await redis.ping();
  for (const node of masters(redis)) await checkNodeEvictionPolicy(node, services);
}

async function checkNodeEvictionPolicy(redis: RedisClient, services: Pick<Services, 'log'>): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch (err) {
    services.log.warn({ event: 'worker.redis_policy_unknown', err }, 'cannot read Redis maxmemory-policy (CONFIG not allowed); make sure it is noeviction');
    return;
  }
  if (policy !== undefined && policy !== 'noeviction') {
    throw new TidingsError(
      'CONFIG_INVALID',
      `Redis maxmemory-policy is '${policy}': set it to 'noeviction' (redis.conf or CONFIG SET maxmemory-policy noeviction), or queued emails could be evicted`,
      { policy },
    );
  }
}

/**
 * Starts the fan-out and deliver workers of this process and its reconciler. Each worker has its own Redis
 * connection (BullMQ blocks on it); the SMTP transport is one pool per route shared by all deliver jobs.
 */
export async function startWorkers(
  services: Services,
  mailer: Mailer,
  /** `clock`: the warm-up's clock (tests put it just before midnight); Date.now otherwise. */
  options: { concurrency: number; clock?: () => number },
): Promise<RunningWorkers> {
  const { config, log } = services;
  await checkRedisEvictionPolicy(services.redis, services);
  const fanoutConnection = createRedis(config);
  const fanout = new Worker<FanoutJobData>(FANOUT_QUEUE, createFanoutProcessor({
    store: createFanoutStore(services.pool),
    queue: {
      enqueueDeliveries: (ids) => enqueueDeliveries(services.queues, ids),
      backlog: () => deliverBacklog(services.queues),
      enqueueRanges: (sendId, ranges) => enqueueFanoutRanges(services.queues, sendId, ranges),
    },
    log,
    config,
  }), {
    connection: fanoutConnection,
    prefix: config.queuePrefix,
    concurrency: 2,
  });
  const deliverProcessor = new DeliverProcessor({
    store: createDeliverStore(services.pool),
    mailer,
    messages: new SendMessageCache(services),
    links: services.links,
    applyRefusals: (reports) => applyBounceReports(services, reports),
    log,
    warmup: config.warmup
      ? new WarmupGate({ redis: services.redis, pool: services.pool, prefix: config.queuePrefix, plan: config.warmup, log, now: options.clock })
      : undefined,
    config,
  });
  const deliverOptions = {
    prefix: config.queuePrefix,
    concurrency: options.concurrency,
    // A job whose worker died is handed to another worker after this long; its claim lock in PostgreSQL
    // (DELIVERY_LOCK_SECONDS) decides when the delivery may really be sent again.
    lockDuration: Math.min(30_000, config.deliveryLockSeconds * 1000),
    // PostgreSQL keeps the record of every delivery: Redis keeps no finished job.
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
  };
  // DOMAIN_LIMITS: a worker per domain group, each with its group's limiter (workers/domain-workers.ts).
  const domains = config.domainLimits
    ? new DomainWorkers(services, deliverProcessor.process, { ...deliverOptions, unlimited: { max: UNLIMITED_PER_SECOND, duration: 1000 } })
    : undefined;
  let deliverConnection: RedisClient | undefined;
  const deliverWorkers = domains
    ? await domains.start()
    : [
        new Worker<DeliverJobData>(DELIVER_QUEUE, deliverProcessor.process, {
          ...deliverOptions,
          connection: (deliverConnection = createRedis(config)),
          // SEND_RATE is enforced by BullMQ in Redis, so it holds across every worker process and machine. There
          // is always a limiter: without one BullMQ ignores worker.rateLimit(), which is how a throttling reply
          // holds the whole queue back (unlimited is a million a second).
          limiter: { max: config.sendRate ?? UNLIMITED_PER_SECOND, duration: 1000 },
        }),
      ];
  const deliver = deliverWorkers.find((w) => w.name === DELIVER_QUEUE)!;
  deliverProcessor.worker = deliver;
  if (domains) {
    deliverProcessor.deferred = (job) => domains.deferred(job);
    deliverProcessor.holdQueue = (job, ms) => domains.hold(job, ms);
  }
  // Outgoing webhooks: pump jobs per endpoint lane on their own queue, added by the outbox dispatch.
  const webhookQueue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection: services.redis, prefix: config.queuePrefix, streams: { events: { maxLen: 1000 } } });
  webhookQueue.on('error', () => {});
  const webhookConnection = createRedis(config);
  const { pool } = services;
  const pump = new WebhookPump({
    store: {
      nextLaneBatch: (endpointId, lane, limit) => nextLaneBatch(pool, endpointId, lane, limit),
      recordLaneDelivered: (endpointId, lane, cursor, count) => recordLaneDelivered(pool, endpointId, lane, cursor, count),
      recordLaneFailure: (failure) => recordLaneFailure(pool, failure),
    },
    secretKey: config.secretKey,
    retry: config.outgoingWebhooks.retry,
    timeoutMs: config.outgoingWebhooks.timeoutMs,
    log,
  });
  const webhooks = new Worker<WebhookJobData>(WEBHOOK_QUEUE, pump.process, { connection: webhookConnection, prefix: config.queuePrefix, concurrency: 16 });
  const dispatch = startWebhookDispatch({ pool, queue: webhookQueue, log, pollMs: config.outgoingWebhooks.pollMs });
  for (const worker of [fanout, webhooks, ...deliverWorkers] as Worker[]) {
    worker.on('error', (err) => log.error({ event: 'worker.error', queue: worker.name, err }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (err.name !== 'DelayedError' && err.name !== 'RateLimitError') log.error({ event: 'job.failed', queue: worker.name, jobId: job?.id, err }, 'job failed');
    });
  }

  // On start and then periodically: make Redis hold the work PostgreSQL says is left.
  const runReconcile = () =>
    reconcile(services).catch((err) => log.error({ event: 'reconcile.failed', err }, 'could not reconcile the queue with PostgreSQL'));
  await runReconcile();
  const timer = setInterval(runReconcile, config.reconcileIntervalSeconds * 1000);
  timer.unref();
  // The SMTP routes' circuit breakers, for the dashboard.
  const routeHealth = new RouteHealthPublisher(services.redis, config.queuePrefix, mailer, (err) =>
    log.warn({ event: 'worker.route_health_failed', err }, 'could not publish the SMTP routes\' breaker state'));
  await routeHealth.start();
  // EVENT_RETENTION_DAYS / DELIVERY_RETENTION_DAYS, and events partitions ahead: once a day across all workers.
  const retention = await startRetentionJob(services);

  log.info({ event: 'worker.started', concurrency: options.concurrency, prefix: config.queuePrefix, sendRate: config.sendRate }, 'workers started');
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        // A fan-out waiting for the senders (FANOUT_AHEAD) stops now: its cursor is saved, the reconciler re-adds it.
        fanout.cancelAllJobs('worker stopping');
        dispatch.close();
        // The webhook worker is closed without waiting for its job in flight: after a Redis Cluster master died
        // its graceful close sometimes never returned (test/redis-cluster.test.ts, one run in three), and a lane
        // job cut here is taken again by another worker from the lane's position in PostgreSQL, re-sending at
        // most its batch, as after a crash (webhooks are at least once; receivers de-duplicate on the event id).
        await Promise.all([fanout.close(), webhooks.close(true), ...deliverWorkers.map((w) => w.close()), retention.close()]);
        await webhookQueue.close();
        await deliverProcessor.flushFinishChecks();
        await routeHealth.stop();
        await mailer.close();
        fanoutConnection.disconnect();
        webhookConnection.disconnect();
        deliverConnection?.disconnect();
        domains?.disconnect();
        log.info({ event: 'worker.stopped' }, 'workers stopped');
      })();
      return closing;
    },
  };
}
