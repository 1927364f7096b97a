import { Lexer, type Token, type Tokens } from 'marked';
import { buttonOf, plainText, standaloneImageOf } from './email-html';

/**
 * Reads the structure of a Markdown issue: which heading is the title, which blocks are the intro, which
 * headings are sections and articles, and which parts of an article are its image, caption, quote, links and
 * credit. The result is the content data a YAML issue holds (text fields keep their Markdown), so both
 * formats render through the same templates. The rules are in README.md ("Markdown issues"); in short:
 *
 * - the first heading is the title; a deeper heading right under it the subtitle; a block quote right under
 *   it holding one link (`> Original: <https://…>`) the original's address; a standalone image before the
 *   first paragraph the hero; the paragraphs up to the next heading the intro;
 * - the headings of the level that follows are the parts. A part holding only a list of the titles
 *   of later parts is a section (its table of contents) and those parts are its articles. Without such lists,
 *   a part with sub-headings is a section and its sub-headings its articles; other parts are articles;
 * - an article with a block quote has the link-roundup shape: image, caption (the paragraph after the
 *   image), quote, "read more" (a paragraph that is one link, at the end of the quote or after it), links
 *   heading (a paragraph right before the links), links (a list), credit (the list's last item when it
 *   starts with a label and a colon: `Credit: …`, `信用: …`). Anything else is the article's body;
 * - a part made of link cards, written the way Medium exports embeds (`[](url) [## title ### summary site](url)`),
 *   is the "keep learning" block; text after the cards, or one or two short paragraphs after a final
 *   horizontal rule, is the closing;
 * - in an issue with sections, the first other part after the last article is "stay up to date".
 */
export interface DocumentRead {
  /** Content fields found in the body (merged under the front matter's). */
  data: Record<string, unknown>;
  /** Line of each field found, by dotted path. */
  lines: Map<string, number>;
  warnings: { rule: 'image-alt'; message: string; line: number }[];
  /** Every image the body names, with its line, so local files can be checked and uploaded. */
  images: { src: string; line: number }[];
}

interface Block {
  token: Token;
  line: number;
  offset: number;
}

interface Part {
  heading: Tokens.Heading;
  line: number;
  blocks: Block[];
  /** The part's source after its heading. */
  raw: string;
  rawOffset: number;
}

/** A Medium embed: `[](url) [## title\n\n### summary\n\nsite](url)` (the summary is optional). */
const CARD = /\[\]\((\S+?)\)\s*\[##[ \t]+([^\n]*?)[ \t]*\n\s*\n(?:###[ \t]+([^\n]*?)[ \t]*\n\s*\n)?([^\n\]]*?)\]\((\S+?)\)/y;

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();

export function readDocument(body: string, footnotes: Record<string, string>): DocumentRead {
  const lines = new Map<string, number>();
  const warnings: DocumentRead['warnings'] = [];
  const images: DocumentRead['images'] = [];
  const lineAt = (offset: number) => body.slice(0, offset).split('\n').length;

  const tokens = new Lexer({ gfm: true }).lex(body);
  const blocks: Block[] = [];
  let offset = 0;
  for (const token of tokens) {
    // A top-level token's raw is its slice of the source; leading blank lines of a block belong to the
    // previous 'space' token.
    const at = body.indexOf(token.raw, offset);
    const start = at === -1 ? offset : at;
    if (token.type !== 'space' && token.type !== 'def') blocks.push({ token, line: lineAt(start + leadingNewlines(token.raw)), offset: start });
    offset = start + token.raw.length;
  }
  collectImages(blocks, body, lineAt, images);

  const data: Record<string, unknown> = {};
  if (Object.keys(footnotes).length) data.footnotes = footnotes;
  let i = 0;
  const titleBlock = blocks.findIndex((b) => b.token.type === 'heading');
  if (titleBlock === -1) {
    // No heading: everything is the intro (a short letter), the title comes from the front matter.
    data.intro = rawOf(blocks);
    return { data, lines, warnings, images };
  }
  const before = blocks.slice(0, titleBlock);
  const title = blocks[titleBlock].token as Tokens.Heading;
  data.title = normalise(plainText(title.tokens));
  lines.set('title', blocks[titleBlock].line);
  i = titleBlock + 1;

  // Right under the title: the original's link, the subtitle, the hero image (each optional, in any order).
  for (let seen = true; seen && i < blocks.length; ) {
    seen = false;
    const { token, line } = blocks[i];
    const original = token.type === 'blockquote' ? soleLink(token.tokens) : undefined;
    if (original && data.original_url === undefined && original.text === original.href) {
      data.original_url = original.href;
      lines.set('original_url', line);
      i++;
      seen = true;
    } else if (token.type === 'heading' && token.depth > title.depth && data.subtitle === undefined) {
      data.subtitle = token.text.trim();
      lines.set('subtitle', line);
      i++;
      seen = true;
    } else if (standaloneImage(token) && data.hero === undefined) {
      const image = standaloneImage(token)!;
      data.hero = imageData(image, data.title as string, line, 'hero', warnings, 'the issue title');
      lines.set('hero', line);
      i++;
      seen = true;
    }
  }

  // The intro: up to the next heading.
  const introStart = i;
  while (i < blocks.length && blocks[i].token.type !== 'heading') i++;
  const intro = [...before, ...blocks.slice(introStart, i)];
  if (intro.length) {
    data.intro = rawOf(intro);
    lines.set('intro', intro[0].line);
  }
  if (i >= blocks.length) {
    const { content, closing } = splitClosing(intro);
    if (closing.length) {
      data.intro = rawOf(content);
      setClosing(closing);
    }
    return { data, lines, warnings, images };
  }

  // The parts: headings of the level that follows the intro (and any shallower one).
  const partDepth = (blocks[i].token as Tokens.Heading).depth;
  const parts: Part[] = [];
  for (; i < blocks.length; i++) {
    const { token, line, offset: at } = blocks[i];
    if (token.type === 'heading' && token.depth <= partDepth) {
      const rawOffset = at + token.raw.length;
      parts.push({ heading: token as Tokens.Heading, line, blocks: [], raw: '', rawOffset });
    } else parts.at(-1)!.blocks.push(blocks[i]);
  }
  parts.forEach((part, n) => {
    part.raw = body.slice(part.rawOffset, n + 1 < parts.length ? body.lastIndexOf(parts[n + 1].heading.raw, parts[n + 1].rawOffset) : body.length);
  });
  const last = parts.at(-1)!;
  if (!cardsOf(last)) {
    const { content, closing } = splitClosing(last.blocks);
    last.blocks = content;
    if (closing.length) setClosing(closing);
  }

  const titleOf = (part: Part) => normalise(plainText(part.heading.tokens));
  const tocOf = (part: Part, n: number): string[] | undefined => {
    if (part.blocks.length !== 1 || part.blocks[0].token.type !== 'list') return undefined;
    const list = part.blocks[0].token as Tokens.List;
    const items = list.items.map((item) => (hasLink(item.tokens) ? undefined : normalise(plainText(item.tokens))));
    const later = new Set(parts.slice(n + 1).map(titleOf));
    return items.every((t) => t && later.has(t)) ? (items as string[]) : undefined;
  };

  const sections: Record<string, unknown>[] = [];
  const claimed = new Map<Part, Record<string, unknown>>();
  parts.forEach((part, n) => {
    const toc = tocOf(part, n);
    if (!toc) return;
    const section = { title: titleOf(part), articles: [] as unknown[] };
    lines.set(`sections.${sections.length}`, part.line);
    lines.set(`sections.${sections.length}.title`, part.line);
    sections.push(section);
    for (const entry of toc) {
      const article = parts.find((p, k) => k > n && titleOf(p) === entry && !claimed.has(p) && !tocOf(p, k));
      if (article) claimed.set(article, section);
    }
  });
  const hasToc = sections.length > 0;
  const lastClaimed = Math.max(-1, ...parts.map((p, n) => (claimed.has(p) ? n : -1)));

  let trailing: Record<string, unknown> | undefined;
  parts.forEach((part, n) => {
    if (tocOf(part, n)) return;
    const cards = cardsOf(part);
    if (cards) {
      data.keep_learning = { title: titleOf(part), posts: cards.posts };
      lines.set('keep_learning', part.line);
      if (cards.rest.trim()) {
        data.closing = normalise(cards.rest);
        lines.set('closing', lineAt(part.rawOffset + part.raw.indexOf(cards.rest.trim())));
      }
      return;
    }
    const owner = claimed.get(part);
    if (owner) {
      const index = sections.indexOf(owner);
      const articles = owner.articles as unknown[];
      articles.push(readArticle(part, `sections.${index}.articles.${articles.length}`));
      return;
    }
    if (hasToc && n > lastClaimed && data.stay_up_to_date === undefined) {
      data.stay_up_to_date = { title: titleOf(part), body: rawOf(part.blocks) };
      lines.set('stay_up_to_date', part.line);
      return;
    }
    const subDepth = Math.min(...part.blocks.filter((b) => b.token.type === 'heading').map((b) => (b.token as Tokens.Heading).depth));
    if (!hasToc && Number.isFinite(subDepth)) {
      // A part with sub-headings: a section whose articles are the sub-headings.
      const index = sections.length;
      const section: Record<string, unknown> = { title: titleOf(part), articles: [] };
      lines.set(`sections.${index}`, part.line);
      const first = part.blocks.findIndex((b) => b.token.type === 'heading' && (b.token as Tokens.Heading).depth === subDepth);
      if (first > 0) section.intro = rawOf(part.blocks.slice(0, first));
      const subs: Part[] = [];
      for (const block of part.blocks.slice(first)) {
        if (block.token.type === 'heading' && block.token.depth === subDepth) subs.push({ heading: block.token as Tokens.Heading, line: block.line, blocks: [], raw: '', rawOffset: 0 });
        else subs.at(-1)!.blocks.push(block);
      }
      section.articles = subs.map((sub, k) => readArticle(sub, `sections.${index}.articles.${k}`));
      sections.push(section);
      trailing = undefined;
      return;
    }
    // An article of its own: grouped with its neighbours in a section without a title.
    if (!trailing) {
      trailing = { title: '', articles: [] };
      lines.set(`sections.${sections.length}`, part.line);
      sections.push(trailing);
    }
    const articles = trailing.articles as unknown[];
    articles.push(readArticle(part, `sections.${sections.indexOf(trailing)}.articles.${articles.length}`));
  });
  if (sections.length) data.sections = sections.filter((s) => (s.articles as unknown[]).length > 0);
  return { data, lines, warnings, images };

  function setClosing(closing: Block[]): void {
    data.closing = closing.map((b) => b.token.raw.trim()).join('\n');
    lines.set('closing', closing[0].line);
  }

  function readArticle(part: Part, base: string): Record<string, unknown> {
    const article: Record<string, unknown> = { title: titleOf(part) };
    lines.set(base, part.line);
    lines.set(`${base}.title`, part.line);
    const rest = [...part.blocks];
    const first = rest[0] && standaloneImage(rest[0].token);
    let imageBlock: Block | undefined;
    if (first) imageBlock = rest.shift();
    const roundup = rest.some((b) => b.token.type === 'blockquote');
    let caption: string | undefined = first?.title ?? undefined;
    if (roundup) {
      if (rest[0]?.token.type === 'paragraph' && !standaloneImage(rest[0].token) && rest[1]?.token.type === 'blockquote') {
        caption = rest[0].token.raw.trim();
        lines.set(`${base}.caption`, rest[0].line);
        rest.shift();
      }
      if (rest[0]?.token.type === 'blockquote') {
        const quote = rest.shift()!;
        const inner = (quote.token as Tokens.Blockquote).tokens.filter((t) => t.type !== 'space');
        const last = inner.at(-1);
        const more = last && last.type === 'paragraph' ? soleLink([last]) : undefined;
        if (more) {
          article.read_more = more.href;
          article.read_more_label = more.text;
          inner.pop();
          lines.set(`${base}.read_more`, quote.line);
        }
        article.quote = inner.map((t) => t.raw.trim()).join('\n\n');
        lines.set(`${base}.quote`, quote.line);
      }
      const more = rest[0] && article.read_more === undefined ? soleLink([rest[0].token]) : undefined;
      if (more && rest[0].token.type === 'paragraph') {
        article.read_more = more.href;
        article.read_more_label = more.text;
        lines.set(`${base}.read_more`, rest[0].line);
        rest.shift();
      }
      if (rest[0]?.token.type === 'paragraph' && rest[1]?.token.type === 'list') {
        article.links_heading = normalise(plainText((rest[0].token as Tokens.Paragraph).tokens));
        rest.shift();
      }
      if (rest[0]?.token.type === 'list' && !(rest[0].token as Tokens.List).ordered) {
        const list = rest.shift()!;
        const items = [...(list.token as Tokens.List).items];
        const lastItem = items.at(-1);
        if (lastItem && !soleLink(lastItem.tokens) && /^[^\s:：[\]()]{1,20}\s*[:：]/.test(lastItem.text.trim())) {
          article.credit = lastItem.text.trim();
          lines.set(`${base}.credit`, list.line + items.length - 1);
          items.pop();
        }
        article.links = items.map((item, k) => {
          lines.set(`${base}.links.${k}`, list.line + k);
          const link = soleLink(item.tokens);
          return link ? { text: link.text, url: link.href } : { text: item.text.trim() };
        });
      }
    }
    if (imageBlock && first) {
      article.image = imageData(first, altFromCaption(caption, article.title as string), imageBlock.line, `${base}.image`, warnings, caption ? 'its caption' : 'the article title');
      lines.set(`${base}.image`, imageBlock.line);
    }
    if (caption !== undefined) article.caption = caption;
    if (rest.length) {
      article.body = rawOf(rest);
      lines.set(`${base}.body`, rest[0].line);
    }
    return article;
  }

}

/** One or two short paragraphs after a final horizontal rule are the closing (small print at the end). */
function splitClosing(list: Block[]): { content: Block[]; closing: Block[] } {
  const rule = list.findLastIndex((b) => b.token.type === 'hr');
  const after = list.slice(rule + 1);
  const small = after.length > 0 && after.length <= 2 && after.every((b) => b.token.type === 'paragraph' && !buttonOf(b.token) && b.token.raw.length < 400);
  if (rule === -1 || !small) return { content: list, closing: [] };
  return { content: list.slice(0, rule), closing: list.slice(rule + 1) };
}

function leadingNewlines(raw: string): number {
  return raw.length - raw.replace(/^\n+/, '').length;
}

function rawOf(blocks: Block[]): string {
  return blocks.map((b) => b.token.raw.trim()).join('\n\n');
}

function hasLink(tokens: Token[] | undefined): boolean {
  return !!tokens?.some((t) => t.type === 'link' || ('tokens' in t && hasLink(t.tokens)));
}

/** A paragraph (or item) that is exactly one link: its target and plain text. */
function soleLink(tokens: Token[] | undefined): { href: string; text: string } | undefined {
  let inner = (tokens ?? []).filter((t) => t.type !== 'space');
  if (inner.length === 1 && (inner[0].type === 'paragraph' || inner[0].type === 'text') && 'tokens' in inner[0] && inner[0].tokens) {
    inner = inner[0].tokens;
  }
  // A label before an autolink (`原文：<https://…>`) is allowed for the original's link only; callers check.
  const meaningful = inner.filter((t) => !(t.type === 'text' && !t.raw.trim()));
  const link = meaningful.at(-1);
  if (!link || link.type !== 'link') return undefined;
  if (meaningful.length > 1 && !(meaningful.length === 2 && meaningful[0].type === 'text' && link.text === link.href)) return undefined;
  return { href: link.href, text: normalise(plainText(link.tokens)) };
}

const standaloneImage = standaloneImageOf;

/** A caption without its trailing "[source]" link, as the alt text of an image that has none. */
function altFromCaption(caption: string | undefined, title: string): string {
  if (!caption) return title;
  const text = normalise(plainText(new Lexer({ gfm: true }).inlineTokens(caption)));
  const trimmed = text.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
  const onlyLink = /^\[[^\]]*\]\([^)]*\)$/.test(caption.trim());
  return !trimmed || onlyLink ? title : trimmed;
}

function imageData(
  image: Tokens.Image,
  fallbackAlt: string,
  line: number,
  field: string,
  warnings: DocumentRead['warnings'],
  from: string,
): Record<string, unknown> {
  const alt = image.text.trim();
  if (!alt) {
    warnings.push({
      rule: 'image-alt',
      line,
      message: `image '${image.href}' has no alt text; ${from} is used instead ('${fallbackAlt}'). Describe the picture: ![what it shows](${image.href})`,
    });
  }
  const data: Record<string, unknown> = { src: image.href, alt: alt || fallbackAlt };
  if (image.title) data.title = image.title;
  void field;
  return data;
}

function cardsOf(part: Part): { posts: Record<string, string>[]; rest: string } | undefined {
  const posts: Record<string, string>[] = [];
  let at = part.raw.search(/\S/);
  if (at === -1) return undefined;
  for (;;) {
    CARD.lastIndex = at;
    const match = CARD.exec(part.raw);
    if (!match) break;
    const [, , title, summary, site, url] = match;
    posts.push({ title: title.trim(), ...(summary ? { summary: summary.trim() } : {}), url, ...(site.trim() ? { site: site.trim() } : {}) });
    at = CARD.lastIndex;
    const next = part.raw.slice(at).search(/\S/);
    if (next === -1) {
      at = part.raw.length;
      break;
    }
    at += next;
  }
  return posts.length ? { posts, rest: part.raw.slice(at) } : undefined;
}

function collectImages(blocks: Block[], body: string, lineAt: (offset: number) => number, images: DocumentRead['images']): void {
  const walk = (tokens: Token[] | undefined, block: Block) => {
    for (const t of tokens ?? []) {
      if (t.type === 'image') {
        const at = body.indexOf(`](${t.href}`, block.offset);
        images.push({ src: t.href, line: at === -1 ? block.line : lineAt(at) });
      }
      if ('tokens' in t && t.tokens) walk(t.tokens, block);
      if (t.type === 'list') for (const item of (t as Tokens.List).items) walk(item.tokens, block);
      if (t.type === 'table') for (const row of [(t as Tokens.Table).header, ...(t as Tokens.Table).rows]) for (const cell of row) walk(cell.tokens, block);
    }
  };
  for (const block of blocks) walk([block.token], block);
}
