import type { RedisClient } from '../queue/redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** Failed logins allowed per account and per client address in a window, before further attempts wait. */
export const LOGIN_FAILURES_PER_ACCOUNT = 5;
export const LOGIN_FAILURES_PER_ADDRESS = 20;
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/**
 * Password guessing is slowed per account (so one account cannot be guessed from many addresses) and per
 * client address (so one address cannot try many accounts). Only failures count; a success clears the
 * account's count. Kept in Redis, so every server process shares the counts.
 */
export class LoginLimits {
  private readonly account: RateLimiterRedis;
  private readonly address: RateLimiterRedis;

  constructor(redis: RedisClient, prefix: string) {
    this.account = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:rl:login-account`, points: LOGIN_FAILURES_PER_ACCOUNT, duration: LOGIN_WINDOW_SECONDS });
    this.address = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:rl:login-ip`, points: LOGIN_FAILURES_PER_ADDRESS, duration: LOGIN_WINDOW_SECONDS });
  }

  /** Seconds to wait before another attempt, or 0 when one is allowed now. */
  async retryAfter(email: string, ip: string): Promise<number> {
    const [a, b] = await Promise.all([this.account.get(email.toLowerCase()), this.address.get(ip)]);
    const waits = [
      a && a.consumedPoints >= LOGIN_FAILURES_PER_ACCOUNT ? a.msBeforeNext : 0,
      b && b.consumedPoints >= LOGIN_FAILURES_PER_ADDRESS ? b.msBeforeNext : 0,
    ];
    return Math.ceil(Math.max(...waits) / 1000);
  }

  async failed(email: string, ip: string): Promise<void> {
    const ignoreLimit = (err: unknown) => {
      if (!(err instanceof RateLimiterRes)) throw err;
    };
    await Promise.all([this.account.consume(email.toLowerCase()).catch(ignoreLimit), this.address.consume(ip).catch(ignoreLimit)]);
  }

  async succeeded(email: string): Promise<void> {
    await this.account.delete(email.toLowerCase());
  }
}
