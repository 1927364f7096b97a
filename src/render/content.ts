import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import YAML, { LineCounter } from 'yaml';
import { z } from 'zod';
import { TidingsError } from '../errors';
import { describeProblems, type ContentProblem } from './content-problems';

/**
 * The content format an operator writes by hand: one YAML file per issue. Text fields (everything but URLs,
 * slugs and names) may hold Markdown. content/ml-utd-32.yaml is the worked example.
 */
const text = z.string();
const url = z.string().trim().min(1);
/** `title` is a caption shown under the image (Markdown `![alt](src "caption")`). */
const image = z.strictObject({ src: url, alt: z.string().default(''), title: z.string().optional() });
/** A resource link; without a url, `text` is Markdown and may link part of itself. */
const link = z.strictObject({ text: text, url: url.optional() });

const article = z.strictObject({
  title: text.min(1),
  image: image.optional(),
  caption: text.default(''),
  quote: text.default(''),
  read_more: url.optional(),
  read_more_label: text.default('Read more'),
  links_heading: text.default(''),
  links: z.array(link).default([]),
  credit: text.default(''),
  /** Any other Markdown of the article (tables, code, buttons, images, …), shown after the parts above. */
  body: text.default(''),
});

export const issueContentSchema = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'may hold lowercase letters, digits and dashes only (ml-utd-32)'),
  subject: text
    .min(1, 'must not be empty')
    .max(150, 'is longer than 150 characters: inboxes cut it off. Shorten it')
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters (line breaks, tabs, …)'),
  preheader: text.default(''),
  template: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'names a folder under templates/ (lowercase letters, digits, - and _)').default('default'),
  title: text.min(1),
  subtitle: text.default(''),
  original_url: url.optional(),
  hero: image.optional(),
  /** How the greeting names a subscriber with no name, and everyone in the web version. */
  default_name: text.default('Reader'),
  intro: text.default(''),
  sections: z
    .array(z.strictObject({ title: text.default(''), intro: text.default(''), articles: z.array(article).min(1) }))
    .default([]),
  stay_up_to_date: z.strictObject({ title: text, body: text }).optional(),
  keep_learning: z
    .strictObject({
      title: text,
      posts: z.array(z.strictObject({ title: text, summary: text.default(''), url: url, site: text.default('') })),
    })
    .optional(),
  closing: text.default(''),
  /** A personal letter's writer, picture and sign-off (the letter template set shows them). */
  author: text.default(''),
  portrait: image.optional(),
  sign_off: text.default(''),
  /** Raw HTML in the Markdown is kept (through an allow-list sanitiser) instead of shown as text. */
  allow_html: z.boolean().default(false),
  /** Footnote texts by label, for `[^label]` references in any Markdown field. */
  footnotes: z.record(z.string(), z.string()).default({}),
  postal_address: text.min(1, 'is required: bulk mail must carry the sender\'s postal address'),
});

export type IssueContent = z.infer<typeof issueContentSchema>;

export interface LoadedContent {
  content: IssueContent;
  source: string;
  file: string;
}

/** A problem found in a content file, with its line when known. */
export interface ContentFinding extends ContentProblem {
  file: string;
}

/**
 * Parses and validates a YAML content file, collecting every problem: YAML syntax (with its line), unknown
 * fields (with the closest known one), missing and malformed fields (with their line, in plain words).
 */
export function checkContent(source: string, file: string): { content?: IssueContent; problems: ContentFinding[] } {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(source, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((err) => ({
        file,
        field: '(syntax)',
        line: err.linePos?.[0]?.line,
        message: `YAML syntax error: ${err.message.split('\n')[0]}`,
      })),
    };
  }
  const data = doc.toJS() as unknown;
  const result = validateContentData(data, yamlLines(doc, lineCounter));
  return { content: result.content, problems: result.problems.map((p) => ({ ...p, file })) };
}

/** Validates content data from any source (a YAML file, Markdown front matter and body). */
export function validateContentData(
  data: unknown,
  lineOf: (path: readonly PropertyKey[], key?: string) => number | undefined,
): { content?: IssueContent; problems: ContentProblem[] } {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return { problems: [{ field: '(top level)', message: 'the file should hold fields such as subject:, title: and postal_address:, one per line', line: 1 }] };
  }
  const parsed = issueContentSchema.safeParse(data);
  if (parsed.success) return { content: parsed.data, problems: [] };
  const problems = describeProblems(parsed.error, data, issueContentSchema, lineOf);
  // Unknown fields and a missing postal address do not stop the rest of the checks: without them (or with a
  // stand-in address) the issue can still be rendered, so `issue check` reports every other problem too.
  const repairable = parsed.error.issues.every((i) => i.code === 'unrecognized_keys' || (i.path.join('.') === 'postal_address' && i.code === 'invalid_type'));
  if (!repairable) return { problems };
  const repaired = structuredClone(data) as Record<string, unknown>;
  for (const issue of parsed.error.issues) {
    if (issue.code !== 'unrecognized_keys') {
      repaired.postal_address = '—';
      continue;
    }
    let node: unknown = repaired;
    for (const key of issue.path) node = (node as Record<PropertyKey, unknown>)[key];
    for (const key of issue.keys) delete (node as Record<string, unknown>)[key];
  }
  const again = issueContentSchema.safeParse(repaired);
  return again.success ? { content: again.data, problems } : { problems };
}

/** The line of a field (or of an unknown key inside it) in a parsed YAML document. */
export function yamlLines(doc: YAML.Document, lineCounter: LineCounter, offset = 0) {
  return (path: readonly PropertyKey[], key?: string): number | undefined => {
    const node = (path.length ? doc.getIn(path as unknown[], true) : doc.contents) as YAML.Node | undefined;
    let at: number | undefined;
    if (key !== undefined && node && YAML.isMap(node)) {
      const pair = node.items.find((item) => YAML.isScalar(item.key) && String(item.key.value) === key);
      at = (pair?.key as YAML.Node | undefined)?.range?.[0];
    } else if (path.length) {
      // The key's line reads better than the value's (a block scalar starts on the next line).
      const parent = (path.length > 1 ? doc.getIn(path.slice(0, -1) as unknown[], true) : doc.contents) as YAML.Node | undefined;
      if (parent && YAML.isMap(parent)) {
        const pair = parent.items.find((item) => YAML.isScalar(item.key) && String(item.key.value) === String(path.at(-1)));
        at = (pair?.key as YAML.Node | undefined)?.range?.[0];
      }
      at ??= node?.range?.[0];
    }
    return at === undefined ? undefined : lineCounter.linePos(at).line + offset;
  };
}

/** One message for a list of problems: what `issue create` says when a file cannot be stored. */
export function problemsError(problems: ContentFinding[]): TidingsError {
  const lines = problems.map((p) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  const first = problems[0];
  return new TidingsError('CONTENT_INVALID', lines.join('\n'), { file: first?.file, line: first?.line, field: first?.field, problems: problems.length });
}

/** Parses and validates a content file; an error lists every problem with file and line. */
export function parseContent(source: string, file: string): IssueContent {
  const { content, problems } = checkContent(source, file);
  if (!content || problems.length) throw problemsError(problems);
  return content;
}

export async function loadContentFile(file: string): Promise<LoadedContent> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new TidingsError('CONTENT_INVALID', `cannot read content file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  return { content: parseContent(source, file), source, file };
}

export function hashOf(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}
