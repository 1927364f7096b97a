import type { Services } from '../app/services';
import { getIssue, type Issue } from '../db/issues';
import { getListBySlug, type List } from '../db/lists';
import { inTransaction } from '../db/pool';
import { createSend, type Send } from '../db/sends';
import { FANOUT_JOB_OPTIONS, fanoutJobId } from '../queue/queues';

/**
 * Starts a send of an issue to a list: one sends row and one fan-out job. The issue and the list are
 * looked up first, so an unknown one fails with a message naming it and creates nothing.
 */
export async function startSend(services: Services, issueRef: string | number, listSlug: string): Promise<{ send: Send; issue: Issue; list: List }> {
  const issue = await getIssue(services.pool, issueRef);
  const list = await getListBySlug(services.pool, listSlug);
  const send = await inTransaction(services.pool, (client) => createSend(client, issue.id, list.id));
  await services.queues.fanout.add('fanout', { sendId: send.id }, { ...FANOUT_JOB_OPTIONS, jobId: fanoutJobId(send.id) });
  services.log.info({ event: 'send.created', sendId: send.id, issueId: issue.id, listId: list.id }, 'send created');
  return { send, issue, list };
}
