import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { TidingsError } from '../errors';

/**
 * The content format an operator writes by hand: one YAML file per issue. Text fields (everything but URLs,
 * slugs and names) may hold Markdown. content/ml-utd-32.yaml is the worked example.
 */
const text = z.string();
const url = z.string().trim().min(1);
const image = z.object({ src: url, alt: z.string().default('') });
/** A resource link; without a url, `text` is Markdown and may link part of itself. */
const link = z.object({ text: text, url: url.optional() });

const article = z.object({
  title: text.min(1),
  image: image.optional(),
  caption: text.default(''),
  quote: text.default(''),
  read_more: url.optional(),
  read_more_label: text.default('Read more'),
  links_heading: text.default(''),
  links: z.array(link).default([]),
  credit: text.default(''),
});

export const issueContentSchema = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'use lowercase letters, digits and dashes'),
  subject: text
    .min(1, 'must not be empty')
    .max(150, 'must be at most 150 characters')
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters (line breaks, tabs, …)'),
  preheader: text.default(''),
  template: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'names a folder under templates/').default('default'),
  title: text.min(1),
  subtitle: text.default(''),
  original_url: url.optional(),
  hero: image.optional(),
  /** How the greeting names a subscriber with no name, and everyone in the web version. */
  default_name: text.default('Reader'),
  intro: text.default(''),
  sections: z.array(z.object({ title: text.min(1), articles: z.array(article).min(1) })).default([]),
  stay_up_to_date: z.object({ title: text, body: text }).optional(),
  keep_learning: z
    .object({
      title: text,
      posts: z.array(z.object({ title: text, summary: text.default(''), url: url, site: text.default('') })),
    })
    .optional(),
  closing: text.default(''),
  postal_address: text.min(1, 'is required: bulk mail must carry the sender\'s postal address'),
});

export type IssueContent = z.infer<typeof issueContentSchema>;

export interface LoadedContent {
  content: IssueContent;
  source: string;
  file: string;
}

/** Parses and validates a content file; errors name the file and the field (and the line for YAML syntax). */
export function parseContent(source: string, file: string): IssueContent {
  let data: unknown;
  try {
    data = YAML.parse(source, { prettyErrors: true });
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new TidingsError('CONTENT_INVALID', `${file}${line ? `:${line}` : ''}: YAML syntax error: ${(err as Error).message.split('\n')[0]}`, { file, line });
  }
  const parsed = issueContentSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(top level)';
    throw new TidingsError('CONTENT_INVALID', `${file}: field '${field}' ${issue.message}`, { file, field });
  }
  return parsed.data;
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
