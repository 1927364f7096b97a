import type { TokenCodec } from './tokens';

/** How long a confirmation link and a preferences link stay valid. Unsubscribe links never expire. */
export const CONFIRM_TTL_SECONDS = 7 * 24 * 3600;
export const PREFERENCES_TTL_SECONDS = 7 * 24 * 3600;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The public URLs a message carries, built from PUBLIC_URL only (never from a request's Host header). */
export class Links {
  constructor(
    private readonly publicUrl: string,
    private readonly tokens: TokenCodec,
  ) {}

  unsubscribe(subscriberId: number, listId: number, deliveryId: number): string {
    return `${this.publicUrl}/unsubscribe/${this.tokens.encode('unsubscribe', [subscriberId, listId, deliveryId])}`;
  }

  openPixel(deliveryId: number): string {
    return `${this.publicUrl}/o/${this.tokens.encode('open', [deliveryId])}`;
  }

  webVersion(issueSlug: string): string {
    return `${this.publicUrl}/archive/${encodeURIComponent(issueSlug)}`;
  }

  /** The public archive's index, of one list or of all lists whose archive is public. */
  archive(listSlug?: string): string {
    return `${this.publicUrl}/archive${listSlug ? `?list=${encodeURIComponent(listSlug)}` : ''}`;
  }

  archiveFeed(listSlug?: string): string {
    return `${this.publicUrl}/archive/feed.xml${listSlug ? `?list=${encodeURIComponent(listSlug)}` : ''}`;
  }

  /** Where the web version's unsubscribe link points: a page that explains, with no personal token. */
  unsubscribeHelp(): string {
    return `${this.publicUrl}/unsubscribe`;
  }

  /** What an unsubscribe token says, or null when it is not a valid unsubscribe token. */
  readUnsubscribe(token: string): { subscriberId: number; listId: number; deliveryId: number } | null {
    const ids = this.tokens.decode('unsubscribe', token);
    if (!ids || ids.length !== 3) return null;
    return { subscriberId: ids[0], listId: ids[1], deliveryId: ids[2] };
  }

  readOpen(token: string): { deliveryId: number } | null {
    const ids = this.tokens.decode('open', token);
    if (!ids || ids.length !== 1) return null;
    return { deliveryId: ids[0] };
  }

  /** The base of a message's click URLs: `<base>/<linkId>` for each link of the issue. */
  clickBase(deliveryId: number): string {
    return `${this.publicUrl}/c/${this.tokens.encode('click', [deliveryId])}`;
  }

  readClick(token: string): { deliveryId: number } | null {
    const ids = this.tokens.decode('click', token);
    if (!ids || ids.length !== 1) return null;
    return { deliveryId: ids[0] };
  }

  /** The double opt-in link; it carries when it was made and expires after CONFIRM_TTL_SECONDS. */
  confirm(subscriberId: number, listId: number, issuedAt = nowSeconds()): string {
    return `${this.publicUrl}/confirm/${this.tokens.encode('confirm', [subscriberId, listId, issuedAt])}`;
  }

  readConfirm(token: string, now = nowSeconds()): { subscriberId: number; listId: number } | null {
    const link = this.inspectConfirm(token, now);
    return link && !link.expired ? { subscriberId: link.subscriberId, listId: link.listId } : null;
  }

  /**
   * What a confirmation token says, expired or not (an expired link is still ours: its page offers a fresh
   * one to the address it was for); null when it is not a valid confirmation token.
   */
  inspectConfirm(token: string, now = nowSeconds()): { subscriberId: number; listId: number; expired: boolean } | null {
    const ids = this.tokens.decode('confirm', token);
    const age = ids && ids.length === 3 ? ageOf(ids[2], CONFIRM_TTL_SECONDS, now) : 'invalid';
    if (!ids || age === 'invalid') return null;
    return { subscriberId: ids[0], listId: ids[1], expired: age === 'expired' };
  }

  /** A subscriber's preferences page (lists, data download, deletion); expires after PREFERENCES_TTL_SECONDS. */
  preferences(subscriberId: number, issuedAt = nowSeconds()): string {
    return `${this.publicUrl}/preferences/${this.tokens.encode('preferences', [subscriberId, issuedAt])}`;
  }

  readPreferences(token: string, now = nowSeconds()): { subscriberId: number } | null {
    const link = this.inspectPreferences(token, now);
    return link && !link.expired ? { subscriberId: link.subscriberId } : null;
  }

  /** What a preferences token says, expired or not; null when it is not a valid preferences token. */
  inspectPreferences(token: string, now = nowSeconds()): { subscriberId: number; expired: boolean } | null {
    const ids = this.tokens.decode('preferences', token);
    const age = ids && ids.length === 2 ? ageOf(ids[1], PREFERENCES_TTL_SECONDS, now) : 'invalid';
    if (!ids || age === 'invalid') return null;
    return { subscriberId: ids[0], expired: age === 'expired' };
  }

  /** The VERP envelope sender of a delivery: a bounce to it names the delivery, and cannot be forged. */
  bounceAddress(deliveryId: number, bounceDomain: string): string {
    return `bounce+${this.tokens.encode('bounce', [deliveryId])}@${bounceDomain}`;
  }

  /** The delivery a bounce address names, or null when it is not one of ours. */
  readBounceAddress(address: string): { deliveryId: number } | null {
    const match = /^bounce\+([A-Za-z0-9_-]+)@/i.exec(address.trim());
    const ids = match ? this.tokens.decode('bounce', match[1]) : null;
    if (!ids || ids.length !== 1) return null;
    return { deliveryId: ids[0] };
  }
}

/**
 * A token issued more than a minute from now is not one a clock skew between processes explains: invalid.
 * Older than `ttl`: expired.
 */
function ageOf(issuedAt: number, ttlSeconds: number, now: number): 'fresh' | 'expired' | 'invalid' {
  if (issuedAt > now + 60) return 'invalid';
  return now - issuedAt <= ttlSeconds ? 'fresh' : 'expired';
}
