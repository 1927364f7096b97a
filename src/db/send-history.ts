import { anySentDelivery, sentDeliveriesCount } from './partitions';
import type { Pool, PoolClient } from './pool';

/** An earlier send of an issue to a list that a new send of the same pair would repeat. */
export interface EarlierSend {
  id: number;
  status: string;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  sent: number;
}

/**
 * Locks the issue's row until the transaction ends, so two sends of one issue started at the same moment
 * cannot both see "no earlier send" and both go out.
 */
export async function lockIssueForSend(client: PoolClient, issueId: number): Promise<void> {
  await client.query('SELECT 1 FROM issues WHERE id = $1 FOR UPDATE', [issueId]);
}

/**
 * The sends of this issue to this list that count as "already sent or being sent": every send that is
 * scheduled, running, paused or finished, and a cancelled or failed one that got at least one message out.
 */
export async function findEarlierSends(db: Pool | PoolClient, issueId: number, listId: number): Promise<EarlierSend[]> {
  const { rows } = await db.query<EarlierSend>(
    `SELECT s.id, s.status, s.scheduled_at AS "scheduledAt", s.started_at AS "startedAt", s.finished_at AS "finishedAt",
            s.created_at AS "createdAt",
            ${sentDeliveriesCount('s.id')}::int AS sent
     FROM sends s
     WHERE s.issue_id = $1 AND s.list_id = $2
       AND (s.status NOT IN ('cancelled', 'failed')
            OR ${anySentDelivery('s.id')})
     ORDER BY s.id DESC`,
    [issueId, listId],
  );
  return rows;
}
