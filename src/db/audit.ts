import type { Pool } from './pool';

export interface AuditEntry {
  id: number;
  at: Date;
  operatorId: number | null;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  ip: string | null;
}

export async function insertAudit(pool: Pool, entry: { operatorId: number | null; actor: string; action: string; target: string; details: Record<string, unknown>; ip?: string }): Promise<void> {
  await pool.query(
    'INSERT INTO audit_log (operator_id, actor, action, target, details, ip) VALUES ($1, $2, $3, $4, $5::jsonb, $6)',
    [entry.operatorId, entry.actor, entry.action, entry.target, JSON.stringify(entry.details), entry.ip ?? null],
  );
}

/** Newest first, a page at a time (keyset on id); optionally only one action kind or one actor. */
export async function listAudit(pool: Pool, filter: { before?: number; limit: number; action?: string; actor?: string }): Promise<AuditEntry[]> {
  const { rows } = await pool.query<AuditEntry>(
    `SELECT id, at, operator_id AS "operatorId", actor, action, target, details, ip FROM audit_log
     WHERE ($1::bigint IS NULL OR id < $1) AND ($3::text IS NULL OR action LIKE $3 || '%') AND ($4::text IS NULL OR actor = $4)
     ORDER BY id DESC LIMIT $2`,
    [filter.before ?? null, filter.limit, filter.action ?? null, filter.actor ?? null],
  );
  return rows;
}
