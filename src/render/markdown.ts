import { Marked } from 'marked';
import { TidingsError } from '../errors';
import { escapeHtml } from './slots';

/** Link targets an email may carry: web links and mail addresses only (no javascript:, data:, file:). */
export function isAllowedHref(href: string): boolean {
  return /^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(href.trim());
}

/**
 * Markdown for operator-written fields. Raw HTML in the Markdown is shown as text, not interpreted,
 * and a link to anything but http(s) or mailto is an error naming the field.
 */
export function createMarkdown(field: () => string): { block(src: string): string; inline(src: string): string } {
  const marked = new Marked({
    gfm: true,
    async: false,
    renderer: {
      html(token) {
        return escapeHtml(token.text);
      },
    },
    walkTokens(token) {
      if (token.type === 'link' || token.type === 'image') {
        if (!isAllowedHref(token.href)) {
          throw new TidingsError('CONTENT_INVALID', `field '${field()}': link '${token.href}' is not an http(s) or mailto URL`, {
            field: field(),
            href: token.href,
          });
        }
      }
    },
  });
  return {
    block: (src) => (src.trim() ? ownErrors(() => marked.parse(src) as string) : ''),
    inline: (src) => (src.trim() ? ownErrors(() => marked.parseInline(src) as string) : ''),
  };
}

/** marked appends "Please report this to …marked" to errors thrown from walkTokens; ours are not its bugs. */
function ownErrors(parse: () => string): string {
  try {
    return parse();
  } catch (err) {
    if (err instanceof TidingsError) err.message = err.message.replace(/\nPlease report this to https:\/\/github\.com\/markedjs\/marked\.?$/, '');
    throw err;
  }
}
