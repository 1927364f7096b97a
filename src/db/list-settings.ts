import { NotFoundError } from '../errors';
import type { Pool } from './pool';

/** Whether messages of a list carry the open pixel and tracked links. */
export async function getListTracking(pool: Pool, listId: number): Promise<boolean> {
  const { rows } = await pool.query<{ tracking: boolean }>('SELECT tracking FROM lists WHERE id = $1', [listId]);
  if (!rows[0]) throw new NotFoundError('list', listId);
  return rows[0].tracking;
}

/** Switches tracking of a list on or off; sends started afterwards follow it. */
export async function setListTracking(pool: Pool, slug: string, tracking: boolean): Promise<void> {
  const result = await pool.query('UPDATE lists SET tracking = $2, updated_at = now() WHERE slug = $1', [slug, tracking]);
  if (!result.rowCount) throw new NotFoundError('list', slug);
}
