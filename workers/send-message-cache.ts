import type { Services } from '../src/app/services';
import { getIssue, issueInLanguage } from '../src/db/issues';
import { ensureIssueLinks } from '../src/db/issue-links';
import { getListById, getListTracking } from '../src/db/lists';
import { getSend } from '../src/db/sends';
import type { MessageTemplate } from '../src/mail/message-template';
import { listSender } from '../src/send/sender';
import { buildSendTemplate } from '../src/send/send-template';
import { extractLinks, removeOpenPixel, rewriteLinks } from '../src/security/tracked-links';

export interface SendMessage {
  template: MessageTemplate;
  listId: number;
  defaultName: string;
  envelopeFrom: string;
  /** The envelope sender of one delivery: VERP (`bounce+<token>@BOUNCE_DOMAIN`) when configured. */
  envelopeFor(deliveryId: number): string;
  /** Whether the messages carry the open pixel and tracked links (the list's setting when the send began). */
  tracking: boolean;
}

/**
 * The prebuilt message of each send this process works on, loaded once per send and kept while the send
 * runs (a handful at most), so a message costs no database read of the issue.
 */
export class SendMessageCache {
  private readonly entries = new Map<number, Promise<SendMessage>>();
  constructor(private readonly services: Pick<Services, 'pool' | 'config' | 'links' | 'dkim'>) {}

  get(sendId: number): Promise<SendMessage> {
    let entry = this.entries.get(sendId);
    if (!entry) {
      entry = this.load(sendId);
      entry.catch(() => this.entries.delete(sendId));
      this.entries.set(sendId, entry);
      if (this.entries.size > 32) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }

  private async load(sendId: number): Promise<SendMessage> {
    const { pool, config, links, dkim } = this.services;
    const send = await getSend(pool, sendId);
    const [stored, list, tracking] = await Promise.all([getIssue(pool, send.issueId), getListById(pool, send.listId), getListTracking(pool, send.listId)]);
    // The rendering whose fixed strings are in the list's language.
    const issue = await issueInLanguage(pool, stored, list.language);
    // Tracking on: every http(s) link goes through /c/<token>/<linkId>, numbered once per issue.
    // Off: no pixel, and the links stay as written.
    const html = tracking
      ? rewriteLinks(issue.html, await ensureIssueLinks(pool, issue.id, extractLinks(issue.html)))
      : removeOpenPixel(issue.html);
    const { template } = buildSendTemplate({ config, links, dkim, sendId, issue, list, html });
    // The list's own address, so SPF and DMARC align with its From.
    const envelopeFrom = listSender(config, list).address;
    const bounceDomain = config.bounceDomain;
    return {
      template,
      listId: list.id,
      defaultName: issue.defaultName,
      envelopeFrom,
      envelopeFor: bounceDomain ? (deliveryId) => links.bounceAddress(deliveryId, bounceDomain) : () => envelopeFrom,
      tracking,
    };
  }
}
