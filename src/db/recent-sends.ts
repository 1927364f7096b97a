import type { Pool } from './pool';

export interface SendSummary {
  id: number;
  status: string;
  statusReason: string | null;
  issue: string;
  subject: string;
  list: string;
  total: number;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  counts: Record<string, number>;
}

/** The latest sends with live delivery counts per status (for the API and the /admin page). */
export async function listRecentSends(pool: Pool, limit: number, beforeId?: number): Promise<SendSummary[]> {
  const { rows } = await pool.query<SendSummary>(
    `SELECT s.id, s.status, s.status_reason AS "statusReason", i.slug AS issue, i.subject, l.slug AS list, s.total,
            s.scheduled_at AS "scheduledAt", s.started_at AS "startedAt", s.finished_at AS "finishedAt", s.created_at AS "createdAt",
            coalesce((SELECT json_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM deliveries d
                      WHERE d.send_id = s.id GROUP BY status) c), '{}'::json) AS counts
     FROM sends s JOIN issues i ON i.id = s.issue_id JOIN lists l ON l.id = s.list_id
     WHERE ($2::bigint IS NULL OR s.id < $2)
     ORDER BY s.id DESC LIMIT $1`,
    [limit, beforeId ?? null],
  );
  return rows;
}
