import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { convert } from 'html-to-text';
import mjml2html from 'mjml';
import { TidingsError } from '../errors';
import { catalogueFor, type Catalogue } from '../i18n/catalogues';
import type { IssueContent } from './content';
import { createEmailMarkdown, Footnotes, hrefProblem, isAllowedHref } from '../markdown/email-html';
import { escapeHtml, marker, type Slot } from './slots';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

export interface RenderOptions {
  /** Relative image paths in the content (img/<hash>.png) are resolved against this URL. */
  assetBaseUrl: string;
  templatesDir?: string;
  /**
   * Values to render in place of the slot markers. Sends never use this (they fill markers per message);
   * bench/render and the tests use it to check that filling markers gives exactly what a full render gives.
   */
  slotValues?: Readonly<Partial<Record<Slot, string>>>;
  /** Images already looked at (uploaded to the media store, or found under public/), by their source. */
  images?: ReadonlyMap<string, ImageInfo>;
  /**
   * Where content problems go (a link that is not http(s), …). Without it the first render problem is an
   * error listing them all; `issue check` passes a list to report them with everything else.
   */
  problems?: RenderProblem[];
  /**
   * The language of the list the issue is compiled for: the template's fixed strings ("View in browser",
   * "Unsubscribe", the greeting, …) and its `lang` come from that catalogue. Default: en.
   */
  language?: string;
}

export interface RenderedIssue {
  subject: string;
  preheader: string;
  template: string;
  /** The catalogue language the fixed strings are in. */
  language: string;
  /** HTML and text with slot markers (see slots.ts) where send and subscriber values go. */
  html: string;
  text: string;
}

/**
 * Compiles an issue once: content → Handlebars (strict) → MJML (strict validation) → HTML, and the
 * plain-text alternative from that HTML. Personal values stay as slot markers, so no subscriber ever costs
 * a template or MJML compile.
 */
export async function renderIssue(content: IssueContent, options: RenderOptions): Promise<RenderedIssue> {
  const templateDir = path.join(options.templatesDir ?? TEMPLATES_DIR, content.template);
  const layoutFile = path.join(templateDir, 'layout.mjml.hbs');
  const handlebars = await loadTemplateSet(templateDir);
  const { data, problems } = buildTemplateData(content, options, options.slotValues ?? {});
  if (options.problems) options.problems.push(...problems);
  else if (problems.length) {
    throw new TidingsError('CONTENT_INVALID', problems.map((p) => p.message).join('\n'), { field: problems[0].field, href: problems[0].needle, problems: problems.length });
  }

  let mjml: string;
  try {
    const layout = handlebars.compile(refuseRawPersonalData(await readFile(layoutFile, 'utf8'), layoutFile), { strict: true });
    mjml = layout(data);
  } catch (err) {
    throw templateError(err, layoutFile);
  }

  // Minified (without CSS minification, which needs cssnano): Gmail clips messages above 102 KB, and every
  // byte is sent once per subscriber. 'aggressive' also drops the whitespace between block-level tags
  // (MJML's tables and divs), keeping it around and inside inline elements (a, strong, em, img, …).
  const minifyOptions = { minifyCss: false, collapseWhitespace: 'aggressive' };
  const result = await mjml2html(mjml, { validationLevel: 'strict', filePath: layoutFile, keepComments: false, minify: true, minifyOptions } as never).catch((err: unknown) => {
    throw mjmlError(err, layoutFile, mjml);
  });
  const html = result.html;
  return { subject: content.subject, preheader: content.preheader, template: content.template, language: data.t.lang, html, text: htmlToText(html) };
}

async function loadTemplateSet(templateDir: string): Promise<typeof Handlebars> {
  const handlebars = Handlebars.create();
  const partialsDir = path.join(templateDir, 'partials');
  let files: string[];
  try {
    files = await readdir(partialsDir);
    await readFile(path.join(templateDir, 'layout.mjml.hbs'));
  } catch {
    throw new TidingsError('TEMPLATE_ERROR', `template set '${path.basename(templateDir)}' not found: expected ${templateDir}/layout.mjml.hbs and partials/`, {
      templateDir,
    });
  }
  for (const file of files.filter((f) => f.endsWith('.hbs'))) {
    const name = file.replace(/\.mjml\.hbs$|\.hbs$/, '');
    const partialFile = path.join(partialsDir, file);
    const source = refuseRawPersonalData(await readFile(partialFile, 'utf8'), partialFile);
    // Handlebars compiles a partial when it is first used and reports lines relative to the partial, so
    // an error raised inside it must name the partial's file, not the layout's.
    const compiled = handlebars.compile(source, { strict: true });
    handlebars.registerPartial(name, ((context: unknown, options: unknown) => {
      try {
        return compiled(context, options as never);
      } catch (err) {
        throw templateError(err, partialFile);
      }
    }) as unknown as Handlebars.Template);
  }
  return handlebars;
}

/** What the renderer knows about an image file: where it is served from and its size in pixels. */
export interface ImageInfo {
  url: string;
  width?: number;
  height?: number;
}

/** The width of the default and letter sets' content column (600 px message, 24 px padding each side). */
export const COLUMN_WIDTH = 552;

/**
 * The data a template sees (documented in docs/templates.md). Markdown fields are rendered to email-safe HTML
 * (fields ending in Html) and, where a template may want to place images itself, to blocks (fields ending in
 * Blocks: `{ html }` or `{ image: { src, alt, width, height } }`).
 */
function buildTemplateData(content: IssueContent, options: RenderOptions, slotValues: Readonly<Partial<Record<Slot, string>>>) {
  // A given value is escaped by the escaper sends use when they fill markers (Handlebars spells a few
  // entities differently), so a full render and a filled-in message can be compared byte for byte.
  const slot = (name: Slot) => {
    const value = slotValues[name];
    return value === undefined ? marker(name) : new Handlebars.SafeString(escapeHtml(value));
  };
  const problems: RenderProblem[] = [];
  let field = '';
  const report = (problem: RenderProblem) => problems.push(problem);
  const imageOf = (src: string): ImageInfo => options.images?.get(src) ?? { url: new URL(src, options.assetBaseUrl).toString() };
  const md = createEmailMarkdown({
    allowHtml: content.allow_html,
    footnotes: new Footnotes().define(content.footnotes),
    imageSrc: (src) => imageOf(src).url,
    report: (p) => report({ ...p, field, message: `field '${field}': ${p.message}` }),
  });
  const at = <T>(name: string, fn: () => T): T => {
    field = name;
    return fn();
  };
  const asset = (name: string, image: { src: string; alt: string; title?: string } | undefined) => {
    if (!image) return null;
    const info = imageOf(image.src);
    if (!isAllowedHref(info.url)) {
      report({ rule: 'link-scheme', field: name, needle: image.src, message: `field '${name}': image '${image.src}' is not an http(s) URL` });
    }
    return { src: info.url, alt: image.alt, title: image.title ?? '', width: info.width ?? null, height: info.height ?? null, columnWidth: columnWidthOf(info) };
  };
  const href = (name: string, value: string | undefined) => {
    if (value === undefined || value === '') return '';
    const problem = hrefProblem(value, `field '${name}': link`);
    if (problem) {
      report({ ...problem, field: name, needle: value.trim() });
      return '';
    }
    return value.trim();
  };
  const blocks = (name: string, src: string): TemplateBlock[] =>
    at(name, () =>
      md.blocks(src).map((block) => {
        if (!block.image) return block;
        const info = [...(options.images?.values() ?? [])].find((i) => i.url === block.image.src) ?? { url: block.image.src };
        return { image: { ...block.image, width: info.width ?? null, height: info.height ?? null, columnWidth: columnWidthOf(info) } };
      }),
    );
  const htmlOf = (list: TemplateBlock[]) =>
    list.map((b) => b.html ?? `<img src="${escapeHtml(b.image!.src)}" alt="${escapeHtml(b.image!.alt)}" width="${COLUMN_WIDTH}" style="display:block;width:100%;height:auto;border:0;">`).join('');

  const introBlocks = blocks('intro', content.intro);
  // A template may greet the reader in the intro's first text block: there always is one.
  if (!introBlocks[0]?.html) introBlocks.unshift({ html: '' });
  const issue = {
    slug: content.slug,
    subject: content.subject,
    preheader: content.preheader,
    title: content.title,
    subtitleHtml: at('subtitle', () => md.inline(content.subtitle)),
    originalUrl: href('original_url', content.original_url),
    hero: asset('hero', content.hero),
    introHtml: htmlOf(introBlocks),
    introBlocks,
    sections: content.sections.map((section, s) => ({
      title: section.title,
      introHtml: at(`sections.${s}.intro`, () => md.block(section.intro)),
      articles: section.articles.map((a, i) => {
        const base = `sections.${s}.articles.${i}`;
        const bodyBlocks = blocks(`${base}.body`, a.body);
        return {
          title: a.title,
          image: asset(`${base}.image`, a.image),
          captionHtml: at(`${base}.caption`, () => md.inline(a.caption || (a.image?.title ?? ''))),
          quoteHtml: at(`${base}.quote`, () => md.block(a.quote)),
          readMore: href(`${base}.read_more`, a.read_more),
          readMoreLabel: a.read_more_label,
          linksHeading: a.links_heading,
          links: a.links.map((l, j) => ({
            text: l.text,
            url: href(`${base}.links.${j}.url`, l.url),
            // A link item without a url is Markdown, so part of it can be a link ("github[repo](…)").
            textHtml: l.url ? '' : at(`${base}.links.${j}.text`, () => md.inline(l.text)),
          })),
          creditHtml: at(`${base}.credit`, () => md.inline(a.credit)),
          bodyHtml: htmlOf(bodyBlocks),
          bodyBlocks,
        };
      }),
    })),
    stayUpToDate: content.stay_up_to_date
      ? { title: content.stay_up_to_date.title, bodyHtml: at('stay_up_to_date.body', () => md.block(content.stay_up_to_date!.body)) }
      : null,
    keepLearning: content.keep_learning
      ? {
          title: content.keep_learning.title,
          posts: content.keep_learning.posts.map((p, i) => ({ ...p, url: href(`keep_learning.posts.${i}.url`, p.url) })),
        }
      : null,
    closingHtml: at('closing', () => md.inline(content.closing)),
    author: content.author,
    portrait: asset('portrait', content.portrait),
    signOffHtml: at('sign_off', () => md.block(content.sign_off)),
    footnotesHtml: md.footnotes(),
    postalAddress: content.postal_address,
  };
  const t = catalogueFor(options.language);
  return {
    data: {
      issue,
      t: templateStrings(t, slot),
      list: { name: slot('listName') },
      subscriber: { name: slot('name') },
      links: {
        unsubscribe: slot('unsubscribeUrl'),
        webVersion: slot('webVersionUrl'),
        openPixel: slot('openPixelUrl'),
      },
    },
    problems,
  };
}

/**
 * The fixed strings a template shows (`{{t.viewInBrowser}}`, `{{t.greeting}}`, …), from the catalogue of the
 * list's language. Sentences around a personal value are HTML with the value's slot in place, escaped
 * like every value (a translator's text never becomes markup).
 */
function templateStrings(t: Catalogue, slot: (name: Slot) => string | Handlebars.SafeString) {
  const around = (sentence: (value: string) => string, name: Slot) => {
    const hole = '\u0000';
    const [before, after = ''] = sentence(hole).split(hole);
    return new Handlebars.SafeString(`${escapeHtml(before)}${String(slot(name))}${escapeHtml(after)}`);
  };
  return {
    lang: t.lang,
    viewInBrowser: t.emailViewInBrowser,
    original: t.emailOriginal,
    unsubscribe: t.emailUnsubscribe,
    receivingBecause: around(t.emailReceivingBecause, 'listName'),
    greeting: around(t.emailGreeting, 'name'),
    letterGreeting: around(t.emailLetterGreeting, 'name'),
  };
}

/** A piece of a Markdown field as a template sees it: text (HTML) or one standalone image. */
export interface TemplateBlock {
  html?: string;
  image?: { src: string; alt: string; title: string; width: number | null; height: number | null; columnWidth: number };
}

function columnWidthOf(info: ImageInfo): number {
  return info.width ? Math.min(info.width, COLUMN_WIDTH) : COLUMN_WIDTH;
}

/** A problem in the content found while rendering (a bad link, an image without alt text). */
export interface RenderProblem {
  rule: 'link-scheme' | 'link-empty' | 'url-malformed';
  /** The content field, dotted. */
  field: string;
  message: string;
  /** Text to look for in the source to find the line. */
  needle: string;
}

/**
 * The plain-text alternative: readable, headings kept as lines of their own, link URLs listed after their text.
 * Lines are not hard-wrapped: a wrap position would depend on the length of the slot markers, so a filled-in
 * message would differ from a full render with the subscriber's values. Mail clients wrap text for display.
 */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      // MJML's hidden preheader block is for the inbox list only.
      { selector: 'div[style*="display:none"]', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
    ],
  })
    .replace(/[\u034f\u200c\u00a0]+/g, (run) => (run.includes('\u00a0') ? ' ' : ''))
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Subscriber and list values come from outside: a template may only use them escaped ({{subscriber.name}}).
 * Filled-in values are escaped anyway, but a triple-stash on them says the author expects raw HTML there.
 */
function refuseRawPersonalData(source: string, file: string): string {
  const match = /\{\{\{~?\s*(?:@root\.)?(?:subscriber|list|links)\.[\w.]*\s*~?\}\}\}/.exec(source) ?? /\{\{&\s*(?:@root\.)?(?:subscriber|list)\.[\w.]*\s*\}\}/.exec(source);
  if (match) {
    const line = source.slice(0, match.index).split('\n').length;
    throw new TidingsError('TEMPLATE_ERROR', `${file}:${line}: ${match[0]} would insert personal data unescaped; use two braces`, { file, line });
  }
  return source;
}

function templateError(err: unknown, file: string): TidingsError {
  if (err instanceof TidingsError) return err; // already attributed to the partial it came from
  const message = (err as Error).message ?? String(err);
  const line = /- (\d+):(\d+)/.exec(message)?.[1] ?? /line (\d+)/.exec(message)?.[1];
  // Handlebars says `"x" not defined in [object Object] - 4:51`; say what to do instead.
  const lines = message.split('\n');
  // A parse error's first line is only "Parse error on line N:"; what was expected is on its last line.
  const first = (lines[0].startsWith('Parse error') && lines.length > 1 ? `${lines[0]} ${lines.at(-1)}${/got 'EOF'/.test(message) ? ' (a block such as {{#if}} is not closed)' : ''}` : lines[0])
    // Handlebars counts columns from 0; editors count from 1.
    .replace(/ not defined in .* - \d+:(\d+)$/, (_, column: string) => ` not defined (column ${Number(column) + 1}): the template uses a variable the issue does not provide; add it to the content or guard it with {{#if}}`);
  return new TidingsError('TEMPLATE_ERROR', `${file}${line ? `:${line}` : ''}: ${first}`, { file, line: line ? Number(line) : undefined }, { cause: err });
}

function mjmlError(err: unknown, file: string, mjml: string): TidingsError {
  const e = err as { errors?: MjmlIssue[]; details?: MjmlIssue[] };
  const details = e.errors ?? e.details;
  if (Array.isArray(details) && details.length > 0) {
    const first = details[0];
    const context = mjml.split('\n')[first.line - 1]?.trim().slice(0, 120);
    return new TidingsError(
      'MJML_ERROR',
      `${file}: MJML error at line ${first.line} of the generated MJML (<${first.tagName}>): ${first.message}${context ? ` — near: ${context}` : ''}`,
      { file, line: first.line, errors: details.length },
      { cause: err },
    );
  }
  return new TidingsError('MJML_ERROR', `${file}: ${(err as Error).message}`, { file }, { cause: err });
}

interface MjmlIssue {
  line: number;
  message: string;
  tagName: string;
}
