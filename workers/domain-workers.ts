import { Worker, type Job, type WorkerOptions } from 'bullmq';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Services } from '../src/app/services';
import { DomainPace } from '../src/queue/domain-pace';
import { DELIVER_QUEUE, type DeliverJobData } from '../src/queue/queues';
import { createRedis, type RedisClient } from '../src/queue/redis';
import { groupQueueName, limiterFor, type DomainGroup } from '../src/send/domain-limits';

type Processor = (job: Job<DeliverJobData>, token?: string) => Promise<string>;

/** How often each process reads the shared paces and lets a quiet group climb back one step. */
const PACE_SYNC_MS = 1_000;

/**
 * BullMQ reads `worker.opts.limiter` on every fetch (it is passed to its moveToActive script), so a new
 * rate takes effect from the next job. This is the one place that changes a running worker's options.
 */
function setLimiter(worker: Worker, limiter: { max: number; duration: number }): void {
  (worker.opts as WorkerOptions).limiter = limiter;
}

/**
 * The deliver workers of one process under DOMAIN_LIMITS: one BullMQ worker per domain group, each on its
 * group's queue with the group's rate as its limiter (enforced in Redis, so across every host), plus the
 * main `deliver` queue for the `*` group. A deferral from a group's domain halves that group's shared pace
 * and holds its queue a moment; the others go on at full speed. A throttled group's backlog waits in its
 * queue: BullMQ's limiter makes the workers sleep until the window opens, with no claim or retry per
 * waiting delivery. SEND_RATE still caps the total: a shared Redis limiter every job passes first.
 */
export class DomainWorkers {
  /** Queue name → the group it serves (undefined: the main queue without a `*` group). */
  private readonly groups = new Map<string, DomainGroup | undefined>();
  private readonly workers = new Map<string, Worker<DeliverJobData>>();
  private readonly connections: RedisClient[] = [];
  private readonly pace: DomainPace;
  private readonly sendRate: RateLimiterRedis | undefined;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly services: Services,
    private readonly process: Processor,
    private readonly options: Omit<WorkerOptions, 'connection' | 'limiter'> & { unlimited: { max: number; duration: number } },
  ) {
    const { config } = services;
    const limits = config.domainLimits!;
    for (const group of limits.groups) this.groups.set(groupQueueName(group), group);
    this.groups.set(DELIVER_QUEUE, limits.fallback);
    this.pace = new DomainPace(services.redis, config.queuePrefix, config.pacePolicy);
    this.sendRate = config.sendRate
      ? new RateLimiterRedis({ storeClient: services.redis, keyPrefix: `${config.queuePrefix}:send-rate`, points: config.sendRate, duration: 1 })
      : undefined;
  }

  /** Starts one worker per queue at the pace Redis holds now, and keeps the paces in step. */
  async start(): Promise<Worker<DeliverJobData>[]> {
    for (const [queueName, group] of this.groups) {
      const connection = createRedis(this.services.config);
      this.connections.push(connection);
      const limiter = group ? limiterFor(group.perSecond, (await this.pace.read(group.name)).pace) : this.options.unlimited;
      const { unlimited: _, ...options } = this.options;
      const worker = new Worker<DeliverJobData>(queueName, (job, token) => this.gated(job, token), { ...options, connection, limiter });
      this.workers.set(queueName, worker);
    }
    this.timer = setInterval(() => {
      this.syncPaces().catch((err) => this.services.log.warn({ event: 'domain.pace_sync_failed', err }, 'could not read the domain paces'));
    }, PACE_SYNC_MS);
    this.timer.unref();
    return [...this.workers.values()];
  }

  /** SEND_RATE across all groups: a job over it goes back to its queue, which waits for the next window. */
  private async gated(job: Job<DeliverJobData>, token?: string): Promise<string> {
    if (this.sendRate) {
      try {
        await this.sendRate.consume('all');
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        await this.workers.get(job.queueName)!.rateLimit(Math.max(1, err.msBeforeNext));
        throw Worker.RateLimitError();
      }
    }
    return this.process(job, token);
  }

  /**
   * A deferral from the job's domain: halves the group's shared pace (once however many messages in flight
   * are deferred) and holds the group's queue for one window. Returns false for the main queue without a
   * `*` group, which is held the old way (the whole queue).
   */
  async deferred(job: Job<DeliverJobData>): Promise<boolean> {
    const group = this.groups.get(job.queueName);
    const worker = this.workers.get(job.queueName);
    if (!group || !worker) return false;
    const pace = await this.pace.deferred(group.name);
    const limiter = limiterFor(group.perSecond, pace);
    setLimiter(worker, limiter);
    this.services.log.warn({ event: 'domain.deferred', group: group.name, pace, limiter }, `deferral from ${group.name}: its pace is now ${Math.round(pace * 100)}%`);
    await worker.rateLimit(Math.max(1_000, limiter.duration));
    return true;
  }

  /** Holds the job's queue for `ms` (the warm-up's caps are reached); false when the queue is not one of ours. */
  async hold(job: Job<DeliverJobData>, ms: number): Promise<boolean> {
    const worker = this.workers.get(job.queueName);
    if (!worker) return false;
    await worker.rateLimit(ms);
    return true;
  }

  private async syncPaces(): Promise<void> {
    for (const [queueName, group] of this.groups) {
      if (!group) continue;
      const pace = await this.pace.tick(group.name);
      setLimiter(this.workers.get(queueName)!, limiterFor(group.perSecond, pace));
    }
  }

  /** The shared pace of each group, for status and tests. */
  async paces(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const group of this.groups.values()) if (group) out[group.name] = (await this.pace.read(group.name)).pace;
    return out;
  }

  disconnect(): void {
    clearInterval(this.timer);
    for (const connection of this.connections) connection.disconnect();
  }
}
