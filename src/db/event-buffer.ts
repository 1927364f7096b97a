import type { Logger } from '../log';
import { insertTrackedEvents, type TrackedEvent } from './events';
import type { Pool } from './pool';

export interface EventBufferOptions {
  /** A batch is written as soon as it holds this many events… */
  maxSize?: number;
  /** …or this long after its first event arrived. */
  maxWaitMs?: number;
  /** Events kept while PostgreSQL is failing, beyond which the oldest are dropped (and logged). */
  maxPending?: number;
}

/**
 * Tracking hits are answered at once and written in batches: one multi-row INSERT per batch instead of
 * one per request. The subscriber and list come from the delivery in the same statement. `close()` writes
 * everything still buffered, so a graceful shutdown loses nothing.
 */
export class EventBuffer {
  private pending: TrackedEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly maxSize: number;
  private readonly maxWaitMs: number;
  private readonly maxPending: number;
  /** Events written so far (for the bench and logs). */
  written = 0;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    options: EventBufferOptions = {},
  ) {
    this.maxSize = options.maxSize ?? 500;
    this.maxWaitMs = options.maxWaitMs ?? 200;
    this.maxPending = options.maxPending ?? 100_000;
  }

  add(event: TrackedEvent): void {
    this.pending.push(event);
    if (this.closed || this.pending.length >= this.maxSize) this.flushSoon(0);
    else this.flushSoon(this.maxWaitMs);
  }

  /** Events not yet written (buffered, or put back after a failed write). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Writes what is buffered now and waits for every write in flight. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // A failed write puts its events back: try a few times, then leave them for the retry timer.
    for (let attempt = 0; attempt < 3; attempt++) {
      this.startWrite();
      await Promise.allSettled([...this.inFlight]);
      if (this.pending.length === 0 && this.inFlight.size === 0) return;
    }
  }

  /** Flushes and stops: events added afterwards are written at once, one batch each. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.pending.length > 0) {
      this.log.error({ event: 'events.lost', count: this.pending.length }, 'could not write buffered events before stopping');
    }
  }

  private flushSoon(delayMs: number): void {
    if (delayMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.startWrite();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.startWrite();
      }, delayMs);
      this.timer.unref();
    }
  }

  private startWrite(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxSize);
    const write = insertTrackedEvents(this.pool, batch).then(
      () => {
        this.written += batch.length;
      },
      (err) => {
        // Keep the events for the next batch; PostgreSQL may be restarting.
        this.pending.unshift(...batch);
        const excess = this.pending.length - this.maxPending;
        if (excess > 0) this.pending.splice(0, excess);
        this.log.error({ event: 'events.write_failed', count: batch.length, dropped: Math.max(0, excess), err }, 'could not write tracking events');
        if (!this.closed) this.flushSoon(1000);
      },
    );
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
    if (this.pending.length >= this.maxSize) this.startWrite();
  }
}
