import { NotFoundError, TidingsError } from '../errors';
import type { Pool } from './pool';

export interface ListWithCounts {
  id: number;
  slug: string;
  name: string;
  doubleOptIn: boolean;
  publicArchive: boolean;
  createdAt: Date;
  subscriptions: { confirmed: number; unconfirmed: number; unsubscribed: number };
}

const SELECT = `SELECT l.id, l.slug, l.name, l.double_opt_in AS "doubleOptIn", l.archive_public AS "publicArchive", l.created_at AS "createdAt",
  json_build_object(
    'confirmed', (SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id AND s.status = 'confirmed'),
    'unconfirmed', (SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id AND s.status = 'unconfirmed'),
    'unsubscribed', (SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id AND s.status = 'unsubscribed')
  ) AS subscriptions
  FROM lists l`;

export async function listListsWithCounts(pool: Pool): Promise<ListWithCounts[]> {
  const { rows } = await pool.query<ListWithCounts>(`${SELECT} ORDER BY l.id`);
  return rows;
}

export async function getListWithCounts(pool: Pool, slug: string): Promise<ListWithCounts> {
  const { rows } = await pool.query<ListWithCounts>(`${SELECT} WHERE l.slug = $1`, [slug]);
  if (!rows[0]) throw new NotFoundError('list', slug);
  return rows[0];
}

export async function updateList(pool: Pool, slug: string, changes: { name?: string; doubleOptIn?: boolean; publicArchive?: boolean }): Promise<void> {
  if (changes.name !== undefined && (!changes.name.trim() || /[\r\n]/.test(changes.name))) {
    throw new TidingsError('INVALID_INPUT', 'list name must be non-empty and on one line', { slug });
  }
  const { rowCount } = await pool.query(
    `UPDATE lists SET name = coalesce($2, name), double_opt_in = coalesce($3, double_opt_in), archive_public = coalesce($4, archive_public),
       updated_at = now() WHERE slug = $1`,
    [slug, changes.name?.trim() ?? null, changes.doubleOptIn ?? null, changes.publicArchive ?? null],
  );
  if (!rowCount) throw new NotFoundError('list', slug);
}

/** Deletes a list and its subscriptions; a list that was sent to keeps its record and cannot be deleted. */
export async function deleteList(pool: Pool, slug: string): Promise<void> {
  const { rows } = await pool.query<{ id: number; sends: number }>(
    'SELECT id, (SELECT count(*)::int FROM sends WHERE list_id = lists.id) AS sends FROM lists WHERE slug = $1',
    [slug],
  );
  if (!rows[0]) throw new NotFoundError('list', slug);
  if (rows[0].sends > 0) {
    throw new TidingsError('SEND_STATE', `list '${slug}' has ${rows[0].sends} sends on record and cannot be deleted`, { slug });
  }
  await pool.query('DELETE FROM lists WHERE id = $1', [rows[0].id]);
}
