import type { Services } from '../app/services';
import { activeSends, claimableDeliveries, countClaimable } from '../db/send-control';
import { finishSendsIfDone } from '../db/sends';
import { deliverQueues, enqueueDeliveries, enqueueFanout } from '../queue/queues';

const PAGE = 5_000;

/**
 * Queues every delivery of a send that a worker may take, from PostgreSQL (retries delayed until due). Jobs that still exist in
 * Redis are not duplicated (job ids come from the deliveries), so this is safe to run at any time.
 */
export async function requeueSend(services: Pick<Services, 'pool' | 'queues'>, sendId: number): Promise<number> {
  let after = 0;
  let queued = 0;
  for (;;) {
    const page = await claimableDeliveries(services.pool, sendId, after, PAGE);
    if (page.length === 0) break;
    // A delivery waiting for its retry gets a job delayed until it is due, as the worker had made it.
    const due = new Map(page.flatMap((d) => (d.due ? [[d.id, d.due] as const] : [])));
    await enqueueDeliveries(services.queues, page.map((d) => d.id), due);
    queued += page.length;
    after = page[page.length - 1].id;
  }
  return queued;
}

export interface ReconcileResult {
  fanouts: number;
  requeued: number;
}

/**
 * Makes Redis hold the work PostgreSQL says is left: a fan-out job for every send waiting for or in its
 * fan-out (scheduled ones with their delay), and a deliver job for every claimable delivery when the queue
 * holds fewer jobs than there are such deliveries (after a Redis wipe, or deliveries whose worker died).
 * Workers run it on start and periodically; `tidings resume` runs it for one send.
 */
export async function reconcile(services: Services, options: { force?: boolean } = {}): Promise<ReconcileResult> {
  const sends = await activeSends(services.pool);
  let fanouts = 0;
  for (const send of sends) {
    if (send.status === 'scheduled' || send.status === 'queued' || send.status === 'fanning_out') {
      if (await enqueueFanout(services.queues, send.id, send.scheduledAt)) fanouts++;
    }
  }
  const running = sends.filter((s) => s.status === 'fanning_out' || s.status === 'sending');
  if (running.length === 0) return { fanouts, requeued: 0 };
  let requeued = 0;
  // Jobs routed to a domain group's queue wait there (DOMAIN_LIMITS): they count too.
  const counts = await Promise.all(deliverQueues(services.queues).map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
  const inQueue = counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
  const claimable = await countClaimable(services.pool);
  if (options.force || inQueue < claimable) {
    for (const send of running) requeued += await requeueSend(services, send.id);
  }
  // A send whose last deliveries were settled while no worker looked (e.g. cancelled in-flight) is done now.
  await finishSendsIfDone(services.pool, running.map((s) => s.id));
  if (fanouts || requeued) services.log.info({ event: 'reconcile.requeued', fanouts, requeued, inQueue, claimable }, 'work restored from PostgreSQL');
  return { fanouts, requeued };
}
