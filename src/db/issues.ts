import { NotFoundError, TidingsError } from '../errors';
import { inTransaction, type Pool } from './pool';

export interface Issue {
  id: number;
  slug: string;
  subject: string;
  preheader: string;
  template: string;
  /** How the greeting names a subscriber without a name. */
  defaultName: string;
  /** The language of `html` and `text` (their fixed strings); null for an issue stored before catalogues. */
  language: string | null;
  html: string;
  text: string;
}

/** The issue compiled in one more language (migrations/0110_issue_languages.sql). */
export interface IssueRendering {
  language: string;
  html: string;
  text: string;
}

export interface NewIssue extends Omit<Issue, 'id' | 'language'> {
  language: string;
  /** The other catalogue languages' renderings. */
  renderings: IssueRendering[];
  source: string;
  sourceHash: string;
  /** PUBLIC_URL and ASSET_BASE_URL the issue was compiled under (preflight compares them with the sender's). */
  compiledPublicUrl?: string | null;
  compiledAssetBaseUrl?: string | null;
}

const ISSUE_COLUMNS = 'id, slug, subject, preheader, template, default_name AS "defaultName", language, html, text';

/**
 * Stores a compiled issue under its slug. The same content again is a no-op that returns the stored issue;
 * changed content replaces an issue that was never sent, and is refused for one that was (what readers
 * received stays on record).
 */
export async function saveIssue(pool: Pool, issue: NewIssue): Promise<{ issue: Issue; created: boolean; updated: boolean }> {
  const saved = await inTransaction(pool, async (client) => {
    const { rows } = await client.query<Issue & { inserted: boolean }>(
      `INSERT INTO issues (slug, subject, preheader, template, default_name, source, source_hash, html, text, language, compiled_public_url, compiled_asset_base_url)
       VALUES ($1, $2, $3, $4, $9, $5, $6, $7, $8, $10, $11, $12)
       ON CONFLICT (slug) DO UPDATE
         SET subject = EXCLUDED.subject, preheader = EXCLUDED.preheader, template = EXCLUDED.template,
             default_name = EXCLUDED.default_name, language = EXCLUDED.language,
             source = EXCLUDED.source, source_hash = EXCLUDED.source_hash, html = EXCLUDED.html, text = EXCLUDED.text,
             compiled_public_url = EXCLUDED.compiled_public_url, compiled_asset_base_url = EXCLUDED.compiled_asset_base_url,
             updated_at = now()
         WHERE issues.source_hash <> EXCLUDED.source_hash
           AND NOT EXISTS (SELECT 1 FROM sends WHERE sends.issue_id = issues.id)
       RETURNING ${ISSUE_COLUMNS}, (xmax = 0) AS inserted`,
      [issue.slug, issue.subject, issue.preheader, issue.template, issue.source, issue.sourceHash, issue.html, issue.text, issue.defaultName, issue.language, issue.compiledPublicUrl ?? null, issue.compiledAssetBaseUrl ?? null],
    );
    if (!rows[0]) return undefined;
    // The renderings go with the content they were compiled from: replaced together, in one transaction.
    await client.query('DELETE FROM issue_renderings WHERE issue_id = $1', [rows[0].id]);
    if (issue.renderings.length) {
      await client.query(
        `INSERT INTO issue_renderings (issue_id, language, html, text)
         SELECT $1, r.language, r.html, r.text FROM unnest($2::text[], $3::text[], $4::text[]) AS r(language, html, text)`,
        [rows[0].id, issue.renderings.map((r) => r.language), issue.renderings.map((r) => r.html), issue.renderings.map((r) => r.text)],
      );
    }
    return rows[0];
  });
  if (saved) {
    const { inserted, ...stored } = saved;
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

/**
 * The issue as readers of a list in `language` receive it: its HTML and text compiled with that
 * catalogue's fixed strings. An issue stored before catalogues has one rendering, used for every list; an
 * issue with no rendering in that language (a catalogue added after it was stored) is refused with what
 * to do, rather than sent with another language's strings.
 */
export async function issueInLanguage(pool: Pool, issue: Issue, language: string): Promise<Issue> {
  if (issue.language === null || issue.language === language) return issue;
  const { rows } = await pool.query<{ html: string; text: string }>('SELECT html, text FROM issue_renderings WHERE issue_id = $1 AND language = $2', [
    issue.id,
    language,
  ]);
  if (!rows[0]) {
    throw new TidingsError(
      'INVALID_INPUT',
      `issue '${issue.slug}' was compiled before the '${language}' catalogue existed, so it has no rendering in that language: store the content again under a new slug (tidings issue create <file>) to send it to this list`,
      { issueId: issue.id, language },
    );
  }
  return { ...issue, language, html: rows[0].html, text: rows[0].text };
}

/** What preflight needs of a stored issue besides its HTML: its source, the bases it was compiled under, whether it was sent. */
export async function getIssueCompileRecord(pool: Pool, issueId: number): Promise<{ source: string; compiled: { publicUrl: string | null; assetBaseUrl: string | null } | null; sent: boolean }> {
  const { rows } = await pool.query<{ source: string; publicUrl: string | null; assetBaseUrl: string | null; sent: boolean }>(
    `SELECT source, compiled_public_url AS "publicUrl", compiled_asset_base_url AS "assetBaseUrl",
            EXISTS (SELECT 1 FROM sends WHERE sends.issue_id = issues.id) AS sent
       FROM issues WHERE id = $1`,
    [issueId],
  );
  if (!rows[0]) throw new NotFoundError('issue', issueId);
  const { source, publicUrl, assetBaseUrl, sent } = rows[0];
  return { source, compiled: publicUrl === null && assetBaseUrl === null ? null : { publicUrl, assetBaseUrl }, sent };
}

/** The content file an issue was compiled from, as stored by `issue create` (preflight reads it). */
export async function getIssueSource(pool: Pool, issueId: number): Promise<string> {
  const { rows } = await pool.query<{ source: string }>('SELECT source FROM issues WHERE id = $1', [issueId]);
  if (!rows[0]) throw new NotFoundError('issue', issueId);
  return rows[0].source;
}
