/**
 * Warm-up of a new sending IP or domain (WARMUP): each SMTP route may send a capped number of messages a day,
 * a cap that grows by a factor every day up to a ceiling. Pure parsing and arithmetic; the counting is shared
 * by every worker in Redis (src/queue/warmup-gate.ts) and the first day is kept in PostgreSQL.
 *
 * Syntax, one entry per route, entries separated by `;`:
 *
 *   WARMUP="day1=500, then x1.5 daily up to 200000"                        every route, each on its own
 *   WARMUP="mx1.example.net:587 day1=500, then x1.5 daily up to 200000;
 *           mx2.example.net:25 day1=50, then x2 daily up to 20000, from 2026-12-01"
 *
 * A route is named as SMTP_URL's route is (host:port); an entry without a name covers every route not named.
 * `x`, `×` or `*` before the factor; `from YYYY-MM-DD` fixes day 1 (otherwise day 1 is the first day the route
 * sends under warm-up). Days are UTC days.
 */

export interface WarmupSchedule {
  /** The cap on day 1. */
  readonly day1: number;
  /** Each day's cap is the day before's times this (rounded down). */
  readonly factor: number;
  /** The cap never grows past this; it stays there (remove the entry when the warm-up is over). */
  readonly max: number;
  /** Day 1 as YYYY-MM-DD, when given; otherwise the first day the route sends under warm-up. */
  readonly from: string | undefined;
}

export interface WarmupPlan {
  /** Schedules of routes named in WARMUP. */
  readonly routes: ReadonlyMap<string, WarmupSchedule>;
  /** The entry without a route: every other route, each counted on its own. */
  readonly others: WarmupSchedule | undefined;
}

const SCHEDULE = /^day\s*1\s*=\s*(\d+)\s*,?\s*(?:then\s+)?(?:x|×|\*)\s*(\d+(?:\.\d+)?)\s+(?:daily|a day|per day)\s*,?\s*up\s+to\s+(\d+)\s*(?:,?\s*from\s+(\d{4}-\d{2}-\d{2}))?$/i;
const ROUTE = /^([a-z0-9.-]+:\d{1,5})\s+(day.*)$/i;
const EXAMPLE = 'day1=500, then x1.5 daily up to 200000';

/**
 * Parses WARMUP. `knownRoutes`: SMTP_URL's route names, when known; a named route must be one of them.
 * Throws a plain message naming the part that is wrong.
 */
export function parseWarmup(value: string, knownRoutes?: readonly string[]): WarmupPlan {
  const routes = new Map<string, WarmupSchedule>();
  let others: WarmupSchedule | undefined;
  const entries = value.split(';').map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean);
  if (entries.length === 0) throw new Error(`names no schedule (for example '${EXAMPLE}')`);
  for (const entry of entries) {
    const named = ROUTE.exec(entry);
    const route = named?.[1].toLowerCase();
    const schedule = parseSchedule(named ? named[2] : entry, entry);
    if (route === undefined) {
      if (others) throw new Error(`'${entry}': only one entry may leave out its route (it covers every route not named)`);
      others = schedule;
      continue;
    }
    if (routes.has(route)) throw new Error(`'${route}' has two schedules`);
    if (knownRoutes && !knownRoutes.includes(route)) {
      throw new Error(`'${route}' is not one of SMTP_URL's routes (${knownRoutes.join(', ')}); name a route as host:port`);
    }
    routes.set(route, schedule);
  }
  return { routes, others };
}

function parseSchedule(text: string, entry: string): WarmupSchedule {
  const match = SCHEDULE.exec(text);
  if (!match) throw new Error(`'${entry}' is not a schedule like '${EXAMPLE}' (optionally a route first, host:port, and ', from YYYY-MM-DD' last)`);
  const [day1, factor, max] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (day1 < 1) throw new Error(`'${entry}': day1 must be at least 1`);
  if (factor < 1) throw new Error(`'${entry}': the daily factor must be 1 or more (x1.5 grows the cap by half each day)`);
  if (max < day1) throw new Error(`'${entry}': 'up to ${max}' is below day1=${day1}`);
  const from = match[4];
  if (from !== undefined && Number.isNaN(Date.parse(`${from}T00:00:00Z`))) throw new Error(`'${entry}': '${from}' is not a date`);
  return { day1, factor, max, from };
}

/** The schedule of a route, or undefined when the route is not warmed up. */
export function scheduleOf(plan: WarmupPlan, route: string): WarmupSchedule | undefined {
  return plan.routes.get(route.toLowerCase()) ?? plan.others;
}

const DAY_MS = 86_400_000;

/** The UTC day of a moment, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The start of the next UTC day after a moment. */
export function nextUtcDay(ms: number): Date {
  return new Date((Math.floor(ms / DAY_MS) + 1) * DAY_MS);
}

/** Day 1, 2, 3… of a warm-up that started on `startedOn` (YYYY-MM-DD), on `day`; before the start: day 1. */
export function warmupDay(startedOn: string, day: string): number {
  return Math.max(1, Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${startedOn}T00:00:00Z`)) / DAY_MS) + 1);
}

/** The cap on day `n`: day1 × factor^(n-1), rounded down, at most max. */
export function dailyCap(schedule: WarmupSchedule, n: number): number {
  return Math.min(schedule.max, Math.floor(schedule.day1 * schedule.factor ** (n - 1)));
}
