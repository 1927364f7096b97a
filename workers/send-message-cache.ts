import type { Services } from '../src/app/services';
import { getIssue } from '../src/db/issues';
import { getListById } from '../src/db/lists';
import { getSend } from '../src/db/sends';
import { MessageTemplate } from '../src/mail/message-template';
import { fillMarkers } from '../src/render/slots';

export interface SendMessage {
  template: MessageTemplate;
  listId: number;
  defaultName: string;
  envelopeFrom: string;
}

/**
 * The prebuilt message of each send this process works on, loaded once per send and kept while the send
 * runs (a handful at most), so a message costs no database read of the issue.
 */
export class SendMessageCache {
  private readonly entries = new Map<number, Promise<SendMessage>>();

  constructor(private readonly services: Services) {}

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
    const { pool, config, links } = this.services;
    const send = await getSend(pool, sendId);
    const [issue, list] = await Promise.all([getIssue(pool, send.issueId), getListById(pool, send.listId)]);
    const sendValues = { listName: list.name, webVersionUrl: links.webVersion(issue.slug) };
    const template = new MessageTemplate({
      sendId,
      listId: list.id,
      issueId: issue.id,
      from: config.mailFrom,
      subject: issue.subject,
      list: { name: list.name, slug: list.slug },
      sendingDomain: config.sendingDomain,
      html: fillMarkers(issue.html, sendValues),
      text: fillMarkers(issue.text, sendValues),
    });
    return { template, listId: list.id, defaultName: issue.defaultName, envelopeFrom: config.mailFrom.address };
  }
}
