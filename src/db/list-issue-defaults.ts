import { NotFoundError } from '../errors';
import type { Pool } from './pool';

/** A list's defaults for the issues written for it (migrations/0040_list_issue_defaults.sql). */
export interface ListIssueDefaults {
  template?: string;
  postal_address?: string;
  default_name?: string;
}

export async function getListIssueDefaults(pool: Pool, slug: string): Promise<ListIssueDefaults> {
  const { rows } = await pool.query<{ template: string | null; postal_address: string | null; default_name: string | null }>(
    'SELECT issue_template AS template, postal_address, default_name FROM lists WHERE slug = $1',
    [slug],
  );
  if (!rows[0]) throw new NotFoundError('list', slug);
  return Object.fromEntries(Object.entries(rows[0]).filter(([, value]) => value !== null)) as ListIssueDefaults;
}

/** Sets some of a list's issue defaults; an empty string clears one. */
export async function setListIssueDefaults(pool: Pool, slug: string, changes: ListIssueDefaults): Promise<void> {
  const value = (v: string | undefined) => (v === undefined ? null : v.trim() === '' ? '' : v.trim());
  const result = await pool.query(
    `UPDATE lists SET
       issue_template = CASE WHEN $2::text IS NULL THEN issue_template ELSE NULLIF($2, '') END,
       postal_address = CASE WHEN $3::text IS NULL THEN postal_address ELSE NULLIF($3, '') END,
       default_name   = CASE WHEN $4::text IS NULL THEN default_name ELSE NULLIF($4, '') END,
       updated_at = now()
     WHERE slug = $1`,
    [slug, value(changes.template), value(changes.postal_address), value(changes.default_name)],
  );
  if (!result.rowCount) throw new NotFoundError('list', slug);
}
