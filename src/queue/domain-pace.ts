import type { PacePolicy } from '../send/domain-limits';
import type { RedisClient } from './redis';

/**
 * The adaptive pace of each domain group (PacePolicy in src/send/domain-limits.ts), shared by every worker
 * on every host: one small hash per group (`<prefix>:pace:<group>`: pace, cut_at, changed_at, deferrals),
 * changed by two scripts that run atomically in Redis and read its clock, so that many hosts seeing the
 * same deferral cut the pace once, and hosts with drifting clocks agree.
 */
const DEFER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pace = tonumber(redis.call('HGET', KEYS[1], 'pace') or '1')
local cut = tonumber(redis.call('HGET', KEYS[1], 'cut_at') or '0')
if now - cut >= tonumber(ARGV[1]) then
  pace = math.max(tonumber(ARGV[2]), pace / 2)
  redis.call('HSET', KEYS[1], 'pace', tostring(pace), 'cut_at', now, 'changed_at', now)
  redis.call('HINCRBY', KEYS[1], 'deferrals', 1)
end
return tostring(pace)`;

const TICK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pace = tonumber(redis.call('HGET', KEYS[1], 'pace') or '1')
if pace < 1 then
  local changed = tonumber(redis.call('HGET', KEYS[1], 'changed_at') or '0')
  if now - changed >= tonumber(ARGV[1]) then
    pace = math.min(1, pace + tonumber(ARGV[2]))
    redis.call('HSET', KEYS[1], 'pace', tostring(pace), 'changed_at', now)
  end
end
return tostring(pace)`;

export interface PaceState {
  pace: number;
  /** Deferrals that cut the pace (each cut counts once however many messages were deferred). */
  cuts: number;
}

export class DomainPace {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly policy: PacePolicy,
  ) {}

  private key(group: string): string {
    return `${this.prefix}:pace:${group}`;
  }

  /** A deferral from the group's domain: halves its pace unless it was cut within holdMs. Returns the pace. */
  async deferred(group: string): Promise<number> {
    return Number(await this.redis.eval(DEFER, 1, this.key(group), this.policy.holdMs, this.policy.min));
  }

  /** Moves the pace one step up when a recovery interval passed without a deferral. Returns the pace. */
  async tick(group: string): Promise<number> {
    return Number(await this.redis.eval(TICK, 1, this.key(group), this.policy.recoveryMs, this.policy.step));
  }

  async read(group: string): Promise<PaceState> {
    const h = await this.redis.hgetall(this.key(group));
    return { pace: h.pace === undefined ? 1 : Number(h.pace), cuts: Number(h.deferrals ?? 0) };
  }
}
