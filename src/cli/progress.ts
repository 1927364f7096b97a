import cliProgress from 'cli-progress';
import type { Services } from '../app/services';
import { countDeliveries, getSend, type DeliveryCounts, type Send } from '../db/sends';
import { ENDED_SEND_STATES } from '../db/states';

export interface SendOutcome {
  send: Send;
  counts: DeliveryCounts;
  seconds: number;
}

/**
 * Waits for a send to end, polling PostgreSQL (the record of truth), with a live bar on a terminal:
 * deliveries done of total, rate and ETA.
 */
export async function waitForSend(services: Services, sendId: number, options: { bar: boolean; startedAt?: number }): Promise<SendOutcome> {
  const started = options.startedAt ?? Date.now();
  const bar = options.bar
    ? new cliProgress.SingleBar(
        {
          format: 'sending |{bar}| {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | failed {failed}',
          hideCursor: true,
          etaBuffer: 50,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(1, 0, { rate: '0', failed: 0 });
  try {
    for (;;) {
      const [send, counts] = await Promise.all([getSend(services.pool, sendId), countDeliveries(services.pool, sendId)]);
      const done = counts.sent + counts.failed + counts.suppressed + counts.cancelled;
      const seconds = (Date.now() - started) / 1000;
      bar?.setTotal(Math.max(send.total, counts.total, 1));
      bar?.update(done, { rate: seconds > 0 ? (counts.sent / seconds).toFixed(0) : '0', failed: counts.failed });
      if (ENDED_SEND_STATES.includes(send.status)) return { send, counts, seconds };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    bar?.stop();
  }
}
