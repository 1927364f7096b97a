import type { Services } from '../app/services';
import { getIssue, type Issue } from '../db/issues';
import { getListBySlug, type List } from '../db/lists';
import { inTransaction } from '../db/pool';
import { createSend, type Send } from '../db/sends';
import { enqueueFanout } from '../queue/queues';
import { ensureSendable } from '../render/preflight-gate';

/**
 * Starts a send of an issue to a list: one sends row and one fan-out job, now or at `at` (a time in the
 * past starts now). The issue and the list are looked up first, so an unknown one fails with a message
 * naming it and creates nothing.
 */
export async function startSend(
  services: Services,
  issueRef: string | number,
  listSlug: string,
  options: { at?: Date } = {},
): Promise<{ send: Send; issue: Issue; list: List }> {
  const issue = await getIssue(services.pool, issueRef);
  const list = await getListBySlug(services.pool, listSlug);
  // Preflight errors stop the send here, before any row exists.
  await ensureSendable(services, issue);
  const send = await inTransaction(services.pool, (client) => createSend(client, issue.id, list.id, options.at ?? null));
  // A scheduled send's fan-out job waits in Redis with a delay; if Redis loses it, the workers' reconciler
  // adds it again from the sends row, so a schedule survives restarts of anything.
  await enqueueFanout(services.queues, send.id, send.scheduledAt);
  services.log.info({ event: 'send.created', sendId: send.id, issueId: issue.id, listId: list.id, scheduledAt: send.scheduledAt }, 'send created');
  return { send, issue, list };
}
