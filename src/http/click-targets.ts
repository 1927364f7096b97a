import { findClickTargets, type ClickTarget } from '../db/issue-links';
import type { Pool } from '../db/pool';

interface Waiting {
  deliveryId: number;
  linkId: number;
  resolve(target: ClickTarget | undefined): void;
  reject(err: unknown): void;
}

/**
 * Looks click targets up in batches: the clicks that arrive while the event loop is busy are looked up
 * together in one statement, so under load there is one PostgreSQL round trip per batch of clicks instead
 * of one per click; alone, a click waits for nothing but its own query.
 */
export class ClickTargets {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly pool: Pool,
    private readonly maxBatch = 500,
  ) {}

  find(deliveryId: number, linkId: number): Promise<ClickTarget | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ deliveryId, linkId, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    while (this.waiting.length > 0) this.lookUp(this.waiting.splice(0, this.maxBatch));
  }

  private lookUp(batch: Waiting[]): void {
    findClickTargets(this.pool, batch).then(
      (rows) => {
        const found = new Map(rows.map((row) => [row.index, row]));
        batch.forEach((click, i) => {
          const row = found.get(i);
          click.resolve(row && { url: row.url, deliveryId: row.deliveryId, sentAt: row.sentAt });
        });
      },
      (err) => batch.forEach((click) => click.reject(err)),
    );
  }
}
