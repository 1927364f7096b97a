import { Marked, type MarkedExtension, type Token, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';

/**
 * Markdown → email-safe HTML. Email clients ignore most of a stylesheet (Gmail keeps a subset, Outlook
 * renders with Word), so every element this renderer writes carries its own inline style, quotes and code
 * are tables or blocks Outlook keeps, and nothing depends on classes, ids or in-page anchors.
 *
 * - Links must be http(s) or mailto; anything else is reported (and rendered as its text, not a link).
 * - A paragraph that is only a link titled "button" — `[Buy a ticket](https://example.com "button")` — is a
 *   call-to-action button (a "bulletproof" table button that Outlook draws too).
 * - Raw HTML is shown as text unless the issue opts in (`allow_html: true`); then the whole output goes through
 *   an allow-list sanitiser (sanitize-html) that keeps email-safe tags, attributes and style properties only.
 * - Footnotes (`[^1]`) become superscript numbers and a small numbered list at the end of the block.
 * - A paragraph whose first strong character is Hebrew, Arabic, Syriac, Thaana or N'Ko is set right-to-left.
 * - Link text that is a long URL may break anywhere, so it wraps on a phone instead of widening the message.
 */
export interface EmailHtmlOptions {
  /** Raw HTML in the Markdown is kept (sanitised) instead of escaped. */
  allowHtml?: boolean;
  /** Called for each problem found while rendering (a link that is not http(s)/mailto, …). */
  report?: (problem: MarkdownProblem) => void;
  /** Resolves an image source (relative paths against ASSET_BASE_URL, media uploads, …). */
  imageSrc?: (src: string) => string;
  /** Footnote definitions shared by every part of one document. */
  footnotes?: Footnotes;
}

export interface MarkdownProblem {
  rule: 'link-scheme' | 'link-empty' | 'url-malformed';
  message: string;
  /** Text to find in the source to point at its line. */
  needle: string;
}

export const LINK_COLOUR = '#2f5bb7';
const MONO = "Menlo,Consolas,'Courier New',monospace";
const HEADING_SIZES: Record<number, string> = { 1: '24px', 2: '20px', 3: '18px', 4: '16px', 5: '15px', 6: '14px' };

/** Link targets an email may carry: web links and mail addresses only (no javascript:, data:, file:). */
export function isAllowedHref(href: string): boolean {
  return /^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(href.trim());
}

/**
 * What is wrong with a link target, in plain words, or undefined for an http(s) or mailto URL. A URL with a
 * space is malformed (not "a wrong scheme"): the fix is to encode the space.
 */
export function hrefProblem(href: string, what: string): { rule: MarkdownProblem['rule']; message: string } | undefined {
  const trimmed = href.trim();
  if (!trimmed || trimmed === '#') return { rule: 'link-empty', message: `${what} has no target: give it an http(s) URL or remove the link.` };
  if (/\s/.test(trimmed) && /^(https?|mailto):/i.test(trimmed.replace(/\s+/g, ''))) {
    return { rule: 'url-malformed', message: `${what} → '${trimmed}' contains a space: encode it as %20 or fix the URL.` };
  }
  if (!isAllowedHref(trimmed)) return { rule: 'link-scheme', message: `${what} → '${trimmed}' is not an http(s) or mailto URL: use a full URL such as https://example.com/page.` };
  return undefined;
}

/** HTML text and attribute escaping as marked does it (`=` and backticks stay: URLs keep their spelling). */
export function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** Right-to-left when the first strong (letter) character of the text belongs to an RTL script. */
export function isRightToLeft(text: string): boolean {
  const strong = /[\p{L}]/u.exec(text.replace(/https?:\/\/\S+/g, ''));
  return !!strong && /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/.test(strong[0]);
}

/** The plain text of inline tokens (emphasis and links dropped, their text kept). */
export function plainText(tokens: Token[] | undefined): string {
  if (!tokens) return '';
  return tokens
    .map((t) => {
      if ('tokens' in t && t.tokens && t.type !== 'codespan') return plainText(t.tokens);
      if (t.type === 'br') return ' ';
      if (t.type === 'html') return '';
      if (t.type === 'image') return t.text;
      return 'text' in t ? decodeEntities(String(t.text)) : '';
    })
    .join('');
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/** A piece of a Markdown field: HTML, or one standalone image. */
export type EmailBlock = { html: string; image?: undefined } | { html?: undefined; image: { src: string; alt: string; title: string } };

/** A paragraph that is only an image. */
export function standaloneImageOf(token: Token): Tokens.Image | undefined {
  if (token.type !== 'paragraph') return undefined;
  const inner = (token.tokens ?? []).filter((t) => !(t.type === 'text' && !t.raw.trim()));
  return inner.length === 1 && inner[0].type === 'image' ? (inner[0] as Tokens.Image) : undefined;
}

/** A paragraph that is one link titled "button": the documented call-to-action syntax. */
export function buttonOf(token: Token): { label: string; href: string } | undefined {
  if (token.type !== 'paragraph') return undefined;
  const inner = token.tokens?.filter((t) => !(t.type === 'text' && !t.raw.trim())) ?? [];
  const link = inner[0];
  if (inner.length !== 1 || link.type !== 'link' || link.title?.trim().toLowerCase() !== 'button') return undefined;
  return { label: plainText(link.tokens), href: link.href };
}

export function buttonHtml(label: string, href: string): string {
  return (
    `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:separate;line-height:100%;margin:4px 0 16px 0;"><tr>` +
    `<td align="center" bgcolor="${LINK_COLOUR}" valign="middle" style="border-radius:4px;mso-padding-alt:12px 24px;background:${LINK_COLOUR};">` +
    `<a class="btn" href="${escapeText(href)}" style="display:inline-block;padding:12px 24px;mso-padding-alt:0;background:${LINK_COLOUR};color:#ffffff;font-size:15px;font-weight:600;line-height:120%;text-decoration:none;border-radius:4px;">${escapeText(label)}</a>` +
    `</td></tr></table>`
  );
}

/** Creates a renderer; `block` renders block Markdown, `inline` one line of inline Markdown. */
export function createEmailMarkdown(options: EmailHtmlOptions = {}) {
  const report = options.report ?? (() => {});
  const imageSrc = options.imageSrc ?? ((src: string) => src);
  const checkHref = (href: string, label: string): boolean => {
    const problem = hrefProblem(href, `the link '${label}'`);
    if (problem) report({ ...problem, needle: problem.rule === 'link-empty' ? `[${label}]` : href.trim() });
    return !problem;
  };

  const notes = options.footnotes ?? new Footnotes();
  // `[text](https://example.com/a b)` is no link to Markdown (a space ends the address): it would show as
  // brackets in the message. Said as what it is: a malformed URL, with the fix.
  const spaced = new Set<string>();
  const findSpacedUrls = (token: Token) => {
    if (!['paragraph', 'heading', 'text', 'tablecell'].includes(token.type) || !('raw' in token)) return;
    for (const match of token.raw.matchAll(/\[([^\]\n]*)\]\(\s*((?:https?|mailto):[^)\s]*[ \t][^)\n]*?)\s*\)/gi)) {
      if (/\s+"[^"]*"$/.test(match[2]) && !/\s/.test(match[2].replace(/\s+"[^"]*"$/, ''))) continue; // a title, not a space
      if (spaced.has(match[0])) continue;
      spaced.add(match[0]);
      report({ rule: 'url-malformed', message: `the link '${match[1]}' → '${match[2]}' contains a space, so it is not a link: encode the space as %20 or fix the URL.`, needle: match[2] });
    }
  };
  const marked = new Marked({ gfm: true, async: false, walkTokens: findSpacedUrls });
  const extension: MarkedExtension = {
    extensions: [
      {
        name: 'footnoteRef',
        level: 'inline',
        start: (src: string) => src.indexOf('[^'),
        tokenizer(src: string) {
          const match = /^\[\^([^\]\s]+)\]/.exec(src);
          if (match && notes.has(match[1])) return { type: 'footnoteRef', raw: match[0], label: match[1] };
          return undefined;
        },
        renderer(token) {
          return `<sup style="font-size:75%;line-height:0;">[${notes.number(String(token.label))}]</sup>`;
        },
      },
    ],
    renderer: {
      heading({ tokens, depth }) {
        const text = this.parser.parseInline(tokens);
        const rtl = isRightToLeft(plainText(tokens));
        return `<h${depth}${rtl ? ' dir="rtl"' : ''} style="margin:20px 0 8px 0;font-size:${HEADING_SIZES[depth]};line-height:1.4;font-weight:700;color:#1b2430;${rtl ? 'text-align:right;' : ''}">${text}</h${depth}>`;
      },
      paragraph(token) {
        const button = buttonOf(token);
        if (button && checkHref(button.href, button.label)) return buttonHtml(button.label, button.href);
        const text = this.parser.parseInline(token.tokens);
        const rtl = isRightToLeft(plainText(token.tokens));
        return rtl ? `<p dir="rtl" style="text-align:right;">${text}</p>` : `<p>${text}</p>`;
      },
      blockquote({ tokens }) {
        return (
          `<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" style="border-collapse:separate;margin:0 0 12px 0;"><tr>` +
          `<td style="border-left:4px solid #b9c7e6;padding:2px 0 2px 16px;color:#4a5160;">${this.parser.parse(tokens)}</td></tr></table>`
        );
      },
      code({ text }) {
        return `<pre style="margin:0 0 12px 0;padding:12px 14px;background:#f6f8fa;border:1px solid #e6e9ef;border-radius:4px;font-family:${MONO};font-size:13px;line-height:1.5;color:#24292f;white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere;">${escapeText(text)}</pre>`;
      },
      codespan({ text }) {
        return `<code style="font-family:${MONO};font-size:90%;background:#f2f4f7;padding:1px 4px;border-radius:3px;">${text}</code>`;
      },
      hr() {
        return '<hr style="border:0;border-top:1px solid #e6e9ef;margin:16px 0;">';
      },
      // Paragraph and list spacing comes from the template's <style> block (p, ul, ol, li): inline styles on
      // every list item would be sent once per subscriber for little gain.
      list(token) {
        const tag = token.ordered ? 'ol' : 'ul';
        const start = token.ordered && token.start !== '' && token.start !== 1 ? ` start="${Number(token.start)}"` : '';
        return `<${tag}${start}>${token.items.map((item) => this.listitem(item)).join('')}</${tag}>`;
      },
      listitem(item) {
        const checkbox = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
        return `<li>${checkbox}${this.parser.parse(item.tokens)}</li>`;
      },
      checkbox() {
        return '';
      },
      table(token) {
        const cell = (c: Tokens.TableCell, header: boolean) => {
          const align = c.align ? `text-align:${c.align};` : header ? 'text-align:left;' : '';
          const tag = header ? 'th' : 'td';
          return `<${tag} style="border:1px solid #e3e8f2;padding:6px 10px;${align}${header ? 'background:#f6f8fc;font-weight:700;' : ''}vertical-align:top;">${this.parser.parseInline(c.tokens)}</${tag}>`;
        };
        const head = `<tr>${token.header.map((c) => cell(c, true)).join('')}</tr>`;
        const rows = token.rows.map((row) => `<tr>${row.map((c) => cell(c, false)).join('')}</tr>`).join('');
        return `<table cellpadding="0" cellspacing="0" border="0" width="100%" style="border-collapse:collapse;margin:0 0 12px 0;font-size:14px;line-height:1.5;"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
      },
      link({ href, title, tokens }) {
        const text = this.parser.parseInline(tokens);
        const label = plainText(tokens);
        if (!checkHref(href, label)) return text;
        // A URL as link text has no spaces to wrap at: let it break anywhere.
        const wrap = /(https?:\/\/|www\.)\S{16,}/.test(label) ? ' style="word-break:break-all;overflow-wrap:anywhere;"' : '';
        return `<a href="${escapeText(href.trim())}"${title && title.toLowerCase() !== 'button' ? ` title="${escapeText(title)}"` : ''}${wrap}>${text}</a>`;
      },
      image({ href, title, text }) {
        const src = imageSrc(href);
        return `<img src="${escapeText(src)}" alt="${escapeText(text)}"${title ? ` title="${escapeText(title)}"` : ''} style="max-width:100%;height:auto;border:0;vertical-align:middle;">`;
      },
      html({ text }) {
        return options.allowHtml ? text : escapeText(text);
      },
      text(token) {
        if ('tokens' in token && token.tokens) return this.parser.parseInline(token.tokens);
        return 'escaped' in token && token.escaped ? token.text : escapeText(token.text);
      },
    },
  };
  marked.use(extension);

  const finish = (html: string) => (options.allowHtml ? sanitizeEmailHtml(html) : html);
  return {
    marked,
    /** Block Markdown (paragraphs, lists, tables, …). */
    block: (src: string): string => (src.trim() ? finish(marked.parse(notes.extract(src)) as string) : ''),
    /** Inline Markdown (emphasis, links, code) without a paragraph around it. */
    inline: (src: string): string => (src.trim() ? finish(marked.parseInline(src) as string) : ''),
    /**
     * Block Markdown as MJML-ready pieces: runs of text as HTML, and each standalone image (a paragraph that is
     * only an image) on its own, so a template can make it an mj-image at the column width.
     */
    blocks: (src: string): EmailBlock[] => {
      if (!src.trim()) return [];
      const tokens = marked.lexer(notes.extract(src));
      marked.walkTokens(tokens, findSpacedUrls);
      const out: EmailBlock[] = [];
      let run: Token[] = [];
      const flush = () => {
        if (run.some((t) => t.type !== 'space')) out.push({ html: finish(marked.parser(Object.assign(run, { links: tokens.links }))) });
        run = [];
      };
      for (const token of tokens) {
        const image = standaloneImageOf(token);
        if (!image) {
          run.push(token);
          continue;
        }
        flush();
        out.push({ image: { src: imageSrc(image.href), alt: image.text, title: image.title ?? '' } });
      }
      flush();
      return out;
    },
    /** The footnotes referred to so far, as a small numbered list ('' when none). */
    footnotes: (): string => {
      const used = notes.used();
      if (used.length === 0) return '';
      const items = used.map((md) => `<li style="margin:0 0 4px 0;">${marked.parseInline(md) as string}</li>`).join('');
      return finish(`<div style="border-top:1px solid #e6e9ef;margin:16px 0 0 0;padding:8px 0 0 0;font-size:13px;line-height:1.6;color:#6b7280;"><ol style="margin:0;padding:0 0 0 20px;">${items}</ol></div>`);
    },
  };
}

/**
 * Footnotes (`text[^1]` and a `[^1]: the note` line anywhere): numbered in the order they are first referred
 * to. Definitions are taken out of the source first (keeping its line count), so a reference in any part of a
 * document finds its note.
 */
export class Footnotes {
  private readonly notes = new Map<string, string>();
  private readonly numbers = new Map<string, number>();

  /** Removes the definitions from a Markdown source (each replaced by as many empty lines) and keeps them. */
  extract(src: string): string {
    return src.replace(/^\[\^([^\]\s]+)\]:[ \t]*(.*(?:\n(?:    |\t).*)*)/gm, (whole, label: string, text: string) => {
      this.notes.set(label, text.replace(/\n(?:    |\t)/g, ' ').trim());
      return '\n'.repeat(whole.split('\n').length - 1);
    });
  }

  /** Adds definitions kept elsewhere (a content file's `footnotes:`). */
  define(notes: Readonly<Record<string, string>>): this {
    for (const [label, text] of Object.entries(notes)) this.notes.set(label, text);
    return this;
  }

  text(label: string): string {
    return this.notes.get(label) ?? '';
  }

  has(label: string): boolean {
    return this.notes.has(label);
  }

  number(label: string): number {
    let n = this.numbers.get(label);
    if (n === undefined) this.numbers.set(label, (n = this.numbers.size + 1));
    return n;
  }

  /** The notes referred to, in number order. */
  used(): string[] {
    return [...this.numbers.keys()].map((label) => this.notes.get(label)!);
  }
}

/** Style properties email clients honour; values may not load anything (no url(), no expressions). */
const STYLE_PROPERTIES = [
  'color', 'background', 'background-color', 'border', 'border-top', 'border-right', 'border-bottom', 'border-left', 'border-collapse',
  'border-radius', 'border-color', 'border-width', 'border-style', 'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left', 'font', 'font-family', 'font-size', 'font-weight', 'font-style',
  'line-height', 'letter-spacing', 'text-align', 'text-decoration', 'text-transform', 'vertical-align', 'white-space', 'word-break',
  'overflow-wrap', 'width', 'max-width', 'min-width', 'height', 'max-height', 'display', 'mso-padding-alt',
];
const SAFE_STYLE_VALUE = /^[^()<>{};"\\]*$/;

/**
 * The allow-list for raw HTML an operator opted in to: structure, text formatting, tables, images and links,
 * with http(s)/mailto targets and inline styles that load nothing. Scripts, forms, frames, SVG, event handlers,
 * classes and ids are dropped (their text is kept).
 */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [
      'a', 'abbr', 'b', 'blockquote', 'br', 'center', 'code', 'del', 'div', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img',
      'li', 'ol', 'p', 'pre', 's', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'u', 'ul',
    ],
    allowedAttributes: {
      '*': ['style', 'dir', 'lang', 'title', 'align'],
      a: ['href'],
      img: ['src', 'alt', 'width', 'height'],
      table: ['role', 'cellpadding', 'cellspacing', 'border', 'width', 'bgcolor'],
      td: ['colspan', 'rowspan', 'width', 'valign', 'bgcolor'],
      th: ['colspan', 'rowspan', 'width', 'valign', 'bgcolor'],
      ol: ['start'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    allowedStyles: { '*': Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_STYLE_VALUE]])) },
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'svg', 'math', 'iframe', 'object'],
  });
}
