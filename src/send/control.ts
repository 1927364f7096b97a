import type { Services } from '../app/services';
import { markCancelled, markFailedForRetry, markPaused, markResumed } from '../db/send-control';
import { getSend, type Send } from '../db/sends';
import { ACTIVE_SEND_STATES } from '../db/states';
import { TidingsError } from '../errors';
import { enqueueFanout } from '../queue/queues';
import { requeueSend } from './reconcile';

export { startSend } from './start-send';

/** What pausing, resuming, cancelling and retrying a send use: the database, the queues, the log. */
export type SendControlDeps = Pick<Services, 'pool' | 'queues' | 'log'>;

/**
 * Pauses a send: workers stop claiming its deliveries at once (the claim checks the send's status), so no
 * new SMTP transaction starts for it; messages already handed to SMTP finish and are recorded.
 */
export async function pauseSend(services: SendControlDeps, sendId: number, reason = 'paused by the operator'): Promise<Send> {
  const previous = await markPaused(services.pool, sendId, reason);
  const send = await getSend(services.pool, sendId);
  if (!previous) throw new TidingsError('SEND_STATE', `send ${sendId} is ${send.status}: only a scheduled or running send can be paused`, { sendId });
  services.log.info({ event: 'send.paused', sendId, previous, reason }, 'send paused');
  return send;
}

/**
 * Resumes a paused send where it stopped, from PostgreSQL: the fan-out continues from its cursor and every
 * delivery not yet sent is queued again. On a running send it restores the queue after Redis lost it.
 * Nobody is skipped (the rows say who is left) and nobody is sent twice (a sent delivery is not claimable).
 */
export async function resumeSend(services: SendControlDeps, sendId: number): Promise<{ send: Send; requeued: number }> {
  let send = await getSend(services.pool, sendId);
  if (send.status === 'paused') {
    await markResumed(services.pool, sendId);
    send = await getSend(services.pool, sendId);
    services.log.info({ event: 'send.resumed', sendId, status: send.status }, 'send resumed');
  } else if (!ACTIVE_SEND_STATES.includes(send.status)) {
    throw new TidingsError('SEND_STATE', `send ${sendId} is ${send.status}: there is nothing to resume`, { sendId });
  }
  if (send.status !== 'sending') await enqueueFanout(services.queues, sendId, send.status === 'scheduled' ? send.scheduledAt : null);
  const requeued = send.status === 'sending' || send.status === 'fanning_out' ? await requeueSend(services, sendId) : 0;
  return { send, requeued };
}

/** Cancels a send: every delivery not yet sent becomes `cancelled`. */
export async function cancelSend(services: SendControlDeps, sendId: number): Promise<{ send: Send; cancelledDeliveries: number }> {
  const result = await markCancelled(services.pool, sendId);
  const send = await getSend(services.pool, sendId);
  if (!result.cancelled && send.status !== 'cancelled') {
    throw new TidingsError('SEND_STATE', `send ${sendId} is ${send.status}: it can no longer be cancelled`, { sendId });
  }
  services.log.info({ event: 'send.cancelled', sendId, deliveries: result.deliveries }, 'send cancelled');
  return { send, cancelledDeliveries: result.deliveries };
}

/** Queues again the deliveries that failed for a temporary or sender-side reason. */
export async function retryFailed(services: SendControlDeps, sendId: number): Promise<{ send: Send; retried: number }> {
  await getSend(services.pool, sendId);
  const retried = await markFailedForRetry(services.pool, sendId);
  if (retried > 0) await requeueSend(services, sendId);
  services.log.info({ event: 'send.retry_failed', sendId, retried }, 'failed deliveries queued again');
  return { send: await getSend(services.pool, sendId), retried };
}
