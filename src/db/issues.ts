import { NotFoundError, TidingsError } from '../errors';
import type { Pool } from './pool';

export interface Issue {
  id: number;
  slug: string;
  subject: string;
  preheader: string;
  template: string;
  /** How the greeting names a subscriber without a name. */
  defaultName: string;
  html: string;
  text: string;
}

export interface NewIssue extends Omit<Issue, 'id'> {
  source: string;
  sourceHash: string;
}

const ISSUE_COLUMNS = 'id, slug, subject, preheader, template, default_name AS "defaultName", html, text';

/**
 * Stores a compiled issue under its slug. The same content again is a no-op that returns the stored issue;
 * changed content replaces an issue that was never sent, and is refused for one that was (what readers
 * received stays on record).
 */
export async function saveIssue(pool: Pool, issue: NewIssue): Promise<{ issue: Issue; created: boolean; updated: boolean }> {
  const { rows } = await pool.query<Issue & { inserted: boolean }>(
    `INSERT INTO issues (slug, subject, preheader, template, default_name, source, source_hash, html, text)
     VALUES ($1, $2, $3, $4, $9, $5, $6, $7, $8)
     ON CONFLICT (slug) DO UPDATE
       SET subject = EXCLUDED.subject, preheader = EXCLUDED.preheader, template = EXCLUDED.template,
           default_name = EXCLUDED.default_name,
           source = EXCLUDED.source, source_hash = EXCLUDED.source_hash, html = EXCLUDED.html, text = EXCLUDED.text,
           updated_at = now()
       WHERE issues.source_hash <> EXCLUDED.source_hash
         AND NOT EXISTS (SELECT 1 FROM sends WHERE sends.issue_id = issues.id)
     RETURNING ${ISSUE_COLUMNS}, (xmax = 0) AS inserted`,
    [issue.slug, issue.subject, issue.preheader, issue.template, issue.source, issue.sourceHash, issue.html, issue.text, issue.defaultName],
  );
  if (rows[0]) {
    const { inserted, ...stored } = rows[0];
    return { issue: stored, created: inserted, updated: !inserted };
  }
  const { rows: existing } = await pool.query<Issue & { sourceHash: string }>(
    `SELECT ${ISSUE_COLUMNS}, source_hash AS "sourceHash" FROM issues WHERE slug = $1`,
    [issue.slug],
  );
  const { sourceHash, ...stored } = existing[0];
  if (sourceHash === issue.sourceHash) return { issue: stored, created: false, updated: false };
  throw new TidingsError(
    'INVALID_INPUT',
    `issue '${issue.slug}' has already been sent and cannot be changed; give the new content another slug`,
    { slug: issue.slug },
  );
}

/** Finds an issue by numeric id or by slug. */
export async function getIssue(pool: Pool, idOrSlug: string | number): Promise<Issue> {
  const byId = typeof idOrSlug === 'number' || /^\d+$/.test(idOrSlug);
  const { rows } = await pool.query<Issue>(
    `SELECT ${ISSUE_COLUMNS} FROM issues WHERE ${byId ? 'id = $1::bigint' : 'slug = $1'}`,
    [String(idOrSlug)],
  );
  if (!rows[0]) throw new NotFoundError('issue', idOrSlug);
  return rows[0];
}

/** The content file an issue was compiled from, as stored by `issue create` (preflight reads it). */
export async function getIssueSource(pool: Pool, issueId: number): Promise<string> {
  const { rows } = await pool.query<{ source: string }>('SELECT source FROM issues WHERE id = $1', [issueId]);
  if (!rows[0]) throw new NotFoundError('issue', issueId);
  return rows[0].source;
}
