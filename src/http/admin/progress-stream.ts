import type { Response } from 'express';
import type { Pool } from '../../db/pool';
import { listRecentSends, type SendSummary } from '../../db/recent-sends';

/** How often connected pages get fresh send counts while a send runs, and while none does. */
const ACTIVE_MS = 1000;
const IDLE_MS = 5000;
const RUNNING = new Set(['queued', 'fanning_out', 'sending']);

/**
 * Live send progress for the app as server-sent events: one query per tick for all connected pages
 * together (not one per page), and only while a page is connected; faster while a send is running.
 */
export class ProgressStream {
  private readonly clients = new Set<Response>();
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(private readonly pool: Pool, private readonly onError: (err: unknown) => void) {}

  add(res: Response): void {
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    if (this.last) res.write(this.last);
    if (!this.timer) void this.tick();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.clients.size === 0) return;
    let sends: SendSummary[] = [];
    try {
      sends = await listRecentSends(this.pool, 20);
      const message = `event: sends\ndata: ${JSON.stringify({ sends, at: new Date().toISOString() })}\n\n`;
      this.last = message;
      for (const res of this.clients) res.write(message);
    } catch (err) {
      this.onError(err);
    }
    if (this.clients.size === 0) return;
    this.timer = setTimeout(() => void this.tick(), sends.some((s) => RUNNING.has(s.status)) ? ACTIVE_MS : IDLE_MS);
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = '';
  }

  /** Ends every stream (at shutdown, so the HTTP server can close). */
  close(): void {
    this.stop();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
