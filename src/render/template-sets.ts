import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { isTidingsError } from '../errors';
import { issueContentSchema, type IssueContent } from './content';
import { renderIssue, TEMPLATES_DIR } from './render-issue';

/**
 * Template sets: each folder under templates/ with a layout.mjml.hbs and partials/. `tidings template list`
 * names them; `tidings template check <name>` compiles every file in strict mode and renders the set with an
 * issue that uses every field, so a typo in any partial is reported with its file and line before an issue
 * meets it.
 */
export interface TemplateSet {
  name: string;
  /** The first line of the layout's leading comment. */
  description: string;
  files: string[];
}

export async function listTemplateSets(dir = TEMPLATES_DIR): Promise<TemplateSet[]> {
  const sets: TemplateSet[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const layout = await readFile(path.join(dir, entry.name, 'layout.mjml.hbs'), 'utf8').catch(() => undefined);
    if (layout === undefined) continue;
    const comment = /^\s*\{\{!--\s*([\s\S]*?)--\}\}/.exec(layout)?.[1] ?? '';
    const description = comment.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
    const partials = await readdir(path.join(dir, entry.name, 'partials')).catch(() => [] as string[]);
    sets.push({ name: entry.name, description, files: ['layout.mjml.hbs', ...partials.filter((p) => p.endsWith('.hbs')).sort().map((p) => `partials/${p}`)] });
  }
  return sets;
}

export interface TemplateProblem {
  file: string;
  line?: number;
  message: string;
}

/**
 * MJML's <mj-preview> hides the preheader as white text, which SpamAssassin scores as text coloured like its
 * background (HTML_FONT_LOW_CONTRAST) even though display:none hides it: every message would carry it.
 */
const PREVIEW_PROBLEM =
  "<mj-preview> colours the preheader #ffffff, which spam filters count as hidden low-contrast text (SpamAssassin's HTML_FONT_LOW_CONTRAST): put {{issue.preheader}} in an <mj-raw> div with display:none and no colour at the top of <mj-body>, as templates/default/layout.mjml.hbs does";

/** Every problem of a template set: syntax errors in any file, then what rendering a full issue finds. */
export async function checkTemplateSet(name: string, dir = TEMPLATES_DIR): Promise<TemplateProblem[]> {
  const set = (await listTemplateSets(dir)).find((s) => s.name === name);
  if (!set) {
    const known = (await listTemplateSets(dir)).map((s) => s.name);
    return [{ file: path.join(dir, name), message: `no template set '${name}' (a folder with layout.mjml.hbs and partials/): known sets are ${known.join(', ') || 'none'}` }];
  }
  const problems: TemplateProblem[] = [];
  for (const relative of set.files) {
    const file = path.join(dir, name, relative);
    const source = await readFile(file, 'utf8');
    // Comments may name the element; blanked out with their line breaks kept, so lines still count.
    const preview = /<mj-preview[\s>]/.exec(source.replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, (c) => c.replace(/[^\n]/g, ' ')));
    if (preview) {
      problems.push({ file, line: source.slice(0, preview.index).split('\n').length, message: PREVIEW_PROBLEM });
    }
    try {
      Handlebars.precompile(source, { strict: true });
    } catch (err) {
      const message = (err as Error).message;
      const line = Number(/line (\d+)/.exec(message)?.[1]) || undefined;
      problems.push({ file, line, message: message.split('\n').filter((l) => !/^[-\s^]*$/.test(l)).at(-1) ?? message });
    }
  }
  if (problems.length) return problems;
  for (const content of sampleIssues(name)) {
    try {
      await renderIssue(content, { assetBaseUrl: 'https://assets.example.com/', templatesDir: dir });
    } catch (err) {
      if (!isTidingsError(err)) throw err;
      const ctx = err.context as { file?: string; line?: number };
      problems.push({ file: ctx.file ?? path.join(dir, name), line: ctx.line, message: err.message.replace(/^(?:[^\s:]+(?::\d+)?: )+/, '') });
      break;
    }
  }
  return problems;
}

/** Issues that use every field (and one that uses none), so every branch of a template is compiled. */
function sampleIssues(template: string): IssueContent[] {
  const image = { src: 'https://assets.example.com/a.png', alt: 'A picture' };
  const full = issueContentSchema.parse({
    slug: 'template-check', subject: 'Template check', preheader: 'Preheader', template, title: 'Title', subtitle: 'Subtitle',
    original_url: 'https://example.com/original', hero: image, default_name: 'Reader', intro: 'Intro with [a link](https://example.com).\n\n![A picture](https://assets.example.com/b.png)\n\nMore.',
    sections: [{ title: 'Section', intro: 'About this section.', articles: [
      { title: 'Article', image, caption: 'Caption', quote: 'Quote', read_more: 'https://example.com/a', read_more_label: 'Read more', links_heading: 'Links',
        links: [{ text: 'Link', url: 'https://example.com/l' }, { text: 'Markdown [link](https://example.com/m)' }], credit: 'Credit: someone', body: 'Body text.\n\n| a | b |\n|---|---|\n| 1 | 2 |' },
      { title: 'Plain article' },
    ] }],
    stay_up_to_date: { title: 'Stay up to date', body: 'Follow us.' },
    keep_learning: { title: 'Keep learning', posts: [{ title: 'Post', summary: 'Summary', url: 'https://example.com/p', site: 'example.com' }] },
    closing: 'Closing', author: 'Ana', portrait: image, sign_off: 'Warmly,\nAna', footnotes: {}, postal_address: '1 Example Street, Springfield',
  });
  const bare = issueContentSchema.parse({ slug: 'template-check-bare', subject: 'Template check', template, title: 'Title', postal_address: '1 Example Street, Springfield' });
  return [full, bare];
}
