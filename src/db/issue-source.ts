import { NotFoundError } from '../errors';
import type { Pool } from './pool';

/** The content file an issue was compiled from, as stored by `issue create` (preflight reads it). */
export async function getIssueSource(pool: Pool, issueId: number): Promise<string> {
  const { rows } = await pool.query<{ source: string }>('SELECT source FROM issues WHERE id = $1', [issueId]);
  if (!rows[0]) throw new NotFoundError('issue', issueId);
  return rows[0].source;
}
