import type { SplitTemplate } from '../render/slots';
import { htmlBreakPoints, SPACE } from './html-line-breaks';

/**
 * The longest line an 8bit part may have, in bytes before its CRLF, counting each slot as SLOT_RESERVE.
 * RFC 5321 allows 998, but relays re-wrap well below it (Haraka and Sendmail at 992 bytes, inserting a
 * CRLF that breaks every DKIM body hash), so 8bit lines stay clear of every limit seen in the wild.
 */
export const MAX_LINE = 900;
/** Where a break is possible, HTML lines are kept to RFC 5322's 78 characters (a slot counts as SLOT_RESERVE). */
export const SOFT_LINE = 78;
/** Bytes set aside on a line for each slot on it; a longer value makes that message fall back to base64. */
export const SLOT_RESERVE = 256;
const CRLF = Buffer.from('\r\n');
const DOT = Buffer.from('.');
/** Stands for a slot while the literals are wrapped as one text (a NUL never occurs in a compiled issue). */
const SLOT = '\u0000';

interface Literal {
  /** The literal as the message carries it: CRLF line ends, long lines broken. */
  plain: Buffer;
  /** The same with SMTP's dot-stuffing applied to the lines that start inside it. */
  wire: Buffer;
  /** True when `wire` differs from `plain` (a line inside the literal starts with a dot). */
  stuffedInside: boolean;
  startsWithDot: boolean;
  endsWithLf: boolean;
}

export interface EightBitBody {
  /** The body as the message contains it (what DKIM signs and what a file holds). */
  plain: Buffer[];
  /** The body as it goes into SMTP's DATA: lines starting with a dot get a second one. */
  wire: Buffer[];
}

/**
 * A text body with slots sent as it is, UTF-8 in `Content-Transfer-Encoding: 8bit` (RFC 6152): a quarter
 * fewer bytes than base64 and nothing to encode per message. Built once per send; null when the body cannot
 * be carried this way (a line longer than MAX_LINE that cannot be broken), and the caller uses base64.
 *
 * HTML lines are broken at SOFT_LINE where a space may become a line break (see wrapHtml), and never exceed
 * MAX_LINE; a text/plain body is never rewrapped, since its line breaks show (a line over MAX_LINE: base64).
 */
export class EightBitTemplate<S extends string> {
  private constructor(
    private readonly literals: readonly Literal[],
    private readonly slots: readonly S[],
  ) {}

  static build<S extends string>(template: SplitTemplate<S>, options: { breakLongLines: boolean }): EightBitTemplate<S> | null {
    if (template.literals.some((literal) => literal.includes(SLOT))) return null;
    const joined = template.literals.join(SLOT).replace(/\r\n|\r|\n/g, '\n');
    const text = options.breakLongLines ? wrapHtml(joined) : joined;
    if (!linesFit(text)) return null;
    const literals = text.split(SLOT).map((literal): Literal => {
      const plainText = literal.replace(/\n/g, '\r\n');
      const plain = Buffer.from(plainText);
      const stuffedInside = plainText.includes('\r\n.');
      return {
        plain,
        wire: stuffedInside ? Buffer.from(plainText.replace(/\r\n\./g, '\r\n..')) : plain,
        stuffedInside,
        startsWithDot: plainText.startsWith('.'),
        endsWithLf: plainText.endsWith('\n'),
      };
    });
    return new EightBitTemplate(literals, template.slots);
  }

  /** The body for these values, or null when a value does not fit the line budget (send that one as base64). */
  render(values: Readonly<Record<S, Buffer>>): EightBitBody | null {
    const plain: Buffer[] = [];
    const wire: Buffer[] = [];
    let stuffed = false;
    let atLineStart = true;
    for (let i = 0; i < this.literals.length; i++) {
      const literal = this.literals[i];
      if (literal.plain.length) {
        if (atLineStart && literal.startsWithDot) {
          wire.push(DOT);
          stuffed = true;
        }
        plain.push(literal.plain);
        wire.push(literal.wire);
        if (literal.stuffedInside) stuffed = true;
        atLineStart = literal.endsWithLf;
      }
      if (i < this.slots.length) {
        const value = values[this.slots[i]];
        if (value.length > SLOT_RESERVE || value.includes(10) || value.includes(13)) return null;
        if (value.length === 0) continue;
        if (atLineStart && value[0] === 0x2e) {
          wire.push(DOT);
          stuffed = true;
        }
        plain.push(value);
        wire.push(value);
        atLineStart = false;
      }
    }
    // The part ends with a line end: the CRLF before the next boundary belongs to the boundary.
    if (!atLineStart) {
      plain.push(CRLF);
      wire.push(CRLF);
    }
    return { plain, wire: stuffed ? wire : plain };
  }
}

/**
 * Breaks an HTML text's lines at SOFT_LINE characters where a break is possible (see htmlBreakPoints): each
 * chosen space becomes a line break, the same whitespace to HTML and CSS. A slot counts as SLOT_RESERVE, so
 * a line holding a tracked link is broken right before the attribute that carries it, and after it.
 */
export function wrapHtml(text: string): string {
  const breakable = htmlBreakPoints(text);
  // Chosen breaks: a space replaced by a line break (SPACE), or a line break inserted before a unit (BEFORE).
  const breaks: { at: number; kind: number }[] = [];
  let width = 0;
  // The last places on the current line where it may break: a space is preferred to a break inside a tag.
  type Place = { at: number; kind: number; width: number };
  let lastSpace: Place | undefined;
  let lastBefore: Place | undefined;
  // The line so far overflows: break at the last possible place on it.
  const settle = () => {
    const place = lastSpace ?? lastBefore;
    if (width > SOFT_LINE && place) {
      breaks.push(place);
      width -= place.width + (place.kind === SPACE ? 1 : 0);
      lastSpace = lastBefore = undefined;
    }
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    const kind = breakable[i];
    if (ch === 0x0a) {
      settle();
      width = 0;
      lastSpace = lastBefore = undefined;
      continue;
    }
    if (kind) {
      settle();
      if (width > SOFT_LINE) {
        // One word longer than a line on its own (a URL, a style attribute): it ends here.
        breaks.push({ at: i, kind });
        width = 0;
        if (kind === SPACE) continue;
      } else if (kind === SPACE) {
        lastSpace = { at: i, kind, width };
        width++;
        continue;
      } else {
        lastBefore = { at: i, kind, width };
      }
    }
    width += ch === 0 ? SLOT_RESERVE : 1;
  }
  settle();
  if (breaks.length === 0) return text;
  let out = '';
  let from = 0;
  for (const { at, kind } of breaks.sort((a, b) => a.at - b.at)) {
    out += text.slice(from, at) + '\n';
    from = kind === SPACE ? at + 1 : at;
  }
  return out + text.slice(from);
}

/** Every line is at most MAX_LINE bytes, a slot counting as SLOT_RESERVE. */
function linesFit(text: string): boolean {
  for (const line of text.split('\n')) {
    if (line.length <= MAX_LINE / 3 && !line.includes(SLOT)) continue; // three bytes at most per UTF-16 unit
    let bytes = Buffer.byteLength(line);
    for (let at = line.indexOf(SLOT); at >= 0; at = line.indexOf(SLOT, at + 1)) bytes += SLOT_RESERVE - 1;
    if (bytes > MAX_LINE) return false;
  }
  return true;
}
