import type { Job } from 'bullmq';
import type { Services } from '../src/app/services';
import { countRecipients, createDeliveryPage } from '../src/db/deliveries';
import { inTransaction } from '../src/db/pool';
import { finishSendsIfDone, getSend, setFanoutCursor, transitionSend } from '../src/db/sends';
import { enqueueDeliveries, type FanoutJobData } from '../src/queue/queues';

export const FANOUT_PAGE_SIZE = 2_000;

/**
 * The fan-out job of a send: walks the list's recipients in keyset pages, creates their deliveries and
 * queues one deliver job each. The cursor is saved after each page is queued, so a fan-out that dies is
 * resumed from its last page by the job's retry; a page done twice creates and queues nothing twice.
 */
export function createFanoutProcessor(services: Services) {
  return async function fanout(job: Job<FanoutJobData>): Promise<{ queued: number }> {
    const { pool, queues } = services;
    const log = services.log.child({ sendId: job.data.sendId });
    let send = await getSend(pool, job.data.sendId);
    if (send.status === 'queued') {
      const total = await countRecipients(pool, send.listId);
      await pool.query('UPDATE sends SET total = $2 WHERE id = $1', [send.id, total]);
      await transitionSend(pool, send.id, ['queued'], 'fanning_out');
      log.info({ event: 'send.started', total }, 'send started');
      send = await getSend(pool, send.id);
    }
    if (send.status !== 'fanning_out') {
      log.info({ event: 'fanout.skipped', status: send.status }, 'fan-out not needed');
      return { queued: 0 };
    }

    let cursor = send.fanoutCursor;
    let queued = 0;
    for (;;) {
      const page = await inTransaction(pool, (client) => createDeliveryPage(client, send.id, send.listId, cursor, FANOUT_PAGE_SIZE));
      if (page.lastSubscriberId === null) break;
      await enqueueDeliveries(queues, page.queuedDeliveryIds);
      queued += page.queuedDeliveryIds.length;
      cursor = page.lastSubscriberId;
      await setFanoutCursor(pool, send.id, cursor, 0);
      await job.updateProgress({ queued });
    }
    // The true total is the number of deliveries, whatever changed on the list during the fan-out.
    await pool.query('UPDATE sends SET total = (SELECT count(*) FROM deliveries WHERE send_id = $1) WHERE id = $1', [send.id]);
    await transitionSend(pool, send.id, ['fanning_out'], 'sending');
    // An empty list, or one whose deliveries all finished during the fan-out, is done now.
    const finished = await finishSendsIfDone(pool, [send.id]);
    log.info({ event: 'fanout.finished', queued, finished: finished.length > 0 }, 'fan-out finished');
    return { queued };
  };
}
