import type { Pool } from '../db/pool';
import { markWarmupHeld, warmupStart } from '../db/warmup';
import type { Logger } from '../log';
import { dailyCap, nextUtcDay, scheduleOf, utcDay, warmupDay, type WarmupPlan } from '../send/warmup';
import { Batcher } from '../util/batcher';
import type { RedisClient } from './redis';

/**
 * Grants requests in one atomic step: KEYS are today's counters of the warmed-up routes, ARGV[1..#KEYS] their
 * caps, every further ARGV one request (the route indices it may take, in order of preference). Returns, per
 * request, the index granted or 0. Counters live two days (only today's is read).
 */
const RESERVE = `
local n = #KEYS
local counts, changed = {}, {}
for i = 1, n do counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
local out = {}
for r = n + 1, #ARGV do
  local granted = 0
  for idx in string.gmatch(ARGV[r], '%d+') do
    local i = tonumber(idx)
    if counts[i] < tonumber(ARGV[i]) then
      counts[i] = counts[i] + 1
      changed[i] = true
      granted = i
      break
    end
  end
  out[#out + 1] = granted
end
for i = 1, n do
  if changed[i] then redis.call('SET', KEYS[i], counts[i], 'EX', 172800) end
end
return out`;

/** A route to send on, or a hold until the next UTC day (`waitMs` from now, on the gate's clock). */
export type RouteGrant = { route: string; held?: undefined } | { held: true; until: Date; waitMs: number };

interface Request {
  /** Warmed-up routes the delivery may take, in the mailer's order. */
  warmed: string[];
  /** The first route without warm-up after them, taken when none of them has room. */
  fallback: string | undefined;
}

export interface WarmupGateDeps {
  redis: RedisClient;
  pool: Pool;
  prefix: string;
  plan: WarmupPlan;
  log: Logger;
  /** The clock (tests move it to just before midnight). */
  now?: () => number;
}

/**
 * The warm-up caps of the SMTP routes, shared by every worker on every host: each route's count for the day is
 * a Redis counter, raised by an atomic script for a batch of deliveries at once (one round trip for the jobs
 * in flight, as the claims are batched). A delivery for which no route has room is held (see DeliverProcessor):
 * it goes back to its queue unchanged, and the queue waits until the next UTC day.
 */
export class WarmupGate {
  private readonly starts = new Map<string, Promise<string>>();
  private readonly batches: Batcher<Request, string | undefined>;
  private readonly now: () => number;
  private heldNoted = 0;

  constructor(private readonly deps: WarmupGateDeps) {
    this.now = deps.now ?? Date.now;
    this.batches = new Batcher((requests) => this.grant(requests), { maxSize: 200, maxWaitMs: 0 });
  }

  /** Whether a route is warmed up (its messages count against a daily cap). */
  covers(route: string): boolean {
    return scheduleOf(this.deps.plan, route) !== undefined;
  }

  /**
   * Of `preferred` (the routes in the order the mailer would use them), the first with room today; a route
   * without warm-up always has room. `held` when every route has used up its cap.
   */
  async reserve(preferred: readonly string[]): Promise<RouteGrant> {
    const warmed: string[] = [];
    let fallback: string | undefined;
    for (const route of preferred) {
      if (this.covers(route)) warmed.push(route);
      else {
        fallback = route;
        break;
      }
    }
    const route = warmed.length === 0 ? fallback : await this.batches.add({ warmed, fallback });
    if (route) return { route };
    const now = this.now();
    const until = nextUtcDay(now);
    return { held: true, until, waitMs: until.getTime() - now };
  }

  /** Gives back a route's slot: the message did not reach the server (connection failure, deferral). */
  async release(route: string): Promise<void> {
    if (!this.covers(route)) return;
    await this.deps.redis.decr(this.key(route, utcDay(this.now())));
  }

  /** Day 1 of each warmed-up route and its cap today (for status). */
  async today(routes: readonly string[]): Promise<{ route: string; day: number; cap: number; used: number }[]> {
    const day = utcDay(this.now());
    const out = [];
    for (const route of routes) {
      const schedule = scheduleOf(this.deps.plan, route);
      if (!schedule) continue;
      const n = warmupDay(await this.startOf(route, day), day);
      out.push({ route, day: n, cap: dailyCap(schedule, n), used: Number((await this.deps.redis.get(this.key(route, day))) ?? 0) });
    }
    return out;
  }

  private key(route: string, day: string): string {
    return `${this.deps.prefix}:warmup:${route}:${day}`;
  }

  private startOf(route: string, today: string): Promise<string> {
    const from = scheduleOf(this.deps.plan, route)?.from;
    if (from) return Promise.resolve(from);
    let start = this.starts.get(route);
    if (!start) {
      start = warmupStart(this.deps.pool, route, today);
      start.catch(() => this.starts.delete(route));
      this.starts.set(route, start);
    }
    return start;
  }

  private async grant(requests: Request[]): Promise<(string | undefined)[]> {
    const now = this.now();
    const day = utcDay(now);
    const routes = [...new Set(requests.flatMap((r) => r.warmed))];
    const starts = await Promise.all(routes.map((route) => this.startOf(route, day)));
    const caps = routes.map((route, i) => dailyCap(scheduleOf(this.deps.plan, route)!, warmupDay(starts[i], day)));
    const index = new Map(routes.map((route, i) => [route, i + 1]));
    const granted = (await this.deps.redis.eval(
      RESERVE,
      routes.length,
      ...routes.map((route) => this.key(route, day)),
      ...caps,
      ...requests.map((r) => r.warmed.map((route) => index.get(route)).join(',')),
    )) as number[];
    const out = requests.map((r, i) => (granted[i] > 0 ? routes[granted[i] - 1] : r.fallback));
    if (out.some((route) => route === undefined)) await this.noteHeld(nextUtcDay(now), routes.map((route, i) => ({ route, startedOn: starts[i] })));
    return out;
  }

  /** Records the hold in PostgreSQL (for status), once per hold in this process. */
  private async noteHeld(until: Date, routes: { route: string; startedOn: string }[]): Promise<void> {
    if (this.heldNoted === until.getTime()) return;
    this.heldNoted = until.getTime();
    this.deps.log.warn({ event: 'warmup.held', until, routes: routes.map((r) => r.route) }, `warm-up: every route reached today's cap; deliveries wait until ${until.toISOString()}`);
    await markWarmupHeld(this.deps.pool, routes, until).catch((err) => {
      this.heldNoted = 0;
      this.deps.log.error({ event: 'warmup.hold_not_recorded', err }, 'could not record the warm-up hold');
    });
  }
}
