/**
 * Keeps the fan-out at most FANOUT_AHEAD deliver jobs ahead of the senders, so Redis holds a bounded number
 * of jobs for a send whatever the list size (a million-subscriber list would otherwise sit in Redis whole,
 * ~290 MB). Only jobs ready to be taken count: a delayed retry is not ahead of anyone.
 */
export interface FanoutRoom {
  /** Deliver jobs waiting for a sender now (Redis). */
  backlog(): Promise<number>;
  /** False once the send left its fan-out (paused, cancelled): the fan-out stops instead of waiting. */
  stillFanningOut(): Promise<boolean>;
  /** Aborted when the worker shuts down: a waiting fan-out gives its job back (the reconciler re-adds it). */
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The page size of a bounded fan-out: a page on its way plus the next one must fit in the room, or the
 * fan-out could never go on.
 */
export function fanoutPageSize(ahead: number, maxPage: number): number {
  return ahead > 0 ? Math.max(1, Math.min(maxPage, Math.floor(ahead / 2))) : maxPage;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves 'room' once `pending` more jobs (already on their way to Redis) plus `page` new ones fit under
 * `ahead` waiting jobs, or 'stopped' when the send stops fanning out or the worker stops meanwhile.
 * `ahead` 0: never waits.
 * Polls the backlog with a growing interval (25 ms up to 500 ms): one cheap Redis call per poll.
 */
export async function waitForRoom(room: FanoutRoom, ahead: number, pending: number, page: number): Promise<'room' | 'stopped'> {
  if (ahead <= 0) return 'room';
  const sleep = room.sleep ?? defaultSleep;
  let interval = 25;
  let waited = 0;
  let checkedStatusAt = 0;
  for (;;) {
    if (room.signal?.aborted) return 'stopped';
    if ((await room.backlog()) + pending + page <= ahead) return 'room';
    if (waited - checkedStatusAt >= 1000) {
      checkedStatusAt = waited;
      if (!(await room.stillFanningOut())) return 'stopped';
    }
    await sleep(interval);
    waited += interval;
    interval = Math.min(500, interval * 2);
  }
}
