import { NotFoundError, TidingsError } from '../errors';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGES } from '../i18n/languages';
import { emailProblem } from '../mail/email-address';
import type { Pool } from './pool';

export interface List {
  id: number;
  slug: string;
  name: string;
  doubleOptIn: boolean;
  /** The readers' language: the catalogue of its pages and of its emails' fixed strings. */
  language: string;
  /** The list's own From; null takes MAIL_FROM's. */
  fromName: string | null;
  fromAddress: string | null;
}

/** What a list may be created or changed with, beyond its slug. */
export interface ListSettings {
  name?: string;
  doubleOptIn?: boolean;
  publicArchive?: boolean;
  language?: string;
  /** '' sets it back to MAIL_FROM's. */
  fromName?: string;
  fromAddress?: string;
}

const LIST_COLUMNS = 'id, slug, name, double_opt_in AS "doubleOptIn", language, from_name AS "fromName", from_address AS "fromAddress"';

export function validateListInput(slug: string, name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
    throw new TidingsError('INVALID_INPUT', `list slug '${slug}' is invalid: use 1-63 lowercase letters, digits and dashes`, { slug });
  }
  validateListName(slug, name);
}

/** The language has a catalogue, the From name is one line, the From address is an address. */
function validateListSettings(slug: string, settings: ListSettings): void {
  if (settings.language !== undefined && !isLanguage(settings.language)) {
    throw new TidingsError('INVALID_INPUT', `language '${settings.language}' has no catalogue: use one of ${LANGUAGES.join(', ')} (a translator adds src/i18n/<language>.ts)`, { slug });
  }
  if (settings.fromName !== undefined && /[\r\n]/.test(settings.fromName)) {
    throw new TidingsError('INVALID_INPUT', 'the From name must be on one line', { slug });
  }
  if (settings.fromAddress) {
    const problem = emailProblem(settings.fromAddress.trim());
    if (problem) throw new TidingsError('INVALID_INPUT', `the From address '${settings.fromAddress}' is not valid: ${problem}`, { slug });
  }
}

function validateListName(slug: string, name: string): void {
  if (!name.trim() || /[\r\n]/.test(name)) {
    throw new TidingsError('INVALID_INPUT', 'list name must be non-empty and on one line', { slug });
  }
}

export async function createList(pool: Pool, input: ListSettings & { slug: string; name: string }): Promise<List> {
  validateListInput(input.slug, input.name);
  validateListSettings(input.slug, input);
  const { rows } = await pool.query<List>(
    `INSERT INTO lists (slug, name, double_opt_in, archive_public, language, from_name, from_address)
     VALUES ($1, $2, $3, $4, $5, nullif($6, ''), nullif($7, ''))
     ON CONFLICT (slug) DO NOTHING
     RETURNING ${LIST_COLUMNS}`,
    [input.slug, input.name.trim(), input.doubleOptIn ?? false, input.publicArchive ?? true, input.language ?? DEFAULT_LANGUAGE, input.fromName?.trim() ?? null, input.fromAddress?.trim() ?? null],
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

export interface ListWithCounts {
  id: number;
  slug: string;
  name: string;
  doubleOptIn: boolean;
  publicArchive: boolean;
  language: string;
  fromName: string | null;
  fromAddress: string | null;
  createdAt: Date;
  subscriptions: { confirmed: number; unconfirmed: number; unsubscribed: number };
}

const WITH_COUNTS = `SELECT l.id, l.slug, l.name, l.double_opt_in AS "doubleOptIn", l.archive_public AS "publicArchive",
  l.language, l.from_name AS "fromName", l.from_address AS "fromAddress", l.created_at AS "createdAt",
  json_build_object(
    'confirmed', (SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id AND s.status = 'confirmed'),
    'unconfirmed', (SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id AND s.status = 'unconfirmed'),
    'unsubscribed', (SELECT count(*) FROM subscriptions s WHERE s.list_id = l.id AND s.status = 'unsubscribed')
  ) AS subscriptions
  FROM lists l`;

export async function listListsWithCounts(pool: Pool): Promise<ListWithCounts[]> {
  const { rows } = await pool.query<ListWithCounts>(`${WITH_COUNTS} ORDER BY l.id`);
  return rows;
}

export async function getListWithCounts(pool: Pool, slug: string): Promise<ListWithCounts> {
  const { rows } = await pool.query<ListWithCounts>(`${WITH_COUNTS} WHERE l.slug = $1`, [slug]);
  if (!rows[0]) throw new NotFoundError('list', slug);
  return rows[0];
}

export async function updateList(pool: Pool, slug: string, changes: ListSettings): Promise<void> {
  if (changes.name !== undefined) validateListName(slug, changes.name);
  validateListSettings(slug, changes);
  // A From part given as '' goes back to MAIL_FROM's (NULL); one not given stays.
  const { rowCount } = await pool.query(
    `UPDATE lists SET name = coalesce($2, name), double_opt_in = coalesce($3, double_opt_in), archive_public = coalesce($4, archive_public),
       language = coalesce($5, language),
       from_name = CASE WHEN $6::text IS NULL THEN from_name ELSE nullif($6, '') END,
       from_address = CASE WHEN $7::text IS NULL THEN from_address ELSE nullif($7, '') END,
       updated_at = now() WHERE slug = $1`,
    [slug, changes.name?.trim() ?? null, changes.doubleOptIn ?? null, changes.publicArchive ?? null, changes.language ?? null, changes.fromName?.trim() ?? null, changes.fromAddress?.trim() ?? null],
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
