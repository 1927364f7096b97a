import type { Services } from '../app/services';
import { getIssue, issueInLanguage, type Issue } from '../db/issues';
import { getListBySlug, type List } from '../db/lists';
import { inTransaction } from '../db/pool';
import { findEarlierSends, lockIssueForSend, type EarlierSend } from '../db/send-history';
import { segmentForList } from '../db/segments';
import { createSend, type Send } from '../db/sends';
import { TidingsError } from '../errors';
import { enqueueFanout } from '../queue/queues';
import { ensureSendable } from '../issues/preflight-gate';
import type { Finding } from '../render/preflight';

export interface StartSendOptions {
  at?: Date;
  /** Send even though the issue already went (or is going) to this list. */
  again?: boolean;
  /** With `again`: also send to subscribers who received the issue before. */
  includePrevious?: boolean;
  /** Only the list's subscribers in this segment (a copy of its definition goes on the send). */
  segmentId?: number;
}

/** How an earlier send reads in the refusal: "send 3 (finished 2026-12-01 08:04 UTC, 1000 sent)". */
export function describeEarlierSend(send: EarlierSend): string {
  const when = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const state =
    send.status === 'scheduled' && send.scheduledAt ? `scheduled for ${when(send.scheduledAt)}`
    : send.status === 'finished' && send.finishedAt ? `finished ${when(send.finishedAt)}`
    : `${send.status.replace('_', ' ')} since ${when(send.startedAt ?? send.createdAt)}`;
  return `send ${send.id} (${state}, ${send.sent} sent)`;
}

/**
 * Starts a send of an issue to a list: one sends row and one fan-out job, now or at `at` (a time in the
 * past starts now). The issue and the list are looked up first, so an unknown one fails with a message
 * naming it and creates nothing. A second send of the same issue to the same list is refused unless
 * `again`; even then it skips whoever received the issue already, unless `includePrevious`.
 */
export async function startSend(
  services: Pick<Services, 'pool' | 'queues' | 'log' | 'config'>,
  issueRef: string | number,
  listSlug: string,
  options: StartSendOptions = {},
): Promise<{ send: Send; issue: Issue; list: List; repeats: EarlierSend[]; warnings: Finding[] }> {
  const issue = await getIssue(services.pool, issueRef);
  const list = await getListBySlug(services.pool, listSlug);
  const segment = options.segmentId === undefined ? null : await segmentForList(services.pool, options.segmentId, list.id);
  // Preflight errors stop the send here, before any row exists; its warnings go back to the operator. So does
  // an issue with no rendering in the list's language (its messages would have another language's strings).
  const { warnings } = await ensureSendable(services, issue);
  await issueInLanguage(services.pool, issue, list.language);
  const { send, repeats } = await inTransaction(services.pool, async (client) => {
    await lockIssueForSend(client, issue.id);
    const earlier = await findEarlierSends(client, issue.id, list.id);
    if (earlier.length > 0 && !options.again) {
      throw new TidingsError(
        'ALREADY_SENT',
        `issue '${issue.slug}' was already sent to list '${list.slug}': ${earlier.map(describeEarlierSend).join(', ')}. ` +
          `Nothing was created. To send it again on purpose, add --again (API: "again": true); subscribers who received it are skipped unless you also add --include-previous ("includePrevious": true).`,
        { issueId: issue.id, listId: list.id, earlierSendIds: earlier.map((s) => s.id) },
      );
    }
    const skipPrevious = earlier.length > 0 && !options.includePrevious;
    return { send: await createSend(client, issue.id, list.id, options.at ?? null, skipPrevious, segment), repeats: earlier };
  });
  // A scheduled send's fan-out job waits in Redis with a delay; if Redis loses it, the workers' reconciler
  // adds it again from the sends row, so a schedule survives restarts of anything.
  await enqueueFanout(services.queues, send.id, send.scheduledAt);
  services.log.info(
    { event: 'send.created', sendId: send.id, issueId: issue.id, listId: list.id, scheduledAt: send.scheduledAt, repeats: repeats.map((s) => s.id) },
    'send created',
  );
  return { send, issue, list, repeats, warnings };
}
