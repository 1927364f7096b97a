import YAML, { LineCounter } from 'yaml';
import { closest, type ContentProblem } from '../render/content-problems';
import { yamlLines } from '../render/content';

/**
 * Optional YAML front matter at the very top of a Markdown issue, between two `---` lines. Its fields are
 * the content file's where they apply; the body gives the rest (title, intro, sections, …).
 */
export const FRONT_MATTER_FIELDS = [
  'subject', 'slug', 'preheader', 'template', 'postal_address', 'default_name', 'title', 'subtitle', 'original_url', 'hero',
  'closing', 'author', 'portrait', 'sign_off', 'allow_html', 'footnotes',
] as const;

export interface FrontMatter {
  data: Record<string, unknown>;
  /** The body, with the front matter replaced by empty lines so line numbers stay those of the file. */
  body: string;
  /** The line of a front matter field (1-based, in the file). */
  lineOf: (path: readonly PropertyKey[], key?: string) => number | undefined;
  problems: ContentProblem[];
}

export function splitFrontMatter(source: string): FrontMatter {
  const match = /^---[ \t]*\r?\n([\s\S]*?\r?\n)?---[ \t]*(?:\r?\n|$)/.exec(source);
  if (!match) return { data: {}, body: source, lineOf: () => undefined, problems: [] };
  const yaml = match[1] ?? '';
  const body = '\n'.repeat(match[0].split('\n').length - 1) + source.slice(match[0].length);
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(yaml, { lineCounter, prettyErrors: true });
  // The front matter starts on the file's second line.
  const lineOf = yamlLines(doc, lineCounter, 1);
  if (doc.errors.length > 0) {
    return {
      data: {},
      body,
      lineOf,
      problems: doc.errors.map((err) => ({ field: '(front matter)', line: (err.linePos?.[0]?.line ?? 0) + 1, message: `YAML syntax error in the front matter: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` })),
    };
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return { data: {}, body, lineOf, problems: [] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { data: {}, body, lineOf, problems: [{ field: '(front matter)', line: 2, message: 'the front matter should hold fields such as subject: and slug:, one per line' }] };
  }
  const data = value as Record<string, unknown>;
  const problems: ContentProblem[] = [];
  for (const key of Object.keys(data)) {
    if ((FRONT_MATTER_FIELDS as readonly string[]).includes(key)) continue;
    const suggestion = closest(key, FRONT_MATTER_FIELDS);
    const fromBody = ['intro', 'sections', 'stay_up_to_date', 'keep_learning'].includes(key) ? ` (in a Markdown issue ${key} comes from the text below the front matter)` : '';
    problems.push({
      field: key,
      line: lineOf([], key),
      message: `unknown front matter field '${key}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}${fromBody} Known fields: ${FRONT_MATTER_FIELDS.join(', ')}.`,
    });
    delete data[key];
  }
  return { data, body, lineOf, problems };
}
