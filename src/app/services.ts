import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { createPool, type Pool } from '../db/pool';
import type { Logger } from '../log';
import { createQueues, createRedis, type Queues } from '../queue/queues';
import { Links } from '../security/links';
import { TokenCodec } from '../security/tokens';

/**
 * Everything an entry point needs, built from one config in one place. Nothing connects at import time;
 * `close` releases it all in order.
 */
export interface Services {
  config: Config;
  log: Logger;
  pool: Pool;
  redis: Redis;
  queues: Queues;
  links: Links;
  close(): Promise<void>;
}

export function createServices(config: Config, log: Logger): Services {
  const pool = createPool(config.databaseUrl);
  const redis = createRedis(config.redisUrl);
  const queues = createQueues(redis, config.queuePrefix);
  const links = new Links(config.publicUrl, new TokenCodec(config.secretKey));
  let closed = false;
  return {
    config,
    log,
    pool,
    redis,
    queues,
    links,
    async close() {
      if (closed) return;
      closed = true;
      await queues.close().catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
      await pool.end().catch(() => {});
    },
  };
}

export function warnAboutConfig(config: Config, log: Logger): void {
  if (config.usingDevelopmentSecret) {
    log.warn(
      { event: 'config.development_secret' },
      '!!! SECRET_KEY is not set: using the fixed DEVELOPMENT key. Anyone can forge unsubscribe and tracking links. Set SECRET_KEY before real use. !!!',
    );
  }
}
