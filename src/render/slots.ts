/**
 * Personal and per-send values are not known when an issue is compiled. The compiled HTML and text hold a
 * marker for each, and the markers are replaced later: send-level values once per send, subscriber values
 * once per message. The markers are plain ASCII that HTML, MJML and html-to-text leave untouched.
 */
export const SEND_SLOTS = ['listName', 'webVersionUrl'] as const;
export const SUBSCRIBER_SLOTS = ['name', 'unsubscribeUrl', 'openPixelUrl', 'clickBase'] as const;
export type SendSlot = (typeof SEND_SLOTS)[number];
export type SubscriberSlot = (typeof SUBSCRIBER_SLOTS)[number];
export type Slot = SendSlot | SubscriberSlot;

export const marker = (slot: Slot): string => `%%tidings:${slot}%%`;

const MARKER_PATTERN = /%%tidings:([A-Za-z]+)%%/g;

/**
 * A text cut at its markers: `literals` has one more entry than `slots`. Filling it is a join, which is the
 * only work a message needs per subscriber.
 */
export interface SplitTemplate<S extends string> {
  readonly literals: readonly string[];
  readonly slots: readonly S[];
}

export function splitAtSlots<S extends Slot>(text: string, allowed: readonly S[]): SplitTemplate<S> {
  const literals: string[] = [];
  const slots: S[] = [];
  let last = 0;
  for (const match of text.matchAll(MARKER_PATTERN)) {
    const slot = match[1] as S;
    if (!allowed.includes(slot)) throw new Error(`unexpected slot marker '${match[0]}'`);
    literals.push(text.slice(last, match.index));
    slots.push(slot);
    last = match.index! + match[0].length;
  }
  literals.push(text.slice(last));
  return { literals, slots };
}

export function fillSlots<S extends string>(template: SplitTemplate<S>, values: Readonly<Record<S, string>>): string {
  const { literals, slots } = template;
  let out = literals[0];
  for (let i = 0; i < slots.length; i++) out += values[slots[i]] + literals[i + 1];
  return out;
}

/**
 * Replaces the markers of the given slots in a text, leaving the others in place: send-level values are
 * filled once per send, and the web version fills every slot with neutral values.
 */
export function fillMarkers(text: string, values: Readonly<Partial<Record<Slot, string>>>): string {
  return text.replace(MARKER_PATTERN, (whole, slot: string) => values[slot as Slot] ?? whole);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;', '=': '&#61;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (ch) => HTML_ESCAPES[ch]);
}

/** A subscriber's value on one line: control characters (CR, LF, NUL, …) never reach a message. */
export function singleLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

/**
 * Fills the send-level slots of a compiled issue once per send: escaped in the HTML (a list name may hold
 * `<` or `&`), as they are in the text.
 */
export function fillSendSlots(compiled: { html: string; text: string }, values: Readonly<Record<SendSlot, string>>): { html: string; text: string } {
  const escaped = Object.fromEntries(Object.entries(values).map(([slot, value]) => [slot, escapeHtml(value)])) as Record<SendSlot, string>;
  return { html: fillMarkers(compiled.html, escaped), text: fillMarkers(compiled.text, values) };
}
