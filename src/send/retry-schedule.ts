/**
 * When a temporary failure is tried again. Greylisting clears in minutes and a full mailbox in hours, and mail
 * servers keep trying for days, so the default keeps trying for a day: 1, 5, 15, 30 minutes, then hourly
 * (RETRY_SCHEDULE, the last step repeating) for RETRY_FOR_HOURS after the first attempt. A retry waiting
 * for hours costs a delayed BullMQ job and nothing else. Pure: the worker and the config use it.
 */
export interface RetrySchedule {
  /** Delays between attempts (ms); the last one repeats. */
  readonly steps: readonly number[];
  /** Retries stop once the next one would start later than this after the first attempt (ms). */
  readonly forMs: number;
  /** Attempts in all (the first one included) that the schedule allows. */
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_SCHEDULE = '1m,5m,15m,30m,1h';

/** Each wait is the step ± this fraction, so deliveries deferred together do not come back together. */
const JITTER = 0.2;

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `1m,5m,15m,30m,1h` → milliseconds; throws a message naming the step that is wrong. */
export function parseSteps(text: string): number[] {
  const steps = text.split(',').map((part) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(part);
    if (!match) throw new Error(`'${part.trim()}' is not a duration like 30s, 5m or 1h (steps are separated by commas)`);
    const ms = Number(match[1]) * UNITS[match[2]];
    if (ms <= 0) throw new Error(`'${part.trim()}' must be longer than zero`);
    return ms;
  });
  return steps;
}

export function retrySchedule(steps: readonly number[], forHours: number): RetrySchedule {
  const forMs = forHours * 3_600_000;
  let attempts = 1;
  let elapsed = 0;
  for (;;) {
    const next = steps[Math.min(attempts - 1, steps.length - 1)];
    if (elapsed + next > forMs) break;
    elapsed += next;
    attempts++;
  }
  return Object.freeze({ steps: Object.freeze([...steps]), forMs, maxAttempts: attempts });
}

/** The wait after the `attempt`-th attempt failed (1 = the first), with jitter. */
export function retryDelayMs(schedule: RetrySchedule, attempt: number, random = Math.random): number {
  const step = schedule.steps[Math.min(Math.max(attempt, 1) - 1, schedule.steps.length - 1)];
  return Math.round(step * (1 - JITTER + 2 * JITTER * random()));
}
