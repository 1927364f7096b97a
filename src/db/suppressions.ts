import type { Pool, PoolClient } from './pool';

export type SuppressionReason = 'hard_bounce' | 'soft_bounce' | 'complaint' | 'manual';

export interface Suppression {
  id: number;
  email: string;
  reason: SuppressionReason;
  source: string;
  details: Record<string, unknown>;
  createdAt: Date;
}

const COLUMNS = 'id, email, reason, source, details, created_at AS "createdAt"';

/**
 * Puts an address on the global suppression list and blocks its subscriber (if any), which every send honours
 * through the delivery claim. Returns false when the address was already suppressed (the first verdict stays).
 */
export async function suppress(
  db: Pool | PoolClient,
  input: { email: string; reason: SuppressionReason; source: string; details?: Record<string, unknown> },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH added AS (
       INSERT INTO suppressions (email, reason, source, details) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT ((lower(email))) DO NOTHING
       RETURNING email
     ), blocked AS (
       UPDATE subscribers SET status = 'blocked', updated_at = now()
       WHERE lower(email) = lower($1) AND status <> 'blocked'
     )
     SELECT email FROM added`,
    [input.email, input.reason, input.source, JSON.stringify(input.details ?? {})],
  );
  return (rowCount ?? 0) > 0;
}

/** Removes an address from the suppression list and makes its subscriber active again. */
export async function removeSuppression(db: Pool | PoolClient, email: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH removed AS (
       DELETE FROM suppressions WHERE lower(email) = lower($1) RETURNING email
     ), unblocked AS (
       UPDATE subscribers SET status = 'active', updated_at = now()
       WHERE lower(email) = lower($1) AND status = 'blocked' AND EXISTS (SELECT 1 FROM removed)
     )
     SELECT email FROM removed`,
    [email],
  );
  return (rowCount ?? 0) > 0;
}

export async function findSuppression(db: Pool | PoolClient, email: string): Promise<Suppression | undefined> {
  const { rows } = await db.query<Suppression>(`SELECT ${COLUMNS} FROM suppressions WHERE lower(email) = lower($1)`, [email]);
  return rows[0];
}

/** A page of the suppression list, newest first (keyset on id), optionally filtered by reason or address part. */
export async function listSuppressions(
  pool: Pool,
  options: { limit: number; beforeId?: number; reason?: SuppressionReason; search?: string },
): Promise<Suppression[]> {
  const { rows } = await pool.query<Suppression>(
    `SELECT ${COLUMNS} FROM suppressions
     WHERE ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR reason = $3)
       AND ($4::text IS NULL OR lower(email) LIKE '%' || lower($4) || '%')
     ORDER BY id DESC LIMIT $1`,
    [options.limit, options.beforeId ?? null, options.reason ?? null, options.search ?? null],
  );
  return rows;
}
