import { NotFoundError } from '../errors';
import { anySentDelivery } from './partitions';
import type { Pool } from './pool';

/**
 * When a send makes its issue public: it reached at least one reader, or it finished. A draft, a scheduled
 * send and one cancelled before anything went out publish nothing.
 */
const SENT = `(s.status = 'finished' OR ${anySentDelivery('s.id')})`;

export interface ArchivedIssue {
  id: number;
  slug: string;
  subject: string;
  preheader: string;
  defaultName: string;
  html: string;
  text: string;
  /** The list of the latest public send (its name goes in the web version's footer, its language in the page). */
  listSlug: string;
  listName: string;
  listLanguage: string;
  sentAt: Date;
}

export interface ArchiveEntry {
  slug: string;
  subject: string;
  preheader: string;
  listSlug: string;
  listName: string;
  sentAt: Date;
}

/**
 * An issue's web version, by slug, when it was sent to a list whose archive is public; undefined otherwise.
 * One query answers both "no such issue" and "not public", so the two cannot be told apart.
 */
export async function findArchivedIssue(pool: Pool, slug: string): Promise<ArchivedIssue | undefined> {
  const { rows } = await pool.query<ArchivedIssue>(
    `SELECT i.id, i.slug, i.subject, i.preheader, i.default_name AS "defaultName",
            coalesce(r.html, i.html) AS html, coalesce(r.text, i.text) AS text,
            l.slug AS "listSlug", l.name AS "listName", l.language AS "listLanguage", coalesce(s.started_at, s.created_at) AS "sentAt"
     FROM issues i JOIN sends s ON s.issue_id = i.id JOIN lists l ON l.id = s.list_id
     LEFT JOIN issue_renderings r ON r.issue_id = i.id AND r.language = l.language
     WHERE i.slug = $1 AND l.archive_public AND ${SENT}
     ORDER BY s.id DESC LIMIT 1`,
    [slug],
  );
  return rows[0];
}

/**
 * The public archive, newest first: each issue once per list, dated by its first send to that list.
 * `listSlug` narrows it to one list; `limit` keeps a feed short.
 */
export async function listArchive(pool: Pool, options: { listSlug?: string; limit?: number } = {}): Promise<ArchiveEntry[]> {
  const { rows } = await pool.query<ArchiveEntry>(
    `SELECT i.slug, i.subject, i.preheader, l.slug AS "listSlug", l.name AS "listName",
            min(coalesce(s.started_at, s.created_at)) AS "sentAt"
     FROM issues i JOIN sends s ON s.issue_id = i.id JOIN lists l ON l.id = s.list_id
     WHERE l.archive_public AND ${SENT} AND ($1::text IS NULL OR l.slug = $1)
     GROUP BY i.id, l.id
     ORDER BY "sentAt" DESC, i.id DESC
     LIMIT $2`,
    [options.listSlug ?? null, options.limit ?? 1000],
  );
  return rows;
}

/** A list whose archive readers may see, or undefined (no such list, or its archive is off: the same answer). */
export async function findPublicArchiveList(pool: Pool, slug: string): Promise<{ slug: string; name: string; language: string } | undefined> {
  const { rows } = await pool.query<{ slug: string; name: string; language: string }>('SELECT slug, name, language FROM lists WHERE slug = $1 AND archive_public', [slug]);
  return rows[0];
}

/** Switches a list's public archive on or off; off hides every web version of the issues sent to it. */
export async function setListArchive(pool: Pool, slug: string, archivePublic: boolean): Promise<void> {
  const result = await pool.query('UPDATE lists SET archive_public = $2, updated_at = now() WHERE slug = $1', [slug, archivePublic]);
  if (!result.rowCount) throw new NotFoundError('list', slug);
}
