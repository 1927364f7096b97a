import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Mailer, RouteBreaker } from '../mail/mailer';
import type { RedisClient } from './redis';

/**
 * The SMTP routes' circuit breakers as the workers see them, for the dashboard. Each worker process keeps
 * one field of one hash (`<prefix>:smtp-breakers`, field = the process, value = "<redis ms> <json>"),
 * written when a breaker changes and at least every REFRESH_MS; a field older than STALE_MS belongs to a
 * process that stopped without saying so and is dropped by the next reader. Times are Redis's clock, so
 * hosts with drifting clocks agree.
 */
const REFRESH_MS = 5_000;
const STALE_MS = 20_000;
const CHECK_MS = 1_000;

const WRITE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], now .. ' ' .. ARGV[2])
return now`;

function key(prefix: string): string {
  return `${prefix}:smtp-breakers`;
}

/** What one process reports: its breakers, with times relative to the moment of writing. */
interface Report {
  routes: Array<Omit<RouteBreaker, 'openUntil' | 'lastErrorAt'> & { reopensInMs: number | null; lastErrorAgoMs: number | null }>;
}

function report(breakers: RouteBreaker[], now = Date.now()): Report {
  return {
    routes: breakers.map(({ openUntil, lastErrorAt, ...b }) => ({
      ...b,
      reopensInMs: openUntil === null ? null : Math.max(0, openUntil - now),
      lastErrorAgoMs: lastErrorAt === null ? null : Math.max(0, now - lastErrorAt),
    })),
  };
}

/** Publishes this process's breakers while its workers run. */
export class RouteHealthPublisher {
  private readonly field = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private lastStates = '';
  private lastWrite = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly mailer: Pick<Mailer, 'breakers'>,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    if (!this.mailer.breakers) return;
    await this.publish();
    this.timer = setInterval(() => void this.publish().catch(this.onError), CHECK_MS);
    this.timer.unref();
  }

  /** Writes when a breaker changed state (or its failure count) and at least every REFRESH_MS. */
  private async publish(): Promise<void> {
    const breakers = this.mailer.breakers!();
    const states = breakers.map((b) => `${b.name}=${b.state}/${b.failures}`).join(',');
    if (states === this.lastStates && Date.now() - this.lastWrite < REFRESH_MS) return;
    this.lastStates = states;
    this.lastWrite = Date.now();
    await this.redis.eval(WRITE, 1, key(this.prefix), this.field, JSON.stringify(report(breakers)));
  }

  /** This process sends no more: its report goes. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.mailer.breakers) await this.redis.hdel(key(this.prefix), this.field).catch(this.onError);
  }
}

export interface RouteHealth {
  name: string;
  /** open if any worker has the route out, half-open if any is trying it again, closed if every worker uses it. */
  state: RouteBreaker['state'];
  workers: { closed: number; open: number; halfOpen: number };
  /** The most connection failures in a row any worker counts. */
  failures: number;
  /** When the last open breaker lets the route be tried again. */
  reopensAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

/** Every route's breaker across the workers reporting now; `workers` is how many report. */
export async function readRouteHealth(redis: RedisClient, prefix: string): Promise<{ workers: number; routes: RouteHealth[]; checkedAt: string }> {
  const [[seconds, micros], fields] = await Promise.all([redis.time(), redis.hgetall(key(prefix))]);
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const stale: string[] = [];
  const reports: Array<{ at: number; report: Report }> = [];
  for (const [field, value] of Object.entries(fields)) {
    const space = value.indexOf(' ');
    const at = Number(value.slice(0, space));
    if (!(now - at <= STALE_MS)) {
      stale.push(field);
      continue;
    }
    try {
      reports.push({ at, report: JSON.parse(value.slice(space + 1)) as Report });
    } catch {
      stale.push(field);
    }
  }
  if (stale.length) await redis.hdel(key(prefix), ...stale);
  return { workers: reports.length, routes: combine(reports), checkedAt: new Date(now).toISOString() };
}

function combine(reports: Array<{ at: number; report: Report }>): RouteHealth[] {
  const byName = new Map<string, RouteHealth>();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  for (const { at, report: r } of reports) {
    for (const b of r.routes) {
      const h = byName.get(b.name) ?? { name: b.name, state: 'closed', workers: { closed: 0, open: 0, halfOpen: 0 }, failures: 0, reopensAt: null, lastError: null, lastErrorAt: null };
      byName.set(b.name, h);
      if (b.state === 'open') h.workers.open++;
      else if (b.state === 'half-open') h.workers.halfOpen++;
      else h.workers.closed++;
      h.failures = Math.max(h.failures, b.failures);
      const reopens = b.reopensInMs === null ? null : at + b.reopensInMs;
      if (reopens !== null && (h.reopensAt === null || reopens > Date.parse(h.reopensAt))) h.reopensAt = iso(reopens);
      const errorAt = b.lastErrorAgoMs === null ? null : at - b.lastErrorAgoMs;
      if (b.lastError !== null && errorAt !== null && (h.lastErrorAt === null || errorAt > Date.parse(h.lastErrorAt))) {
        h.lastError = b.lastError;
        h.lastErrorAt = iso(errorAt);
      }
    }
  }
  for (const h of byName.values()) h.state = h.workers.open > 0 ? 'open' : h.workers.halfOpen > 0 ? 'half-open' : 'closed';
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
