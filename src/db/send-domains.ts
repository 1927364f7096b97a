import type { Pool } from './pool';

export interface DomainResult {
  domain: string;
  total: number;
  sent: number;
  failed: number;
  other: number;
}

/** A send's deliveries by recipient domain (the 20 largest): where refusals concentrate shows a provider's block. */
export async function deliveriesByDomain(pool: Pool, sendId: number, limit = 20): Promise<DomainResult[]> {
  const { rows } = await pool.query<DomainResult>(
    `SELECT lower(split_part(s.email, '@', 2)) AS domain, count(*)::int AS total,
            count(*) FILTER (WHERE d.status = 'sent')::int AS sent,
            count(*) FILTER (WHERE d.status = 'failed')::int AS failed,
            count(*) FILTER (WHERE d.status NOT IN ('sent', 'failed'))::int AS other
     FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
     WHERE d.send_id = $1 GROUP BY 1 ORDER BY total DESC, domain LIMIT $2`,
    [sendId, limit],
  );
  return rows;
}
