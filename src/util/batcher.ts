/**
 * Collects items from concurrent callers and hands them to `flush` together, so that many jobs in flight
 * share one database round trip. A batch goes out when it reaches `maxSize`, or on the next turn of the
 * event loop, whichever comes first: under light load nothing waits, under heavy load batches fill up.
 */
export class Batcher<In, Out> {
  private pending: { item: In; resolve: (value: Out) => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: In[]) => Promise<Out[]>,
    private readonly maxSize = 200,
  ) {}

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxSize) this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
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
