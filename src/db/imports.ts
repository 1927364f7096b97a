import { NotFoundError } from '../errors';
import type { Pool, PoolClient } from './pool';

export interface ImportJob {
  id: number;
  listId: number;
  source: string;
  status: 'running' | 'finished' | 'failed';
  subscriptionStatus: 'confirmed' | 'unconfirmed';
  rowsRead: number;
  imported: number;
  subscribed: number;
  rejected: number;
  checkpointLine: number;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

const COLUMNS = `id, list_id AS "listId", source, status, subscription_status AS "subscriptionStatus", rows_read AS "rowsRead",
  imported, subscribed, rejected, checkpoint_line AS "checkpointLine", error, created_at AS "createdAt", finished_at AS "finishedAt"`;

export async function createImportJob(pool: Pool, input: { listId: number; source: string; subscriptionStatus: string }): Promise<ImportJob> {
  const { rows } = await pool.query<ImportJob>(
    `INSERT INTO import_jobs (list_id, source, subscription_status) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    [input.listId, input.source, input.subscriptionStatus],
  );
  return rows[0];
}

export async function getImportJob(pool: Pool, id: number): Promise<ImportJob> {
  if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError('import', String(id));
  const { rows } = await pool.query<ImportJob>(`SELECT ${COLUMNS} FROM import_jobs WHERE id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('import', id);
  return rows[0];
}

/** Moves a finished or failed import back to running, for --resume. */
export async function reopenImportJob(pool: Pool, id: number): Promise<void> {
  await pool.query(`UPDATE import_jobs SET status = 'running', error = NULL, finished_at = NULL, updated_at = now() WHERE id = $1`, [id]);
}

/**
 * Records a committed batch, in the batch's own transaction: the counters, the rejected rows read since the
 * last batch and the checkpoint line move together with the rows, so a resumed import starts exactly after them.
 */
export async function recordImportBatch(
  client: PoolClient,
  id: number,
  batch: { rowsRead: number; imported: number; subscribed: number; checkpointLine: number; rejections: Array<{ line: number; reason: string }> },
): Promise<void> {
  const { rejections } = batch;
  if (rejections.length) {
    await client.query(
      `INSERT INTO import_rejections (import_id, line, reason)
       SELECT $1, line, reason FROM unnest($2::int[], $3::text[]) AS r (line, reason)
       ON CONFLICT DO NOTHING`,
      [id, rejections.map((r) => r.line), rejections.map((r) => r.reason)],
    );
  }
  await client.query(
    `UPDATE import_jobs SET rows_read = greatest(rows_read, $2), imported = imported + $3, subscribed = subscribed + $4,
       rejected = (SELECT count(*) FROM import_rejections WHERE import_id = $1),
       checkpoint_line = greatest(checkpoint_line, $5), updated_at = now()
     WHERE id = $1`,
    [id, batch.rowsRead, batch.imported, batch.subscribed, batch.checkpointLine],
  );
}

export async function finishImportJob(pool: Pool, id: number, error?: string): Promise<void> {
  await pool.query(
    `UPDATE import_jobs SET status = $2, error = $3, finished_at = now(), updated_at = now() WHERE id = $1`,
    [id, error ? 'failed' : 'finished', error ?? null],
  );
}

export async function listImportRejections(pool: Pool, id: number, limit: number, afterLine = 0): Promise<Array<{ line: number; reason: string }>> {
  const { rows } = await pool.query<{ line: number; reason: string }>(
    'SELECT line, reason FROM import_rejections WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3',
    [id, afterLine, limit],
  );
  return rows;
}
