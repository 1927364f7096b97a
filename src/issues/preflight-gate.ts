import type { Config } from '../config';
import type { Pool } from '../db/pool';
import { getIssueCompileRecord, type Issue } from '../db/issues';
import { TidingsError } from '../errors';
import type { Logger } from '../log';
import { parseContent, type IssueContent } from '../render/content';
import { addressCheckFor } from '../render/preflight-addresses';
import { formatFindings, preflight, type PreflightReport } from '../render/preflight';

/**
 * Runs preflight on a stored issue before anything is sent (a list send or a test message). Warnings are
 * returned, for the caller to show the operator (the CLI prints them in words, the API answers them), and
 * logged for the record (`preflight.warning`, at info level: not a JSON line on every command); errors stop the send with one message
 * listing them all, before any row is created. Besides the content rules, it checks that readers can reach
 * what the messages point at: PUBLIC_URL and the issue's images and links on loopback or a private network
 * are errors in production and warnings otherwise (a local SMTP server is fine for those), and an issue
 * compiled under other bases than this server's is refused (preflight-addresses.ts says why).
 */
export async function ensureSendable(deps: GateDeps & { log: Logger }, issue: Issue): Promise<PreflightReport> {
  const report = await preflightStoredIssue(deps, issue);
  for (const warning of report.warnings) {
    deps.log.info({ event: 'preflight.warning', issueId: issue.id, rule: warning.rule, where: warning.where }, warning.message);
  }
  if (report.errors.length > 0) {
    throw new TidingsError(
      'PREFLIGHT_FAILED',
      `issue '${issue.slug}' failed preflight, nothing was sent:\n  ${formatFindings({ ...report, warnings: [] }).join('\n  ')}\nFix the content file (or the configuration the findings name), run \`tidings issue check <file>\`, then \`tidings issue create <file>\` again.`,
      { issueId: issue.id, preflight: report.errors },
    );
  }
  return report;
}

type GateDeps = { pool: Pool; config: Pick<Config, 'env' | 'publicUrl' | 'assetBaseUrl'> };

/** What a send of the stored issue from this server would find (POST /api/issues/:ref/preflight shows it). */
export async function preflightStoredIssue(deps: GateDeps, issue: Issue): Promise<PreflightReport> {
  const { source, compiled, sent } = await getIssueCompileRecord(deps.pool, issue.id);
  let content: IssueContent | undefined;
  try {
    content = parseContent(source, `issue ${issue.slug}`);
  } catch {
    // Stored by an older version with other content rules: check the compiled issue alone.
  }
  const addresses = addressCheckFor(deps.config, compiled, sent);
  return preflight({ subject: issue.subject, preheader: issue.preheader, html: issue.html, text: issue.text, content, source, file: `issue ${issue.slug}`, addresses });
}
