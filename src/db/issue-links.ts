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
 * Where link `linkId` of the issue a delivery carried points, for many clicks in one statement: the
 * targets found, each with the index of its click in `clicks`. A link id of another issue, or of no
 * issue, finds nothing (that click is absent).
 */
export async function findClickTargets(pool: Pool, clicks: readonly { deliveryId: number; linkId: number }[]): Promise<(ClickTarget & { index: number })[]> {
  if (clicks.length === 0) return [];
  const { rows } = await pool.query<ClickTarget & { index: number }>({
    name: 'find-click-targets',
    text: `SELECT (c.n - 1)::int AS index, l.url, d.id AS "deliveryId", d.sent_at AS "sentAt"
     FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS c (delivery_id, link_id, n)
     JOIN deliveries d ON d.id = c.delivery_id
     JOIN sends s ON s.id = d.send_id
     JOIN issue_links l ON l.issue_id = s.issue_id AND l.link_id = c.link_id`,
    values: [clicks.map((c) => c.deliveryId), clicks.map((c) => c.linkId)],
  });
  return rows;
}
