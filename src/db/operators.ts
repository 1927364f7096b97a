import { NotFoundError } from '../errors';
import type { Role } from '../auth/roles';
import type { Pool, PoolClient } from './pool';

export interface Operator {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: 'en' | 'zh-CN' | null;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: Date;
}

const COLUMNS = `id, email, name, role, locale, disabled, password_hash IS NOT NULL AS "hasPassword", created_at AS "createdAt"`;

/** Creates an operator; the first one ever is always an owner (someone must be able to manage the rest). */
export async function insertOperator(db: Pool | PoolClient, input: { email: string; name?: string; role?: Role; passwordHash?: string; passwordTokenHash?: string; tokenHours?: number }): Promise<Operator> {
  const { rows } = await db.query<Operator>(
    `INSERT INTO operators (email, name, role, password_hash, password_token_hash, password_token_expires_at)
     SELECT $1, $2, CASE WHEN NOT EXISTS (SELECT 1 FROM operators) THEN 'owner' ELSE coalesce($3, 'editor') END, $4, $5,
            CASE WHEN $5::text IS NULL THEN NULL ELSE now() + make_interval(hours => $6) END
     RETURNING ${COLUMNS}`,
    [input.email, input.name ?? '', input.role ?? null, input.passwordHash ?? null, input.passwordTokenHash ?? null, input.tokenHours ?? 72],
  );
  return rows[0];
}

export async function findOperatorByEmail(pool: Pool, email: string): Promise<(Operator & { passwordHash: string | null }) | undefined> {
  const { rows } = await pool.query<Operator & { passwordHash: string | null }>(
    `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM operators WHERE lower(email) = lower($1)`,
    [email],
  );
  return rows[0];
}

export async function getOperator(pool: Pool, id: number): Promise<Operator> {
  const { rows } = await pool.query<Operator>(`SELECT ${COLUMNS} FROM operators WHERE id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('operator', id);
  return rows[0];
}

export async function listOperators(pool: Pool): Promise<Operator[]> {
  return (await pool.query<Operator>(`SELECT ${COLUMNS} FROM operators ORDER BY id`)).rows;
}

export async function countOwners(pool: Pool | PoolClient): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM operators WHERE role = 'owner' AND NOT disabled`);
  return rows[0].n;
}

export async function updateOperator(pool: Pool, id: number, change: { name?: string; role?: Role; locale?: string | null; disabled?: boolean }): Promise<Operator> {
  const { rows } = await pool.query<Operator>(
    `UPDATE operators SET name = coalesce($2, name), role = coalesce($3, role),
       locale = CASE WHEN $4::boolean THEN $5 ELSE locale END, disabled = coalesce($6, disabled), updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, change.name ?? null, change.role ?? null, change.locale !== undefined, change.locale ?? null, change.disabled ?? null],
  );
  if (!rows[0]) throw new NotFoundError('operator', id);
  return rows[0];
}

export async function deleteOperator(pool: Pool, id: number): Promise<void> {
  const result = await pool.query('DELETE FROM operators WHERE id = $1', [id]);
  if (!result.rowCount) throw new NotFoundError('operator', id);
}

export async function setPasswordHash(pool: Pool | PoolClient, id: number, passwordHash: string): Promise<void> {
  await pool.query(`UPDATE operators SET password_hash = $2, password_token_hash = NULL, password_token_expires_at = NULL, updated_at = now() WHERE id = $1`, [id, passwordHash]);
}

export async function setPasswordToken(pool: Pool, id: number, tokenHash: string, hours: number): Promise<void> {
  await pool.query(`UPDATE operators SET password_token_hash = $2, password_token_expires_at = now() + make_interval(hours => $3), updated_at = now() WHERE id = $1`, [id, tokenHash, hours]);
}

/** The operator a set-password token belongs to, while it is valid. */
export async function findByPasswordToken(pool: Pool, tokenHash: string): Promise<Operator | undefined> {
  const { rows } = await pool.query<Operator>(
    `SELECT ${COLUMNS} FROM operators WHERE password_token_hash = $1 AND password_token_expires_at > now() AND NOT disabled`,
    [tokenHash],
  );
  return rows[0];
}

// ---- sessions

export interface SessionRow {
  operatorId: number;
  csrfToken: string;
  lastSeenAt: Date;
}

export async function insertSession(pool: Pool, s: { idHash: string; operatorId: number; csrfToken: string; days: number; ip?: string; userAgent?: string }): Promise<void> {
  await pool.query(
    `INSERT INTO operator_sessions (id_hash, operator_id, csrf_token, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, now() + make_interval(days => $4), $5, $6)`,
    [s.idHash, s.operatorId, s.csrfToken, s.days, s.ip ?? null, (s.userAgent ?? '').slice(0, 300)],
  );
}

/** A live session with its operator (not disabled); also slides its expiry forward at most once a minute. */
export async function findSession(pool: Pool, idHash: string, days: number): Promise<(SessionRow & { operator: Operator }) | undefined> {
  const { rows } = await pool.query<SessionRow & Operator & { operatorId: number }>(
    `WITH touched AS (
       UPDATE operator_sessions SET last_seen_at = now(), expires_at = now() + make_interval(days => $2)
       WHERE id_hash = $1 AND expires_at > now() AND last_seen_at < now() - interval '1 minute'
     )
     SELECT s.operator_id AS "operatorId", s.csrf_token AS "csrfToken", s.last_seen_at AS "lastSeenAt",
            o.id, o.email, o.name, o.role, o.locale, o.disabled, o.password_hash IS NOT NULL AS "hasPassword", o.created_at AS "createdAt"
     FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
     WHERE s.id_hash = $1 AND s.expires_at > now() AND NOT o.disabled`,
    [idHash, days],
  );
  const r = rows[0];
  if (!r) return undefined;
  const { operatorId, csrfToken, lastSeenAt, ...operator } = r;
  return { operatorId, csrfToken, lastSeenAt, operator };
}

export async function deleteSession(pool: Pool, idHash: string): Promise<void> {
  await pool.query('DELETE FROM operator_sessions WHERE id_hash = $1', [idHash]);
}

/** Logs an operator out everywhere; returns how many sessions ended. */
export async function deleteSessionsOf(pool: Pool | PoolClient, operatorId: number): Promise<number> {
  return (await pool.query('DELETE FROM operator_sessions WHERE operator_id = $1', [operatorId])).rowCount ?? 0;
}

// ---- API tokens

export interface ApiTokenRow {
  id: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export async function insertApiToken(pool: Pool, operatorId: number, name: string, tokenHash: string, prefix: string): Promise<ApiTokenRow> {
  const { rows } = await pool.query<ApiTokenRow>(
    `INSERT INTO api_tokens (operator_id, name, token_hash, prefix) VALUES ($1, $2, $3, $4)
     RETURNING id, name, prefix, created_at AS "createdAt", last_used_at AS "lastUsedAt"`,
    [operatorId, name, tokenHash, prefix],
  );
  return rows[0];
}

export async function listApiTokens(pool: Pool, operatorId: number): Promise<ApiTokenRow[]> {
  const { rows } = await pool.query<ApiTokenRow>(
    `SELECT id, name, prefix, created_at AS "createdAt", last_used_at AS "lastUsedAt" FROM api_tokens WHERE operator_id = $1 ORDER BY id`,
    [operatorId],
  );
  return rows;
}

export async function deleteApiToken(pool: Pool, operatorId: number, id: number): Promise<void> {
  const result = await pool.query('DELETE FROM api_tokens WHERE id = $1 AND operator_id = $2', [id, operatorId]);
  if (!result.rowCount) throw new NotFoundError('API token', id);
}

/** The operator an API token belongs to (not disabled); notes when it was last used, at most once a minute. */
export async function findApiTokenOperator(pool: Pool, tokenHash: string): Promise<Operator | undefined> {
  const { rows } = await pool.query<Operator>(
    `WITH t AS (
       UPDATE api_tokens SET last_used_at = now()
       WHERE token_hash = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
     )
     SELECT o.id, o.email, o.name, o.role, o.locale, o.disabled, o.password_hash IS NOT NULL AS "hasPassword", o.created_at AS "createdAt"
     FROM api_tokens k JOIN operators o ON o.id = k.operator_id WHERE k.token_hash = $1 AND NOT o.disabled`,
    [tokenHash],
  );
  return rows[0];
}
