import type { Config } from '../config';
import type { Pool } from '../db/pool';
import type { DeliveryCounts, Send } from '../db/sends';
import { RUNNING_SEND_STATES } from '../db/states';
import { currentWarmupHold } from '../db/warmup';
import { dailyCap, scheduleOf, utcDay, warmupDay } from './warmup';

export interface WarmupStatus {
  /** When the next day's caps let the held deliveries go. */
  heldUntil: Date;
  /** The send's deliveries waiting for it (queued or waiting to retry). */
  held: number;
  /** Each capped route: its warm-up day and the cap of that day. */
  routes: { route: string; day: number; cap: number }[];
}

/** What `tidings status` and GET /api/sends/:id say of a running send the warm-up holds back; null otherwise. */
export async function warmupStatus(pool: Pool, config: Pick<Config, 'warmup'>, send: Pick<Send, 'status'>, counts: DeliveryCounts): Promise<WarmupStatus | null> {
  if (!config.warmup || !RUNNING_SEND_STATES.includes(send.status)) return null;
  const held = counts.queued + counts.retrying;
  if (held === 0) return null;
  const hold = await currentWarmupHold(pool);
  if (!hold) return null;
  // The day the hold was set: the cap shown is the one that was used up.
  const day = utcDay(hold.until.getTime() - 1);
  const routes = hold.routes.flatMap(({ route, startedOn }) => {
    const schedule = scheduleOf(config.warmup!, route);
    if (!schedule) return [];
    const n = warmupDay(schedule.from ?? startedOn, day);
    return [{ route, day: n, cap: dailyCap(schedule, n) }];
  });
  return { heldUntil: hold.until, held, routes };
}
