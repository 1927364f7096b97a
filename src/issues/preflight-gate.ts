import type { Pool } from '../db/pool';
import { getIssueSource, type Issue } from '../db/issues';
import { TidingsError } from '../errors';
import type { Logger } from '../log';
import { parseContent, type IssueContent } from '../render/content';
import { formatFindings, preflight, type PreflightReport } from '../render/preflight';

/**
 * Runs preflight on a stored issue before anything is sent (a list send or a test message). Warnings are
 * logged (`preflight.warning`, printed by the CLI); errors stop the send with one message listing them all,
 * before any row is created.
 */
export async function ensureSendable(deps: { pool: Pool; log: Logger }, issue: Issue): Promise<PreflightReport> {
  const source = await getIssueSource(deps.pool, issue.id);
  let content: IssueContent | undefined;
  try {
    content = parseContent(source, `issue ${issue.slug}`);
  } catch {
    // Stored by an older version with other content rules: check the compiled issue alone.
  }
  const report = preflight({ subject: issue.subject, preheader: issue.preheader, html: issue.html, text: issue.text, content, source, file: `issue ${issue.slug}` });
  for (const warning of report.warnings) {
    deps.log.warn({ event: 'preflight.warning', issueId: issue.id, rule: warning.rule, where: warning.where }, warning.message);
  }
  if (report.errors.length > 0) {
    throw new TidingsError(
      'PREFLIGHT_FAILED',
      `issue '${issue.slug}' failed preflight, nothing was sent:\n  ${formatFindings({ ...report, warnings: [] }).join('\n  ')}\nFix the content file, run \`tidings issue check <file>\`, then \`tidings issue create <file>\` again.`,
      { issueId: issue.id, preflight: report.errors },
    );
  }
  return report;
}
