import { readFile } from 'node:fs/promises';
import { isTidingsError, TidingsError } from '../errors';
import { parseContent } from './content';
import { DEFAULT_LIMITS, preflight, type Finding, type PreflightLimits, type PreflightReport, type PreflightRule } from './preflight';
import { renderIssue, type RenderOptions } from './render-issue';

/**
 * `tidings issue check <file>`: parses and renders a content file exactly as `issue create` does, then runs
 * the preflight rules. A file that does not parse or render is reported as findings too (with file and
 * line), so the operator gets one list of what to fix instead of an exception.
 */
export async function preflightFile(file: string, options: RenderOptions, limits: PreflightLimits = DEFAULT_LIMITS): Promise<PreflightReport> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new TidingsError('INVALID_INPUT', `cannot read content file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  try {
    const content = parseContent(source, file);
    const rendered = await renderIssue(content, options);
    return preflight({ ...rendered, content, source, file }, limits);
  } catch (err) {
    if (!isTidingsError(err)) throw err;
    return { errors: [findingFromError(err, file, source)], warnings: [], htmlBytes: 0 };
  }
}

/** A content, template or MJML error as a preflight finding, keeping the file and line the error names. */
function findingFromError(err: TidingsError, file: string, source: string): Finding {
  const ctx = err.context as { file?: string; line?: number; href?: string; field?: string };
  let rule: PreflightRule = 'content';
  if (err.code === 'TEMPLATE_ERROR') rule = /not defined/.test(err.message) ? 'template-variable' : 'template';
  else if (err.code === 'MJML_ERROR') rule = 'mjml';
  else if (ctx.href !== undefined) rule = ctx.href.trim() === '' ? 'link-empty' : 'link-scheme';
  else if (ctx.field === 'subject') rule = /empty/.test(err.message) ? 'subject-empty' : /characters,|at most/.test(err.message) ? 'subject-too-long' : 'subject-control-characters';
  let where = ctx.file && ctx.line ? `${ctx.file}:${ctx.line}` : ctx.file ?? file;
  if (ctx.href !== undefined || ctx.field) {
    const line = lineOf(source, ctx.href ? ctx.href : `${String(ctx.field).split('.').pop()}:`);
    if (line) where = `${file}:${line}`;
  }
  // The message starts with the file (and line) for the CLI; the finding keeps that in `where`.
  const message = err.message.replace(/^(?:[^\s:]+(?::\d+)?: )+/, '');
  return { rule, severity: 'error', message, where };
}

function lineOf(source: string, needle: string): number | undefined {
  if (!needle) return undefined;
  const index = source.split('\n').findIndex((line) => line.includes(needle));
  return index === -1 ? undefined : index + 1;
}
