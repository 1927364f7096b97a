export interface BatcherOptions {
  /** A batch goes out as soon as it holds this many items. */
  maxSize?: number;
  /** …or this long after its first item arrived. 0 means on the next turn of the event loop. */
  maxWaitMs?: number;
}

/**
 * Collects items from concurrent callers and hands them to `flush` together, so that many jobs in flight
 * share one database round trip. Jobs reach a worker one by one, so a short wait (a few milliseconds,
 * small next to an SMTP transaction) turns one query per email into one query per batch.
 */
export class Batcher<In, Out> {
  private pending: { item: In; resolve: (value: Out) => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;

  private readonly maxSize: number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly flush: (items: In[]) => Promise<Out[]>,
    options: BatcherOptions = {},
  ) {
    this.maxSize = options.maxSize ?? 200;
    this.maxWaitMs = options.maxWaitMs ?? 0;
  }

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxSize) this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.maxWaitMs > 0) setTimeout(() => this.run(), this.maxWaitMs);
        else setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flush(batch.map((p) => p.item)).then(
      (results) => batch.forEach((p, i) => p.resolve(results[i])),
      (err) => batch.forEach((p) => p.reject(err)),
    );
  }
}
