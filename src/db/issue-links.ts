import type { Pool } from './pool';

/**
 * Stores an issue's links, numbered 1… in the order given, and returns the stored numbering. Idempotent
 * and safe when several workers build the same send at once: the first writer's numbering wins, and the
 * numbering is a pure function of the issue's HTML (which cannot change once sent).
 */
export async function ensureIssueLinks(pool: Pool, issueId: number, urls: readonly string[]): Promise<Map<string, number>> {
  if (urls.length > 0) {
    await pool.query(
      `INSERT INTO issue_links (issue_id, link_id, url)
       SELECT $1, ord::int, url FROM unnest($2::text[]) WITH ORDINALITY AS input (url, ord)
       ON CONFLICT (issue_id, link_id) DO NOTHING`,
      [issueId, urls],
    );
  }
  const { rows } = await pool.query<{ linkId: number; url: string }>(
    'SELECT link_id AS "linkId", url FROM issue_links WHERE issue_id = $1 ORDER BY link_id',
    [issueId],
  );
  return new Map(rows.map((r) => [r.url, r.linkId]));
}

export interface ClickTarget {
  url: string;
  deliveryId: number;
  sentAt: Date | null;
}

/**
 * Where link `linkId` of the issue a delivery carried points, or undefined: a link id of another issue,
 * or of no issue, finds nothing.
 */
export async function findClickTarget(pool: Pool, deliveryId: number, linkId: number): Promise<ClickTarget | undefined> {
  const { rows } = await pool.query<ClickTarget>(
    `SELECT l.url, d.id AS "deliveryId", d.sent_at AS "sentAt"
     FROM deliveries d
     JOIN sends s ON s.id = d.send_id
     JOIN issue_links l ON l.issue_id = s.issue_id AND l.link_id = $2
     WHERE d.id = $1`,
    [deliveryId, linkId],
  );
  return rows[0];
}
