import { NotFoundError, TidingsError } from '../errors';
import type { Pool } from './pool';

export interface List {
  id: number;
  slug: string;
  name: string;
  doubleOptIn: boolean;
}

const LIST_COLUMNS = 'id, slug, name, double_opt_in AS "doubleOptIn"';

export function validateListInput(slug: string, name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
    throw new TidingsError('INVALID_INPUT', `list slug '${slug}' is invalid: use 1-63 lowercase letters, digits and dashes`, { slug });
  }
  if (!name.trim() || /[\r\n]/.test(name)) {
    throw new TidingsError('INVALID_INPUT', 'list name must be non-empty and on one line', { slug });
  }
}

export async function createList(pool: Pool, input: { slug: string; name: string; doubleOptIn?: boolean }): Promise<List> {
  validateListInput(input.slug, input.name);
  const { rows } = await pool.query<List>(
    `INSERT INTO lists (slug, name, double_opt_in) VALUES ($1, $2, $3)
     ON CONFLICT (slug) DO NOTHING
     RETURNING ${LIST_COLUMNS}`,
    [input.slug, input.name.trim(), input.doubleOptIn ?? false],
  );
  if (!rows[0]) throw new TidingsError('INVALID_INPUT', `list '${input.slug}' already exists`, { slug: input.slug });
  return rows[0];
}

export async function findListBySlug(pool: Pool, slug: string): Promise<List | undefined> {
  const { rows } = await pool.query<List>(`SELECT ${LIST_COLUMNS} FROM lists WHERE slug = $1`, [slug]);
  return rows[0];
}

export async function getListBySlug(pool: Pool, slug: string): Promise<List> {
  const list = await findListBySlug(pool, slug);
  if (!list) throw new NotFoundError('list', slug);
  return list;
}

export async function getListById(pool: Pool, id: number): Promise<List> {
  const { rows } = await pool.query<List>(`SELECT ${LIST_COLUMNS} FROM lists WHERE id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('list', id);
  return rows[0];
}
