import type { Pool } from './pool';

export interface ExportRow {
  id: number;
  email: string;
  name: string;
  status: string;
  subscribedAt: Date;
  attributes: Record<string, unknown>;
}

/** The next page of a list's subscriptions after a subscriber id (keyset), optionally of one status. */
export async function exportPage(pool: Pool, listId: number, afterSubscriberId: number, limit: number, status?: string): Promise<ExportRow[]> {
  const { rows } = await pool.query<ExportRow>(
    `SELECT s.id, s.email, s.name, sub.status, sub.created_at AS "subscribedAt", s.attributes
     FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
     WHERE sub.list_id = $1 AND sub.subscriber_id > $2 AND ($4::text IS NULL OR sub.status = $4)
     ORDER BY sub.subscriber_id
     LIMIT $3`,
    [listId, afterSubscriberId, limit, status ?? null],
  );
  return rows;
}
