/** Something that holds accepted work in memory and writes it later (an event buffer). */
export interface WorkBuffer {
  /** Writes what it holds now; resolves when that is stored (or has been given up, and logged). */
  flush(): Promise<void>;
  /** Items it still holds. */
  readonly pendingCount: number;
}

export interface BackgroundWorkOptions {
  /** A task that failed: logged by the caller's logger (the work is not retried). */
  onError(name: string, err: unknown): void;
  /** While draining, how long between reports of what is still running. */
  reportEveryMs?: number;
  onWaiting?(running: Record<string, number>, buffered: Record<string, number>): void;
}

/**
 * Every piece of work a process has accepted but not finished: a subscription answered 202 and handled after
 * the answer (with its confirmation email), opens and clicks waiting in a buffer. Whoever accepts such work
 * registers it here; shutdown calls `drain()`, after the listeners stopped taking new work and before the
 * pools close, so work a client was told is accepted is done before the process exits.
 */
export class BackgroundWork {
  private readonly running = new Map<Promise<void>, string>();
  private readonly buffers = new Map<string, WorkBuffer>();
  private settled: (() => void)[] = [];

  constructor(private readonly options: BackgroundWorkOptions) {}

  /**
   * Runs `task` after the current turn of the event loop (the answer goes out first, so its timing says
   * nothing about what the task finds), tracked from this moment until it settles.
   */
  later(name: string, task: () => Promise<unknown>): void {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(task)
      .then(
        () => undefined,
        (err) => this.options.onError(name, err),
      )
      .finally(() => {
        this.running.delete(run);
        if (this.running.size === 0) for (const resolve of this.settled.splice(0)) resolve();
      });
    this.running.set(run, name);
  }

  /** A buffer that `drain` flushes (after the running tasks, which may add to it). */
  holds(name: string, buffer: WorkBuffer): void {
    this.buffers.set(name, buffer);
  }

  /** Tasks still running, by name. */
  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Waits for every running task (and any task those start), then flushes every buffer, until nothing is left.
   * It has no deadline of its own: the process manager's grace period (docker's stop_grace_period) is the
   * bound, and a report of what is still running is logged while it waits.
   */
  async drain(): Promise<void> {
    const timer = setInterval(() => this.options.onWaiting?.(this.runningByName(), this.bufferedByName()), this.options.reportEveryMs ?? 5000);
    timer.unref();
    try {
      for (;;) {
        if (this.running.size > 0) await new Promise<void>((resolve) => this.settled.push(resolve));
        for (const buffer of this.buffers.values()) await buffer.flush();
        // A buffer that could not write keeps its items (and has logged why); flushing it again here would loop.
        if (this.running.size === 0) return;
      }
    } finally {
      clearInterval(timer);
    }
  }

  private runningByName(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const name of this.running.values()) counts[name] = (counts[name] ?? 0) + 1;
    return counts;
  }

  private bufferedByName(): Record<string, number> {
    return Object.fromEntries([...this.buffers].map(([name, buffer]) => [name, buffer.pendingCount]));
  }
}
