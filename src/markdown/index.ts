import path from 'node:path';
import { Lexer } from 'marked';
import type { ContentProblem } from '../render/content-problems';
import { validateContentData, type IssueContent } from '../render/content';
import { Footnotes, plainText } from './email-html';
import { splitFrontMatter } from './front-matter';
import { readDocument, type DocumentRead } from './issue-document';

/**
 * A Markdown issue: optional YAML front matter, then Markdown. This module turns one into the same content
 * a YAML issue holds (see issue-document.ts for the structure rules and README.md for the format), so the
 * templates, preflight and sends need not know which format an issue was written in.
 *
 * The operator app's editor writes exactly this format and previews it through `checkMarkdownIssue` and the
 * renderer; nothing here does I/O.
 */

/** Settings an issue may leave out, from its list (or from config). */
export interface IssueDefaults {
  template?: string;
  postal_address?: string;
  default_name?: string;
}

export interface MarkdownIssueCheck {
  /** Set when the file is valid; ready to render. */
  content?: IssueContent;
  problems: ContentProblem[];
  warnings: { rule: 'image-alt'; message: string; line: number }[];
  /** Every image the issue names, with its line. */
  images: { src: string; line: number }[];
  /** The line of a content field, for findings about it. */
  lineOf: (field: string) => number | undefined;
}

export function isMarkdownFile(file: string): boolean {
  return /\.(md|markdown)$/i.test(file);
}

export function checkMarkdownIssue(source: string, file: string, defaults: IssueDefaults = {}): MarkdownIssueCheck {
  const normalised = source.replace(/\r\n?/g, '\n');
  const front = splitFrontMatter(normalised);
  const footnotes = new Footnotes();
  const body = footnotes.extract(front.body);
  const fromBody: DocumentRead = readDocument(body, definitionsOf(footnotes, body));
  const data: Record<string, unknown> = { ...fromBody.data, ...front.data };
  const lines = new Map(fromBody.lines);
  for (const key of Object.keys(front.data)) {
    const line = front.lineOf([key]);
    if (line) lines.set(key, line);
  }
  const problems: ContentProblem[] = [...front.problems];

  const title = typeof data.title === 'string' ? data.title : '';
  if (!title) problems.push({ field: 'title', line: 1, message: 'title is missing: start the issue with a heading (# Title of this issue) or set title: in the front matter' });
  data.subject ??= title;
  data.slug ??= slugify(title) || slugify(path.basename(file).replace(/\.[^.]+$/, ''));
  if (data.preheader === undefined && typeof data.intro === 'string') data.preheader = preheaderOf(data.intro);
  data.template ??= defaults.template;
  data.postal_address ??= defaults.postal_address;
  data.default_name ??= defaults.default_name;
  if (data.default_name === undefined) {
    problems.push({
      field: 'default_name',
      line: undefined,
      message: 'default_name is missing: the greeting uses it for subscribers without a name. Add default_name: to the front matter or set it on the list (`tidings list set <slug> --default-name "…"`) or in DEFAULT_NAME',
    });
    data.default_name = '';
  }
  if (data.postal_address === undefined) {
    problems.push({
      field: 'postal_address',
      line: undefined,
      message: 'postal_address is missing: bulk mail must carry your postal address. Add postal_address: to the front matter or set it on the list (`tidings list set <slug> --postal-address "…"`) or in POSTAL_ADDRESS',
    });
    data.postal_address = '—';
  }
  for (const key of ['template', 'preheader'] as const) if (data[key] === undefined) delete data[key];

  const lineOf = (field: string): number | undefined => {
    for (let parts = field.split('.'); parts.length; parts = parts.slice(0, -1)) {
      const line = lines.get(parts.join('.'));
      if (line) return line;
    }
    return undefined;
  };
  const validated = validateContentData(data, (p, key) => lineOf([...p.map(String), ...(key ? [key] : [])].join('.')));
  problems.push(...validated.problems);
  return {
    // Set even with problems when the issue can be rendered, so a check reports the rendering's findings too.
    content: validated.content,
    problems,
    warnings: fromBody.warnings,
    images: [
      ...fromBody.images,
      ...(['hero', 'portrait'] as const).flatMap((key) => {
        const image = front.data[key] as { src?: unknown } | undefined;
        return typeof image?.src === 'string' ? [{ src: image.src, line: front.lineOf([key]) ?? 1 }] : [];
      }),
    ],
    lineOf,
  };
}

/** Footnote definitions as a plain record (kept with the content, so a stored issue renders the same). */
function definitionsOf(footnotes: Footnotes, body: string): Record<string, string> {
  const labels = [...body.matchAll(/\[\^([^\]\s]+)\]/g)].map((m) => m[1]).filter((label) => footnotes.has(label));
  return Object.fromEntries([...new Set(labels)].map((label) => [label, footnotes.text(label)]));
}

/** A slug from a title: ASCII letters and digits, dashes between words (`[ML UTD 32]…` → `ml-utd-32`). */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

/** The first paragraph of the intro as plain text, cut at about 150 characters (what inboxes show). */
function preheaderOf(intro: string): string {
  const first = intro.split(/\n\s*\n/)[0] ?? '';
  const text = plainText(new Lexer({ gfm: true }).inlineTokens(first)).replace(/\s+/g, ' ').trim();
  const chars = [...text];
  return chars.length <= 150 ? text : `${chars.slice(0, 148).join('').trimEnd()}…`;
}
