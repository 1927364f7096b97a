import { marker } from '../render/slots';

/**
 * Click tracking without an open redirect: the links of an issue are numbered once and stored
 * (issue_links); a message's links point at `<clickBase>/<linkId>`, and the click endpoint looks the
 * target up by (issue, linkId). Nothing in a click URL is ever used as a redirect target.
 */

// href="…" on <a> and <area> tags, as in the minified issue HTML (attribute values always quoted).
const HREF = /(<(?:a|area)\b[^>]*?\shref=")([^"]*)(")/gi;

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };

/** Decodes the character references an attribute value may hold (`&amp;`, `&#x3D;`, `&#61;`). */
export function decodeAttribute(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Only absolute http(s) URLs are tracked; slot markers (unsubscribe, web version) and mailto: are left alone. */
export function isTrackable(url: string): boolean {
  if (url.includes('%%tidings:')) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The trackable link targets of an HTML document, each once, in order of first appearance. */
export function extractLinks(html: string): string[] {
  const seen = new Set<string>();
  for (const match of html.matchAll(HREF)) {
    const url = decodeAttribute(match[2]);
    if (isTrackable(url)) seen.add(url);
  }
  return [...seen];
}

/**
 * Replaces each trackable href by the click slot plus its link id. `linkIds` maps a target URL to its id;
 * a URL without an id stays as it is.
 */
export function rewriteLinks(html: string, linkIds: ReadonlyMap<string, number>): string {
  return html.replace(HREF, (whole, before: string, value: string, after: string) => {
    const id = linkIds.get(decodeAttribute(value));
    return id === undefined ? whole : `${before}${marker('clickBase')}/${id}${after}`;
  });
}

/** Removes the open pixel's <img> (tracking off for the list). */
export function removeOpenPixel(html: string): string {
  const pixel = marker('openPixelUrl');
  return html.replace(new RegExp(`<img\\b[^>]*\\ssrc="${pixel}"[^>]*>`, 'g'), '').replaceAll(pixel, '');
}
