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
import { LazyMailer } from './lazy-mailer';

/**
 * Everything an entry point needs, built from one config in one place. Nothing connects at import time;
 * `close` releases it all in order.
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
    readerMail,
    async close() {
      if (closed) return;
      closed = true;
      await events.close();
      await readerMail.close();
      await queues.close().catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
      await pool.end().catch(() => {});
    },
  };
}
