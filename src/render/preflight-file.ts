import { isTidingsError, type TidingsError } from '../errors';
import { readIssueFile, type IssueFileOptions } from './issue-file';
import { DEFAULT_LIMITS, preflight, type Finding, type PreflightInput, type PreflightLimits, type PreflightReport, type PreflightRule } from './preflight';
import { renderIssue, type RenderedIssue, type RenderOptions, type RenderProblem } from './render-issue';

/**
 * `tidings issue check <file>`: reads, renders and checks a YAML or Markdown issue exactly as `issue create`
 * would, and reports every problem found in one run: content (unknown or missing fields, with the closest
 * known field), images that would not load, links, alt texts, size and template errors, each with its file
 * and line. Nothing is stored or uploaded.
 */
export async function preflightFile(
  file: string,
  options: RenderOptions & IssueFileOptions & { addresses?: PreflightInput['addresses'] },
  limits: PreflightLimits = DEFAULT_LIMITS,
): Promise<PreflightReport & { rendered?: RenderedIssue; defaultName?: string }> {
  const loaded = await readIssueFile(file, options);
  const errors: Finding[] = [...loaded.errors];
  const warnings: Finding[] = [...loaded.warnings];
  let htmlBytes = 0;
  // What was rendered, for the app's live preview.
  let rendered: RenderedIssue | undefined;
  if (loaded.content) {
    const problems: RenderProblem[] = [];
    try {
      rendered = await renderIssue(loaded.content, { ...options, images: loaded.images, problems });
      const report = preflight({ ...rendered, content: loaded.content, source: loaded.source, file, addresses: options.addresses }, limits);
      // A missing postal address is already reported by the content check, with what to do about it.
      const known = new Set(errors.map((f) => f.rule));
      errors.push(...report.errors.filter((f) => !(f.rule === 'postal-address-missing' && known.has('postal-address-missing'))));
      warnings.push(...report.warnings);
      htmlBytes = report.htmlBytes;
    } catch (err) {
      if (!isTidingsError(err)) throw err;
      errors.push(findingFromError(err, file));
    }
    for (const problem of problems) {
      errors.push({ rule: problem.rule, severity: 'error', message: problem.message, where: loaded.locate(problem.needle, problem.field) });
    }
  }
  return { errors, warnings, htmlBytes, rendered, defaultName: loaded.content?.default_name };
}

/** A template or MJML error as a preflight finding, keeping the file and line the error names. */
function findingFromError(err: TidingsError, file: string): Finding {
  const ctx = err.context as { file?: string; line?: number };
  let rule: PreflightRule = 'content';
  if (err.code === 'TEMPLATE_ERROR') rule = /not defined/.test(err.message) ? 'template-variable' : 'template';
  else if (err.code === 'MJML_ERROR') rule = 'mjml';
  const where = ctx.file && ctx.line ? `${ctx.file}:${ctx.line}` : ctx.file ?? file;
  // The message starts with the file (and line) for the CLI; the finding keeps that in `where`.
  const message = err.message.replace(/^(?:[^\s:]+(?::\d+)?: )+/, '');
  return { rule, severity: 'error', message, where };
}
