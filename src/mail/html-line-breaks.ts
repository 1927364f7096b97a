/**
 * Where an HTML text may take a line break instead of a space without changing what it means: between
 * attributes inside a tag, between words of text content, between CSS tokens of a <style> block. Not inside
 * a quoted attribute value (an `alt`, a `title` or a `style` keeps its spaces), a CSS string, <pre> or
 * <textarea> content (their line breaks show), a comment, or the head of an Outlook conditional comment
 * (`<!--[if mso | IE]>`).
 *
 * Where text has no space to spare (Chinese, Japanese, a run of inline tags), a tag takes a line break right
 * after its name: `</p\n>` and `<br\n/>` are the same tags to every HTML parser, and nothing shows.
 *
 * Returns one flag per UTF-16 unit of `html`: SPACE where that space may become a line break, BEFORE where a
 * line break may be inserted before that unit.
 */
export const SPACE = 1;
export const BEFORE = 2;

export function htmlBreakPoints(html: string): Uint8Array {
  const breakable = new Uint8Array(html.length);
  const n = html.length;
  let preDepth = 0;
  let i = 0;
  while (i < n) {
    const ch = html.charCodeAt(i);
    if (ch === 0x20) {
      if (preDepth === 0) breakable[i] = SPACE;
      i++;
      continue;
    }
    if (ch !== 0x3c /* < */) {
      i++;
      continue;
    }
    if (html.startsWith('<!--[', i)) {
      // A conditional comment's head: `[if mso | IE]>` is read by Outlook as one token. Its body is HTML.
      i = skipPast(html, ']>', i);
      continue;
    }
    if (html.startsWith('<!--', i)) {
      i = skipPast(html, '-->', i + 4);
      continue;
    }
    if (html.startsWith('<![', i)) {
      i = skipPast(html, '>', i);
      continue;
    }
    const next = html.charCodeAt(i + 1);
    const isTag = isLetter(next) || next === 0x2f /* / */ || next === 0x21 /* ! */ || next === 0x3f; /* ? */
    if (!isTag) {
      i++;
      continue;
    }
    const tag = scanTag(html, i, breakable);
    i = tag.end;
    if (tag.name === 'pre' || tag.name === 'textarea') preDepth += tag.closing ? (preDepth > 0 ? -1 : 0) : 1;
    else if (!tag.closing && tag.name === 'style') i = scanCss(html, i, breakable);
    else if (!tag.closing && (tag.name === 'script' || tag.name === 'title')) i = skipBefore(html, `</${tag.name}`, i);
  }
  return breakable;
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** The index just after the next `end` at or after `from` (the text's length when there is none). */
function skipPast(text: string, end: string, from: number): number {
  const at = text.indexOf(end, from);
  return at < 0 ? text.length : at + end.length;
}

function skipBefore(text: string, end: string, from: number): number {
  const at = text.toLowerCase().indexOf(end, from);
  return at < 0 ? text.length : at;
}

/** A tag from its `<` to after its `>`: spaces outside quoted values are breakable. */
function scanTag(html: string, start: number, breakable: Uint8Array): { name: string; closing: boolean; end: number } {
  let i = start + 1;
  const closing = html.charCodeAt(i) === 0x2f;
  if (closing) i++;
  const nameStart = i;
  while (i < html.length && /[A-Za-z0-9:-]/.test(html[i])) i++;
  const name = html.slice(nameStart, i).toLowerCase();
  if (name && i < html.length && html.charCodeAt(i) !== 0x20) breakable[i] = BEFORE;
  let quote = 0;
  for (; i < html.length; i++) {
    const ch = html.charCodeAt(i);
    if (quote) {
      if (ch === quote) quote = 0;
    } else if (ch === 0x22 || ch === 0x27) {
      quote = ch;
    } else if (ch === 0x20) {
      breakable[i] = SPACE;
    } else if (ch === 0x3e /* > */) {
      return { name, closing, end: i + 1 };
    }
  }
  return { name, closing, end: i };
}

/** A <style> block's content up to its `</style`: spaces outside CSS strings and comments are breakable. */
function scanCss(html: string, start: number, breakable: Uint8Array): number {
  const end = skipBefore(html, '</style', start);
  let quote = 0;
  for (let i = start; i < end; i++) {
    const ch = html.charCodeAt(i);
    if (quote) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === quote) quote = 0;
    } else if (ch === 0x22 || ch === 0x27) {
      quote = ch;
    } else if (ch === 0x2f && html.charCodeAt(i + 1) === 0x2a) {
      i = skipPast(html, '*/', i + 2) - 1;
    } else if (ch === 0x20) {
      breakable[i] = SPACE;
    }
  }
  return end;
}
