import type { Config } from '../config';
import { EventBuffer } from '../db/event-buffer';
import { createPool, type Pool } from '../db/pool';
import type { Logger } from '../log';
import { dkimSignerFor, type DkimSigner } from '../mail/dkim';
import { createQueues, type Queues } from '../queue/queues';
import { createRedis, type RedisClient } from '../queue/redis';
import { domainRouting } from '../send/domain-routing';
import { Links } from '../security/links';
import { TokenCodec } from '../security/tokens';
import { BackgroundWork } from '../util/background-work';
import { LazyMailer } from './lazy-mailer';

/**
 * Everything an entry point needs, built from one config in one place. Nothing connects at import time;
 * `close` finishes the accepted background work, then releases it all in order (an entry point stops its
 * listeners first, so no new work arrives meanwhile).
 */
export interface Services {
  config: Config;
  log: Logger;
  pool: Pool;
  /** One Redis server or a Redis Cluster (REDIS_CLUSTER_NODES). */
  redis: RedisClient;
  queues: Queues;
  links: Links;
  /** Signs every outgoing message when DKIM is configured; built once, here. */
  dkim: DkimSigner | undefined;
  /** Opens and clicks, written in batches; flushed by close(). */
  events: EventBuffer;
  /**
   * Work accepted and not finished yet (subscriptions handled after their 202, the event buffer): close()
   * drains it before anything else closes.
   */
  background: BackgroundWork;
  /** The HTTP server's mailer (confirmation emails), connected on first use. */
  readerMail: LazyMailer;
  close(): Promise<void>;
}

export function createServices(config: Config, log: Logger): Services {
  const pool = createPool(config.databaseUrl);
  const redis = createRedis(config);
  const queues = createQueues(redis, config.queuePrefix, config.domainLimits && domainRouting(pool, config.domainLimits));
  const links = new Links(config.publicUrl, new TokenCodec(config.secretKey));
  const dkim = dkimSignerFor(config);
  const events = new EventBuffer(pool, log);
  const background = new BackgroundWork({
    onError: (name, err) => log.error({ event: 'background.failed', work: name, err }, `accepted work failed: ${name}`),
    onWaiting: (running, buffered) => log.info({ event: 'process.draining', running, buffered }, 'stopping: waiting for accepted work to finish'),
  });
  background.holds('tracking events', events);
  const readerMail = new LazyMailer(config, log);
  let closed = false;
  return {
    config,
    log,
    pool,
    redis,
    queues,
    links,
    dkim,
    events,
    background,
    readerMail,
    async close() {
      if (closed) return;
      closed = true;
      // Accepted work first, while the database, Redis and the mailer are all still open.
      await background.drain();
      await events.close();
      await readerMail.close();
      await queues.close().catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
      await pool.end().catch(() => {});
    },
  };
}
