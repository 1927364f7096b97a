import { sentDeliveriesCount } from './partitions';
import type { Pool } from './pool';

export interface IssueSendSummary {
  id: number;
  list: string;
  status: string;
  total: number;
  sent: number;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface IssueSummary {
  id: number;
  slug: string;
  subject: string;
  template: string;
  createdAt: Date;
  updatedAt: Date;
  /** Every send of the issue, newest first. */
  sends: IssueSendSummary[];
}

/** The issues, newest first (keyset by id), each with its sends: what `tidings issue ls` and GET /api/issues show. */
export async function listIssues(pool: Pool, limit: number, beforeId?: number): Promise<IssueSummary[]> {
  const { rows } = await pool.query<IssueSummary>(
    `SELECT i.id, i.slug, i.subject, i.template, i.created_at AS "createdAt", i.updated_at AS "updatedAt",
            coalesce((
              SELECT json_agg(json_build_object(
                       'id', s.id, 'list', l.slug, 'status', s.status, 'total', s.total,
                       'sent', ${sentDeliveriesCount('s.id')},
                       'scheduledAt', s.scheduled_at, 'startedAt', s.started_at, 'finishedAt', s.finished_at)
                     ORDER BY s.id DESC)
              FROM sends s JOIN lists l ON l.id = s.list_id WHERE s.issue_id = i.id), '[]'::json) AS sends
     FROM issues i
     WHERE ($2::bigint IS NULL OR i.id < $2)
     ORDER BY i.id DESC LIMIT $1`,
    [limit, beforeId ?? null],
  );
  return rows;
}

/** How many sends an issue has had (an issue that was sent is read-only in the composer). */
export async function countSendsOfIssue(pool: Pool, issueId: number): Promise<number> {
  const { rows } = await pool.query<{ sends: number }>('SELECT count(*)::int AS sends FROM sends WHERE issue_id = $1', [issueId]);
  return rows[0].sends;
}
