import { escapeHtml, fillMarkers } from './slots';

/** A transparent 1×1 GIF inline: the web version asks no server whether it was read. */
const NEUTRAL_PIXEL = 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

/**
 * An issue's HTML as anyone may see it: the personal parts neutralised (the default greeting name, the
 * generic unsubscribe page instead of a personal link, no tracking pixel). The public archive and the
 * operators' preview show the same thing. Every value is escaped: a list name may hold <, & or quotes.
 */
export function neutralHtml(
  html: string,
  values: { listName: string; webVersionUrl: string; defaultName: string; unsubscribeUrl: string },
): string {
  const slots = { listName: values.listName, webVersionUrl: values.webVersionUrl, name: values.defaultName, unsubscribeUrl: values.unsubscribeUrl, openPixelUrl: NEUTRAL_PIXEL };
  return fillMarkers(html, Object.fromEntries(Object.entries(slots).map(([slot, value]) => [slot, escapeHtml(value)])));
}
