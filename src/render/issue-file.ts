import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TidingsError } from '../errors';
import { checkMarkdownIssue, isMarkdownFile, type IssueDefaults } from '../markdown';
import { imageSize, MediaRejected, type LocalMediaStore } from '../media/media-store';
import { checkContent, type IssueContent } from './content';
import type { ContentProblem } from './content-problems';
import type { Finding, PreflightRule } from './preflight';
import type { ImageInfo } from './render-issue';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/**
 * An issue file read and checked as far as it can be without rendering: YAML or Markdown (by its extension),
 * every content problem (with file and line), and every image it names looked up — next to the file (to be
 * uploaded to the media store), under public/, or in the media store — so that a missing one is reported
 * with its line instead of turning into a broken picture in every inbox.
 */
export interface IssueFile {
  file: string;
  source: string;
  format: 'yaml' | 'markdown';
  content?: IssueContent;
  errors: Finding[];
  warnings: Finding[];
  /** Images found, by the source the content names them with. */
  images: Map<string, ImageInfo>;
  /** Local files to upload to the media store before the issue is stored. */
  uploads: { src: string; file: string }[];
  /** The line of a content field, or of the first line holding a text. */
  locate: (needle: string, field?: string) => string;
}

export interface IssueFileOptions {
  assetBaseUrl: string;
  /** PUBLIC_URL: images under it are checked against what the server would answer. */
  publicUrl?: string;
  media?: LocalMediaStore;
  /** The list's (or config's) settings for what the issue leaves out. */
  defaults?: IssueDefaults;
  publicDir?: string;
  /** The language of the list the issue is written for (`--list`): its fixed strings, and the issue's own. */
  language?: string;
}

export async function readIssueFile(file: string, options: IssueFileOptions): Promise<IssueFile> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new TidingsError('INVALID_INPUT', `cannot read content file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  const format = isMarkdownFile(file) ? 'markdown' : 'yaml';
  const lines = source.split('\n');
  const lineWith = (needle: string) => {
    const index = needle ? lines.findIndex((line) => line.includes(needle)) : -1;
    return index === -1 ? undefined : index + 1;
  };
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  let content: IssueContent | undefined;
  let refs: { src: string; line?: number }[];
  let fieldLine: (field: string) => number | undefined;
  if (format === 'markdown') {
    const checked = checkMarkdownIssue(source, file, options.defaults);
    content = checked.content;
    errors.push(...checked.problems.map((p) => contentFinding(p, file)));
    warnings.push(...checked.warnings.map((w) => ({ rule: w.rule, severity: 'warning' as const, message: w.message, where: `${file}:${w.line}` })));
    refs = checked.images;
    fieldLine = checked.lineOf;
  } else {
    const checked = checkContent(source, file);
    content = checked.content;
    errors.push(...checked.problems.map((p) => contentFinding(p, file)));
    refs = content ? yamlImages(content).map((src) => ({ src, line: lineWith(src) })) : [];
    fieldLine = () => undefined;
  }
  const locate = (needle: string, field?: string) => {
    const line = lineWith(needle) || (field && fieldLine(field));
    return line ? `${file}:${line}` : field ? `${file} (${field})` : file;
  };

  const images = new Map<string, ImageInfo>();
  const uploads: IssueFile['uploads'] = [];
  const publicDir = options.publicDir ?? PUBLIC_DIR;
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.src)) continue;
    seen.add(ref.src);
    const where = ref.line ? `${file}:${ref.line}` : locate(ref.src);
    const missing = (message: string) => errors.push({ rule: 'image-missing', severity: 'error', message, where });
    const src = ref.src.trim();
    if (/^https?:\/\//i.test(src)) {
      const served = servedFile(src, options, publicDir);
      if (served === undefined) continue; // someone else's server: not ours to check
      if (served === null || !(await exists(served))) {
        missing(`image '${src}' would not load: the server answers 404 for it (${served ? `no file ${path.relative(process.cwd(), served) || served}` : 'not a file the media store gave out'}). Upload it with \`tidings media add <file>\` and use the URL it prints, or fix the address.`);
        continue;
      }
      const size = await imageSize(served);
      images.set(ref.src, { url: src, ...size });
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(src)) continue; // data:, ftp:, …: the link rules report those
    const beside = path.resolve(path.dirname(file), decodeURI(src.split(/[?#]/)[0]));
    if (await exists(beside)) {
      if (!options.media) {
        images.set(ref.src, { url: new URL(src, options.assetBaseUrl).toString(), ...(await imageSize(beside)) });
        continue;
      }
      try {
        const planned = await options.media.plan(await readFile(beside), `image '${src}'`);
        images.set(ref.src, { url: planned.url, width: planned.width, height: planned.height });
        uploads.push({ src: ref.src, file: beside });
      } catch (err) {
        if (!(err instanceof MediaRejected)) throw err;
        errors.push({ rule: 'image-missing', severity: 'error', message: err.message, where });
      }
      continue;
    }
    const underPublic = path.resolve(publicDir, decodeURI(src.split(/[?#]/)[0]));
    if (underPublic.startsWith(publicDir + path.sep) && (await exists(underPublic))) {
      images.set(ref.src, { url: new URL(src, options.assetBaseUrl).toString(), ...(await imageSize(underPublic)) });
      continue;
    }
    missing(`image '${src}' does not exist: there is no ${path.relative(process.cwd(), beside) || beside} next to the issue and no ${path.relative(process.cwd(), underPublic) || underPublic} under public/. Put the file there, or upload it with \`tidings media add <file>\` and use its URL.`);
  }
  return { file, source, format, content, errors, warnings, images, uploads, locate };
}

/** The local file the server would answer an image URL with; null for ours but unknown; undefined for others'. */
function servedFile(url: string, options: IssueFileOptions, publicDir: string): string | null | undefined {
  if (options.media) {
    const name = options.media.nameOf(url);
    if (name !== undefined) return name ? options.media.fileOf(name)! : null;
  }
  const bases = [options.assetBaseUrl, options.publicUrl ? `${options.publicUrl.replace(/\/+$/, '')}/` : undefined].filter((b): b is string => !!b);
  for (const base of bases) {
    if (!url.startsWith(base)) continue;
    const relative = decodeURIComponent(new URL(url).pathname.slice(new URL(base).pathname.length));
    const file = path.resolve(publicDir, relative);
    return file.startsWith(publicDir + path.sep) ? file : null;
  }
  return undefined;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/** Every image a YAML issue names: its fields and the images in its Markdown text. */
function yamlImages(content: IssueContent): string[] {
  const found: string[] = [];
  const visit = (value: unknown, key = '') => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)/g)) found.push(match[1]);
      if (key === 'src') found.push(value);
    } else if (Array.isArray(value)) value.forEach((v) => visit(v));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k);
  };
  visit(content);
  return found;
}

const SUBJECT_RULES: [RegExp, PreflightRule][] = [
  [/is empty|is missing/, 'subject-empty'],
  [/longer than|at most/, 'subject-too-long'],
  [/control characters/, 'subject-control-characters'],
];

function contentFinding(problem: ContentProblem, file: string): Finding {
  let rule: PreflightRule = problem.message.startsWith('unknown ') ? 'unknown-field' : 'content';
  if (problem.field === 'subject') rule = SUBJECT_RULES.find(([pattern]) => pattern.test(problem.message))?.[1] ?? 'content';
  if (problem.field === 'postal_address') rule = 'postal-address-missing';
  return { rule, severity: 'error', message: problem.message, where: problem.line ? `${file}:${problem.line}` : `${file} (${problem.field}, line —)` };
}
