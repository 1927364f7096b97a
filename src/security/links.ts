import type { TokenCodec } from './tokens';

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
}
